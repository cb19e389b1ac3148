// Checks of the transaction keys: InitProducerId, AddPartitionsToTxn,
// AddOffsetsToTxn, EndTxn, TxnOffsetCommit, DescribeTransactions and
// ListTransactions. A refused transactional id fails the request.

package acls

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// InitProducerId (22): a transactional producer needs TRANSACTIONAL_ID
// WRITE (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED); an idempotent one
// CLUSTER IDEMPOTENT_WRITE or WRITE on some topic (KIP-679), else
// CLUSTER_AUTHORIZATION_FAILED.
func initProducerID(c *call) error {
	r := c.x.Request.(*kmsg.InitProducerIDRequest)
	if r.TransactionalID != nil {
		if !c.can(resTxn, opWrite, *r.TransactionalID) {
			return c.fail(codeTxn, "")
		}
		return nil
	}
	if !c.rs.canCluster(opIdemp) && !c.rs.canAny(resTopic, opWrite) {
		return c.fail(codeCluster, "")
	}
	return nil
}

// internalTopics are Kafka's internal topics, which a transaction may
// never add (Topic.isInternal).
var internalTopics = map[string]bool{
	"__consumer_offsets":  true,
	"__transaction_state": true,
	"__share_group_state": true,
}

// AddPartitionsToTxn (24): before v4 (clients), TRANSACTIONAL_ID WRITE,
// else the request fails; then TOPIC WRITE per topic (never on an
// internal topic). A refused topic fails the whole request: its
// partitions are answered TOPIC_AUTHORIZATION_FAILED and the others
// OPERATION_NOT_ATTEMPTED, as Kafka. v4+ batches transactions for brokers
// and needs CLUSTER CLUSTER_ACTION.
func addPartitionsToTxn(c *call) error {
	r := c.x.Request.(*kmsg.AddPartitionsToTxnRequest)
	if r.Version >= 4 {
		return c.needCluster(opAction)
	}
	if !c.can(resTxn, opWrite, r.TransactionalID) {
		return c.fail(codeTxn, "")
	}
	refused := map[string]bool{}
	for _, t := range r.Topics {
		if internalTopics[t.Topic] || !c.can(resTopic, opWrite, t.Topic) {
			refused[t.Topic] = true
		}
	}
	if len(refused) == 0 {
		return nil
	}
	c.e.denied(len(refused))
	if err := c.x.Fail(codeNotAttempted, ""); err != nil {
		return err
	}
	resp := c.x.Local().(*kmsg.AddPartitionsToTxnResponse)
	for i := range resp.Topics {
		t := &resp.Topics[i]
		if refused[t.Topic] {
			for j := range t.Partitions {
				t.Partitions[j].ErrorCode = codeTopic
			}
		}
	}
	return nil
}

// AddOffsetsToTxn (25): TRANSACTIONAL_ID WRITE, then GROUP READ.
func addOffsetsToTxn(c *call) error {
	r := c.x.Request.(*kmsg.AddOffsetsToTxnRequest)
	if !c.can(resTxn, opWrite, r.TransactionalID) {
		return c.fail(codeTxn, "")
	}
	if !c.can(resGroup, opRead, r.Group) {
		return c.fail(codeGroup, "")
	}
	return nil
}

// EndTxn (26): TRANSACTIONAL_ID WRITE.
func endTxn(c *call) error {
	r := c.x.Request.(*kmsg.EndTxnRequest)
	if !c.can(resTxn, opWrite, r.TransactionalID) {
		return c.fail(codeTxn, "")
	}
	return nil
}

// TxnOffsetCommit (28): TRANSACTIONAL_ID WRITE, then GROUP READ (either
// refusal fails the request), then TOPIC READ per topic.
func txnOffsetCommit(c *call) error {
	r := c.x.Request.(*kmsg.TxnOffsetCommitRequest)
	if !c.can(resTxn, opWrite, r.TransactionalID) {
		return c.fail(codeTxn, "")
	}
	if !c.can(resGroup, opRead, r.Group) {
		return c.fail(codeGroup, "")
	}
	kept, out := splitBy(r.Topics, func(t *kmsg.TxnOffsetCommitRequestTopic) int16 { return c.topicCode(opRead, t.Topic, t.TopicID) })
	if len(out) == 0 {
		return nil
	}
	r.Topics = kept
	for _, o := range out {
		sub := *r
		sub.Topics = o.entries
		c.refuse(&sub, o.code, "", len(o.entries))
	}
	if len(kept) == 0 {
		return c.answerRefused()
	}
	return nil
}

// DescribeTransactions (65): TRANSACTIONAL_ID DESCRIBE per id; the topics
// of a described transaction are only those the principal may describe.
func describeTransactions(c *call) error {
	r := c.x.Request.(*kmsg.DescribeTransactionsRequest)
	kept, out := split(r.TransactionalIDs, func(id *string) bool { return c.can(resTxn, opDescribe, *id) })
	if len(out) > 0 {
		r.TransactionalIDs = kept
		sub := *r
		sub.TransactionalIDs = out
		c.refuse(&sub, codeTxn, "", len(out))
		if len(kept) == 0 {
			return c.answerRefused()
		}
	}
	rs := c.rs
	c.later(func(_ context.Context, resp kmsg.Response) {
		dr := resp.(*kmsg.DescribeTransactionsResponse)
		for i := range dr.TransactionStates {
			s := &dr.TransactionStates[i]
			s.Topics, _ = split(s.Topics, func(t *kmsg.DescribeTransactionsResponseTransactionStateTopic) bool {
				return rs.can(resTopic, opDescribe, t.Topic)
			})
		}
	})
	return nil
}

// ListTransactions (66): only transactional ids the principal may
// describe are listed.
func listTransactions(c *call) error {
	rs := c.rs
	c.later(func(_ context.Context, resp kmsg.Response) {
		lr := resp.(*kmsg.ListTransactionsResponse)
		lr.TransactionStates, _ = split(lr.TransactionStates, func(s *kmsg.ListTransactionsResponseTransactionState) bool {
			return rs.can(resTxn, opDescribe, s.TransactionalID)
		})
	})
	return nil
}
