// Transactions: transactional ids and the topics and groups a transaction
// names.

package namespace

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/policy/errresp"
)

// InitProducerId (22): the transactional id, if any.
func (p *Policy) initProducerID(x *policy.Exchange, r *kmsg.InitProducerIDRequest) error {
	if r.TransactionalID == nil {
		return nil
	}
	b, ok := p.txnIn(*r.TransactionalID)
	if !ok {
		return x.Fail(errTxnDenied, "")
	}
	r.TransactionalID = &b
	return nil
}

// AddPartitionsToTxn (24), up to v3 (v4+ batches transactions for
// brokers). As Kafka, a request that names a topic that does not exist is
// not forwarded: those topics get UNKNOWN_TOPIC_OR_PARTITION and the others
// OPERATION_NOT_ATTEMPTED.
func (p *Policy) addPartitionsToTxn(ctx context.Context, x *policy.Exchange, r *kmsg.AddPartitionsToTxnRequest) error {
	if r.Version >= 4 {
		return x.Fail(kerr.UnsupportedVersion.Code, "")
	}
	b, ok := p.txnIn(r.TransactionalID)
	if !ok {
		return x.Fail(errTxnDenied, "")
	}
	var ref refusals[kmsg.AddPartitionsToTxnRequestTopic]
	var fine []kmsg.AddPartitionsToTxnRequestTopic
	names := make([]string, len(r.Topics))
	for i, t := range r.Topics {
		bn, _, code := p.topicIn(ctx, t.Topic)
		if code != 0 {
			ref.add(code, t)
			continue
		}
		fine = append(fine, t)
		names[i] = bn
	}
	if !ref.empty() {
		resp, err := errresp.For(&kmsg.AddPartitionsToTxnRequest{Version: r.Version, Topics: fine}, kerr.OperationNotAttempted.Code, nil)
		if err != nil {
			return err
		}
		st := into(nil, &ref, func(ts []kmsg.AddPartitionsToTxnRequestTopic) kmsg.Request {
			return &kmsg.AddPartitionsToTxnRequest{Version: r.Version, Topics: ts}
		})
		if err := addRefused(st, resp, mergeAddPartitionsToTxn); err != nil {
			return err
		}
		x.Answer(resp)
		return nil
	}
	r.TransactionalID = b
	for i := range r.Topics {
		r.Topics[i].Topic = names[i]
	}
	if p.hide {
		x.WantResponse()
	}
	return nil
}

func mergeAddPartitionsToTxn(dst, src kmsg.Response) {
	d := dst.(*kmsg.AddPartitionsToTxnResponse)
	d.Topics = append(d.Topics, src.(*kmsg.AddPartitionsToTxnResponse).Topics...)
}

func (p *Policy) addPartitionsToTxnResponse(r *kmsg.AddPartitionsToTxnResponse) error {
	r.Topics = stripNames(p, r.Topics, func(t *kmsg.AddPartitionsToTxnResponseTopic) *string { return &t.Topic })
	return nil
}

// AddOffsetsToTxn (25): the transactional id, then the group, as Kafka
// checks them.
func (p *Policy) addOffsetsToTxn(x *policy.Exchange, r *kmsg.AddOffsetsToTxnRequest) error {
	t, ok := p.txnIn(r.TransactionalID)
	if !ok {
		return x.Fail(errTxnDenied, "")
	}
	g, _, ok := p.groupIn(r.Group)
	if !ok {
		return x.Fail(errGroupDenied, "")
	}
	r.TransactionalID, r.Group = t, g
	return nil
}

// TxnOffsetCommit (28): the transactional id, the group, topics by name
// (<=5) or id (6).
func (p *Policy) txnOffsetCommit(ctx context.Context, x *policy.Exchange, r *kmsg.TxnOffsetCommitRequest) error {
	t, ok := p.txnIn(r.TransactionalID)
	if !ok {
		return x.Fail(errTxnDenied, "")
	}
	g, _, ok := p.groupIn(r.Group)
	if !ok {
		return x.Fail(errGroupDenied, "")
	}
	r.TransactionalID, r.Group = t, g
	var ref refusals[kmsg.TxnOffsetCommitRequestTopic]
	if r.Version >= 6 {
		r.Topics = mapIDs(ctx, p, r.Topics, func(t *kmsg.TxnOffsetCommitRequestTopic) [16]byte { return t.TopicID }, false, &ref)
	} else {
		r.Topics = mapNames(ctx, p, r.Topics, func(t *kmsg.TxnOffsetCommitRequestTopic) *string { return &t.Topic }, false, &ref)
	}
	st := into(nil, &ref, func(ts []kmsg.TxnOffsetCommitRequestTopic) kmsg.Request {
		return &kmsg.TxnOffsetCommitRequest{Version: r.Version, Topics: ts}
	})
	return finish(x, st, len(r.Topics), p.hide && r.Version < 6, mergeTxnOffsetCommit)
}

func mergeTxnOffsetCommit(dst, src kmsg.Response) {
	d := dst.(*kmsg.TxnOffsetCommitResponse)
	d.Topics = append(d.Topics, src.(*kmsg.TxnOffsetCommitResponse).Topics...)
}

func (p *Policy) txnOffsetCommitResponse(st *state, r *kmsg.TxnOffsetCommitResponse) error {
	if r.Version < 6 {
		r.Topics = stripNames(p, r.Topics, func(t *kmsg.TxnOffsetCommitResponseTopic) *string { return &t.Topic })
	}
	return addRefused(st, r, mergeTxnOffsetCommit)
}

// DescribeTransactions (65).
func (p *Policy) describeTransactions(x *policy.Exchange, r *kmsg.DescribeTransactionsRequest) error {
	var ref refusals[string]
	kept := r.TransactionalIDs[:0]
	for _, t := range r.TransactionalIDs {
		b, ok := p.txnIn(t)
		if !ok {
			ref.add(errTxnDenied, t)
			continue
		}
		kept = append(kept, b)
	}
	r.TransactionalIDs = kept
	st := into(nil, &ref, func(ts []string) kmsg.Request {
		return &kmsg.DescribeTransactionsRequest{Version: r.Version, TransactionalIDs: ts}
	})
	return finish(x, st, len(kept), true, mergeDescribeTransactions)
}

func mergeDescribeTransactions(dst, src kmsg.Response) {
	d := dst.(*kmsg.DescribeTransactionsResponse)
	d.TransactionStates = append(d.TransactionStates, src.(*kmsg.DescribeTransactionsResponse).TransactionStates...)
}

func (p *Policy) describeTransactionsResponse(st *state, r *kmsg.DescribeTransactionsResponse) error {
	kept := r.TransactionStates[:0]
	for _, s := range r.TransactionStates {
		c, ok := p.txnOut(s.TransactionalID)
		if !ok {
			continue
		}
		s.TransactionalID = c
		s.Topics = stripNames(p, s.Topics, func(t *kmsg.DescribeTransactionsResponseTransactionStateTopic) *string { return &t.Topic })
		kept = append(kept, s)
	}
	r.TransactionStates = kept
	return addRefused(st, r, mergeDescribeTransactions)
}

// ListTransactions (66): the answer is filtered. v2's id pattern would
// match backend ids, so the key is served up to v1.
func (p *Policy) listTransactionsResponse(r *kmsg.ListTransactionsResponse) error {
	kept := r.TransactionStates[:0]
	for _, s := range r.TransactionStates {
		c, ok := p.txnOut(s.TransactionalID)
		if !ok || s.TransactionalID == "" {
			continue
		}
		s.TransactionalID = c
		kept = append(kept, s)
	}
	r.TransactionStates = kept
	return nil
}
