// Produce (0) and Fetch (1): the alias entries of requests that name topics
// (Produce v0-12, Fetch v0-12) reach the target, and the answers come back
// under the alias. Produce v13+ and Fetch v13+ name topics by id only; an
// alias has no id of its own (see README.md), so clients use a version
// that names it.

package alias

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var (
	produceReq = topicParts[kmsg.ProduceRequestTopic, kmsg.ProduceRequestTopicPartition]{
		name:  func(t *kmsg.ProduceRequestTopic) *string { return &t.Topic },
		parts: func(t *kmsg.ProduceRequestTopic) *[]kmsg.ProduceRequestTopicPartition { return &t.Partitions },
		id:    func(p *kmsg.ProduceRequestTopicPartition) int32 { return p.Partition },
	}
	produceResp = topicParts[kmsg.ProduceResponseTopic, kmsg.ProduceResponseTopicPartition]{
		name:  func(t *kmsg.ProduceResponseTopic) *string { return &t.Topic },
		parts: func(t *kmsg.ProduceResponseTopic) *[]kmsg.ProduceResponseTopicPartition { return &t.Partitions },
		id:    func(p *kmsg.ProduceResponseTopicPartition) int32 { return p.Partition },
	}
	fetchReq = topicParts[kmsg.FetchRequestTopic, kmsg.FetchRequestTopicPartition]{
		name:  func(t *kmsg.FetchRequestTopic) *string { return &t.Topic },
		parts: func(t *kmsg.FetchRequestTopic) *[]kmsg.FetchRequestTopicPartition { return &t.Partitions },
		id:    func(p *kmsg.FetchRequestTopicPartition) int32 { return p.Partition },
	}
	fetchResp = topicParts[kmsg.FetchResponseTopic, kmsg.FetchResponseTopicPartition]{
		name:  func(t *kmsg.FetchResponseTopic) *string { return &t.Topic },
		parts: func(t *kmsg.FetchResponseTopic) *[]kmsg.FetchResponseTopicPartition { return &t.Partitions },
		id:    func(p *kmsg.FetchResponseTopicPartition) int32 { return p.Partition },
	}
)

// produce: a partition named through an alias and directly in one request
// is refused for the alias (INVALID_REQUEST): two batches for one
// partition in one request is not something a broker accepts.
func (v *view) produce(req *kmsg.ProduceRequest) *state {
	if req.Version >= 13 {
		return nil
	}
	st := &state{}
	topics, ok := routeParts(v, st, req.Topics, produceReq, false)
	if !ok {
		return nil
	}
	req.Topics = topics
	return st
}

func produceResponse(st *state, r *kmsg.ProduceResponse) {
	r.Topics = splitParts(r.Topics, produceResp, st.parts)
	refusedParts(st, func(name string, parts []int32, code int16, msg *string) {
		t := kmsg.NewProduceResponseTopic()
		t.Topic = name
		for _, id := range parts {
			p := kmsg.NewProduceResponseTopicPartition()
			p.Partition = id
			p.ErrorCode = code
			p.ErrorMessage = msg
			p.BaseOffset = -1
			t.Partitions = append(t.Partitions, p)
		}
		r.Topics = append(r.Topics, t)
	})
}

// fetch: a fetch session (KIP-227) lets the broker answer for partitions
// the request does not name, so an exchange could not tell which name the
// client gave them. A request that names an alias therefore runs without a
// session: a full request asking to open one (epoch 0) is sent with epoch
// -1 (sessionless, closing the session it names, as Kafka defines), and an
// incremental request (epoch > 0) that adds an alias is answered
// INVALID_FETCH_SESSION_EPOCH, on which clients close their session and
// send a full request. Sessions without aliases are untouched.
func (v *view) fetch(req *kmsg.FetchRequest) *state {
	if req.Version >= 13 {
		return nil
	}
	st := &state{}
	topics, ok := routeParts(v, st, req.Topics, fetchReq, false)
	if !ok {
		return nil
	}
	if req.Version >= 7 && req.SessionEpoch > 0 {
		resp := kmsg.NewPtrFetchResponse()
		resp.ErrorCode = kerr.InvalidFetchSessionEpoch.Code
		return &state{answer: resp}
	}
	req.Topics = topics
	if req.Version >= 7 {
		req.SessionEpoch = -1
		// Nothing is in a session a sessionless request could forget.
		req.ForgottenTopics = nil
	}
	return st
}

func fetchResponse(st *state, r *kmsg.FetchResponse) {
	r.Topics = splitParts(r.Topics, fetchResp, st.parts)
	refusedParts(st, func(name string, parts []int32, code int16, _ *string) {
		t := kmsg.NewFetchResponseTopic()
		t.Topic = name
		for _, id := range parts {
			p := kmsg.NewFetchResponseTopicPartition()
			p.Partition = id
			p.ErrorCode = code
			p.HighWatermark = -1
			p.RecordBatches = []byte{}
			t.Partitions = append(t.Partitions, p)
		}
		r.Topics = append(r.Topics, t)
	})
}
