// Data-path keys: Produce, Fetch, ListOffsets, OffsetForLeaderEpoch,
// DeleteRecords and DescribeProducers. They name topics by name (older
// versions) or by id; foreign entries are taken out and answered with the
// error Kafka gives for a topic that does not exist.

package namespace

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
)

// Produce (0): names up to v12, ids from v13; the transactional id.
// Records are not touched. With ids and nothing refused the response is
// not read.
func (p *Policy) produce(ctx context.Context, x *policy.Exchange, r *kmsg.ProduceRequest) error {
	if r.TransactionID != nil {
		t, ok := p.txnIn(*r.TransactionID)
		if !ok {
			return x.Fail(errTxnDenied, "")
		}
		if t != *r.TransactionID {
			r.TransactionID = &t
		}
	}
	var ref refusals[kmsg.ProduceRequestTopic]
	if r.Version >= 13 {
		r.Topics = mapIDs(ctx, p, r.Topics, func(t *kmsg.ProduceRequestTopic) [16]byte { return t.TopicID }, false, &ref)
	} else {
		r.Topics = mapNames(ctx, p, r.Topics, func(t *kmsg.ProduceRequestTopic) *string { return &t.Topic }, false, &ref)
	}
	for i := range ref.lists {
		for j := range ref.lists[i] {
			// The refused entries outlive the frame their records alias.
			parts := make([]kmsg.ProduceRequestTopicPartition, len(ref.lists[i][j].Partitions))
			for k, pt := range ref.lists[i][j].Partitions {
				parts[k] = kmsg.ProduceRequestTopicPartition{Partition: pt.Partition}
			}
			ref.lists[i][j].Partitions = parts
		}
	}
	st := into(nil, &ref, func(ts []kmsg.ProduceRequestTopic) kmsg.Request {
		return &kmsg.ProduceRequest{Version: r.Version, Acks: r.Acks, Topics: ts}
	})
	if st != nil && r.Acks == 0 {
		// No response can carry the refusal: as Kafka, which closes the
		// connection when an acks=0 produce fails, answer, and the
		// session closes.
		return answerRefused(x, st, mergeProduce)
	}
	return finish(x, st, len(r.Topics), p.hide && r.Version < 13, mergeProduce)
}

func mergeProduce(dst, src kmsg.Response) {
	d := dst.(*kmsg.ProduceResponse)
	d.Topics = append(d.Topics, src.(*kmsg.ProduceResponse).Topics...)
}

func (p *Policy) produceResponse(st *state, r *kmsg.ProduceResponse) error {
	if r.Version < 13 {
		r.Topics = stripNames(p, r.Topics, func(t *kmsg.ProduceResponseTopic) *string { return &t.Topic })
	}
	if p.hide {
		for i := range r.Topics {
			for j := range r.Topics[i].Partitions {
				pt := &r.Topics[i].Partitions[j]
				pt.ErrorMessage = p.msgOut(pt.ErrorMessage)
			}
		}
	}
	return addRefused(st, r, mergeProduce)
}

// Fetch (1): names up to v12, ids from v13, in the topics and in the
// forgotten topics of a fetch session. Foreign forgotten topics are
// dropped: the broker's session never held them. The request is always
// forwarded, even with no topic left, so that fetch sessions stay in step;
// when entries were refused MinBytes is 0, so that the errors come back at
// once as they would from Kafka. With ids and nothing refused the response
// is not read and stays on the splice path.
func (p *Policy) fetch(ctx context.Context, x *policy.Exchange, r *kmsg.FetchRequest) error {
	var ref refusals[kmsg.FetchRequestTopic]
	var dropped refusals[kmsg.FetchRequestForgottenTopic]
	if r.Version >= 13 {
		r.Topics = mapIDs(ctx, p, r.Topics, func(t *kmsg.FetchRequestTopic) [16]byte { return t.TopicID }, false, &ref)
		r.ForgottenTopics = mapIDs(ctx, p, r.ForgottenTopics, func(t *kmsg.FetchRequestForgottenTopic) [16]byte { return t.TopicID }, false, &dropped)
	} else {
		r.Topics = mapNames(ctx, p, r.Topics, func(t *kmsg.FetchRequestTopic) *string { return &t.Topic }, false, &ref)
		r.ForgottenTopics = mapNames(ctx, p, r.ForgottenTopics, func(t *kmsg.FetchRequestForgottenTopic) *string { return &t.Topic }, false, &dropped)
	}
	st := into(nil, &ref, func(ts []kmsg.FetchRequestTopic) kmsg.Request {
		return &kmsg.FetchRequest{Version: r.Version, Topics: ts}
	})
	if st != nil {
		r.MinBytes = 0
	}
	if st != nil || p.hide && r.Version < 13 {
		x.WantResponse()
		if st != nil {
			x.SetState(st)
		}
	}
	return nil
}

func mergeFetch(dst, src kmsg.Response) {
	d := dst.(*kmsg.FetchResponse)
	d.Topics = append(d.Topics, src.(*kmsg.FetchResponse).Topics...)
}

func (p *Policy) fetchResponse(st *state, r *kmsg.FetchResponse) error {
	if r.Version < 13 {
		r.Topics = stripNames(p, r.Topics, func(t *kmsg.FetchResponseTopic) *string { return &t.Topic })
	}
	return addRefused(st, r, mergeFetch)
}

// ListOffsets (2).
func (p *Policy) listOffsets(ctx context.Context, x *policy.Exchange, r *kmsg.ListOffsetsRequest) error {
	var ref refusals[kmsg.ListOffsetsRequestTopic]
	r.Topics = mapNames(ctx, p, r.Topics, func(t *kmsg.ListOffsetsRequestTopic) *string { return &t.Topic }, false, &ref)
	st := into(nil, &ref, func(ts []kmsg.ListOffsetsRequestTopic) kmsg.Request {
		return &kmsg.ListOffsetsRequest{Version: r.Version, Topics: ts}
	})
	return finish(x, st, len(r.Topics), p.hide, mergeListOffsets)
}

func mergeListOffsets(dst, src kmsg.Response) {
	d := dst.(*kmsg.ListOffsetsResponse)
	d.Topics = append(d.Topics, src.(*kmsg.ListOffsetsResponse).Topics...)
}

func (p *Policy) listOffsetsResponse(st *state, r *kmsg.ListOffsetsResponse) error {
	r.Topics = stripNames(p, r.Topics, func(t *kmsg.ListOffsetsResponseTopic) *string { return &t.Topic })
	return addRefused(st, r, mergeListOffsets)
}

// OffsetForLeaderEpoch (23).
func (p *Policy) offsetForLeaderEpoch(ctx context.Context, x *policy.Exchange, r *kmsg.OffsetForLeaderEpochRequest) error {
	var ref refusals[kmsg.OffsetForLeaderEpochRequestTopic]
	r.Topics = mapNames(ctx, p, r.Topics, func(t *kmsg.OffsetForLeaderEpochRequestTopic) *string { return &t.Topic }, false, &ref)
	st := into(nil, &ref, func(ts []kmsg.OffsetForLeaderEpochRequestTopic) kmsg.Request {
		return &kmsg.OffsetForLeaderEpochRequest{Version: r.Version, Topics: ts}
	})
	return finish(x, st, len(r.Topics), p.hide, mergeOffsetForLeaderEpoch)
}

func mergeOffsetForLeaderEpoch(dst, src kmsg.Response) {
	d := dst.(*kmsg.OffsetForLeaderEpochResponse)
	d.Topics = append(d.Topics, src.(*kmsg.OffsetForLeaderEpochResponse).Topics...)
}

func (p *Policy) offsetForLeaderEpochResponse(st *state, r *kmsg.OffsetForLeaderEpochResponse) error {
	r.Topics = stripNames(p, r.Topics, func(t *kmsg.OffsetForLeaderEpochResponseTopic) *string { return &t.Topic })
	return addRefused(st, r, mergeOffsetForLeaderEpoch)
}

// DeleteRecords (21): deleting records is administering the topic, so
// additional topics are refused.
func (p *Policy) deleteRecords(ctx context.Context, x *policy.Exchange, r *kmsg.DeleteRecordsRequest) error {
	var ref refusals[kmsg.DeleteRecordsRequestTopic]
	r.Topics = mapNames(ctx, p, r.Topics, func(t *kmsg.DeleteRecordsRequestTopic) *string { return &t.Topic }, true, &ref)
	st := into(nil, &ref, func(ts []kmsg.DeleteRecordsRequestTopic) kmsg.Request {
		return &kmsg.DeleteRecordsRequest{Version: r.Version, Topics: ts}
	})
	return finish(x, st, len(r.Topics), p.hide, mergeDeleteRecords)
}

func mergeDeleteRecords(dst, src kmsg.Response) {
	d := dst.(*kmsg.DeleteRecordsResponse)
	d.Topics = append(d.Topics, src.(*kmsg.DeleteRecordsResponse).Topics...)
}

func (p *Policy) deleteRecordsResponse(st *state, r *kmsg.DeleteRecordsResponse) error {
	r.Topics = stripNames(p, r.Topics, func(t *kmsg.DeleteRecordsResponseTopic) *string { return &t.Topic })
	return addRefused(st, r, mergeDeleteRecords)
}

// DescribeProducers (61).
func (p *Policy) describeProducers(ctx context.Context, x *policy.Exchange, r *kmsg.DescribeProducersRequest) error {
	var ref refusals[kmsg.DescribeProducersRequestTopic]
	r.Topics = mapNames(ctx, p, r.Topics, func(t *kmsg.DescribeProducersRequestTopic) *string { return &t.Topic }, false, &ref)
	st := into(nil, &ref, func(ts []kmsg.DescribeProducersRequestTopic) kmsg.Request {
		return &kmsg.DescribeProducersRequest{Version: r.Version, Topics: ts}
	})
	return finish(x, st, len(r.Topics), p.hide, mergeDescribeProducers)
}

func mergeDescribeProducers(dst, src kmsg.Response) {
	d := dst.(*kmsg.DescribeProducersResponse)
	d.Topics = append(d.Topics, src.(*kmsg.DescribeProducersResponse).Topics...)
}

func (p *Policy) describeProducersResponse(st *state, r *kmsg.DescribeProducersResponse) error {
	r.Topics = stripNames(p, r.Topics, func(t *kmsg.DescribeProducersResponseTopic) *string { return &t.Topic })
	for i := range r.Topics {
		for j := range r.Topics[i].Partitions {
			pt := &r.Topics[i].Partitions[j]
			pt.ErrorMessage = p.msgOut(pt.ErrorMessage)
		}
	}
	return addRefused(st, r, mergeDescribeProducers)
}
