// Administrative changes through an alias: CreateTopics (19), DeleteTopics
// (20), DeleteRecords (21), CreatePartitions (37), AlterConfigs (33) and
// IncrementalAlterConfigs (44) answer INVALID_TOPIC_EXCEPTION for the
// alias's entries; the rest of the request goes on. An alias is a name the
// gateway gives, not a topic: creating or deleting it has no meaning, and
// changing the topic behind it must name the topic. DescribeConfigs (32)
// reads through an alias like any lookup.

package alias

import "github.com/twmb/franz-go/pkg/kmsg"

// refuseAliases takes the entries that name an alias out of items and
// records them as refused. parts lists an entry's partitions, nil for
// requests that name whole topics. It returns items unchanged and false
// when no entry names an alias for the connection.
func refuseAliases[T any](v *view, st *state, items []T, name func(*T) (string, bool), parts func(*T) []int32) ([]T, bool) {
	found := false
	for i := range items {
		if n, ok := name(&items[i]); ok && v.alias(n) != nil {
			found = true
			break
		}
	}
	if !found {
		return items, false
	}
	out := make([]T, 0, len(items))
	for i := range items {
		n, ok := name(&items[i])
		var e *entry
		if ok {
			e = v.alias(n)
		}
		if e == nil {
			out = append(out, items[i])
			continue
		}
		msg := adminMsg(n, e.target)
		if parts == nil {
			st.refuse(n, 0, false, codeInvalidTopic, msg)
			continue
		}
		for _, id := range parts(&items[i]) {
			st.refuse(n, id, true, codeInvalidTopic, msg)
		}
	}
	st.empty = len(out) == 0
	return out, true
}

func (v *view) createTopics(req *kmsg.CreateTopicsRequest) *state {
	st := &state{}
	topics, ok := refuseAliases(v, st, req.Topics, func(t *kmsg.CreateTopicsRequestTopic) (string, bool) { return t.Topic, true }, nil)
	if !ok {
		return nil
	}
	req.Topics = topics
	return st
}

func createTopicsResponse(st *state, r *kmsg.CreateTopicsResponse) {
	refusedTopics(st, func(name string, code int16, msg *string) {
		t := kmsg.NewCreateTopicsResponseTopic()
		t.Topic = name
		t.ErrorCode = code
		t.ErrorMessage = msg
		r.Topics = append(r.Topics, t)
	})
}

// deleteTopics: v6+ may name a topic by id; ids are the topics' own, so
// deleting by id is never through an alias.
func (v *view) deleteTopics(req *kmsg.DeleteTopicsRequest) *state {
	st := &state{}
	if req.Version < 6 {
		names, ok := refuseAliases(v, st, req.TopicNames, func(n *string) (string, bool) { return *n, true }, nil)
		if !ok {
			return nil
		}
		req.TopicNames = names
		return st
	}
	topics, ok := refuseAliases(v, st, req.Topics, func(t *kmsg.DeleteTopicsRequestTopic) (string, bool) {
		if t.Topic == nil {
			return "", false
		}
		return *t.Topic, true
	}, nil)
	if !ok {
		return nil
	}
	req.Topics = topics
	return st
}

func deleteTopicsResponse(st *state, r *kmsg.DeleteTopicsResponse) {
	refusedTopics(st, func(name string, code int16, msg *string) {
		t := kmsg.NewDeleteTopicsResponseTopic()
		t.Topic = &name
		t.ErrorCode = code
		t.ErrorMessage = msg
		r.Topics = append(r.Topics, t)
	})
}

func (v *view) deleteRecords(req *kmsg.DeleteRecordsRequest) *state {
	st := &state{}
	topics, ok := refuseAliases(v, st, req.Topics,
		func(t *kmsg.DeleteRecordsRequestTopic) (string, bool) { return t.Topic, true },
		func(t *kmsg.DeleteRecordsRequestTopic) []int32 {
			ids := make([]int32, len(t.Partitions))
			for i, p := range t.Partitions {
				ids[i] = p.Partition
			}
			return ids
		})
	if !ok {
		return nil
	}
	req.Topics = topics
	return st
}

func deleteRecordsResponse(st *state, r *kmsg.DeleteRecordsResponse) {
	refusedParts(st, func(name string, parts []int32, code int16, _ *string) {
		t := kmsg.NewDeleteRecordsResponseTopic()
		t.Topic = name
		for _, id := range parts {
			p := kmsg.NewDeleteRecordsResponseTopicPartition()
			p.Partition = id
			p.LowWatermark = -1
			p.ErrorCode = code
			t.Partitions = append(t.Partitions, p)
		}
		r.Topics = append(r.Topics, t)
	})
}

func (v *view) createPartitions(req *kmsg.CreatePartitionsRequest) *state {
	st := &state{}
	topics, ok := refuseAliases(v, st, req.Topics, func(t *kmsg.CreatePartitionsRequestTopic) (string, bool) { return t.Topic, true }, nil)
	if !ok {
		return nil
	}
	req.Topics = topics
	return st
}

func createPartitionsResponse(st *state, r *kmsg.CreatePartitionsResponse) {
	refusedTopics(st, func(name string, code int16, msg *string) {
		t := kmsg.NewCreatePartitionsResponseTopic()
		t.Topic = name
		t.ErrorCode = code
		t.ErrorMessage = msg
		r.Topics = append(r.Topics, t)
	})
}

func (v *view) alterConfigs(req *kmsg.AlterConfigsRequest) *state {
	st := &state{}
	res, ok := refuseAliases(v, st, req.Resources, func(r *kmsg.AlterConfigsRequestResource) (string, bool) {
		return r.ResourceName, r.ResourceType == kmsg.ConfigResourceTypeTopic
	}, nil)
	if !ok {
		return nil
	}
	req.Resources = res
	return st
}

func alterConfigsResponse(st *state, r *kmsg.AlterConfigsResponse) {
	refusedTopics(st, func(name string, code int16, msg *string) {
		res := kmsg.NewAlterConfigsResponseResource()
		res.ResourceType = kmsg.ConfigResourceTypeTopic
		res.ResourceName = name
		res.ErrorCode = code
		res.ErrorMessage = msg
		r.Resources = append(r.Resources, res)
	})
}

func (v *view) incrementalAlterConfigs(req *kmsg.IncrementalAlterConfigsRequest) *state {
	st := &state{}
	res, ok := refuseAliases(v, st, req.Resources, func(r *kmsg.IncrementalAlterConfigsRequestResource) (string, bool) {
		return r.ResourceName, r.ResourceType == kmsg.ConfigResourceTypeTopic
	}, nil)
	if !ok {
		return nil
	}
	req.Resources = res
	return st
}

func incrementalAlterConfigsResponse(st *state, r *kmsg.IncrementalAlterConfigsResponse) {
	refusedTopics(st, func(name string, code int16, msg *string) {
		res := kmsg.NewIncrementalAlterConfigsResponseResource()
		res.ResourceType = kmsg.ConfigResourceTypeTopic
		res.ResourceName = name
		res.ErrorCode = code
		res.ErrorMessage = msg
		r.Resources = append(r.Resources, res)
	})
}

// describeConfigs: topic resources named by an alias describe the target.
// Entries are forwarded as they are, duplicates included (each may ask for
// other config names), and Kafka answers each in order; the k-th answer for
// a target takes the name of the k-th entry that asked for it. Should the
// backend answer a resource once, the answer is copied to the other names.
func (v *view) describeConfigs(req *kmsg.DescribeConfigsRequest) *state {
	found := false
	for i := range req.Resources {
		r := &req.Resources[i]
		if r.ResourceType == kmsg.ConfigResourceTypeTopic && v.alias(r.ResourceName) != nil {
			found = true
			break
		}
	}
	if !found {
		return nil
	}
	seq := map[string][]string{}
	aliased := map[string]bool{}
	for i := range req.Resources {
		r := &req.Resources[i]
		if r.ResourceType != kmsg.ConfigResourceTypeTopic {
			continue
		}
		n := r.ResourceName
		if e := v.alias(n); e != nil {
			r.ResourceName = e.target
			aliased[e.target] = true
		}
		seq[r.ResourceName] = append(seq[r.ResourceName], n)
	}
	for t := range seq {
		if !aliased[t] {
			delete(seq, t)
		}
	}
	return &state{names: seq}
}

func describeConfigsResponse(st *state, r *kmsg.DescribeConfigsResponse) {
	next := map[string]int{}
	last := map[string]int{}
	for i := range r.Resources {
		res := &r.Resources[i]
		if res.ResourceType != kmsg.ConfigResourceTypeTopic {
			continue
		}
		t := res.ResourceName
		ns := st.names[t]
		k := next[t]
		if k >= len(ns) {
			continue
		}
		next[t] = k + 1
		last[t] = i
		if ns[k] != t {
			res.ResourceName = copyString(ns[k])
		}
	}
	for t, i := range last {
		for _, n := range st.names[t][next[t]:] {
			c := r.Resources[i]
			c.ResourceName = copyString(n)
			r.Resources = append(r.Resources, c)
		}
	}
}
