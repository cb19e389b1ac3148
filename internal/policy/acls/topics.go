// Checks of the keys that describe and administer topics and the cluster:
// Metadata, DescribeTopicPartitions, CreateTopics, DeleteTopics,
// CreatePartitions, the config APIs, DescribeCluster and the cluster-wide
// admin APIs.

package acls

import (
	"context"
	"math"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// noOps is the AuthorizedOperations value of a response that was not asked
// for them (Kafka's Int.MinValue).
const noOps = math.MinInt32

// Metadata (3): TOPIC DESCRIBE per topic. A listing of all topics leaves
// out, silently, those the principal may not describe; a topic named in
// the request is answered TOPIC_AUTHORIZATION_FAILED, with a null name
// when it was asked for by id (v12+). Auto-creation (AllowAutoTopicCreation,
// always on before v4) needs CLUSTER CREATE or TOPIC CREATE: for a topic
// that may be described but not created, the gateway turns auto-creation
// off for the request (v4+) and answers TOPIC_AUTHORIZATION_FAILED where
// the broker says the topic does not exist, as Kafka does with
// auto.create.topics.enable (its default). Before v4 auto-creation cannot
// be turned off: such a topic is forwarded only when the topic cache knows
// it exists under the name the client used, and is refused otherwise. The
// response is checked again, so a topic the broker names (by id, say) is
// never shown to a principal that may not describe it. Authorized
// operations (v8+) are the gateway's, not the backend's.
func metadata(c *call) error {
	r := c.x.Request.(*kmsg.MetadataRequest)
	all := r.Topics == nil || (r.Version == 0 && len(r.Topics) == 0)
	var noCreate map[string]bool
	var ids map[[16]byte]bool
	if !all {
		autoCreate := r.Version < 4 || r.AllowAutoTopicCreation
		clusterCreate := c.rs.canCluster(opCreate)
		kept, out := split(r.Topics, func(t *kmsg.MetadataRequestTopic) bool {
			if t.Topic == nil {
				if t.TopicID == ([16]byte{}) {
					return true
				}
				if ids == nil {
					ids = map[[16]byte]bool{}
				}
				ids[t.TopicID] = true
				// Refused here only when the client's name is known; the
				// response is checked in any case.
				name, src := c.e.topicByID(c.ctx, t.TopicID)
				return src != idClient || c.can(resTopic, opDescribe, name)
			}
			name := *t.Topic
			if !c.can(resTopic, opDescribe, name) {
				return false
			}
			if autoCreate && !clusterCreate && !c.can(resTopic, opCreate, name) {
				if r.Version < 4 {
					return c.exists(name)
				}
				if noCreate == nil {
					noCreate = map[string]bool{}
				}
				noCreate[name] = true
			}
			return true
		})
		r.Topics = kept
		if len(noCreate) > 0 {
			r.AllowAutoTopicCreation = false
		}
		if len(out) > 0 {
			sub := *r
			sub.Topics = out
			c.refuse(&sub, codeTopic, "", len(out))
			if len(kept) == 0 && r.Version == 0 {
				// An empty list asks for every topic at v0.
				return c.answerRefused()
			}
		}
	}
	e, rs := c.e, c.rs
	c.later(func(ctx context.Context, resp kmsg.Response) {
		mr := resp.(*kmsg.MetadataResponse)
		kept := mr.Topics[:0]
		for _, t := range mr.Topics {
			name := ""
			if t.Topic != nil {
				name = *t.Topic
			}
			if name == "" && t.TopicID != ([16]byte{}) && t.ErrorCode == 0 {
				if n, src := e.topicByID(ctx, t.TopicID); src == idClient || rs.can(resTopic, opDescribe, n) {
					name = n
				} else {
					// Not a name to show or check: hide the topic.
					if !all {
						kept = append(kept, refusedMetadataTopic("", t.TopicID, true, r.Version))
					}
					continue
				}
			}
			if name == "" {
				kept = append(kept, t)
				continue
			}
			if t.ErrorCode == 0 && t.Topic != nil {
				// Even a topic hidden from this client: its id then gets
				// TOPIC_AUTHORIZATION_FAILED rather than UNKNOWN_TOPIC_ID.
				e.learned.learn(*t.Topic, t.TopicID)
			}
			if !rs.can(resTopic, opDescribe, name) {
				if all {
					continue
				}
				e.denied(1)
				kept = append(kept, refusedMetadataTopic(name, t.TopicID, ids[t.TopicID], r.Version))
				continue
			}
			if noCreate[name] && t.ErrorCode == codeUnknown {
				t = refusedMetadataTopic(name, [16]byte{}, false, r.Version)
				e.denied(1)
			}
			if r.IncludeTopicAuthorizedOperations {
				t.AuthorizedOperations = rs.authorizedOps(resTopic, name)
			}
			kept = append(kept, t)
		}
		mr.Topics = kept
		if r.Version >= 8 && r.Version <= 10 && r.IncludeClusterAuthorizedOperations {
			mr.AuthorizedOperations = clusterOps(rs)
		}
	})
	return nil
}

// refusedMetadataTopic is a topic answered TOPIC_AUTHORIZATION_FAILED:
// by name with no id, or, asked for by id, by id with a null name (v12+).
func refusedMetadataTopic(name string, id [16]byte, byID bool, version int16) kmsg.MetadataResponseTopic {
	t := kmsg.NewMetadataResponseTopic()
	t.ErrorCode = codeTopic
	t.Partitions = []kmsg.MetadataResponseTopicPartition{}
	if byID && version >= 12 {
		t.TopicID = id
	} else {
		t.Topic = &name
	}
	return t
}

// clusterOps is the cluster's AuthorizedOperations: 0 without CLUSTER
// DESCRIBE, as Kafka.
func clusterOps(rs *ruleSet) int32 {
	if !rs.canCluster(opDescribe) {
		return 0
	}
	return rs.authorizedOps(resCluster, ClusterName)
}

// exists reports whether the topic cache knows a backend topic called
// name. It asks the backend (rate limited) when it does not.
func (c *call) exists(name string) bool {
	if c.e.topics == nil {
		return false
	}
	_, ok := c.e.topics.IDForName(c.ctx, name)
	return ok
}

// DescribeTopicPartitions (75): TOPIC DESCRIBE per topic named; a listing
// (no topics named) leaves out the others silently, as Metadata.
func describeTopicPartitions(c *call) error {
	r := c.x.Request.(*kmsg.DescribeTopicPartitionsRequest)
	all := len(r.Topics) == 0
	if !all {
		kept, out := split(r.Topics, func(t *kmsg.DescribeTopicPartitionsRequestTopic) bool { return c.can(resTopic, opDescribe, t.Topic) })
		if len(out) > 0 {
			r.Topics = kept
			sub := *r
			sub.Topics = out
			c.refuse(&sub, codeTopic, "", len(out))
			if len(kept) == 0 {
				return c.answerRefused()
			}
		}
	}
	e, rs := c.e, c.rs
	c.later(func(_ context.Context, resp kmsg.Response) {
		dr := resp.(*kmsg.DescribeTopicPartitionsResponse)
		kept := dr.Topics[:0]
		for _, t := range dr.Topics {
			if t.Topic == nil || *t.Topic == "" {
				kept = append(kept, t)
				continue
			}
			name := *t.Topic
			if !rs.can(resTopic, opDescribe, name) {
				if !all {
					rt := kmsg.NewDescribeTopicPartitionsResponseTopic()
					rt.Topic, rt.ErrorCode = &name, codeTopic
					rt.Partitions = []kmsg.DescribeTopicPartitionsResponseTopicPartition{}
					kept = append(kept, rt)
				}
				continue
			}
			if t.AuthorizedOperations != noOps {
				t.AuthorizedOperations = rs.authorizedOps(resTopic, name)
			}
			if t.ErrorCode == 0 {
				e.learned.learn(name, t.TopicID)
			}
			kept = append(kept, t)
		}
		dr.Topics = kept
	})
	return nil
}

// CreateTopics (19): CLUSTER CREATE allows every topic, else TOPIC CREATE
// per topic. From v5 the response carries the new topic's configs, which
// need TOPIC DESCRIBE_CONFIGS: without it they are left out, with
// ConfigErrorCode TOPIC_AUTHORIZATION_FAILED, as Kafka.
func createTopics(c *call) error {
	r := c.x.Request.(*kmsg.CreateTopicsRequest)
	if !c.rs.canCluster(opCreate) {
		kept, out := split(r.Topics, func(t *kmsg.CreateTopicsRequestTopic) bool { return c.can(resTopic, opCreate, t.Topic) })
		if len(out) > 0 {
			r.Topics = kept
			sub := *r
			sub.Topics = out
			c.refuse(&sub, codeTopic, "Authorization failed.", len(out))
			if len(kept) == 0 {
				return c.answerRefused()
			}
		}
	}
	if r.Version >= 5 {
		e, rs := c.e, c.rs
		c.later(func(_ context.Context, resp kmsg.Response) {
			cr := resp.(*kmsg.CreateTopicsResponse)
			for i := range cr.Topics {
				t := &cr.Topics[i]
				if t.ErrorCode == 0 {
					e.learned.learn(t.Topic, t.TopicID)
				}
				if !rs.can(resTopic, opDescCfg, t.Topic) {
					t.ConfigErrorCode = codeTopic
					t.Configs = []kmsg.CreateTopicsResponseTopicConfig{}
					t.NumPartitions, t.ReplicationFactor = -1, -1
				}
			}
		})
	}
	return nil
}

// DeleteTopics (20): TOPIC DELETE per topic. A topic given by id (v6+)
// that the principal may not describe is answered with a null name; an id
// the gateway cannot resolve is UNKNOWN_TOPIC_ID, never forwarded.
func deleteTopics(c *call) error {
	r := c.x.Request.(*kmsg.DeleteTopicsRequest)
	// As Kafka's controller: DELETE on the cluster (only "all" grants it)
	// makes every topic describable and deletable.
	if c.rs.canCluster(kmsg.ACLOperationDelete) {
		return nil
	}
	// byName is the code for a topic named by the client: not describable
	// first, then does not exist, then not deletable, in Kafka's order.
	byName := func(name string) int16 {
		switch {
		case c.can(resTopic, kmsg.ACLOperationDelete, name):
			return 0
		case !c.can(resTopic, kmsg.ACLOperationDescribe, name):
			return codeTopic
		case !c.e.topicExists(c.ctx, name):
			return codeUnknown
		}
		return codeTopic
	}
	if r.Version < 6 {
		codes := make(map[string]int16, len(r.TopicNames))
		kept, out := split(r.TopicNames, func(n *string) bool {
			codes[*n] = byName(*n)
			return codes[*n] == 0
		})
		if len(out) > 0 {
			r.TopicNames = kept
			for _, code := range []int16{codeTopic, codeUnknown} {
				var these []string
				for _, n := range out {
					if codes[n] == code {
						these = append(these, n)
					}
				}
				if len(these) > 0 {
					sub := *r
					sub.TopicNames = these
					c.refuse(&sub, code, "", len(these))
				}
			}
			if len(kept) == 0 {
				return c.answerRefused()
			}
		}
		return nil
	}
	kept, out := splitBy(r.Topics, func(t *kmsg.DeleteTopicsRequestTopic) int16 {
		if t.Topic != nil {
			return byName(*t.Topic)
		}
		if t.TopicID == ([16]byte{}) {
			return 0
		}
		name, src := c.e.topicByID(c.ctx, t.TopicID)
		switch {
		case src == idUnknown:
			return codeUnknownID
		case src == idBackend:
			if c.can(resTopic, kmsg.ACLOperationDelete, name) {
				return 0
			}
			return codeUnknownID
		case !c.can(resTopic, kmsg.ACLOperationDescribe, name):
			return codeTopic
		case !c.can(resTopic, kmsg.ACLOperationDelete, name):
			t.Topic = &name // refused by name: the principal may see it
			return codeTopic
		}
		return 0
	})
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

// CreatePartitions (37): TOPIC ALTER per topic.
func createPartitions(c *call) error {
	r := c.x.Request.(*kmsg.CreatePartitionsRequest)
	kept, out := split(r.Topics, func(t *kmsg.CreatePartitionsRequestTopic) bool { return c.can(resTopic, opAlter, t.Topic) })
	if len(out) == 0 {
		return nil
	}
	r.Topics = kept
	sub := *r
	sub.Topics = out
	c.refuse(&sub, codeTopic, "The topic authorization is failed.", len(out))
	if len(kept) == 0 {
		return c.answerRefused()
	}
	return nil
}

// configCode is the refusal code of op on a config resource, or 0: topics
// need the operation on the topic, brokers, broker loggers and client
// metrics on the cluster, groups (KIP-848) on the group. Other types are
// INVALID_REQUEST, as Kafka.
func (c *call) configCode(op kmsg.ACLOperation, typ kmsg.ConfigResourceType, name string) int16 {
	switch typ {
	case kmsg.ConfigResourceTypeTopic:
		if !c.can(resTopic, op, name) {
			return codeTopic
		}
	case kmsg.ConfigResourceTypeBroker, kmsg.ConfigResourceTypeBrokerLogger, kmsg.ConfigResourceTypeClientMetrics:
		if !c.rs.canCluster(op) {
			return codeCluster
		}
	case kmsg.ConfigResourceTypeGroupConfig:
		if !c.can(resGroup, op, name) {
			return codeGroup
		}
	default:
		return codeInvalid
	}
	return 0
}

// DescribeConfigs (32): DESCRIBE_CONFIGS per resource.
func describeConfigs(c *call) error {
	r := c.x.Request.(*kmsg.DescribeConfigsRequest)
	kept, out := splitBy(r.Resources, func(x *kmsg.DescribeConfigsRequestResource) int16 {
		return c.configCode(opDescCfg, x.ResourceType, x.ResourceName)
	})
	if len(out) == 0 {
		return nil
	}
	r.Resources = kept
	for _, o := range out {
		sub := *r
		sub.Resources = o.entries
		c.refuse(&sub, o.code, "", len(o.entries))
	}
	if len(kept) == 0 {
		return c.answerRefused()
	}
	return nil
}

// AlterConfigs (33): ALTER_CONFIGS per resource.
func alterConfigs(c *call) error {
	r := c.x.Request.(*kmsg.AlterConfigsRequest)
	kept, out := splitBy(r.Resources, func(x *kmsg.AlterConfigsRequestResource) int16 {
		return c.configCode(opAlterCfg, x.ResourceType, x.ResourceName)
	})
	if len(out) == 0 {
		return nil
	}
	r.Resources = kept
	for _, o := range out {
		sub := *r
		sub.Resources = o.entries
		c.refuse(&sub, o.code, "", len(o.entries))
	}
	if len(kept) == 0 {
		return c.answerRefused()
	}
	return nil
}

// IncrementalAlterConfigs (44): ALTER_CONFIGS per resource.
func incrementalAlterConfigs(c *call) error {
	r := c.x.Request.(*kmsg.IncrementalAlterConfigsRequest)
	kept, out := splitBy(r.Resources, func(x *kmsg.IncrementalAlterConfigsRequestResource) int16 {
		return c.configCode(opAlterCfg, x.ResourceType, x.ResourceName)
	})
	if len(out) == 0 {
		return nil
	}
	r.Resources = kept
	for _, o := range out {
		sub := *r
		sub.Resources = o.entries
		c.refuse(&sub, o.code, "", len(o.entries))
	}
	if len(kept) == 0 {
		return c.answerRefused()
	}
	return nil
}

// DescribeCluster (60) needs no ACL; when asked, the cluster's authorized
// operations are the gateway's.
func describeCluster(c *call) error {
	r := c.x.Request.(*kmsg.DescribeClusterRequest)
	if !r.IncludeClusterAuthorizedOperations {
		return nil
	}
	rs := c.rs
	c.later(func(_ context.Context, resp kmsg.Response) {
		resp.(*kmsg.DescribeClusterResponse).ClusterAuthorizedOperations = clusterOps(rs)
	})
	return nil
}

// Cluster-wide admin APIs: the whole request needs one operation on the
// cluster, else CLUSTER_AUTHORIZATION_FAILED.
func clusterAlter(c *call) error {
	return c.needCluster(opAlter)
}

func clusterDescribe(c *call) error {
	return c.needCluster(opDescribe)
}

func clusterDescribeConfigs(c *call) error {
	return c.needCluster(opDescCfg)
}

func clusterAlterConfigs(c *call) error {
	return c.needCluster(opAlterCfg)
}
