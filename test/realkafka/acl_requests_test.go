// The requests of the ACL equivalence cells: each builds one raw request,
// sends it to the broker Kafka would want it on (partition leader, group or
// transaction coordinator, or the first broker), and renders the error
// codes of the answer. Names given to them are short names of the run
// ("orders"); "%t" in a name stands for the target's tag, for resources
// that a cell changes (one per target).

package realkafka

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// aclCell is one row of the table: an API called by a principal on a
// resource, and what Kafka documents it answers.
type aclCell struct {
	api, who, what string
	// want is Kafka's answer as its authorizer rules say (see
	// protocol-notes.md, "What Kafka's authorizer asks for").
	want string
	do   func(c *aclCall) (string, error)
}

func (c *aclCell) name() string { return c.api + "/" + c.who + "/" + c.what }

// aclCall is one cell run on one target.
type aclCall struct {
	e  *aclEnv
	tg *aclTarget
	cl *kgo.Client
}

// n is the full name of a short name, "%t" replaced by the target's tag;
// Kafka's internal topics (__*) keep their names.
func (c *aclCall) n(short string) string {
	if strings.HasPrefix(short, "__") {
		return short // an internal topic
	}
	return c.e.n(strings.ReplaceAll(short, "%t", c.tg.tag))
}

func (c *aclCall) send(broker int32, req kmsg.Request) (kmsg.Response, error) {
	ctx, cancel := aclCtx()
	defer cancel()
	return c.cl.Broker(int(broker)).RetriableRequest(ctx, req)
}

// anyBroker is where requests without a preferred broker go.
func (c *aclCall) anyBroker() int32 { return c.e.brokers[0] }

// leader is the leader of partition 0 of a topic of the run, or any
// broker for a topic that does not exist.
func (c *aclCall) leader(topic string) int32 {
	if l, ok := c.e.leaders[topic]; ok {
		return l
	}
	return c.anyBroker()
}

func (c *aclCall) coordinator(typ int8, key string) (int32, error) {
	return c.e.coordinator(typ, key)
}

// topicName is a response topic's name, by name or id.
func (c *aclCall) topicName(name string, id [16]byte) string {
	if name == "" {
		if n, ok := c.e.idNames[id]; ok {
			return n
		}
		return fmt.Sprintf("id:%x", id)
	}
	return name
}

// perTopic renders codes by topic: the code alone for one topic, else
// "name=CODE" pairs sorted by name, the target's own resources named
// "<name>-<target>".
func (c *aclCall) perTopic(codes map[string]int16) string {
	if len(codes) == 1 {
		for _, v := range codes {
			return aclCode(v)
		}
	}
	var parts []string
	for k, v := range codes {
		short := c.e.short(k)
		if t := "-" + c.tg.tag; strings.HasSuffix(short, t) {
			short = strings.TrimSuffix(short, t) + "-<target>"
		}
		parts = append(parts, short+"="+aclCode(v))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// aclMetadata asks for topics (nil: all topics, rendered as the run's topics
// listed); ops renders the first topic's authorized operations.
func aclMetadata(topics []string, auto, ops bool) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrMetadataRequest()
		if topics != nil {
			req.Topics = []kmsg.MetadataRequestTopic{}
			for _, s := range topics {
				t := kmsg.NewMetadataRequestTopic()
				t.Topic = kmsg.StringPtr(c.n(s))
				req.Topics = append(req.Topics, t)
			}
		}
		req.AllowAutoTopicCreation = auto
		req.IncludeTopicAuthorizedOperations = ops
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		resp := r.(*kmsg.MetadataResponse)
		if topics == nil {
			var names []string
			for _, t := range resp.Topics {
				if t.ErrorCode == 0 && t.Topic != nil {
					names = append(names, *t.Topic)
				}
			}
			return aclList(c.e.ourTopics(names)), nil
		}
		codes := map[string]int16{}
		for _, t := range resp.Topics {
			name := c.topicName(aclDeref(t.Topic), t.TopicID)
			if ops && t.ErrorCode == 0 {
				return aclOpsList(t.AuthorizedOperations), nil
			}
			codes[name] = t.ErrorCode
		}
		return c.perTopic(codes), nil
	}
}

// aclProduce writes one record to partition 0 of each topic, sent to the
// leader of the first; txn, if set, is the transactional id, and the
// batch is then transactional.
func aclProduce(txn string, topics ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrProduceRequest()
		req.Acks = -1
		req.TimeoutMillis = 10000
		batch := aclBatch(-1, -1, -1, false)
		if txn != "" {
			req.TransactionID = kmsg.StringPtr(c.n(txn))
			batch = aclBatch(1000, 0, 0, true)
		}
		for _, s := range topics {
			name := c.n(s)
			p := kmsg.NewProduceRequestTopicPartition()
			p.Partition, p.Records = 0, batch
			t := kmsg.NewProduceRequestTopic()
			t.Topic, t.TopicID, t.Partitions = name, c.e.topicIDs[name], []kmsg.ProduceRequestTopicPartition{p}
			req.Topics = append(req.Topics, t)
		}
		r, err := c.send(c.leader(c.n(topics[0])), req)
		if err != nil {
			return "", err
		}
		codes := map[string]int16{}
		for _, t := range r.(*kmsg.ProduceResponse).Topics {
			for _, p := range t.Partitions {
				codes[c.topicName(t.Topic, t.TopicID)] = p.ErrorCode
			}
		}
		return c.perTopic(codes), nil
	}
}

// aclFetch reads partition 0 of each topic from offset 0, without a session,
// from the leader of the first.
func aclFetch(topics ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrFetchRequest()
		req.MaxWaitMillis, req.MinBytes, req.MaxBytes = 50, 1, 1<<20
		req.SessionID, req.SessionEpoch = 0, -1
		for _, s := range topics {
			name := c.n(s)
			p := kmsg.NewFetchRequestTopicPartition()
			p.Partition, p.FetchOffset, p.PartitionMaxBytes = 0, 0, 1<<20
			t := kmsg.NewFetchRequestTopic()
			t.Topic, t.TopicID, t.Partitions = name, c.e.topicIDs[name], []kmsg.FetchRequestTopicPartition{p}
			req.Topics = append(req.Topics, t)
		}
		r, err := c.send(c.leader(c.n(topics[0])), req)
		if err != nil {
			return "", err
		}
		resp := r.(*kmsg.FetchResponse)
		if resp.ErrorCode != 0 {
			return aclCode(resp.ErrorCode), nil
		}
		codes := map[string]int16{}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				codes[c.topicName(t.Topic, t.TopicID)] = p.ErrorCode
			}
		}
		return c.perTopic(codes), nil
	}
}

// aclListOffsets asks for the latest offset of partition 0.
func aclListOffsets(topic string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrListOffsetsRequest()
		req.ReplicaID = -1
		p := kmsg.NewListOffsetsRequestTopicPartition()
		p.Partition, p.Timestamp = 0, -1
		t := kmsg.NewListOffsetsRequestTopic()
		t.Topic, t.Partitions = c.n(topic), []kmsg.ListOffsetsRequestTopicPartition{p}
		req.Topics = []kmsg.ListOffsetsRequestTopic{t}
		r, err := c.send(c.leader(c.n(topic)), req)
		if err != nil {
			return "", err
		}
		codes := map[string]int16{}
		for _, t := range r.(*kmsg.ListOffsetsResponse).Topics {
			for _, p := range t.Partitions {
				codes[t.Topic] = p.ErrorCode
			}
		}
		return c.perTopic(codes), nil
	}
}

// aclOffsetForLeaderEpoch asks, as a consumer, where epoch 0 of partition 0
// ends.
func aclOffsetForLeaderEpoch(topic string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrOffsetForLeaderEpochRequest()
		req.ReplicaID = -1
		p := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
		p.Partition, p.CurrentLeaderEpoch, p.LeaderEpoch = 0, -1, 0
		t := kmsg.NewOffsetForLeaderEpochRequestTopic()
		t.Topic, t.Partitions = c.n(topic), []kmsg.OffsetForLeaderEpochRequestTopicPartition{p}
		req.Topics = []kmsg.OffsetForLeaderEpochRequestTopic{t}
		r, err := c.send(c.leader(c.n(topic)), req)
		if err != nil {
			return "", err
		}
		codes := map[string]int16{}
		for _, t := range r.(*kmsg.OffsetForLeaderEpochResponse).Topics {
			for _, p := range t.Partitions {
				codes[t.Topic] = p.ErrorCode
			}
		}
		return c.perTopic(codes), nil
	}
}

// aclDescribeProducers describes the producers of partition 0.
func aclDescribeProducers(topic string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrDescribeProducersRequest()
		t := kmsg.NewDescribeProducersRequestTopic()
		t.Topic, t.Partitions = c.n(topic), []int32{0}
		req.Topics = []kmsg.DescribeProducersRequestTopic{t}
		r, err := c.send(c.leader(c.n(topic)), req)
		if err != nil {
			return "", err
		}
		codes := map[string]int16{}
		for _, t := range r.(*kmsg.DescribeProducersResponse).Topics {
			for _, p := range t.Partitions {
				codes[t.Topic] = p.ErrorCode
			}
		}
		return c.perTopic(codes), nil
	}
}

// aclDeleteRecords deletes the records of partition 0 before offset 0: a
// no-op when allowed.
func aclDeleteRecords(topic string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrDeleteRecordsRequest()
		req.TimeoutMillis = 10000
		p := kmsg.NewDeleteRecordsRequestTopicPartition()
		p.Partition, p.Offset = 0, 0
		t := kmsg.NewDeleteRecordsRequestTopic()
		t.Topic, t.Partitions = c.n(topic), []kmsg.DeleteRecordsRequestTopicPartition{p}
		req.Topics = []kmsg.DeleteRecordsRequestTopic{t}
		r, err := c.send(c.leader(c.n(topic)), req)
		if err != nil {
			return "", err
		}
		codes := map[string]int16{}
		for _, t := range r.(*kmsg.DeleteRecordsResponse).Topics {
			for _, p := range t.Partitions {
				codes[t.Topic] = p.ErrorCode
			}
		}
		return c.perTopic(codes), nil
	}
}

// aclCreateTopic validates the creation of a topic (validate only: nothing is
// created). When the topic's configs are left out of the answer, the
// rendering says with which code.
func aclCreateTopic(topic string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrCreateTopicsRequest()
		req.TimeoutMillis, req.ValidateOnly = 15000, true
		t := kmsg.NewCreateTopicsRequestTopic()
		t.Topic, t.NumPartitions, t.ReplicationFactor = c.n(topic), 1, 3
		req.Topics = []kmsg.CreateTopicsRequestTopic{t}
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		var out []string
		for _, t := range r.(*kmsg.CreateTopicsResponse).Topics {
			s := aclCode(t.ErrorCode)
			if t.ErrorCode == 0 && t.ConfigErrorCode != 0 {
				s += " configs:" + aclCode(t.ConfigErrorCode)
			}
			out = append(out, s)
		}
		return strings.Join(out, " "), nil
	}
}

// aclCreatePartitions validates growing a topic to 2 partitions.
func aclCreatePartitions(topic string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrCreatePartitionsRequest()
		req.TimeoutMillis, req.ValidateOnly = 15000, true
		t := kmsg.NewCreatePartitionsRequestTopic()
		t.Topic, t.Count = c.n(topic), 2
		req.Topics = []kmsg.CreatePartitionsRequestTopic{t}
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		codes := map[string]int16{}
		for _, t := range r.(*kmsg.CreatePartitionsResponse).Topics {
			codes[t.Topic] = t.ErrorCode
		}
		return c.perTopic(codes), nil
	}
}

// aclDeleteTopic deletes a topic by name.
func aclDeleteTopic(topic string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrDeleteTopicsRequest()
		req.TimeoutMillis = 15000
		name := c.n(topic)
		req.TopicNames = []string{name}
		t := kmsg.NewDeleteTopicsRequestTopic()
		t.Topic = kmsg.StringPtr(name)
		req.Topics = []kmsg.DeleteTopicsRequestTopic{t}
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		codes := map[string]int16{}
		for _, t := range r.(*kmsg.DeleteTopicsResponse).Topics {
			codes[c.topicName(aclDeref(t.Topic), t.TopicID)] = t.ErrorCode
		}
		return c.perTopic(codes), nil
	}
}

// configResource names a topic of the run, or broker 1.
func (c *aclCall) configResource(topic string) (kmsg.ConfigResourceType, string, int32) {
	if topic == "" {
		return kmsg.ConfigResourceTypeBroker, "1", 1
	}
	return kmsg.ConfigResourceTypeTopic, c.n(topic), c.anyBroker()
}

// aclDescribeConfigs describes a topic's configs, or broker 1's for "".
func aclDescribeConfigs(topic string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		typ, name, broker := c.configResource(topic)
		req := kmsg.NewPtrDescribeConfigsRequest()
		res := kmsg.NewDescribeConfigsRequestResource()
		res.ResourceType, res.ResourceName = typ, name
		req.Resources = []kmsg.DescribeConfigsRequestResource{res}
		r, err := c.send(broker, req)
		if err != nil {
			return "", err
		}
		var out []string
		for _, res := range r.(*kmsg.DescribeConfigsResponse).Resources {
			out = append(out, aclCode(res.ErrorCode))
		}
		return strings.Join(out, " "), nil
	}
}

// aclAlterConfigs validates setting retention.ms (log.retention.ms for the
// broker) with AlterConfigs.
func aclAlterConfigs(topic string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		typ, name, broker := c.configResource(topic)
		req := kmsg.NewPtrAlterConfigsRequest()
		req.ValidateOnly = true
		res := kmsg.NewAlterConfigsRequestResource()
		res.ResourceType, res.ResourceName = typ, name
		cfg := kmsg.NewAlterConfigsRequestResourceConfig()
		cfg.Name, cfg.Value = "retention.ms", kmsg.StringPtr("86400000")
		if topic == "" {
			cfg.Name = "log.retention.ms"
		}
		res.Configs = []kmsg.AlterConfigsRequestResourceConfig{cfg}
		req.Resources = []kmsg.AlterConfigsRequestResource{res}
		r, err := c.send(broker, req)
		if err != nil {
			return "", err
		}
		var out []string
		for _, res := range r.(*kmsg.AlterConfigsResponse).Resources {
			out = append(out, aclCode(res.ErrorCode))
		}
		return strings.Join(out, " "), nil
	}
}

// aclIncrementalAlterConfigs validates setting retention.ms.
func aclIncrementalAlterConfigs(topic string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		typ, name, broker := c.configResource(topic)
		req := kmsg.NewPtrIncrementalAlterConfigsRequest()
		req.ValidateOnly = true
		res := kmsg.NewIncrementalAlterConfigsRequestResource()
		res.ResourceType, res.ResourceName = typ, name
		cfg := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		cfg.Name, cfg.Op, cfg.Value = "retention.ms", kmsg.IncrementalAlterConfigOpSet, kmsg.StringPtr("86400000")
		res.Configs = []kmsg.IncrementalAlterConfigsRequestResourceConfig{cfg}
		req.Resources = []kmsg.IncrementalAlterConfigsRequestResource{res}
		r, err := c.send(broker, req)
		if err != nil {
			return "", err
		}
		var out []string
		for _, res := range r.(*kmsg.IncrementalAlterConfigsResponse).Resources {
			out = append(out, aclCode(res.ErrorCode))
		}
		return strings.Join(out, " "), nil
	}
}

// aclFindCoordinator looks up the coordinator of a group (typ 0) or
// transactional id (typ 1).
func aclFindCoordinator(typ int8, key string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.CoordinatorType = typ
		req.CoordinatorKey = c.n(key)
		req.CoordinatorKeys = []string{c.n(key)}
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		resp := r.(*kmsg.FindCoordinatorResponse)
		if len(resp.Coordinators) == 0 {
			return aclCode(resp.ErrorCode), nil
		}
		var out []string
		for _, co := range resp.Coordinators {
			out = append(out, aclCode(co.ErrorCode))
		}
		return strings.Join(out, " "), nil
	}
}

// aclJoinGroup joins a classic group as a new member subscribed to orders;
// Kafka first asks such a member to join again with the id it assigns
// (MEMBER_ID_REQUIRED).
func aclJoinGroup(group string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		g := c.n(group)
		co, err := c.coordinator(0, g)
		if err != nil {
			return "", err
		}
		meta := kmsg.NewConsumerMemberMetadata()
		meta.Topics = []string{c.n("orders")}
		req := kmsg.NewPtrJoinGroupRequest()
		req.Group, req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = g, 10000, 10000
		req.ProtocolType = "consumer"
		proto := kmsg.NewJoinGroupRequestProtocol()
		proto.Name, proto.Metadata = "range", meta.AppendTo(nil)
		req.Protocols = []kmsg.JoinGroupRequestProtocol{proto}
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		return aclCode(r.(*kmsg.JoinGroupResponse).ErrorCode), nil
	}
}

// aclOffsetCommit commits offset 0 of partition 0 of topics for a group, as
// a client outside the group (generation -1).
func aclOffsetCommit(group string, topics ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		g := c.n(group)
		co, err := c.coordinator(0, g)
		if err != nil {
			return "", err
		}
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Group, req.Generation, req.MemberID = g, -1, ""
		for _, s := range topics {
			name := c.n(s)
			p := kmsg.NewOffsetCommitRequestTopicPartition()
			p.Partition, p.Offset, p.LeaderEpoch = 0, 0, -1
			t := kmsg.NewOffsetCommitRequestTopic()
			t.Topic, t.TopicID, t.Partitions = name, c.e.topicIDs[name], []kmsg.OffsetCommitRequestTopicPartition{p}
			req.Topics = append(req.Topics, t)
		}
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		codes := map[string]int16{}
		for _, t := range r.(*kmsg.OffsetCommitResponse).Topics {
			for _, p := range t.Partitions {
				codes[c.topicName(t.Topic, t.TopicID)] = p.ErrorCode
			}
		}
		return c.perTopic(codes), nil
	}
}

// aclOffsetFetch fetches a group's offsets of partition 0 of topics, or of
// every topic when none is named (rendered as the topics listed).
func aclOffsetFetch(group string, topics ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		g := c.n(group)
		co, err := c.coordinator(0, g)
		if err != nil {
			return "", err
		}
		req := kmsg.NewPtrOffsetFetchRequest()
		rg := kmsg.NewOffsetFetchRequestGroup()
		rg.Group = g
		req.Group = g
		for _, s := range topics {
			name := c.n(s)
			t := kmsg.NewOffsetFetchRequestGroupTopic()
			t.Topic, t.TopicID, t.Partitions = name, c.e.topicIDs[name], []int32{0}
			rg.Topics = append(rg.Topics, t)
			ot := kmsg.NewOffsetFetchRequestTopic()
			ot.Topic, ot.Partitions = name, []int32{0}
			req.Topics = append(req.Topics, ot)
		}
		req.Groups = []kmsg.OffsetFetchRequestGroup{rg}
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		resp := r.(*kmsg.OffsetFetchResponse)
		codes := map[string]int16{}
		var gcode int16
		if len(resp.Groups) > 0 {
			gcode = resp.Groups[0].ErrorCode
			for _, t := range resp.Groups[0].Topics {
				for _, p := range t.Partitions {
					codes[c.topicName(t.Topic, t.TopicID)] = p.ErrorCode
				}
			}
		} else {
			gcode = resp.ErrorCode
			for _, t := range resp.Topics {
				for _, p := range t.Partitions {
					codes[t.Topic] = p.ErrorCode
				}
			}
		}
		if gcode != 0 {
			return "group:" + aclCode(gcode), nil
		}
		if len(topics) == 0 {
			var names []string
			for n, v := range codes {
				if v == 0 {
					names = append(names, n)
				}
			}
			return aclList(c.e.ours(names)), nil
		}
		return c.perTopic(codes), nil
	}
}

// aclDescribeGroups describes a group; ops renders its authorized operations.
func aclDescribeGroups(group string, ops bool) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		g := c.n(group)
		co, err := c.coordinator(0, g)
		if err != nil {
			return "", err
		}
		req := kmsg.NewPtrDescribeGroupsRequest()
		req.Groups, req.IncludeAuthorizedOperations = []string{g}, ops
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		var out []string
		for _, rg := range r.(*kmsg.DescribeGroupsResponse).Groups {
			if ops && rg.ErrorCode == 0 {
				out = append(out, aclOpsList(rg.AuthorizedOperations))
				continue
			}
			out = append(out, aclCode(rg.ErrorCode))
		}
		return strings.Join(out, " "), nil
	}
}

// aclConsumerGroupDescribe describes a group (KIP-848).
func aclConsumerGroupDescribe(group string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		g := c.n(group)
		co, err := c.coordinator(0, g)
		if err != nil {
			return "", err
		}
		req := kmsg.NewPtrConsumerGroupDescribeRequest()
		req.Groups = []string{g}
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		var out []string
		for _, rg := range r.(*kmsg.ConsumerGroupDescribeResponse).Groups {
			out = append(out, aclCode(rg.ErrorCode))
		}
		return strings.Join(out, " "), nil
	}
}

// aclConsumerGroupHeartbeat joins a KIP-848 group subscribed to topics, and
// leaves it again when that worked.
func aclConsumerGroupHeartbeat(group string, topics ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		g := c.n(group)
		co, err := c.coordinator(0, g)
		if err != nil {
			return "", err
		}
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Group, req.MemberID, req.MemberEpoch, req.RebalanceTimeoutMillis = g, aclMemberID(), 0, 10000
		for _, s := range topics {
			req.SubscribedTopicNames = append(req.SubscribedTopicNames, c.n(s))
		}
		req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		ec := r.(*kmsg.ConsumerGroupHeartbeatResponse).ErrorCode
		if ec == 0 {
			leave := kmsg.NewPtrConsumerGroupHeartbeatRequest()
			leave.Group, leave.MemberID, leave.MemberEpoch = g, req.MemberID, -1
			_, _ = c.send(co, leave)
		}
		return aclCode(ec), nil
	}
}

// aclListedGroups are the groups setup makes and ListGroups cells show:
// those that exist when the cells run on either target.
var aclListedGroups = []string{"g-app", "g-desc", "g-secret", "g-join", "g-del-k", "g-del-g"}

// aclListGroups lists the groups of every broker, rendered as the run's
// among aclListedGroups.
func aclListGroups() func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		var names []string
		for _, b := range c.e.brokers {
			r, err := c.send(b, kmsg.NewPtrListGroupsRequest())
			if err != nil {
				return "", err
			}
			resp := r.(*kmsg.ListGroupsResponse)
			if resp.ErrorCode != 0 {
				return aclCode(resp.ErrorCode), nil
			}
			for _, g := range resp.Groups {
				if short := c.e.short(g.Group); slices.Contains(aclListedGroups, short) {
					names = append(names, short)
				}
			}
		}
		return aclList(names), nil
	}
}

// aclDeleteGroups deletes a group.
func aclDeleteGroups(group string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		g := c.n(group)
		co, err := c.coordinator(0, g)
		if err != nil {
			return "", err
		}
		req := kmsg.NewPtrDeleteGroupsRequest()
		req.Groups = []string{g}
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		var out []string
		for _, rg := range r.(*kmsg.DeleteGroupsResponse).Groups {
			out = append(out, aclCode(rg.ErrorCode))
		}
		return strings.Join(out, " "), nil
	}
}

// aclInitProducerID asks for an idempotent producer id (txn "") or a
// transactional one, whose id and epoch the target keeps for later cells.
func aclInitProducerID(txn string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrInitProducerIDRequest()
		req.TransactionTimeoutMillis = 60000
		req.ProducerID, req.ProducerEpoch = -1, -1
		broker := c.anyBroker()
		if txn != "" {
			id := c.n(txn)
			req.TransactionalID = &id
			co, err := c.coordinator(1, id)
			if err != nil {
				return "", err
			}
			broker = co
		}
		r, err := c.send(broker, req)
		if err != nil {
			return "", err
		}
		resp := r.(*kmsg.InitProducerIDResponse)
		if resp.ErrorCode == 0 && txn != "" && c.cl == c.tg.clients["alice"] {
			c.tg.txns[c.n(txn)] = aclProducer{resp.ProducerID, resp.ProducerEpoch}
		}
		return aclCode(resp.ErrorCode), nil
	}
}

// txnProducer is the producer id and epoch alice got for txn on this
// target (zero if she got none).
func (c *aclCall) txnProducer(txn string) aclProducer {
	return c.tg.txns[txn]
}

// aclAddPartitionsToTxn adds partition 0 of topics to alice's transaction
// (v3, the client form).
func aclAddPartitionsToTxn(txn string, topics ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		id := c.n(txn)
		co, err := c.coordinator(1, id)
		if err != nil {
			return "", err
		}
		pr := c.txnProducer(id)
		req := kmsg.NewPtrAddPartitionsToTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch = id, pr.id, pr.epoch
		for _, s := range topics {
			t := kmsg.NewAddPartitionsToTxnRequestTopic()
			t.Topic, t.Partitions = c.n(s), []int32{0}
			req.Topics = append(req.Topics, t)
		}
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		resp := r.(*kmsg.AddPartitionsToTxnResponse)
		if resp.ErrorCode != 0 {
			return aclCode(resp.ErrorCode), nil
		}
		codes := map[string]int16{}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				codes[t.Topic] = p.ErrorCode
			}
		}
		return c.perTopic(codes), nil
	}
}

// aclAddOffsetsToTxn adds a group's offsets to alice's transaction.
func aclAddOffsetsToTxn(txn, group string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		id := c.n(txn)
		co, err := c.coordinator(1, id)
		if err != nil {
			return "", err
		}
		pr := c.txnProducer(id)
		req := kmsg.NewPtrAddOffsetsToTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Group = id, pr.id, pr.epoch, c.n(group)
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		return aclCode(r.(*kmsg.AddOffsetsToTxnResponse).ErrorCode), nil
	}
}

// aclTxnOffsetCommit commits offset 0 of partition 0 of topics for a group in
// alice's transaction.
func aclTxnOffsetCommit(txn, group string, topics ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		id, g := c.n(txn), c.n(group)
		co, err := c.coordinator(0, g)
		if err != nil {
			return "", err
		}
		pr := c.txnProducer(id)
		req := kmsg.NewPtrTxnOffsetCommitRequest()
		req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = id, g, pr.id, pr.epoch
		req.Generation, req.MemberID = -1, ""
		for _, s := range topics {
			name := c.n(s)
			p := kmsg.NewTxnOffsetCommitRequestTopicPartition()
			p.Partition, p.Offset, p.LeaderEpoch = 0, 0, -1
			t := kmsg.NewTxnOffsetCommitRequestTopic()
			t.Topic, t.TopicID, t.Partitions = name, c.e.topicIDs[name], []kmsg.TxnOffsetCommitRequestTopicPartition{p}
			req.Topics = append(req.Topics, t)
		}
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		codes := map[string]int16{}
		for _, t := range r.(*kmsg.TxnOffsetCommitResponse).Topics {
			for _, p := range t.Partitions {
				codes[c.topicName(t.Topic, t.TopicID)] = p.ErrorCode
			}
		}
		return c.perTopic(codes), nil
	}
}

// aclEndTxn aborts alice's transaction.
func aclEndTxn(txn string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		id := c.n(txn)
		co, err := c.coordinator(1, id)
		if err != nil {
			return "", err
		}
		pr := c.txnProducer(id)
		req := kmsg.NewPtrEndTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = id, pr.id, pr.epoch, false
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		return aclCode(r.(*kmsg.EndTxnResponse).ErrorCode), nil
	}
}

// aclDescribeTransactions describes a transactional id.
func aclDescribeTransactions(txn string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		id := c.n(txn)
		co, err := c.coordinator(1, id)
		if err != nil {
			return "", err
		}
		req := kmsg.NewPtrDescribeTransactionsRequest()
		req.TransactionalIDs = []string{id}
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		var out []string
		for _, s := range r.(*kmsg.DescribeTransactionsResponse).TransactionStates {
			out = append(out, aclCode(s.ErrorCode))
		}
		return strings.Join(out, " "), nil
	}
}

// aclDescribeTransactionTopics describes a transaction and renders the
// topics it shows.
func aclDescribeTransactionTopics(txn string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		id := c.n(txn)
		co, err := c.coordinator(1, id)
		if err != nil {
			return "", err
		}
		req := kmsg.NewPtrDescribeTransactionsRequest()
		req.TransactionalIDs = []string{id}
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		var out []string
		for _, s := range r.(*kmsg.DescribeTransactionsResponse).TransactionStates {
			var topics []string
			for _, t := range s.Topics {
				topics = append(topics, t.Topic)
			}
			out = append(out, aclCode(s.ErrorCode)+" topics:"+aclList(c.e.ours(topics)))
		}
		return strings.Join(out, " "), nil
	}
}

// aclListTransactions lists the transactions of every broker, rendered as
// the run's.
func aclListTransactions() func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		var names []string
		for _, b := range c.e.brokers {
			r, err := c.send(b, kmsg.NewPtrListTransactionsRequest())
			if err != nil {
				return "", err
			}
			resp := r.(*kmsg.ListTransactionsResponse)
			if resp.ErrorCode != 0 {
				return aclCode(resp.ErrorCode), nil
			}
			for _, s := range resp.TransactionStates {
				names = append(names, s.TransactionalID)
			}
		}
		return aclList(c.e.ours(names)), nil
	}
}

// aclDescribeACLs describes every ACL (the answer's content is not
// compared: Kafka lists its bindings, the gateway its rules).
func aclDescribeACLs() func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrDescribeACLsRequest()
		req.ResourceType = kmsg.ACLResourceTypeAny
		req.ResourcePatternType = kmsg.ACLResourcePatternTypeAny
		req.Operation = kmsg.ACLOperationAny
		req.PermissionType = kmsg.ACLPermissionTypeAny
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		return aclCode(r.(*kmsg.DescribeACLsResponse).ErrorCode), nil
	}
}

// aclCreateACLs creates an ACL for the run's sentinel principal (deleted with
// the run's ACLs).
func aclCreateACLs() func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrCreateACLsRequest()
		cr := kmsg.NewCreateACLsRequestCreation()
		cr.ResourceType, cr.ResourceName = kmsg.ACLResourceTypeTopic, c.n("acl-made")
		cr.ResourcePatternType = kmsg.ACLResourcePatternTypeLiteral
		cr.Principal, cr.Host = "User:"+c.e.n("nobody"), "*"
		cr.Operation, cr.PermissionType = kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow
		req.Creations = []kmsg.CreateACLsRequestCreation{cr}
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		var out []string
		for _, res := range r.(*kmsg.CreateACLsResponse).Results {
			out = append(out, aclCode(res.ErrorCode))
		}
		return strings.Join(out, " "), nil
	}
}

// aclDescribeCluster describes the cluster.
func aclDescribeCluster() func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		r, err := c.send(c.anyBroker(), kmsg.NewPtrDescribeClusterRequest())
		if err != nil {
			return "", err
		}
		return aclCode(r.(*kmsg.DescribeClusterResponse).ErrorCode), nil
	}
}

// aclDeref is a nullable string's value, "" for null.
func aclDeref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// aclMetadataByID asks for topics by id (Metadata v12+), rendered as the
// code and whether the answer names the topic.
func aclMetadataByID(topics ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrMetadataRequest()
		for _, s := range topics {
			t := kmsg.NewMetadataRequestTopic()
			t.TopicID = c.e.topicIDs[c.n(s)]
			req.Topics = append(req.Topics, t)
		}
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		var out []string
		for _, t := range r.(*kmsg.MetadataResponse).Topics {
			name := "null"
			if t.Topic != nil {
				name = c.e.short(*t.Topic)
			}
			out = append(out, aclCode(t.ErrorCode)+" name:"+name)
		}
		return strings.Join(out, " "), nil
	}
}

// aclAutoCreate asks for topics with auto-creation, then renders the
// answer and whether the first topic was created.
func aclAutoCreate(topics ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		got, err := aclMetadata(topics, true, false)(c)
		if err != nil {
			return "", err
		}
		name := c.n(topics[0])
		created := "not created"
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) && created != "created" {
			req := kmsg.NewPtrMetadataRequest()
			t := kmsg.NewMetadataRequestTopic()
			t.Topic = &name
			req.Topics = []kmsg.MetadataRequestTopic{t}
			ctx, cancel := aclCtx()
			resp, err := req.RequestWith(ctx, c.e.admin)
			cancel()
			if err == nil && len(resp.Topics) == 1 && resp.Topics[0].ErrorCode == 0 {
				created = "created"
			} else {
				time.Sleep(100 * time.Millisecond)
			}
		}
		return got + " (" + created + ")", nil
	}
}

// aclDescribeTopicPartitions describes topics (none: all topics, rendered
// as the run's listed).
func aclDescribeTopicPartitions(topics ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrDescribeTopicPartitionsRequest()
		req.ResponsePartitionLimit = 2000
		for _, s := range topics {
			t := kmsg.NewDescribeTopicPartitionsRequestTopic()
			t.Topic = c.n(s)
			req.Topics = append(req.Topics, t)
		}
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		codes := map[string]int16{}
		var names []string
		for _, t := range r.(*kmsg.DescribeTopicPartitionsResponse).Topics {
			name := c.topicName(aclDeref(t.Topic), t.TopicID)
			codes[name] = t.ErrorCode
			if t.ErrorCode == 0 {
				names = append(names, name)
			}
		}
		if len(topics) == 0 {
			return aclList(c.e.ourTopics(names)), nil
		}
		return c.perTopic(codes), nil
	}
}

// aclDeleteTopicByID deletes a topic by id (DeleteTopics v6+); "" is an id
// no topic has.
func aclDeleteTopicByID(topic string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrDeleteTopicsRequest()
		req.TimeoutMillis = 15000
		t := kmsg.NewDeleteTopicsRequestTopic()
		if topic == "" {
			_, _ = rand.Read(t.TopicID[:])
		} else {
			t.TopicID = c.e.topicIDs[c.n(topic)]
		}
		req.Topics = []kmsg.DeleteTopicsRequestTopic{t}
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		var out []string
		for _, t := range r.(*kmsg.DeleteTopicsResponse).Topics {
			name := "null"
			if t.Topic != nil {
				name = c.e.short(*t.Topic)
			}
			out = append(out, aclCode(t.ErrorCode)+" name:"+name)
		}
		return strings.Join(out, " "), nil
	}
}

// aclOffsetDelete deletes a group's offsets of partition 0 of topics.
func aclOffsetDelete(group string, topics ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		g := c.n(group)
		co, err := c.coordinator(0, g)
		if err != nil {
			return "", err
		}
		req := kmsg.NewPtrOffsetDeleteRequest()
		req.Group = g
		for _, s := range topics {
			p := kmsg.NewOffsetDeleteRequestTopicPartition()
			p.Partition = 0
			t := kmsg.NewOffsetDeleteRequestTopic()
			t.Topic, t.Partitions = c.n(s), []kmsg.OffsetDeleteRequestTopicPartition{p}
			req.Topics = append(req.Topics, t)
		}
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		resp := r.(*kmsg.OffsetDeleteResponse)
		if resp.ErrorCode != 0 {
			return "group:" + aclCode(resp.ErrorCode), nil
		}
		codes := map[string]int16{}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				codes[t.Topic] = p.ErrorCode
			}
		}
		return c.perTopic(codes), nil
	}
}

// aclGroupMember sends a Heartbeat, SyncGroup or LeaveGroup for a member
// the group does not have.
func aclGroupMember(kind, group string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		g := c.n(group)
		co, err := c.coordinator(0, g)
		if err != nil {
			return "", err
		}
		member := "strait-acl-equivalence-nobody"
		var req kmsg.Request
		switch kind {
		case "Heartbeat":
			r := kmsg.NewPtrHeartbeatRequest()
			r.Group, r.Generation, r.MemberID = g, 1, member
			req = r
		case "SyncGroup":
			r := kmsg.NewPtrSyncGroupRequest()
			r.Group, r.Generation, r.MemberID = g, 1, member
			r.ProtocolType, r.Protocol = kmsg.StringPtr("consumer"), kmsg.StringPtr("range")
			req = r
		case "LeaveGroup":
			r := kmsg.NewPtrLeaveGroupRequest()
			m := kmsg.NewLeaveGroupRequestMember()
			m.MemberID = member
			r.Group, r.MemberID, r.Members = g, member, []kmsg.LeaveGroupRequestMember{m}
			req = r
		}
		resp, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		switch r := resp.(type) {
		case *kmsg.HeartbeatResponse:
			return aclCode(r.ErrorCode), nil
		case *kmsg.SyncGroupResponse:
			return aclCode(r.ErrorCode), nil
		case *kmsg.LeaveGroupResponse:
			s := aclCode(r.ErrorCode)
			for _, m := range r.Members {
				s += " member:" + aclCode(m.ErrorCode)
			}
			return s, nil
		}
		return "", fmt.Errorf("unexpected %T", resp)
	}
}

// aclDescribeClusterOps describes the cluster with its authorized
// operations.
func aclDescribeClusterOps() func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrDescribeClusterRequest()
		req.IncludeClusterAuthorizedOperations = true
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		resp := r.(*kmsg.DescribeClusterResponse)
		if resp.ErrorCode != 0 {
			return aclCode(resp.ErrorCode), nil
		}
		return aclOpsList(resp.ClusterAuthorizedOperations), nil
	}
}

// aclDescribeGroupConfigs describes a group's configs (KIP-848 group
// config resource).
func aclDescribeGroupConfigs(group string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrDescribeConfigsRequest()
		res := kmsg.NewDescribeConfigsRequestResource()
		res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeGroupConfig, c.n(group)
		req.Resources = []kmsg.DescribeConfigsRequestResource{res}
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		var out []string
		for _, res := range r.(*kmsg.DescribeConfigsResponse).Resources {
			out = append(out, aclCode(res.ErrorCode))
		}
		return strings.Join(out, " "), nil
	}
}

// aclFollowerFetch fetches as if it were the follower replica of broker
// 1, which needs CLUSTER_ACTION.
func aclFollowerFetch(topic string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrFetchRequest()
		req.MaxWaitMillis, req.MinBytes, req.MaxBytes = 50, 1, 1<<20
		req.SessionID, req.SessionEpoch = 0, -1
		req.ReplicaID = 1
		req.ReplicaState.ID, req.ReplicaState.Epoch = 1, -1
		name := c.n(topic)
		p := kmsg.NewFetchRequestTopicPartition()
		p.Partition, p.FetchOffset, p.PartitionMaxBytes = 0, 0, 1<<20
		t := kmsg.NewFetchRequestTopic()
		t.Topic, t.TopicID, t.Partitions = name, c.e.topicIDs[name], []kmsg.FetchRequestTopicPartition{p}
		req.Topics = []kmsg.FetchRequestTopic{t}
		r, err := c.send(c.leader(name), req)
		if err != nil {
			return "", err
		}
		resp := r.(*kmsg.FetchResponse)
		if resp.ErrorCode != 0 {
			return aclCode(resp.ErrorCode), nil
		}
		codes := map[string]int16{}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				codes[c.topicName(t.Topic, t.TopicID)] = p.ErrorCode
			}
		}
		return c.perTopic(codes), nil
	}
}

// aclDescribeACLBindings describes the ACL bindings on the run's topics,
// groups and transactional ids (other suites' bindings and the cluster's
// are left out), filtered by the caller's own principal when own is set.
// own renders the bindings; otherwise the principals they name.
func aclDescribeACLBindings(own bool) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrDescribeACLsRequest()
		req.ResourceType = kmsg.ACLResourceTypeAny
		req.ResourcePatternType = kmsg.ACLResourcePatternTypeAny
		req.Operation = kmsg.ACLOperationAny
		req.PermissionType = kmsg.ACLPermissionTypeAny
		if own {
			for p, cl := range c.tg.clients {
				if cl == c.cl {
					req.Principal = kmsg.StringPtr("User:" + p)
				}
			}
		}
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		resp := r.(*kmsg.DescribeACLsResponse)
		if resp.ErrorCode != 0 {
			return aclCode(resp.ErrorCode), nil
		}
		var out []string
		for _, res := range resp.Resources {
			if !strings.HasPrefix(res.ResourceName, c.e.run+"-") {
				continue
			}
			for _, a := range res.ACLs {
				if own {
					out = append(out, fmt.Sprintf("%s:%s:%s:%s:%s", res.ResourceType, res.ResourcePatternType,
						c.e.short(res.ResourceName), a.Operation, a.PermissionType))
				} else {
					out = append(out, strings.ReplaceAll(a.Principal, c.e.run, "eq-<run>"))
				}
			}
		}
		return aclList(out), nil
	}
}

// aclDeleteACLs deletes the binding the CreateAcls cells create.
func aclDeleteACLs() func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrDeleteACLsRequest()
		f := kmsg.NewDeleteACLsRequestFilter()
		f.ResourceType, f.ResourceName = kmsg.ACLResourceTypeTopic, kmsg.StringPtr(c.n("acl-made"))
		f.ResourcePatternType = kmsg.ACLResourcePatternTypeLiteral
		f.Principal = kmsg.StringPtr("User:" + c.e.n("nobody"))
		f.Operation, f.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
		req.Filters = []kmsg.DeleteACLsRequestFilter{f}
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		var out []string
		for _, res := range r.(*kmsg.DeleteACLsResponse).Results {
			out = append(out, aclCode(res.ErrorCode))
		}
		return strings.Join(out, " "), nil
	}
}

// aclFindCoordinators looks up several keys in one request (v4+),
// rendered per key.
func aclFindCoordinators(typ int8, keys ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.CoordinatorType = typ
		for _, k := range keys {
			req.CoordinatorKeys = append(req.CoordinatorKeys, c.n(k))
		}
		req.CoordinatorKey = req.CoordinatorKeys[0]
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		resp := r.(*kmsg.FindCoordinatorResponse)
		if len(resp.Coordinators) == 0 {
			return aclCode(resp.ErrorCode), nil
		}
		codes := map[string]int16{}
		for _, co := range resp.Coordinators {
			codes[co.Key] = co.ErrorCode
		}
		return c.perTopic(codes), nil
	}
}

// aclGroupsRequest sends a request naming groups to the coordinator of
// the first, rendered per group: DescribeGroups, DeleteGroups, or
// OffsetFetch v8+ of partition 0 of orders.
func aclGroupsRequest(kind string, groups ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		var names []string
		for _, g := range groups {
			names = append(names, c.n(g))
		}
		co, err := c.coordinator(0, names[0])
		if err != nil {
			return "", err
		}
		var req kmsg.Request
		switch kind {
		case "DescribeGroups":
			r := kmsg.NewPtrDescribeGroupsRequest()
			r.Groups = names
			req = r
		case "DeleteGroups":
			r := kmsg.NewPtrDeleteGroupsRequest()
			r.Groups = names
			req = r
		case "OffsetFetch":
			r := kmsg.NewPtrOffsetFetchRequest()
			for _, g := range names {
				rg := kmsg.NewOffsetFetchRequestGroup()
				t := kmsg.NewOffsetFetchRequestGroupTopic()
				t.Topic, t.TopicID, t.Partitions = c.n("orders"), c.e.topicIDs[c.n("orders")], []int32{0}
				rg.Group, rg.Topics = g, []kmsg.OffsetFetchRequestGroupTopic{t}
				r.Groups = append(r.Groups, rg)
			}
			req = r
		}
		resp, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		codes := map[string]int16{}
		switch r := resp.(type) {
		case *kmsg.DescribeGroupsResponse:
			for _, g := range r.Groups {
				codes[g.Group] = g.ErrorCode
			}
		case *kmsg.DeleteGroupsResponse:
			for _, g := range r.Groups {
				codes[g.Group] = g.ErrorCode
			}
		case *kmsg.OffsetFetchResponse:
			for _, g := range r.Groups {
				codes[g.Group] = g.ErrorCode
				for _, t := range g.Topics {
					for _, p := range t.Partitions {
						if g.ErrorCode == 0 {
							codes[g.Group] = p.ErrorCode
						}
					}
				}
			}
		}
		return c.perTopic(codes), nil
	}
}

// aclDescribeConfigsN describes several topics' configs in one request.
func aclDescribeConfigsN(topics ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrDescribeConfigsRequest()
		for _, s := range topics {
			res := kmsg.NewDescribeConfigsRequestResource()
			res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeTopic, c.n(s)
			req.Resources = append(req.Resources, res)
		}
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		codes := map[string]int16{}
		for _, res := range r.(*kmsg.DescribeConfigsResponse).Resources {
			codes[res.ResourceName] = res.ErrorCode
		}
		return c.perTopic(codes), nil
	}
}

// aclCreateTopicsN validates creating several topics in one request.
func aclCreateTopicsN(topics ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		req := kmsg.NewPtrCreateTopicsRequest()
		req.TimeoutMillis, req.ValidateOnly = 15000, true
		for _, s := range topics {
			t := kmsg.NewCreateTopicsRequestTopic()
			t.Topic, t.NumPartitions, t.ReplicationFactor = c.n(s), 1, 3
			req.Topics = append(req.Topics, t)
		}
		r, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		codes := map[string]int16{}
		for _, t := range r.(*kmsg.CreateTopicsResponse).Topics {
			codes[t.Topic] = t.ErrorCode
		}
		return c.perTopic(codes), nil
	}
}

// aclConsumerGroupRegex joins a KIP-848 group with a broker-side regex
// subscription matching orders and secret.
func aclConsumerGroupRegex(group string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		g := c.n(group)
		co, err := c.coordinator(0, g)
		if err != nil {
			return "", err
		}
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Group, req.MemberID, req.MemberEpoch, req.RebalanceTimeoutMillis = g, aclMemberID(), 0, 10000
		req.SubscribedTopicRegex = kmsg.StringPtr(c.e.run + "-(orders|secret)")
		req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		ec := r.(*kmsg.ConsumerGroupHeartbeatResponse).ErrorCode
		if ec == 0 {
			leave := kmsg.NewPtrConsumerGroupHeartbeatRequest()
			leave.Group, leave.MemberID, leave.MemberEpoch = g, req.MemberID, -1
			_, _ = c.send(co, leave)
		}
		return aclCode(ec), nil
	}
}

// aclShareGroupHeartbeat joins a share group subscribed to topics, and
// leaves it again when that worked.
func aclShareGroupHeartbeat(group string, topics ...string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		g := c.n(group)
		co, err := c.coordinator(0, g)
		if err != nil {
			return "", err
		}
		req := kmsg.NewPtrShareGroupHeartbeatRequest()
		req.GroupID, req.MemberID, req.MemberEpoch = g, aclMemberID(), 0
		for _, s := range topics {
			req.SubscribedTopicNames = append(req.SubscribedTopicNames, c.n(s))
		}
		r, err := c.send(co, req)
		if err != nil {
			return "", err
		}
		ec := r.(*kmsg.ShareGroupHeartbeatResponse).ErrorCode
		if ec == 0 {
			leave := kmsg.NewPtrShareGroupHeartbeatRequest()
			leave.GroupID, leave.MemberID, leave.MemberEpoch = g, req.MemberID, -1
			_, _ = c.send(co, leave)
		}
		return aclCode(ec), nil
	}
}

// aclClusterAdmin sends a cluster-wide admin request and renders its
// top-level code: ElectLeaders (preferred leader of orders' partition 0),
// DescribeLogDirs, ListPartitionReassignments,
// DescribeUserScramCredentials or DescribeClientQuotas.
func aclClusterAdmin(kind string) func(*aclCall) (string, error) {
	return func(c *aclCall) (string, error) {
		var req kmsg.Request
		switch kind {
		case "ElectLeaders":
			r := kmsg.NewPtrElectLeadersRequest()
			t := kmsg.NewElectLeadersRequestTopic()
			t.Topic, t.Partitions = c.n("orders"), []int32{0}
			r.Topics, r.TimeoutMillis = []kmsg.ElectLeadersRequestTopic{t}, 15000
			req = r
		case "DescribeLogDirs":
			r := kmsg.NewPtrDescribeLogDirsRequest()
			t := kmsg.NewDescribeLogDirsRequestTopic()
			t.Topic, t.Partitions = c.n("orders"), []int32{0}
			r.Topics = []kmsg.DescribeLogDirsRequestTopic{t}
			req = r
		case "ListPartitionReassignments":
			r := kmsg.NewPtrListPartitionReassignmentsRequest()
			r.TimeoutMillis = 15000
			req = r
		case "DescribeUserScramCredentials":
			// Named users: Kafka's error response for a null list (all
			// users) fails on the broker, which then never answers.
			r := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
			u := kmsg.NewDescribeUserSCRAMCredentialsRequestUser()
			u.Name = "alice"
			r.Users = []kmsg.DescribeUserSCRAMCredentialsRequestUser{u}
			req = r
		case "DescribeClientQuotas":
			req = kmsg.NewPtrDescribeClientQuotasRequest()
		}
		resp, err := c.send(c.anyBroker(), req)
		if err != nil {
			return "", err
		}
		switch r := resp.(type) {
		case *kmsg.ElectLeadersResponse:
			if r.ErrorCode != 0 {
				return aclCode(r.ErrorCode), nil
			}
			var out []string
			for _, t := range r.Topics {
				for _, p := range t.Partitions {
					out = append(out, "partition:"+aclCode(p.ErrorCode))
				}
			}
			return aclCode(r.ErrorCode) + " " + strings.Join(out, " "), nil
		case *kmsg.DescribeLogDirsResponse:
			return aclCode(r.ErrorCode), nil
		case *kmsg.ListPartitionReassignmentsResponse:
			return aclCode(r.ErrorCode), nil
		case *kmsg.DescribeUserSCRAMCredentialsResponse:
			return aclCode(r.ErrorCode), nil
		case *kmsg.DescribeClientQuotasResponse:
			return aclCode(r.ErrorCode), nil
		}
		return "", fmt.Errorf("unexpected %T", resp)
	}
}
