// Offsets and transactions: ListOffsets (2), OffsetCommit (8), OffsetFetch
// (9), OffsetForLeaderEpoch (23), AddPartitionsToTxn (24) and
// TxnOffsetCommit (28). Offsets committed through an alias are the
// target's: one partition has one committed offset per group, whatever
// name the consumer used.

package alias

import "github.com/twmb/franz-go/pkg/kmsg"

// int32ID is the id of a partition listed as a bare id.
func int32ID(p *int32) int32 { return *p }

var (
	listOffsetsReq = topicParts[kmsg.ListOffsetsRequestTopic, kmsg.ListOffsetsRequestTopicPartition]{
		name:  func(t *kmsg.ListOffsetsRequestTopic) *string { return &t.Topic },
		parts: func(t *kmsg.ListOffsetsRequestTopic) *[]kmsg.ListOffsetsRequestTopicPartition { return &t.Partitions },
		id:    func(p *kmsg.ListOffsetsRequestTopicPartition) int32 { return p.Partition },
	}
	listOffsetsResp = topicParts[kmsg.ListOffsetsResponseTopic, kmsg.ListOffsetsResponseTopicPartition]{
		name:  func(t *kmsg.ListOffsetsResponseTopic) *string { return &t.Topic },
		parts: func(t *kmsg.ListOffsetsResponseTopic) *[]kmsg.ListOffsetsResponseTopicPartition { return &t.Partitions },
		id:    func(p *kmsg.ListOffsetsResponseTopicPartition) int32 { return p.Partition },
	}
	offsetCommitReq = topicParts[kmsg.OffsetCommitRequestTopic, kmsg.OffsetCommitRequestTopicPartition]{
		name:  func(t *kmsg.OffsetCommitRequestTopic) *string { return &t.Topic },
		parts: func(t *kmsg.OffsetCommitRequestTopic) *[]kmsg.OffsetCommitRequestTopicPartition { return &t.Partitions },
		id:    func(p *kmsg.OffsetCommitRequestTopicPartition) int32 { return p.Partition },
	}
	offsetCommitResp = topicParts[kmsg.OffsetCommitResponseTopic, kmsg.OffsetCommitResponseTopicPartition]{
		name: func(t *kmsg.OffsetCommitResponseTopic) *string { return &t.Topic },
		parts: func(t *kmsg.OffsetCommitResponseTopic) *[]kmsg.OffsetCommitResponseTopicPartition {
			return &t.Partitions
		},
		id: func(p *kmsg.OffsetCommitResponseTopicPartition) int32 { return p.Partition },
	}
	offsetFetchReq = topicParts[kmsg.OffsetFetchRequestTopic, int32]{
		name:  func(t *kmsg.OffsetFetchRequestTopic) *string { return &t.Topic },
		parts: func(t *kmsg.OffsetFetchRequestTopic) *[]int32 { return &t.Partitions },
		id:    int32ID,
	}
	offsetFetchResp = topicParts[kmsg.OffsetFetchResponseTopic, kmsg.OffsetFetchResponseTopicPartition]{
		name:  func(t *kmsg.OffsetFetchResponseTopic) *string { return &t.Topic },
		parts: func(t *kmsg.OffsetFetchResponseTopic) *[]kmsg.OffsetFetchResponseTopicPartition { return &t.Partitions },
		id:    func(p *kmsg.OffsetFetchResponseTopicPartition) int32 { return p.Partition },
	}
	offsetFetchGroupReq = topicParts[kmsg.OffsetFetchRequestGroupTopic, int32]{
		name:  func(t *kmsg.OffsetFetchRequestGroupTopic) *string { return &t.Topic },
		parts: func(t *kmsg.OffsetFetchRequestGroupTopic) *[]int32 { return &t.Partitions },
		id:    int32ID,
	}
	offsetFetchGroupResp = topicParts[kmsg.OffsetFetchResponseGroupTopic, kmsg.OffsetFetchResponseGroupTopicPartition]{
		name: func(t *kmsg.OffsetFetchResponseGroupTopic) *string { return &t.Topic },
		parts: func(t *kmsg.OffsetFetchResponseGroupTopic) *[]kmsg.OffsetFetchResponseGroupTopicPartition {
			return &t.Partitions
		},
		id: func(p *kmsg.OffsetFetchResponseGroupTopicPartition) int32 { return p.Partition },
	}
	offsetForLeaderEpochReq = topicParts[kmsg.OffsetForLeaderEpochRequestTopic, kmsg.OffsetForLeaderEpochRequestTopicPartition]{
		name: func(t *kmsg.OffsetForLeaderEpochRequestTopic) *string { return &t.Topic },
		parts: func(t *kmsg.OffsetForLeaderEpochRequestTopic) *[]kmsg.OffsetForLeaderEpochRequestTopicPartition {
			return &t.Partitions
		},
		id: func(p *kmsg.OffsetForLeaderEpochRequestTopicPartition) int32 { return p.Partition },
	}
	offsetForLeaderEpochResp = topicParts[kmsg.OffsetForLeaderEpochResponseTopic, kmsg.OffsetForLeaderEpochResponseTopicPartition]{
		name: func(t *kmsg.OffsetForLeaderEpochResponseTopic) *string { return &t.Topic },
		parts: func(t *kmsg.OffsetForLeaderEpochResponseTopic) *[]kmsg.OffsetForLeaderEpochResponseTopicPartition {
			return &t.Partitions
		},
		id: func(p *kmsg.OffsetForLeaderEpochResponseTopicPartition) int32 { return p.Partition },
	}
	addPartitionsToTxnReq = topicParts[kmsg.AddPartitionsToTxnRequestTopic, int32]{
		name:  func(t *kmsg.AddPartitionsToTxnRequestTopic) *string { return &t.Topic },
		parts: func(t *kmsg.AddPartitionsToTxnRequestTopic) *[]int32 { return &t.Partitions },
		id:    int32ID,
	}
	addPartitionsToTxnResp = topicParts[kmsg.AddPartitionsToTxnResponseTopic, kmsg.AddPartitionsToTxnResponseTopicPartition]{
		name: func(t *kmsg.AddPartitionsToTxnResponseTopic) *string { return &t.Topic },
		parts: func(t *kmsg.AddPartitionsToTxnResponseTopic) *[]kmsg.AddPartitionsToTxnResponseTopicPartition {
			return &t.Partitions
		},
		id: func(p *kmsg.AddPartitionsToTxnResponseTopicPartition) int32 { return p.Partition },
	}
	txnOffsetCommitReq = topicParts[kmsg.TxnOffsetCommitRequestTopic, kmsg.TxnOffsetCommitRequestTopicPartition]{
		name: func(t *kmsg.TxnOffsetCommitRequestTopic) *string { return &t.Topic },
		parts: func(t *kmsg.TxnOffsetCommitRequestTopic) *[]kmsg.TxnOffsetCommitRequestTopicPartition {
			return &t.Partitions
		},
		id: func(p *kmsg.TxnOffsetCommitRequestTopicPartition) int32 { return p.Partition },
	}
	txnOffsetCommitResp = topicParts[kmsg.TxnOffsetCommitResponseTopic, kmsg.TxnOffsetCommitResponseTopicPartition]{
		name: func(t *kmsg.TxnOffsetCommitResponseTopic) *string { return &t.Topic },
		parts: func(t *kmsg.TxnOffsetCommitResponseTopic) *[]kmsg.TxnOffsetCommitResponseTopicPartition {
			return &t.Partitions
		},
		id: func(p *kmsg.TxnOffsetCommitResponseTopicPartition) int32 { return p.Partition },
	}
)

// listOffsets: a partition named twice is refused for the alias, as Kafka
// refuses duplicate partitions (INVALID_REQUEST): each entry has its own
// timestamp.
func (v *view) listOffsets(req *kmsg.ListOffsetsRequest) *state {
	st := &state{}
	topics, ok := routeParts(v, st, req.Topics, listOffsetsReq, false)
	if !ok {
		return nil
	}
	req.Topics = topics
	return st
}

func listOffsetsResponse(st *state, r *kmsg.ListOffsetsResponse) {
	r.Topics = splitParts(r.Topics, listOffsetsResp, st.parts)
	refusedParts(st, func(name string, parts []int32, code int16, _ *string) {
		t := kmsg.NewListOffsetsResponseTopic()
		t.Topic = name
		for _, id := range parts {
			p := kmsg.NewListOffsetsResponseTopicPartition()
			p.Partition = id
			p.ErrorCode = code
			t.Partitions = append(t.Partitions, p)
		}
		r.Topics = append(r.Topics, t)
	})
}

// offsetCommit: v10+ names topics by id only.
func (v *view) offsetCommit(req *kmsg.OffsetCommitRequest) *state {
	if req.Version >= 10 {
		return nil
	}
	st := &state{}
	topics, ok := routeParts(v, st, req.Topics, offsetCommitReq, false)
	if !ok {
		return nil
	}
	req.Topics = topics
	return st
}

func offsetCommitResponse(st *state, r *kmsg.OffsetCommitResponse) {
	r.Topics = splitParts(r.Topics, offsetCommitResp, st.parts)
	refusedParts(st, func(name string, parts []int32, code int16, _ *string) {
		t := kmsg.NewOffsetCommitResponseTopic()
		t.Topic = name
		for _, id := range parts {
			p := kmsg.NewOffsetCommitResponseTopicPartition()
			p.Partition = id
			p.ErrorCode = code
			t.Partitions = append(t.Partitions, p)
		}
		r.Topics = append(r.Topics, t)
	})
}

// offsetFetch is a lookup: a partition asked under several names is asked
// once and answered under each. A null topic list (every committed topic)
// is answered with the names the offsets were committed under, the
// targets'. v10+ names topics by id only.
func (v *view) offsetFetch(req *kmsg.OffsetFetchRequest) *state {
	if req.Version >= 10 {
		return nil
	}
	st := &state{}
	if req.Version < 8 {
		topics, ok := routeParts(v, st, req.Topics, offsetFetchReq, true)
		if !ok {
			return nil
		}
		req.Topics = topics
		return st
	}
	for i := range req.Groups {
		g := &req.Groups[i]
		gst := &state{}
		topics, ok := routeParts(v, gst, g.Topics, offsetFetchGroupReq, true)
		if !ok {
			continue
		}
		g.Topics = topics
		if st.groups == nil {
			st.groups = map[string]map[string]map[int32][]string{}
		}
		st.groups[g.Group] = gst.parts
	}
	if st.groups == nil {
		return nil
	}
	return st
}

func offsetFetchResponse(st *state, r *kmsg.OffsetFetchResponse) {
	r.Topics = splitParts(r.Topics, offsetFetchResp, st.parts)
	for i := range r.Groups {
		g := &r.Groups[i]
		g.Topics = splitParts(g.Topics, offsetFetchGroupResp, st.groups[g.Group])
	}
}

// offsetForLeaderEpoch: like ListOffsets, each entry has its own epochs.
func (v *view) offsetForLeaderEpoch(req *kmsg.OffsetForLeaderEpochRequest) *state {
	st := &state{}
	topics, ok := routeParts(v, st, req.Topics, offsetForLeaderEpochReq, false)
	if !ok {
		return nil
	}
	req.Topics = topics
	return st
}

func offsetForLeaderEpochResponse(st *state, r *kmsg.OffsetForLeaderEpochResponse) {
	r.Topics = splitParts(r.Topics, offsetForLeaderEpochResp, st.parts)
	refusedParts(st, func(name string, parts []int32, code int16, _ *string) {
		t := kmsg.NewOffsetForLeaderEpochResponseTopic()
		t.Topic = name
		for _, id := range parts {
			p := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			p.Partition = id
			p.ErrorCode = code
			t.Partitions = append(t.Partitions, p)
		}
		r.Topics = append(r.Topics, t)
	})
}

// addPartitionsToTxn adds a set of partitions: a partition named twice is
// added once and answered under each name. v4+ is sent by brokers only.
func (v *view) addPartitionsToTxn(req *kmsg.AddPartitionsToTxnRequest) *state {
	if req.Version >= 4 {
		return nil
	}
	st := &state{}
	topics, ok := routeParts(v, st, req.Topics, addPartitionsToTxnReq, true)
	if !ok {
		return nil
	}
	req.Topics = topics
	return st
}

func addPartitionsToTxnResponse(st *state, r *kmsg.AddPartitionsToTxnResponse) {
	r.Topics = splitParts(r.Topics, addPartitionsToTxnResp, st.parts)
}

// txnOffsetCommit: like OffsetCommit; v6+ names topics by id only.
func (v *view) txnOffsetCommit(req *kmsg.TxnOffsetCommitRequest) *state {
	if req.Version >= 6 {
		return nil
	}
	st := &state{}
	topics, ok := routeParts(v, st, req.Topics, txnOffsetCommitReq, false)
	if !ok {
		return nil
	}
	req.Topics = topics
	return st
}

func txnOffsetCommitResponse(st *state, r *kmsg.TxnOffsetCommitResponse) {
	r.Topics = splitParts(r.Topics, txnOffsetCommitResp, st.parts)
	refusedParts(st, func(name string, parts []int32, code int16, _ *string) {
		t := kmsg.NewTxnOffsetCommitResponseTopic()
		t.Topic = name
		for _, id := range parts {
			p := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			p.Partition = id
			p.ErrorCode = code
			t.Partitions = append(t.Partitions, p)
		}
		r.Topics = append(r.Topics, t)
	})
}
