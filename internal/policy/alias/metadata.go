// Metadata (3) and DescribeTopicPartitions (75): an alias is listed beside
// its topic, with the topic's partitions and no topic id.

package alias

import "github.com/twmb/franz-go/pkg/kmsg"

var metadataTopic = topicName[kmsg.MetadataResponseTopic]{
	get: func(t *kmsg.MetadataResponseTopic) (string, bool) {
		if t.Topic == nil {
			return "", false
		}
		return *t.Topic, true
	},
	set:   func(t *kmsg.MetadataResponseTopic, n string) { t.Topic = &n },
	alias: func(t *kmsg.MetadataResponseTopic) { t.TopicID = [16]byte{} },
}

func (v *view) metadata(req *kmsg.MetadataRequest) *state {
	if req.Topics == nil || req.Version == 0 && len(req.Topics) == 0 {
		active := v.active()
		if len(active) == 0 {
			return nil
		}
		return &state{listing: true, active: active}
	}
	st := &state{}
	topics, ok := routeNames(v, st, req.Topics, topicName[kmsg.MetadataRequestTopic]{
		get: func(t *kmsg.MetadataRequestTopic) (string, bool) {
			if t.Topic == nil {
				return "", false // by id
			}
			return *t.Topic, true
		},
		set: func(t *kmsg.MetadataRequestTopic, n string) { t.Topic = &n },
	})
	if !ok {
		return nil
	}
	req.Topics = topics
	return st
}

func (p *Policy) metadataResponse(st *state, r *kmsg.MetadataResponse) {
	if st.listing {
		r.Topics = listAliases(p, st.active, r.Topics, metadataTopic)
		return
	}
	r.Topics = copyNames(r.Topics, st.names, metadataTopic)
}

var describeTopicPartitionsTopic = topicName[kmsg.DescribeTopicPartitionsResponseTopic]{
	get: func(t *kmsg.DescribeTopicPartitionsResponseTopic) (string, bool) {
		if t.Topic == nil {
			return "", false
		}
		return *t.Topic, true
	},
	set:   func(t *kmsg.DescribeTopicPartitionsResponseTopic, n string) { t.Topic = &n },
	alias: func(t *kmsg.DescribeTopicPartitionsResponseTopic) { t.TopicID = [16]byte{} },
}

// describeTopicPartitions: an empty topic list lists every topic. A
// cursor naming an alias starts at its topic.
func (v *view) describeTopicPartitions(req *kmsg.DescribeTopicPartitionsRequest) *state {
	cursorAlias := false
	if c := req.Cursor; c != nil {
		if e := v.alias(c.Topic); e != nil {
			c.Topic = e.target
			cursorAlias = true
		}
	}
	if len(req.Topics) == 0 {
		active := v.active()
		if len(active) == 0 {
			return nil
		}
		return &state{listing: true, active: active}
	}
	st := &state{}
	topics, ok := routeNames(v, st, req.Topics, topicName[kmsg.DescribeTopicPartitionsRequestTopic]{
		get: func(t *kmsg.DescribeTopicPartitionsRequestTopic) (string, bool) { return t.Topic, true },
		set: func(t *kmsg.DescribeTopicPartitionsRequestTopic, n string) { t.Topic = n },
	})
	if !ok && !cursorAlias {
		return nil
	}
	req.Topics = topics
	return st
}

func (p *Policy) describeTopicPartitionsResponse(st *state, r *kmsg.DescribeTopicPartitionsResponse) {
	if st.listing {
		r.Topics = listAliases(p, st.active, r.Topics, describeTopicPartitionsTopic)
		return
	}
	r.Topics = copyNames(r.Topics, st.names, describeTopicPartitionsTopic)
	// The next page starts at a topic the client may know only by an
	// alias: give the cursor that name.
	if c := r.NextCursor; c != nil {
		if ns := st.names[c.Topic]; len(ns) > 0 && ns[0] != c.Topic {
			c.Topic = copyString(ns[0])
		}
	}
}
