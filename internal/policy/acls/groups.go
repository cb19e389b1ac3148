// Checks of the group keys: classic and KIP-848 consumer groups, share
// groups, their offsets and FindCoordinator. A refused group fails the
// request, or, in the APIs that batch groups, only its own entry.

package acls

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// FindCoordinator (10): GROUP DESCRIBE for group keys, TRANSACTIONAL_ID
// DESCRIBE for transaction keys; share-partition keys (type 2) are for
// brokers and need CLUSTER CLUSTER_ACTION. Before v4 the one key fails the
// request; from v4 each key fails alone.
func findCoordinator(c *call) error {
	r := c.x.Request.(*kmsg.FindCoordinatorRequest)
	var res resource
	var code int16
	switch r.CoordinatorType {
	case 0:
		res, code = resGroup, codeGroup
	case 1:
		res, code = resTxn, codeTxn
	default:
		return c.needCluster(opAction)
	}
	if r.Version < 4 {
		if !c.can(res, opDescribe, r.CoordinatorKey) {
			return c.fail(code, "")
		}
		return nil
	}
	kept, out := split(r.CoordinatorKeys, func(k *string) bool { return c.can(res, opDescribe, *k) })
	if len(out) == 0 {
		return nil
	}
	r.CoordinatorKeys = kept
	sub := *r
	sub.CoordinatorKeys = out
	c.refuse(&sub, code, "", len(out))
	if len(kept) == 0 {
		return c.answerRefused()
	}
	return nil
}

// JoinGroup, Heartbeat, LeaveGroup, SyncGroup (11-14): GROUP READ.
func groupRead(c *call) error {
	var g string
	switch r := c.x.Request.(type) {
	case *kmsg.JoinGroupRequest:
		g = r.Group
	case *kmsg.HeartbeatRequest:
		g = r.Group
	case *kmsg.LeaveGroupRequest:
		g = r.Group
	case *kmsg.SyncGroupRequest:
		g = r.Group
	}
	if !c.can(resGroup, opRead, g) {
		return c.fail(codeGroup, "")
	}
	return nil
}

// DescribeGroups (15): GROUP DESCRIBE per group; authorized operations
// (v3+) are the gateway's.
func describeGroups(c *call) error {
	r := c.x.Request.(*kmsg.DescribeGroupsRequest)
	kept, out := split(r.Groups, func(g *string) bool { return c.can(resGroup, opDescribe, *g) })
	if len(out) > 0 {
		r.Groups = kept
		sub := *r
		sub.Groups = out
		c.refuse(&sub, codeGroup, "", len(out))
		if len(kept) == 0 {
			return c.answerRefused()
		}
	}
	if r.IncludeAuthorizedOperations {
		rs := c.rs
		c.later(func(_ context.Context, resp kmsg.Response) {
			gr := resp.(*kmsg.DescribeGroupsResponse)
			for i := range gr.Groups {
				if g := &gr.Groups[i]; g.ErrorCode == 0 {
					g.AuthorizedOperations = rs.authorizedOps(resGroup, g.Group)
				}
			}
		})
	}
	return nil
}

// ListGroups (16): with CLUSTER DESCRIBE every group is listed, else only
// those the principal may describe.
func listGroups(c *call) error {
	if c.rs.canCluster(opDescribe) {
		return nil
	}
	rs := c.rs
	c.later(func(_ context.Context, resp kmsg.Response) {
		lr := resp.(*kmsg.ListGroupsResponse)
		lr.Groups, _ = split(lr.Groups, func(g *kmsg.ListGroupsResponseGroup) bool { return rs.can(resGroup, opDescribe, g.Group) })
	})
	return nil
}

// DeleteGroups (42): GROUP DELETE per group.
func deleteGroups(c *call) error {
	r := c.x.Request.(*kmsg.DeleteGroupsRequest)
	kept, out := split(r.Groups, func(g *string) bool { return c.can(resGroup, opDelete, *g) })
	if len(out) == 0 {
		return nil
	}
	r.Groups = kept
	sub := *r
	sub.Groups = out
	c.refuse(&sub, codeGroup, "", len(out))
	if len(kept) == 0 {
		return c.answerRefused()
	}
	return nil
}

// OffsetCommit (8): GROUP READ, else every partition fails; then TOPIC
// READ per topic (by id from v10).
func offsetCommit(c *call) error {
	r := c.x.Request.(*kmsg.OffsetCommitRequest)
	if !c.can(resGroup, opRead, r.Group) {
		return c.fail(codeGroup, "")
	}
	kept, out := splitBy(r.Topics, func(t *kmsg.OffsetCommitRequestTopic) int16 { return c.topicCode(opRead, t.Topic, t.TopicID) })
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

// OffsetDelete (47): GROUP DELETE, else the request fails; then TOPIC
// READ per topic. What is left is forwarded even when empty, so that the
// group's own error (GROUP_ID_NOT_FOUND, ...) reaches the client.
func offsetDelete(c *call) error {
	r := c.x.Request.(*kmsg.OffsetDeleteRequest)
	if !c.can(resGroup, opDelete, r.Group) {
		return c.fail(codeGroup, "")
	}
	kept, out := split(r.Topics, func(t *kmsg.OffsetDeleteRequestTopic) bool { return c.can(resTopic, opRead, t.Topic) })
	if len(out) > 0 {
		r.Topics = kept
		sub := *r
		sub.Topics = out
		c.refuse(&sub, codeTopic, "", len(out))
	}
	return nil
}

// OffsetFetch (9): GROUP DESCRIBE (per group from v8, where a refused
// group fails alone) and TOPIC DESCRIBE per topic: a named topic is
// answered TOPIC_AUTHORIZATION_FAILED, and fetching all of a group's
// offsets leaves out, silently, topics the principal may not describe.
// What is left is forwarded even when no topic is, so the group's own
// error reaches the client.
func offsetFetch(c *call) error {
	r := c.x.Request.(*kmsg.OffsetFetchRequest)
	rs := c.rs
	if r.Version < 8 {
		if !c.can(resGroup, opDescribe, r.Group) {
			return c.fail(codeGroup, "")
		}
		if r.Topics == nil {
			c.later(func(_ context.Context, resp kmsg.Response) {
				or := resp.(*kmsg.OffsetFetchResponse)
				or.Topics, _ = split(or.Topics, func(t *kmsg.OffsetFetchResponseTopic) bool { return rs.can(resTopic, opDescribe, t.Topic) })
			})
			return nil
		}
		kept, out := split(r.Topics, func(t *kmsg.OffsetFetchRequestTopic) bool { return c.can(resTopic, opDescribe, t.Topic) })
		if len(out) > 0 {
			r.Topics = kept
			sub := *r
			sub.Topics = out
			c.refuse(&sub, codeTopic, "", len(out))
		}
		return nil
	}
	kept, out := split(r.Groups, func(g *kmsg.OffsetFetchRequestGroup) bool { return c.can(resGroup, opDescribe, g.Group) })
	if len(out) > 0 {
		for i := range out {
			// A refused group is answered with its error alone, as Kafka.
			out[i].Topics = []kmsg.OffsetFetchRequestGroupTopic{}
		}
		r.Groups = kept
		sub := *r
		sub.Groups = out
		c.refuse(&sub, codeGroup, "", len(out))
		if len(kept) == 0 {
			return c.answerRefused()
		}
	}
	// Per group: the topics refused, or nil for a group fetching all.
	type groupTopics struct {
		all     bool
		refused []kmsg.OffsetFetchResponseGroupTopic
	}
	var todo map[string]*groupTopics
	for i := range r.Groups {
		g := &r.Groups[i]
		if g.Topics == nil {
			if todo == nil {
				todo = map[string]*groupTopics{}
			}
			todo[g.Group] = &groupTopics{all: true}
			continue
		}
		var refused []kmsg.OffsetFetchResponseGroupTopic
		g.Topics, _ = split(g.Topics, func(t *kmsg.OffsetFetchRequestGroupTopic) bool {
			code := c.topicCode(opDescribe, t.Topic, t.TopicID)
			if code == 0 {
				return true
			}
			refused = append(refused, offsetFetchRefusedTopic(t, code))
			return false
		})
		if len(refused) > 0 {
			c.e.denied(len(refused))
			if todo == nil {
				todo = map[string]*groupTopics{}
			}
			todo[g.Group] = &groupTopics{refused: refused}
		}
	}
	if todo == nil {
		return nil
	}
	e := c.e
	c.later(func(ctx context.Context, resp kmsg.Response) {
		or := resp.(*kmsg.OffsetFetchResponse)
		for i := range or.Groups {
			g := &or.Groups[i]
			gt := todo[g.Group]
			switch {
			case gt == nil:
			case gt.all:
				g.Topics, _ = split(g.Topics, func(t *kmsg.OffsetFetchResponseGroupTopic) bool {
					return e.canDescribeTopic(ctx, rs, t.Topic, t.TopicID)
				})
			case g.ErrorCode == 0:
				g.Topics = append(g.Topics, gt.refused...)
			}
		}
	})
	return nil
}

// offsetFetchRefusedTopic answers a refused topic of a group: every
// partition with no offset, empty metadata and code, Kafka's
// UNAUTHORIZED_PARTITION.
func offsetFetchRefusedTopic(t *kmsg.OffsetFetchRequestGroupTopic, code int16) kmsg.OffsetFetchResponseGroupTopic {
	rt := kmsg.NewOffsetFetchResponseGroupTopic()
	rt.Topic, rt.TopicID = t.Topic, t.TopicID
	rt.Partitions = make([]kmsg.OffsetFetchResponseGroupTopicPartition, 0, len(t.Partitions))
	for _, p := range t.Partitions {
		rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
		rp.Partition = p
		rp.Offset = -1
		rp.LeaderEpoch = -1
		empty := ""
		rp.Metadata = &empty
		rp.ErrorCode = code
		rt.Partitions = append(rt.Partitions, rp)
	}
	return rt
}

// ConsumerGroupHeartbeat (68): GROUP READ, else GROUP_AUTHORIZATION_FAILED;
// every subscribed topic needs TOPIC DESCRIBE, else the heartbeat fails
// with TOPIC_AUTHORIZATION_FAILED, as Kafka. A broker-side regex
// subscription (v1+) is matched by the broker against every topic; it is
// allowed only to a principal that may describe every topic.
func consumerGroupHeartbeat(c *call) error {
	r := c.x.Request.(*kmsg.ConsumerGroupHeartbeatRequest)
	if !c.can(resGroup, opRead, r.Group) {
		return c.fail(codeGroup, "")
	}
	for _, t := range r.SubscribedTopicNames {
		if !c.can(resTopic, opDescribe, t) {
			return c.fail(codeTopic, "")
		}
	}
	if r.SubscribedTopicRegex != nil && *r.SubscribedTopicRegex != "" && !c.rs.canAll(resTopic, opDescribe) {
		return c.fail(codeTopic, "a broker-side regex subscription needs DESCRIBE on every topic through this gateway; subscribe to topic names instead")
	}
	return nil
}

// ShareGroupHeartbeat (76): as ConsumerGroupHeartbeat.
func shareGroupHeartbeat(c *call) error {
	r := c.x.Request.(*kmsg.ShareGroupHeartbeatRequest)
	if !c.can(resGroup, opRead, r.GroupID) {
		return c.fail(codeGroup, "")
	}
	for _, t := range r.SubscribedTopicNames {
		if !c.can(resTopic, opDescribe, t) {
			return c.fail(codeTopic, "")
		}
	}
	return nil
}

// describeTopicsMsg is the error message of a described group whose
// members are assigned topics the principal may not describe.
const describeTopicsMsg = "The group has described topic(s) that the client is not authorized to describe."

// ConsumerGroupDescribe (69): GROUP DESCRIBE per group; a group whose
// members' assignments name a topic the principal may not describe is
// answered TOPIC_AUTHORIZATION_FAILED, as Kafka. Authorized operations
// are the gateway's.
func consumerGroupDescribe(c *call) error {
	r := c.x.Request.(*kmsg.ConsumerGroupDescribeRequest)
	kept, out := split(r.Groups, func(g *string) bool { return c.can(resGroup, opDescribe, *g) })
	if len(out) > 0 {
		r.Groups = kept
		sub := *r
		sub.Groups = out
		c.refuse(&sub, codeGroup, "", len(out))
		if len(kept) == 0 {
			return c.answerRefused()
		}
	}
	e, rs, ops := c.e, c.rs, r.IncludeAuthorizedOperations
	c.later(func(ctx context.Context, resp kmsg.Response) {
		gr := resp.(*kmsg.ConsumerGroupDescribeResponse)
		for i := range gr.Groups {
			g := &gr.Groups[i]
			if g.ErrorCode != 0 {
				continue
			}
			hidden := false
			for _, m := range g.Members {
				for _, a := range []kmsg.Assignment{m.Assignment, m.TargetAssignment} {
					for _, tp := range a.TopicPartitions {
						hidden = hidden || !e.canDescribeTopic(ctx, rs, tp.Topic, tp.TopicID)
					}
				}
			}
			if hidden {
				e.denied(1)
				ng := kmsg.NewConsumerGroupDescribeResponseGroup()
				ng.Group, ng.ErrorCode = g.Group, codeTopic
				msg := describeTopicsMsg
				ng.ErrorMessage = &msg
				*g = ng
				continue
			}
			if ops {
				g.AuthorizedOperations = rs.authorizedOps(resGroup, g.Group)
			}
		}
	})
	return nil
}

// ShareGroupDescribe (77): as ConsumerGroupDescribe.
func shareGroupDescribe(c *call) error {
	r := c.x.Request.(*kmsg.ShareGroupDescribeRequest)
	kept, out := split(r.GroupIDs, func(g *string) bool { return c.can(resGroup, opDescribe, *g) })
	if len(out) > 0 {
		r.GroupIDs = kept
		sub := *r
		sub.GroupIDs = out
		c.refuse(&sub, codeGroup, "", len(out))
		if len(kept) == 0 {
			return c.answerRefused()
		}
	}
	e, rs, ops := c.e, c.rs, r.IncludeAuthorizedOperations
	c.later(func(ctx context.Context, resp kmsg.Response) {
		gr := resp.(*kmsg.ShareGroupDescribeResponse)
		for i := range gr.Groups {
			g := &gr.Groups[i]
			if g.ErrorCode != 0 {
				continue
			}
			hidden := false
			for _, m := range g.Members {
				for _, tp := range m.Assignment.TopicPartitions {
					hidden = hidden || !e.canDescribeTopic(ctx, rs, tp.Topic, tp.TopicID)
				}
			}
			if hidden {
				e.denied(1)
				ng := kmsg.NewShareGroupDescribeResponseGroup()
				ng.GroupID, ng.ErrorCode = g.GroupID, codeTopic
				msg := describeTopicsMsg
				ng.ErrorMessage = &msg
				*g = ng
				continue
			}
			if ops {
				g.AuthorizedOperations = rs.authorizedOps(resGroup, g.GroupID)
			}
		}
	})
	return nil
}

// DescribeShareGroupOffsets (90): as OffsetFetch v8+: GROUP DESCRIBE per
// group, TOPIC DESCRIBE per topic, listings (no topics named) filtered.
func describeShareGroupOffsets(c *call) error {
	r := c.x.Request.(*kmsg.DescribeShareGroupOffsetsRequest)
	kept, out := split(r.Groups, func(g *kmsg.DescribeShareGroupOffsetsRequestGroup) bool {
		return c.can(resGroup, opDescribe, g.GroupID)
	})
	if len(out) > 0 {
		for i := range out {
			out[i].Topics = []kmsg.DescribeShareGroupOffsetsRequestGroupTopic{}
		}
		r.Groups = kept
		sub := *r
		sub.Groups = out
		c.refuse(&sub, codeGroup, "", len(out))
		if len(kept) == 0 {
			return c.answerRefused()
		}
	}
	type groupTopics struct {
		all     bool
		refused []kmsg.DescribeShareGroupOffsetsResponseGroupTopic
	}
	var todo map[string]*groupTopics
	for i := range r.Groups {
		g := &r.Groups[i]
		if g.Topics == nil {
			if todo == nil {
				todo = map[string]*groupTopics{}
			}
			todo[g.GroupID] = &groupTopics{all: true}
			continue
		}
		var refused []kmsg.DescribeShareGroupOffsetsResponseGroupTopic
		g.Topics, _ = split(g.Topics, func(t *kmsg.DescribeShareGroupOffsetsRequestGroupTopic) bool {
			if c.can(resTopic, opDescribe, t.Topic) {
				return true
			}
			rt := kmsg.NewDescribeShareGroupOffsetsResponseGroupTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewDescribeShareGroupOffsetsResponseGroupTopicPartition()
				rp.Partition, rp.StartOffset, rp.LeaderEpoch, rp.Lag = p, -1, -1, -1
				rp.ErrorCode = codeTopic
				rt.Partitions = append(rt.Partitions, rp)
			}
			refused = append(refused, rt)
			return false
		})
		if len(refused) > 0 {
			c.e.denied(len(refused))
			if todo == nil {
				todo = map[string]*groupTopics{}
			}
			todo[g.GroupID] = &groupTopics{refused: refused}
		}
	}
	if todo == nil {
		return nil
	}
	rs := c.rs
	c.later(func(_ context.Context, resp kmsg.Response) {
		dr := resp.(*kmsg.DescribeShareGroupOffsetsResponse)
		for i := range dr.Groups {
			g := &dr.Groups[i]
			gt := todo[g.GroupID]
			switch {
			case gt == nil:
			case gt.all:
				g.Topics, _ = split(g.Topics, func(t *kmsg.DescribeShareGroupOffsetsResponseGroupTopic) bool {
					return rs.can(resTopic, opDescribe, t.Topic)
				})
			case g.ErrorCode == 0:
				g.Topics = append(g.Topics, gt.refused...)
			}
		}
	})
	return nil
}

// AlterShareGroupOffsets (91): GROUP READ, else the request fails; TOPIC
// READ per topic.
func alterShareGroupOffsets(c *call) error {
	r := c.x.Request.(*kmsg.AlterShareGroupOffsetsRequest)
	if !c.can(resGroup, opRead, r.GroupID) {
		return c.fail(codeGroup, "")
	}
	kept, out := split(r.Topics, func(t *kmsg.AlterShareGroupOffsetsRequestTopic) bool { return c.can(resTopic, opRead, t.Topic) })
	if len(out) > 0 {
		r.Topics = kept
		sub := *r
		sub.Topics = out
		c.refuse(&sub, codeTopic, "", len(out))
	}
	return nil
}

// DeleteShareGroupOffsets (92): GROUP DELETE, else the request fails;
// TOPIC READ per topic.
func deleteShareGroupOffsets(c *call) error {
	r := c.x.Request.(*kmsg.DeleteShareGroupOffsetsRequest)
	if !c.can(resGroup, opDelete, r.GroupID) {
		return c.fail(codeGroup, "")
	}
	kept, out := split(r.Topics, func(t *kmsg.DeleteShareGroupOffsetsRequestTopic) bool { return c.can(resTopic, opRead, t.Topic) })
	if len(out) > 0 {
		r.Topics = kept
		sub := *r
		sub.Topics = out
		c.refuse(&sub, codeTopic, "", len(out))
	}
	return nil
}
