// Checks of the keys that read and write partitions: Produce, Fetch,
// ListOffsets, OffsetForLeaderEpoch, DeleteRecords, DescribeProducers,
// ShareFetch and ShareAcknowledge. A refused topic fails alone: it leaves
// the forwarded request and comes back in the response with its error.

package acls

import (
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kmsg"
)

const (
	opRead     = kmsg.ACLOperationRead
	opWrite    = kmsg.ACLOperationWrite
	opCreate   = kmsg.ACLOperationCreate
	opDelete   = kmsg.ACLOperationDelete
	opAlter    = kmsg.ACLOperationAlter
	opDescribe = kmsg.ACLOperationDescribe
	opAction   = kmsg.ACLOperationClusterAction
	opDescCfg  = kmsg.ACLOperationDescribeConfigs
	opAlterCfg = kmsg.ACLOperationAlterConfigs
	opIdemp    = kmsg.ACLOperationIdempotentWrite
)

// Produce (0): TOPIC WRITE per topic. A request with transactional
// batches needs TRANSACTIONAL_ID WRITE first, and fails whole without it
// (every partition TRANSACTIONAL_ID_AUTHORIZATION_FAILED), as in Kafka.
// With acks=0 there is no response to carry a refusal: the request fails
// whole and the session closes the connection, as a broker does.
func produce(c *call) error {
	r := c.x.Request.(*kmsg.ProduceRequest)
	if hasTransactionalBatch(r) && (r.TransactionID == nil || !c.can(resTxn, opWrite, *r.TransactionID)) {
		return c.fail(codeTxn, "")
	}
	kept, out := splitBy(r.Topics, func(t *kmsg.ProduceRequestTopic) int16 { return c.topicCode(opWrite, t.Topic, t.TopicID) })
	if len(out) == 0 {
		return nil
	}
	if r.Acks == 0 {
		return c.fail(out[0].code, "")
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

// hasTransactionalBatch reports whether the first record batch of some
// partition is transactional, as Kafka's RequestUtils.hasTransactionalRecords.
func hasTransactionalBatch(r *kmsg.ProduceRequest) bool {
	for i := range r.Topics {
		for _, p := range r.Topics[i].Partitions {
			// v2 batch: offset 8, length 4, epoch 4, magic 1, crc 4, attributes 2.
			b := p.Records
			if len(b) >= 23 && b[16] == 2 && binary.BigEndian.Uint16(b[21:])&0x10 != 0 {
				return true
			}
		}
	}
	return false
}

// Fetch (1): TOPIC READ per topic; a follower fetch (replica id >= 0)
// needs CLUSTER CLUSTER_ACTION, else every partition is refused. Forgotten
// topics pass. A fetch session continues with what is left even if
// nothing is (the broker then answers for the session's other
// partitions); only a sessionless or new-session fetch with nothing left
// is answered by the gateway.
func fetch(c *call) error {
	r := c.x.Request.(*kmsg.FetchRequest)
	replica := r.ReplicaID
	if r.Version >= 15 {
		replica = r.ReplicaState.ID
	}
	if replica >= 0 {
		if c.rs.canCluster(opAction) {
			return nil
		}
		// Every partition refused; no top-level error, as Kafka.
		sub := *r
		c.refuse(&sub, codeTopic, "", 1)
		return c.answerRefused()
	}
	kept, out := splitBy(r.Topics, func(t *kmsg.FetchRequestTopic) int16 { return c.topicCode(opRead, t.Topic, t.TopicID) })
	if len(out) == 0 {
		return nil
	}
	r.Topics = kept
	for _, o := range out {
		sub := *r
		sub.Topics = o.entries
		c.refuse(&sub, o.code, "", len(o.entries))
	}
	if len(kept) == 0 && len(r.ForgottenTopics) == 0 && r.SessionEpoch <= 0 {
		return c.answerRefused()
	}
	return nil
}

// ListOffsets (2): TOPIC DESCRIBE per topic.
func listOffsets(c *call) error {
	r := c.x.Request.(*kmsg.ListOffsetsRequest)
	kept, out := split(r.Topics, func(t *kmsg.ListOffsetsRequestTopic) bool { return c.can(resTopic, opDescribe, t.Topic) })
	if len(out) == 0 {
		return nil
	}
	r.Topics = kept
	sub := *r
	sub.Topics = out
	c.refuse(&sub, codeTopic, "", len(out))
	if len(kept) == 0 {
		return c.answerRefused()
	}
	return nil
}

// OffsetForLeaderEpoch (23): CLUSTER CLUSTER_ACTION allows every topic
// (replicas use it); otherwise TOPIC DESCRIBE per topic (KIP-320).
func offsetForLeaderEpoch(c *call) error {
	if c.rs.canCluster(opAction) {
		return nil
	}
	r := c.x.Request.(*kmsg.OffsetForLeaderEpochRequest)
	kept, out := split(r.Topics, func(t *kmsg.OffsetForLeaderEpochRequestTopic) bool { return c.can(resTopic, opDescribe, t.Topic) })
	if len(out) == 0 {
		return nil
	}
	r.Topics = kept
	sub := *r
	sub.Topics = out
	c.refuse(&sub, codeTopic, "", len(out))
	if len(kept) == 0 {
		return c.answerRefused()
	}
	return nil
}

// DeleteRecords (21): TOPIC DELETE per topic.
func deleteRecords(c *call) error {
	r := c.x.Request.(*kmsg.DeleteRecordsRequest)
	kept, out := split(r.Topics, func(t *kmsg.DeleteRecordsRequestTopic) bool { return c.can(resTopic, opDelete, t.Topic) })
	if len(out) == 0 {
		return nil
	}
	r.Topics = kept
	sub := *r
	sub.Topics = out
	c.refuse(&sub, codeTopic, "", len(out))
	if len(kept) == 0 {
		return c.answerRefused()
	}
	return nil
}

// DescribeProducers (61): TOPIC READ per topic.
func describeProducers(c *call) error {
	r := c.x.Request.(*kmsg.DescribeProducersRequest)
	kept, out := split(r.Topics, func(t *kmsg.DescribeProducersRequestTopic) bool { return c.can(resTopic, opRead, t.Topic) })
	if len(out) == 0 {
		return nil
	}
	r.Topics = kept
	sub := *r
	sub.Topics = out
	c.refuse(&sub, codeTopic, "", len(out))
	if len(kept) == 0 {
		return c.answerRefused()
	}
	return nil
}

// groupName is a nullable group id as rules see it.
func groupName(g *string) string {
	if g == nil {
		return ""
	}
	return *g
}

// ShareFetch (78): GROUP READ, else the request fails; TOPIC READ per
// topic (by id). As for Fetch sessions, what is left is forwarded even
// if nothing is, so the share session stays in step.
func shareFetch(c *call) error {
	r := c.x.Request.(*kmsg.ShareFetchRequest)
	if !c.can(resGroup, opRead, groupName(r.GroupID)) {
		return c.fail(codeGroup, "")
	}
	kept, out := splitBy(r.Topics, func(t *kmsg.ShareFetchRequestTopic) int16 { return c.topicCode(opRead, "", t.TopicID) })
	r.Topics = kept
	for _, o := range out {
		sub := *r
		sub.Topics = o.entries
		c.refuse(&sub, o.code, "", len(o.entries))
	}
	return nil
}

// ShareAcknowledge (79): as ShareFetch.
func shareAcknowledge(c *call) error {
	r := c.x.Request.(*kmsg.ShareAcknowledgeRequest)
	if !c.can(resGroup, opRead, groupName(r.GroupID)) {
		return c.fail(codeGroup, "")
	}
	kept, out := splitBy(r.Topics, func(t *kmsg.ShareAcknowledgeRequestTopic) int16 { return c.topicCode(opRead, "", t.TopicID) })
	r.Topics = kept
	for _, o := range out {
		sub := *r
		sub.Topics = o.entries
		c.refuse(&sub, o.code, "", len(o.entries))
	}
	return nil
}
