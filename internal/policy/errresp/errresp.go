// Package errresp builds the error response a Kafka broker would give to a
// request, shaped like the request: every topic, partition, group,
// transactional id... named in the request is answered with the error code,
// as Kafka's AbstractRequest.getErrorResponse does.
//
// Where a response has a top-level error code at the request's version, it is
// set too. Kafka sometimes answers with the top-level code alone (Fetch v13+,
// OffsetFetch v2+, AddPartitionsToTxn v4+, OffsetDelete, LeaveGroup v3+,
// DescribeQuorum, ShareFetch, ShareAcknowledge); here those responses also
// list every entry of the request with the code, which clients read the same
// way and which tells a client exactly what was refused. Offsets, epochs and
// ids in the answered entries are Kafka's "unknown" values (-1), as the
// broker sends them.
//
// A Produce request with Acks 0 gets no response on the wire; For still builds
// one, and the caller must not send it.
package errresp

import (
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrUnknownKey is returned, wrapped, by For for a request whose API key it
// has no error response for (broker-internal APIs, keys newer than kmsg) or
// whose type is not kmsg's request type for its key.
var ErrUnknownKey = errors.New("no error response for this api key")

// For returns the response to req (already decoded, req.GetVersion() set)
// where every entry carries code (a kerr code) and, where the response version
// has an error message field, msg (may be nil). The response has the same
// version as the request. It returns an error only for an API key it does not
// know.
//
// For does not modify req; the response shares no memory with it except
// strings and msg.
func For(req kmsg.Request, code int16, msg *string) (kmsg.Response, error) {
	if req == nil {
		return nil, fmt.Errorf("errresp: nil request: %w", ErrUnknownKey)
	}
	b, ok := builders[req.Key()]
	if !ok {
		return nil, fmt.Errorf("errresp: api key %d: %w", req.Key(), ErrUnknownKey)
	}
	resp, ok := b(req, refusal{code: code, msg: msg})
	if !ok {
		return nil, fmt.Errorf("errresp: api key %d: request type %T: %w", req.Key(), req, ErrUnknownKey)
	}
	resp.SetVersion(req.GetVersion())
	return resp, nil
}

// Keys lists the API keys For handles.
func Keys() []int16 {
	keys := make([]int16, 0, len(builders))
	for k := range builders {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// refusal is what every answered entry carries.
type refusal struct {
	code int16
	msg  *string
}

// builder answers one request type; ok is false when req is not that type.
type builder func(req kmsg.Request, e refusal) (resp kmsg.Response, ok bool)

// answer adapts a typed builder, so that a foreign kmsg.Request
// implementation with a known key is an error rather than a panic.
func answer[Req kmsg.Request, Resp kmsg.Response](f func(Req, refusal) Resp) builder {
	return func(req kmsg.Request, e refusal) (kmsg.Response, bool) {
		r, ok := req.(Req)
		if !ok {
			return nil, false
		}
		return f(r, e), true
	}
}

// builders holds every key For knows. Broker-internal keys (4-7, 27, KRaft,
// share-group state, controller registration) are left out on purpose: a
// client never sends them through a gateway.
var builders = map[int16]builder{
	0:  answer(produce),
	1:  answer(fetch),
	2:  answer(listOffsets),
	3:  answer(metadata),
	8:  answer(offsetCommit),
	9:  answer(offsetFetch),
	10: answer(findCoordinator),
	11: answer(joinGroup),
	12: answer(heartbeat),
	13: answer(leaveGroup),
	14: answer(syncGroup),
	15: answer(describeGroups),
	16: answer(listGroups),
	17: answer(saslHandshake),
	18: answer(apiVersions),
	19: answer(createTopics),
	20: answer(deleteTopics),
	21: answer(deleteRecords),
	22: answer(initProducerID),
	23: answer(offsetForLeaderEpoch),
	24: answer(addPartitionsToTxn),
	25: answer(addOffsetsToTxn),
	26: answer(endTxn),
	28: answer(txnOffsetCommit),
	29: answer(describeACLs),
	30: answer(createACLs),
	31: answer(deleteACLs),
	32: answer(describeConfigs),
	33: answer(alterConfigs),
	34: answer(alterReplicaLogDirs),
	35: answer(describeLogDirs),
	36: answer(saslAuthenticate),
	37: answer(createPartitions),
	38: answer(createDelegationToken),
	39: answer(renewDelegationToken),
	40: answer(expireDelegationToken),
	41: answer(describeDelegationToken),
	42: answer(deleteGroups),
	43: answer(electLeaders),
	44: answer(incrementalAlterConfigs),
	45: answer(alterPartitionAssignments),
	46: answer(listPartitionReassignments),
	47: answer(offsetDelete),
	48: answer(describeClientQuotas),
	49: answer(alterClientQuotas),
	50: answer(describeUserSCRAMCredentials),
	51: answer(alterUserSCRAMCredentials),
	55: answer(describeQuorum),
	57: answer(updateFeatures),
	60: answer(describeCluster),
	61: answer(describeProducers),
	64: answer(unregisterBroker),
	65: answer(describeTransactions),
	66: answer(listTransactions),
	68: answer(consumerGroupHeartbeat),
	69: answer(consumerGroupDescribe),
	71: answer(getTelemetrySubscriptions),
	72: answer(pushTelemetry),
	74: answer(listConfigResources),
	75: answer(describeTopicPartitions),
	76: answer(shareGroupHeartbeat),
	77: answer(shareGroupDescribe),
	78: answer(shareFetch),
	79: answer(shareAcknowledge),
	88: answer(streamsGroupHeartbeat),
	89: answer(streamsGroupDescribe),
	90: answer(describeShareGroupOffsets),
	91: answer(alterShareGroupOffsets),
	92: answer(deleteShareGroupOffsets),
	93: answer(streamsGroupTopologyDescriptionUpdate),
}

// mirror answers each entry of a request list. The result is never nil, so a
// nullable response array is sent empty, not null, as Kafka does.
func mirror[In, Out any](in []In, f func(*In) Out) []Out {
	out := make([]Out, 0, len(in))
	for i := range in {
		out = append(out, f(&in[i]))
	}
	return out
}

// names answers a request list of names.
func names[Out any](in []string, f func(string) Out) []Out {
	out := make([]Out, 0, len(in))
	for _, s := range in {
		out = append(out, f(s))
	}
	return out
}

// ptr returns a pointer to a copy of s, for names that are nullable in the
// response but not in the request.
func ptr(s string) *string { return &s }

// Produce (0). Offsets are -1 as in Kafka's PartitionResponse for an error.
func produce(r *kmsg.ProduceRequest, e refusal) *kmsg.ProduceResponse {
	resp := kmsg.NewPtrProduceResponse()
	resp.Topics = mirror(r.Topics, func(t *kmsg.ProduceRequestTopic) kmsg.ProduceResponseTopic {
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		rt.Partitions = mirror(t.Partitions, func(p *kmsg.ProduceRequestTopicPartition) kmsg.ProduceResponseTopicPartition {
			rp := kmsg.NewProduceResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = e.code
			rp.ErrorMessage = e.msg
			rp.BaseOffset = -1
			rp.LogAppendTime = -1
			rp.LogStartOffset = -1
			return rp
		})
		return rt
	})
	return resp
}

// Fetch (1). The top-level code exists from v7; Kafka drops the partitions
// from v13, they are kept here (see the package comment).
func fetch(r *kmsg.FetchRequest, e refusal) *kmsg.FetchResponse {
	resp := kmsg.NewPtrFetchResponse()
	if r.Version >= 7 {
		resp.ErrorCode = e.code
		resp.SessionID = r.SessionID
	}
	resp.Topics = mirror(r.Topics, func(t *kmsg.FetchRequestTopic) kmsg.FetchResponseTopic {
		rt := kmsg.NewFetchResponseTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		rt.Partitions = mirror(t.Partitions, func(p *kmsg.FetchRequestTopicPartition) kmsg.FetchResponseTopicPartition {
			rp := kmsg.NewFetchResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = e.code
			rp.HighWatermark = -1
			rp.LastStableOffset = -1
			rp.LogStartOffset = -1
			rp.RecordBatches = []byte{}
			return rp
		})
		return rt
	})
	return resp
}

// ListOffsets (2). kmsg's defaults are Kafka's unknown timestamp, offset and
// epoch (-1).
func listOffsets(r *kmsg.ListOffsetsRequest, e refusal) *kmsg.ListOffsetsResponse {
	resp := kmsg.NewPtrListOffsetsResponse()
	resp.Topics = mirror(r.Topics, func(t *kmsg.ListOffsetsRequestTopic) kmsg.ListOffsetsResponseTopic {
		rt := kmsg.NewListOffsetsResponseTopic()
		rt.Topic = t.Topic
		rt.Partitions = mirror(t.Partitions, func(p *kmsg.ListOffsetsRequestTopicPartition) kmsg.ListOffsetsResponseTopicPartition {
			rp := kmsg.NewListOffsetsResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = e.code
			return rp
		})
		return rt
	})
	return resp
}

// Metadata (3). A request for all topics (null list, or empty at v0) gets an
// empty topic list; no brokers either way. A topic asked for by id gets an
// empty name, as Kafka sends: the name is not nullable before v12.
func metadata(r *kmsg.MetadataRequest, e refusal) *kmsg.MetadataResponse {
	resp := kmsg.NewPtrMetadataResponse()
	if r.Version >= 13 {
		resp.ErrorCode = e.code
	}
	resp.Topics = mirror(r.Topics, func(t *kmsg.MetadataRequestTopic) kmsg.MetadataResponseTopic {
		rt := kmsg.NewMetadataResponseTopic()
		rt.Topic = ptr("")
		if t.Topic != nil {
			rt.Topic = ptr(*t.Topic)
		}
		rt.TopicID = t.TopicID
		rt.ErrorCode = e.code
		rt.Partitions = []kmsg.MetadataResponseTopicPartition{}
		return rt
	})
	return resp
}

// OffsetCommit (8).
func offsetCommit(r *kmsg.OffsetCommitRequest, e refusal) *kmsg.OffsetCommitResponse {
	resp := kmsg.NewPtrOffsetCommitResponse()
	resp.Topics = mirror(r.Topics, func(t *kmsg.OffsetCommitRequestTopic) kmsg.OffsetCommitResponseTopic {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		rt.Partitions = mirror(t.Partitions, func(p *kmsg.OffsetCommitRequestTopicPartition) kmsg.OffsetCommitResponseTopicPartition {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = e.code
			return rp
		})
		return rt
	})
	return resp
}

// OffsetFetch (9). v0-7 answer one group: its partitions, plus the top-level
// code from v2. v8+ answer each group with its own code. A null topic list
// (all topics) gets no topics. Partitions carry offset -1 and empty metadata,
// Kafka's INVALID_OFFSET and NO_METADATA.
func offsetFetch(r *kmsg.OffsetFetchRequest, e refusal) *kmsg.OffsetFetchResponse {
	resp := kmsg.NewPtrOffsetFetchResponse()
	if r.Version >= 8 {
		resp.Groups = mirror(r.Groups, func(g *kmsg.OffsetFetchRequestGroup) kmsg.OffsetFetchResponseGroup {
			rg := kmsg.NewOffsetFetchResponseGroup()
			rg.Group = g.Group
			rg.ErrorCode = e.code
			rg.Topics = mirror(g.Topics, func(t *kmsg.OffsetFetchRequestGroupTopic) kmsg.OffsetFetchResponseGroupTopic {
				rt := kmsg.NewOffsetFetchResponseGroupTopic()
				rt.Topic, rt.TopicID = t.Topic, t.TopicID
				rt.Partitions = make([]kmsg.OffsetFetchResponseGroupTopicPartition, 0, len(t.Partitions))
				for _, p := range t.Partitions {
					rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
					rp.Partition = p
					rp.Offset = -1
					rp.Metadata = ptr("")
					rp.ErrorCode = e.code
					rt.Partitions = append(rt.Partitions, rp)
				}
				return rt
			})
			return rg
		})
		return resp
	}
	if r.Version >= 2 {
		resp.ErrorCode = e.code
	}
	resp.Topics = mirror(r.Topics, func(t *kmsg.OffsetFetchRequestTopic) kmsg.OffsetFetchResponseTopic {
		rt := kmsg.NewOffsetFetchResponseTopic()
		rt.Topic = t.Topic
		rt.Partitions = make([]kmsg.OffsetFetchResponseTopicPartition, 0, len(t.Partitions))
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetFetchResponseTopicPartition()
			rp.Partition = p
			rp.Offset = -1
			rp.Metadata = ptr("")
			rp.ErrorCode = e.code
			rt.Partitions = append(rt.Partitions, rp)
		}
		return rt
	})
	return resp
}

// FindCoordinator (10). Before v4 one coordinator, from v4 one per key; either
// way no node (-1, "", -1), as Kafka's Node.noNode.
func findCoordinator(r *kmsg.FindCoordinatorRequest, e refusal) *kmsg.FindCoordinatorResponse {
	resp := kmsg.NewPtrFindCoordinatorResponse()
	if r.Version >= 4 {
		resp.Coordinators = names(r.CoordinatorKeys, func(key string) kmsg.FindCoordinatorResponseCoordinator {
			c := kmsg.NewFindCoordinatorResponseCoordinator()
			c.Key = key
			c.NodeID, c.Host, c.Port = -1, "", -1
			c.ErrorCode = e.code
			c.ErrorMessage = e.msg
			return c
		})
		return resp
	}
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	resp.NodeID, resp.Host, resp.Port = -1, "", -1
	return resp
}

// JoinGroup (11). The member id is the request's, so a client keeps its
// identity across the refusal (Kafka sends ""). The protocol name is null
// from v7 and "" before, where it is not nullable.
func joinGroup(r *kmsg.JoinGroupRequest, e refusal) *kmsg.JoinGroupResponse {
	resp := kmsg.NewPtrJoinGroupResponse()
	resp.ErrorCode = e.code
	resp.Generation = -1
	if r.Version < 7 {
		resp.Protocol = ptr("")
	}
	resp.MemberID = r.MemberID
	resp.Members = []kmsg.JoinGroupResponseMember{}
	return resp
}

// Heartbeat (12).
func heartbeat(_ *kmsg.HeartbeatRequest, e refusal) *kmsg.HeartbeatResponse {
	resp := kmsg.NewPtrHeartbeatResponse()
	resp.ErrorCode = e.code
	return resp
}

// LeaveGroup (13). From v3 each leaving member is answered too.
func leaveGroup(r *kmsg.LeaveGroupRequest, e refusal) *kmsg.LeaveGroupResponse {
	resp := kmsg.NewPtrLeaveGroupResponse()
	resp.ErrorCode = e.code
	if r.Version >= 3 {
		resp.Members = mirror(r.Members, func(m *kmsg.LeaveGroupRequestMember) kmsg.LeaveGroupResponseMember {
			rm := kmsg.NewLeaveGroupResponseMember()
			rm.MemberID, rm.InstanceID = m.MemberID, m.InstanceID
			rm.ErrorCode = e.code
			return rm
		})
	}
	return resp
}

// SyncGroup (14).
func syncGroup(_ *kmsg.SyncGroupRequest, e refusal) *kmsg.SyncGroupResponse {
	resp := kmsg.NewPtrSyncGroupResponse()
	resp.ErrorCode = e.code
	resp.MemberAssignment = []byte{}
	return resp
}

// DescribeGroups (15). State, protocol type and protocol are empty, Kafka's
// UNKNOWN_STATE and friends.
func describeGroups(r *kmsg.DescribeGroupsRequest, e refusal) *kmsg.DescribeGroupsResponse {
	resp := kmsg.NewPtrDescribeGroupsResponse()
	resp.Groups = names(r.Groups, func(g string) kmsg.DescribeGroupsResponseGroup {
		rg := kmsg.NewDescribeGroupsResponseGroup()
		rg.Group = g
		rg.ErrorCode = e.code
		rg.ErrorMessage = e.msg
		return rg
	})
	return resp
}

// ListGroups (16).
func listGroups(_ *kmsg.ListGroupsRequest, e refusal) *kmsg.ListGroupsResponse {
	resp := kmsg.NewPtrListGroupsResponse()
	resp.ErrorCode = e.code
	return resp
}

// SASLHandshake (17).
func saslHandshake(_ *kmsg.SASLHandshakeRequest, e refusal) *kmsg.SASLHandshakeResponse {
	resp := kmsg.NewPtrSASLHandshakeResponse()
	resp.ErrorCode = e.code
	return resp
}

// ApiVersions (18): the code and no keys.
func apiVersions(_ *kmsg.ApiVersionsRequest, e refusal) *kmsg.ApiVersionsResponse {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.ErrorCode = e.code
	return resp
}

// CreateTopics (19). kmsg's defaults give -1 partitions and replication
// factor from v5, as Kafka.
func createTopics(r *kmsg.CreateTopicsRequest, e refusal) *kmsg.CreateTopicsResponse {
	resp := kmsg.NewPtrCreateTopicsResponse()
	resp.Topics = mirror(r.Topics, func(t *kmsg.CreateTopicsRequestTopic) kmsg.CreateTopicsResponseTopic {
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic = t.Topic
		rt.ErrorCode = e.code
		rt.ErrorMessage = e.msg
		rt.Configs = []kmsg.CreateTopicsResponseTopicConfig{}
		return rt
	})
	return resp
}

// DeleteTopics (20): names before v6, name-or-id entries from v6.
func deleteTopics(r *kmsg.DeleteTopicsRequest, e refusal) *kmsg.DeleteTopicsResponse {
	resp := kmsg.NewPtrDeleteTopicsResponse()
	if r.Version >= 6 {
		resp.Topics = mirror(r.Topics, func(t *kmsg.DeleteTopicsRequestTopic) kmsg.DeleteTopicsResponseTopic {
			rt := kmsg.NewDeleteTopicsResponseTopic()
			rt.Topic, rt.TopicID = t.Topic, t.TopicID
			rt.ErrorCode = e.code
			rt.ErrorMessage = e.msg
			return rt
		})
		return resp
	}
	resp.Topics = names(r.TopicNames, func(name string) kmsg.DeleteTopicsResponseTopic {
		rt := kmsg.NewDeleteTopicsResponseTopic()
		rt.Topic = ptr(name)
		rt.ErrorCode = e.code
		rt.ErrorMessage = e.msg
		return rt
	})
	return resp
}

// DeleteRecords (21). The low watermark is -1, Kafka's INVALID_LOW_WATERMARK.
func deleteRecords(r *kmsg.DeleteRecordsRequest, e refusal) *kmsg.DeleteRecordsResponse {
	resp := kmsg.NewPtrDeleteRecordsResponse()
	resp.Topics = mirror(r.Topics, func(t *kmsg.DeleteRecordsRequestTopic) kmsg.DeleteRecordsResponseTopic {
		rt := kmsg.NewDeleteRecordsResponseTopic()
		rt.Topic = t.Topic
		rt.Partitions = mirror(t.Partitions, func(p *kmsg.DeleteRecordsRequestTopicPartition) kmsg.DeleteRecordsResponseTopicPartition {
			rp := kmsg.NewDeleteRecordsResponseTopicPartition()
			rp.Partition = p.Partition
			rp.LowWatermark = -1
			rp.ErrorCode = e.code
			return rp
		})
		return rt
	})
	return resp
}

// InitProducerID (22): no producer id, no epoch.
func initProducerID(_ *kmsg.InitProducerIDRequest, e refusal) *kmsg.InitProducerIDResponse {
	resp := kmsg.NewPtrInitProducerIDResponse()
	resp.ErrorCode = e.code
	resp.ProducerID = -1
	resp.ProducerEpoch = -1
	return resp
}

// OffsetForLeaderEpoch (23). kmsg's defaults are Kafka's UNDEFINED_EPOCH and
// UNDEFINED_EPOCH_OFFSET (-1).
func offsetForLeaderEpoch(r *kmsg.OffsetForLeaderEpochRequest, e refusal) *kmsg.OffsetForLeaderEpochResponse {
	resp := kmsg.NewPtrOffsetForLeaderEpochResponse()
	resp.Topics = mirror(r.Topics, func(t *kmsg.OffsetForLeaderEpochRequestTopic) kmsg.OffsetForLeaderEpochResponseTopic {
		rt := kmsg.NewOffsetForLeaderEpochResponseTopic()
		rt.Topic = t.Topic
		rt.Partitions = mirror(t.Partitions, func(p *kmsg.OffsetForLeaderEpochRequestTopicPartition) kmsg.OffsetForLeaderEpochResponseTopicPartition {
			rp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = e.code
			rp.LeaderEpoch = -1
			rp.EndOffset = -1
			return rp
		})
		return rt
	})
	return resp
}

// AddPartitionsToTxn (24): one transaction's partitions before v4; from v4
// the top-level code, which is all Kafka sends, and each transaction.
func addPartitionsToTxn(r *kmsg.AddPartitionsToTxnRequest, e refusal) *kmsg.AddPartitionsToTxnResponse {
	resp := kmsg.NewPtrAddPartitionsToTxnResponse()
	if r.Version < 4 {
		resp.Topics = mirror(r.Topics, func(t *kmsg.AddPartitionsToTxnRequestTopic) kmsg.AddPartitionsToTxnResponseTopic {
			rt := kmsg.NewAddPartitionsToTxnResponseTopic()
			rt.Topic = t.Topic
			rt.Partitions = make([]kmsg.AddPartitionsToTxnResponseTopicPartition, 0, len(t.Partitions))
			for _, p := range t.Partitions {
				rp := kmsg.NewAddPartitionsToTxnResponseTopicPartition()
				rp.Partition = p
				rp.ErrorCode = e.code
				rt.Partitions = append(rt.Partitions, rp)
			}
			return rt
		})
		return resp
	}
	resp.ErrorCode = e.code
	resp.Transactions = mirror(r.Transactions, func(x *kmsg.AddPartitionsToTxnRequestTransaction) kmsg.AddPartitionsToTxnResponseTransaction {
		rx := kmsg.NewAddPartitionsToTxnResponseTransaction()
		rx.TransactionalID = x.TransactionalID
		rx.Topics = mirror(x.Topics, func(t *kmsg.AddPartitionsToTxnRequestTransactionTopic) kmsg.AddPartitionsToTxnResponseTransactionTopic {
			rt := kmsg.NewAddPartitionsToTxnResponseTransactionTopic()
			rt.Topic = t.Topic
			rt.Partitions = make([]kmsg.AddPartitionsToTxnResponseTransactionTopicPartition, 0, len(t.Partitions))
			for _, p := range t.Partitions {
				rp := kmsg.NewAddPartitionsToTxnResponseTransactionTopicPartition()
				rp.Partition = p
				rp.ErrorCode = e.code
				rt.Partitions = append(rt.Partitions, rp)
			}
			return rt
		})
		return rx
	})
	return resp
}

// AddOffsetsToTxn (25).
func addOffsetsToTxn(_ *kmsg.AddOffsetsToTxnRequest, e refusal) *kmsg.AddOffsetsToTxnResponse {
	resp := kmsg.NewPtrAddOffsetsToTxnResponse()
	resp.ErrorCode = e.code
	return resp
}

// EndTxn (26). kmsg's defaults give no producer id and epoch (-1) from v5.
func endTxn(_ *kmsg.EndTxnRequest, e refusal) *kmsg.EndTxnResponse {
	resp := kmsg.NewPtrEndTxnResponse()
	resp.ErrorCode = e.code
	return resp
}

// TxnOffsetCommit (28).
func txnOffsetCommit(r *kmsg.TxnOffsetCommitRequest, e refusal) *kmsg.TxnOffsetCommitResponse {
	resp := kmsg.NewPtrTxnOffsetCommitResponse()
	resp.Topics = mirror(r.Topics, func(t *kmsg.TxnOffsetCommitRequestTopic) kmsg.TxnOffsetCommitResponseTopic {
		rt := kmsg.NewTxnOffsetCommitResponseTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		rt.Partitions = mirror(t.Partitions, func(p *kmsg.TxnOffsetCommitRequestTopicPartition) kmsg.TxnOffsetCommitResponseTopicPartition {
			rp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = e.code
			return rp
		})
		return rt
	})
	return resp
}

// DescribeACLs (29).
func describeACLs(_ *kmsg.DescribeACLsRequest, e refusal) *kmsg.DescribeACLsResponse {
	resp := kmsg.NewPtrDescribeACLsResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	return resp
}

// CreateACLs (30): one result per creation, in order.
func createACLs(r *kmsg.CreateACLsRequest, e refusal) *kmsg.CreateACLsResponse {
	resp := kmsg.NewPtrCreateACLsResponse()
	resp.Results = mirror(r.Creations, func(*kmsg.CreateACLsRequestCreation) kmsg.CreateACLsResponseResult {
		rr := kmsg.NewCreateACLsResponseResult()
		rr.ErrorCode = e.code
		rr.ErrorMessage = e.msg
		return rr
	})
	return resp
}

// DeleteACLs (31): one result per filter, in order, matching nothing.
func deleteACLs(r *kmsg.DeleteACLsRequest, e refusal) *kmsg.DeleteACLsResponse {
	resp := kmsg.NewPtrDeleteACLsResponse()
	resp.Results = mirror(r.Filters, func(*kmsg.DeleteACLsRequestFilter) kmsg.DeleteACLsResponseResult {
		rr := kmsg.NewDeleteACLsResponseResult()
		rr.ErrorCode = e.code
		rr.ErrorMessage = e.msg
		return rr
	})
	return resp
}

// DescribeConfigs (32).
func describeConfigs(r *kmsg.DescribeConfigsRequest, e refusal) *kmsg.DescribeConfigsResponse {
	resp := kmsg.NewPtrDescribeConfigsResponse()
	resp.Resources = mirror(r.Resources, func(x *kmsg.DescribeConfigsRequestResource) kmsg.DescribeConfigsResponseResource {
		rx := kmsg.NewDescribeConfigsResponseResource()
		rx.ResourceType, rx.ResourceName = x.ResourceType, x.ResourceName
		rx.ErrorCode = e.code
		rx.ErrorMessage = e.msg
		return rx
	})
	return resp
}

// AlterConfigs (33).
func alterConfigs(r *kmsg.AlterConfigsRequest, e refusal) *kmsg.AlterConfigsResponse {
	resp := kmsg.NewPtrAlterConfigsResponse()
	resp.Resources = mirror(r.Resources, func(x *kmsg.AlterConfigsRequestResource) kmsg.AlterConfigsResponseResource {
		rx := kmsg.NewAlterConfigsResponseResource()
		rx.ResourceType, rx.ResourceName = x.ResourceType, x.ResourceName
		rx.ErrorCode = e.code
		rx.ErrorMessage = e.msg
		return rx
	})
	return resp
}

// AlterReplicaLogDirs (34): one topic entry per directory and topic, as
// Kafka, which does not merge a topic named under two directories.
func alterReplicaLogDirs(r *kmsg.AlterReplicaLogDirsRequest, e refusal) *kmsg.AlterReplicaLogDirsResponse {
	resp := kmsg.NewPtrAlterReplicaLogDirsResponse()
	resp.Topics = []kmsg.AlterReplicaLogDirsResponseTopic{}
	for i := range r.Dirs {
		for _, t := range r.Dirs[i].Topics {
			rt := kmsg.NewAlterReplicaLogDirsResponseTopic()
			rt.Topic = t.Topic
			rt.Partitions = make([]kmsg.AlterReplicaLogDirsResponseTopicPartition, 0, len(t.Partitions))
			for _, p := range t.Partitions {
				rp := kmsg.NewAlterReplicaLogDirsResponseTopicPartition()
				rp.Partition = p
				rp.ErrorCode = e.code
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
	}
	return resp
}

// DescribeLogDirs (35). The response lists directories, which the request
// does not name, so only the top-level code (v3+) can carry the error; before
// v3 the answer is an empty list, as Kafka's.
func describeLogDirs(r *kmsg.DescribeLogDirsRequest, e refusal) *kmsg.DescribeLogDirsResponse {
	resp := kmsg.NewPtrDescribeLogDirsResponse()
	if r.Version >= 3 {
		resp.ErrorCode = e.code
	}
	return resp
}

// SASLAuthenticate (36).
func saslAuthenticate(_ *kmsg.SASLAuthenticateRequest, e refusal) *kmsg.SASLAuthenticateResponse {
	resp := kmsg.NewPtrSASLAuthenticateResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	resp.SASLAuthBytes = []byte{}
	return resp
}

// CreatePartitions (37).
func createPartitions(r *kmsg.CreatePartitionsRequest, e refusal) *kmsg.CreatePartitionsResponse {
	resp := kmsg.NewPtrCreatePartitionsResponse()
	resp.Topics = mirror(r.Topics, func(t *kmsg.CreatePartitionsRequestTopic) kmsg.CreatePartitionsResponseTopic {
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic = t.Topic
		rt.ErrorCode = e.code
		rt.ErrorMessage = e.msg
		return rt
	})
	return resp
}

// CreateDelegationToken (38). Owner and requester are Kafka's
// KafkaPrincipal.ANONYMOUS and the timestamps -1, as in its error response.
func createDelegationToken(_ *kmsg.CreateDelegationTokenRequest, e refusal) *kmsg.CreateDelegationTokenResponse {
	resp := kmsg.NewPtrCreateDelegationTokenResponse()
	resp.ErrorCode = e.code
	resp.PrincipalType, resp.PrincipalName = "User", "ANONYMOUS"
	resp.TokenRequesterPrincipalType, resp.TokenRequesterPrincipalName = "User", "ANONYMOUS"
	resp.IssueTimestamp, resp.ExpiryTimestamp, resp.MaxTimestamp = -1, -1, -1
	resp.HMAC = []byte{}
	return resp
}

// RenewDelegationToken (39). The expiry is -1, the broker's own value when it
// refuses a renewal.
func renewDelegationToken(_ *kmsg.RenewDelegationTokenRequest, e refusal) *kmsg.RenewDelegationTokenResponse {
	resp := kmsg.NewPtrRenewDelegationTokenResponse()
	resp.ErrorCode = e.code
	resp.ExpiryTimestamp = -1
	return resp
}

// ExpireDelegationToken (40), as RenewDelegationToken.
func expireDelegationToken(_ *kmsg.ExpireDelegationTokenRequest, e refusal) *kmsg.ExpireDelegationTokenResponse {
	resp := kmsg.NewPtrExpireDelegationTokenResponse()
	resp.ErrorCode = e.code
	resp.ExpiryTimestamp = -1
	return resp
}

// DescribeDelegationToken (41).
func describeDelegationToken(_ *kmsg.DescribeDelegationTokenRequest, e refusal) *kmsg.DescribeDelegationTokenResponse {
	resp := kmsg.NewPtrDescribeDelegationTokenResponse()
	resp.ErrorCode = e.code
	return resp
}

// DeleteGroups (42).
func deleteGroups(r *kmsg.DeleteGroupsRequest, e refusal) *kmsg.DeleteGroupsResponse {
	resp := kmsg.NewPtrDeleteGroupsResponse()
	resp.Groups = names(r.Groups, func(g string) kmsg.DeleteGroupsResponseGroup {
		rg := kmsg.NewDeleteGroupsResponseGroup()
		rg.Group = g
		rg.ErrorCode = e.code
		rg.ErrorMessage = e.msg
		return rg
	})
	return resp
}

// ElectLeaders (43). A null topic list (all partitions) gets no topics.
func electLeaders(r *kmsg.ElectLeadersRequest, e refusal) *kmsg.ElectLeadersResponse {
	resp := kmsg.NewPtrElectLeadersResponse()
	if r.Version >= 1 {
		resp.ErrorCode = e.code
	}
	resp.Topics = mirror(r.Topics, func(t *kmsg.ElectLeadersRequestTopic) kmsg.ElectLeadersResponseTopic {
		rt := kmsg.NewElectLeadersResponseTopic()
		rt.Topic = t.Topic
		rt.Partitions = make([]kmsg.ElectLeadersResponseTopicPartition, 0, len(t.Partitions))
		for _, p := range t.Partitions {
			rp := kmsg.NewElectLeadersResponseTopicPartition()
			rp.Partition = p
			rp.ErrorCode = e.code
			rp.ErrorMessage = e.msg
			rt.Partitions = append(rt.Partitions, rp)
		}
		return rt
	})
	return resp
}

// IncrementalAlterConfigs (44).
func incrementalAlterConfigs(r *kmsg.IncrementalAlterConfigsRequest, e refusal) *kmsg.IncrementalAlterConfigsResponse {
	resp := kmsg.NewPtrIncrementalAlterConfigsResponse()
	resp.Resources = mirror(r.Resources, func(x *kmsg.IncrementalAlterConfigsRequestResource) kmsg.IncrementalAlterConfigsResponseResource {
		rx := kmsg.NewIncrementalAlterConfigsResponseResource()
		rx.ResourceType, rx.ResourceName = x.ResourceType, x.ResourceName
		rx.ErrorCode = e.code
		rx.ErrorMessage = e.msg
		return rx
	})
	return resp
}

// AlterPartitionAssignments (45): the top-level code and every partition.
func alterPartitionAssignments(r *kmsg.AlterPartitionAssignmentsRequest, e refusal) *kmsg.AlterPartitionAssignmentsResponse {
	resp := kmsg.NewPtrAlterPartitionAssignmentsResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	resp.Topics = mirror(r.Topics, func(t *kmsg.AlterPartitionAssignmentsRequestTopic) kmsg.AlterPartitionAssignmentsResponseTopic {
		rt := kmsg.NewAlterPartitionAssignmentsResponseTopic()
		rt.Topic = t.Topic
		rt.Partitions = mirror(t.Partitions, func(p *kmsg.AlterPartitionAssignmentsRequestTopicPartition) kmsg.AlterPartitionAssignmentsResponseTopicPartition {
			rp := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = e.code
			rp.ErrorMessage = e.msg
			return rp
		})
		return rt
	})
	return resp
}

// ListPartitionReassignments (46). Partitions have no code of their own;
// they are listed with no reassignment, as Kafka does.
func listPartitionReassignments(r *kmsg.ListPartitionReassignmentsRequest, e refusal) *kmsg.ListPartitionReassignmentsResponse {
	resp := kmsg.NewPtrListPartitionReassignmentsResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	resp.Topics = mirror(r.Topics, func(t *kmsg.ListPartitionReassignmentsRequestTopic) kmsg.ListPartitionReassignmentsResponseTopic {
		rt := kmsg.NewListPartitionReassignmentsResponseTopic()
		rt.Topic = t.Topic
		rt.Partitions = make([]kmsg.ListPartitionReassignmentsResponseTopicPartition, 0, len(t.Partitions))
		for _, p := range t.Partitions {
			rp := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
			rp.Partition = p
			rt.Partitions = append(rt.Partitions, rp)
		}
		return rt
	})
	return resp
}

// OffsetDelete (47): the top-level code, which is all Kafka sends, and every
// partition.
func offsetDelete(r *kmsg.OffsetDeleteRequest, e refusal) *kmsg.OffsetDeleteResponse {
	resp := kmsg.NewPtrOffsetDeleteResponse()
	resp.ErrorCode = e.code
	resp.Topics = mirror(r.Topics, func(t *kmsg.OffsetDeleteRequestTopic) kmsg.OffsetDeleteResponseTopic {
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		rt.Partitions = mirror(t.Partitions, func(p *kmsg.OffsetDeleteRequestTopicPartition) kmsg.OffsetDeleteResponseTopicPartition {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = e.code
			return rp
		})
		return rt
	})
	return resp
}

// DescribeClientQuotas (48): null entries, as Kafka.
func describeClientQuotas(_ *kmsg.DescribeClientQuotasRequest, e refusal) *kmsg.DescribeClientQuotasResponse {
	resp := kmsg.NewPtrDescribeClientQuotasResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	return resp
}

// AlterClientQuotas (49): each entry, named by its entity.
func alterClientQuotas(r *kmsg.AlterClientQuotasRequest, e refusal) *kmsg.AlterClientQuotasResponse {
	resp := kmsg.NewPtrAlterClientQuotasResponse()
	resp.Entries = mirror(r.Entries, func(x *kmsg.AlterClientQuotasRequestEntry) kmsg.AlterClientQuotasResponseEntry {
		rx := kmsg.NewAlterClientQuotasResponseEntry()
		rx.ErrorCode = e.code
		rx.ErrorMessage = e.msg
		rx.Entity = mirror(x.Entity, func(en *kmsg.AlterClientQuotasRequestEntryEntity) kmsg.AlterClientQuotasResponseEntryEntity {
			ren := kmsg.NewAlterClientQuotasResponseEntryEntity()
			ren.Type, ren.Name = en.Type, en.Name
			return ren
		})
		return rx
	})
	return resp
}

// DescribeUserSCRAMCredentials (50): the top-level code and each named user
// (none for a null list, which asks for all users).
func describeUserSCRAMCredentials(r *kmsg.DescribeUserSCRAMCredentialsRequest, e refusal) *kmsg.DescribeUserSCRAMCredentialsResponse {
	resp := kmsg.NewPtrDescribeUserSCRAMCredentialsResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	resp.Results = mirror(r.Users, func(u *kmsg.DescribeUserSCRAMCredentialsRequestUser) kmsg.DescribeUserSCRAMCredentialsResponseResult {
		ru := kmsg.NewDescribeUserSCRAMCredentialsResponseResult()
		ru.User = u.Name
		ru.ErrorCode = e.code
		ru.ErrorMessage = e.msg
		return ru
	})
	return resp
}

// AlterUserSCRAMCredentials (51): one result per distinct user named in the
// deletions and upsertions, sorted, as Kafka.
func alterUserSCRAMCredentials(r *kmsg.AlterUserSCRAMCredentialsRequest, e refusal) *kmsg.AlterUserSCRAMCredentialsResponse {
	resp := kmsg.NewPtrAlterUserSCRAMCredentialsResponse()
	users := make([]string, 0, len(r.Deletions)+len(r.Upsertions))
	for _, d := range r.Deletions {
		users = append(users, d.Name)
	}
	for _, u := range r.Upsertions {
		users = append(users, u.Name)
	}
	slices.Sort(users)
	resp.Results = names(slices.Compact(users), func(u string) kmsg.AlterUserSCRAMCredentialsResponseResult {
		ru := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
		ru.User = u
		ru.ErrorCode = e.code
		ru.ErrorMessage = e.msg
		return ru
	})
	return resp
}

// DescribeQuorum (55): the top-level code, which is all Kafka sends, and each
// partition with no leader (-1).
func describeQuorum(r *kmsg.DescribeQuorumRequest, e refusal) *kmsg.DescribeQuorumResponse {
	resp := kmsg.NewPtrDescribeQuorumResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	resp.Topics = mirror(r.Topics, func(t *kmsg.DescribeQuorumRequestTopic) kmsg.DescribeQuorumResponseTopic {
		rt := kmsg.NewDescribeQuorumResponseTopic()
		rt.Topic = t.Topic
		rt.Partitions = mirror(t.Partitions, func(p *kmsg.DescribeQuorumRequestTopicPartition) kmsg.DescribeQuorumResponseTopicPartition {
			rp := kmsg.NewDescribeQuorumResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = e.code
			rp.ErrorMessage = e.msg
			rp.LeaderID, rp.LeaderEpoch, rp.HighWatermark = -1, -1, -1
			return rp
		})
		return rt
	})
	return resp
}

// UpdateFeatures (57): the top-level code, and each feature while the
// response lists them (v0-1).
func updateFeatures(r *kmsg.UpdateFeaturesRequest, e refusal) *kmsg.UpdateFeaturesResponse {
	resp := kmsg.NewPtrUpdateFeaturesResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	if r.Version < 2 {
		resp.Results = mirror(r.FeatureUpdates, func(f *kmsg.UpdateFeaturesRequestFeatureUpdate) kmsg.UpdateFeaturesResponseResult {
			rf := kmsg.NewUpdateFeaturesResponseResult()
			rf.Feature = f.Feature
			rf.ErrorCode = e.code
			rf.ErrorMessage = e.msg
			return rf
		})
	}
	return resp
}

// DescribeCluster (60): no cluster id, controller or brokers.
func describeCluster(_ *kmsg.DescribeClusterRequest, e refusal) *kmsg.DescribeClusterResponse {
	resp := kmsg.NewPtrDescribeClusterResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	return resp
}

// DescribeProducers (61).
func describeProducers(r *kmsg.DescribeProducersRequest, e refusal) *kmsg.DescribeProducersResponse {
	resp := kmsg.NewPtrDescribeProducersResponse()
	resp.Topics = mirror(r.Topics, func(t *kmsg.DescribeProducersRequestTopic) kmsg.DescribeProducersResponseTopic {
		rt := kmsg.NewDescribeProducersResponseTopic()
		rt.Topic = t.Topic
		rt.Partitions = make([]kmsg.DescribeProducersResponseTopicPartition, 0, len(t.Partitions))
		for _, p := range t.Partitions {
			rp := kmsg.NewDescribeProducersResponseTopicPartition()
			rp.Partition = p
			rp.ErrorCode = e.code
			rp.ErrorMessage = e.msg
			rt.Partitions = append(rt.Partitions, rp)
		}
		return rt
	})
	return resp
}

// UnregisterBroker (64).
func unregisterBroker(_ *kmsg.UnregisterBrokerRequest, e refusal) *kmsg.UnregisterBrokerResponse {
	resp := kmsg.NewPtrUnregisterBrokerResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	return resp
}

// DescribeTransactions (65).
func describeTransactions(r *kmsg.DescribeTransactionsRequest, e refusal) *kmsg.DescribeTransactionsResponse {
	resp := kmsg.NewPtrDescribeTransactionsResponse()
	resp.TransactionStates = names(r.TransactionalIDs, func(id string) kmsg.DescribeTransactionsResponseTransactionState {
		rs := kmsg.NewDescribeTransactionsResponseTransactionState()
		rs.TransactionalID = id
		rs.ErrorCode = e.code
		return rs
	})
	return resp
}

// ListTransactions (66).
func listTransactions(_ *kmsg.ListTransactionsRequest, e refusal) *kmsg.ListTransactionsResponse {
	resp := kmsg.NewPtrListTransactionsResponse()
	resp.ErrorCode = e.code
	return resp
}

// ConsumerGroupHeartbeat (68).
func consumerGroupHeartbeat(_ *kmsg.ConsumerGroupHeartbeatRequest, e refusal) *kmsg.ConsumerGroupHeartbeatResponse {
	resp := kmsg.NewPtrConsumerGroupHeartbeatResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	return resp
}

// ConsumerGroupDescribe (69).
func consumerGroupDescribe(r *kmsg.ConsumerGroupDescribeRequest, e refusal) *kmsg.ConsumerGroupDescribeResponse {
	resp := kmsg.NewPtrConsumerGroupDescribeResponse()
	resp.Groups = names(r.Groups, func(g string) kmsg.ConsumerGroupDescribeResponseGroup {
		rg := kmsg.NewConsumerGroupDescribeResponseGroup()
		rg.Group = g
		rg.ErrorCode = e.code
		rg.ErrorMessage = e.msg
		return rg
	})
	return resp
}

// GetTelemetrySubscriptions (71).
func getTelemetrySubscriptions(_ *kmsg.GetTelemetrySubscriptionsRequest, e refusal) *kmsg.GetTelemetrySubscriptionsResponse {
	resp := kmsg.NewPtrGetTelemetrySubscriptionsResponse()
	resp.ErrorCode = e.code
	return resp
}

// PushTelemetry (72).
func pushTelemetry(_ *kmsg.PushTelemetryRequest, e refusal) *kmsg.PushTelemetryResponse {
	resp := kmsg.NewPtrPushTelemetryResponse()
	resp.ErrorCode = e.code
	return resp
}

// ListConfigResources (74), formerly ListClientMetricsResources.
func listConfigResources(_ *kmsg.ListConfigResourcesRequest, e refusal) *kmsg.ListConfigResourcesResponse {
	resp := kmsg.NewPtrListConfigResourcesResponse()
	resp.ErrorCode = e.code
	return resp
}

// DescribeTopicPartitions (75): each topic, with no partitions and no cursor.
func describeTopicPartitions(r *kmsg.DescribeTopicPartitionsRequest, e refusal) *kmsg.DescribeTopicPartitionsResponse {
	resp := kmsg.NewPtrDescribeTopicPartitionsResponse()
	resp.Topics = mirror(r.Topics, func(t *kmsg.DescribeTopicPartitionsRequestTopic) kmsg.DescribeTopicPartitionsResponseTopic {
		rt := kmsg.NewDescribeTopicPartitionsResponseTopic()
		rt.Topic = ptr(t.Topic)
		rt.ErrorCode = e.code
		rt.Partitions = []kmsg.DescribeTopicPartitionsResponseTopicPartition{}
		return rt
	})
	return resp
}

// ShareGroupHeartbeat (76).
func shareGroupHeartbeat(_ *kmsg.ShareGroupHeartbeatRequest, e refusal) *kmsg.ShareGroupHeartbeatResponse {
	resp := kmsg.NewPtrShareGroupHeartbeatResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	return resp
}

// ShareGroupDescribe (77).
func shareGroupDescribe(r *kmsg.ShareGroupDescribeRequest, e refusal) *kmsg.ShareGroupDescribeResponse {
	resp := kmsg.NewPtrShareGroupDescribeResponse()
	resp.Groups = names(r.GroupIDs, func(g string) kmsg.ShareGroupDescribeResponseGroup {
		rg := kmsg.NewShareGroupDescribeResponseGroup()
		rg.GroupID = g
		rg.ErrorCode = e.code
		rg.ErrorMessage = e.msg
		return rg
	})
	return resp
}

// ShareFetch (78): the top-level code, which is all Kafka sends, and each
// partition. A partition that carried acknowledgements also gets the code as
// its acknowledge error: they were not applied, and a zero code would tell
// the client they were.
func shareFetch(r *kmsg.ShareFetchRequest, e refusal) *kmsg.ShareFetchResponse {
	resp := kmsg.NewPtrShareFetchResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	resp.Topics = mirror(r.Topics, func(t *kmsg.ShareFetchRequestTopic) kmsg.ShareFetchResponseTopic {
		rt := kmsg.NewShareFetchResponseTopic()
		rt.TopicID = t.TopicID
		rt.Partitions = mirror(t.Partitions, func(p *kmsg.ShareFetchRequestTopicPartition) kmsg.ShareFetchResponseTopicPartition {
			rp := kmsg.NewShareFetchResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = e.code
			rp.ErrorMessage = e.msg
			if len(p.AcknowledgementBatches) > 0 {
				rp.AcknowledgeErrorCode = e.code
				rp.AcknowledgeErrorMessage = e.msg
			}
			rp.CurrentLeader.LeaderID, rp.CurrentLeader.LeaderEpoch = -1, -1
			rp.Records = []byte{}
			return rp
		})
		return rt
	})
	return resp
}

// ShareAcknowledge (79): the top-level code, which is all Kafka sends, and
// each partition.
func shareAcknowledge(r *kmsg.ShareAcknowledgeRequest, e refusal) *kmsg.ShareAcknowledgeResponse {
	resp := kmsg.NewPtrShareAcknowledgeResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	resp.Topics = mirror(r.Topics, func(t *kmsg.ShareAcknowledgeRequestTopic) kmsg.ShareAcknowledgeResponseTopic {
		rt := kmsg.NewShareAcknowledgeResponseTopic()
		rt.TopicID = t.TopicID
		rt.Partitions = mirror(t.Partitions, func(p *kmsg.ShareAcknowledgeRequestTopicPartition) kmsg.ShareAcknowledgeResponseTopicPartition {
			rp := kmsg.NewShareAcknowledgeResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = e.code
			rp.ErrorMessage = e.msg
			rp.CurrentLeader.LeaderID, rp.CurrentLeader.LeaderEpoch = -1, -1
			return rp
		})
		return rt
	})
	return resp
}

// StreamsGroupHeartbeat (88).
func streamsGroupHeartbeat(_ *kmsg.StreamsGroupHeartbeatRequest, e refusal) *kmsg.StreamsGroupHeartbeatResponse {
	resp := kmsg.NewPtrStreamsGroupHeartbeatResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	return resp
}

// StreamsGroupDescribe (89).
func streamsGroupDescribe(r *kmsg.StreamsGroupDescribeRequest, e refusal) *kmsg.StreamsGroupDescribeResponse {
	resp := kmsg.NewPtrStreamsGroupDescribeResponse()
	resp.Groups = names(r.Groups, func(g string) kmsg.StreamsGroupDescribeResponseGroup {
		rg := kmsg.NewStreamsGroupDescribeResponseGroup()
		rg.Group = g
		rg.ErrorCode = e.code
		rg.ErrorMessage = e.msg
		return rg
	})
	return resp
}

// DescribeShareGroupOffsets (90): each group with the code, and each named
// partition (none for a null topic list, which asks for all) with the code
// and no offset, epoch or lag.
func describeShareGroupOffsets(r *kmsg.DescribeShareGroupOffsetsRequest, e refusal) *kmsg.DescribeShareGroupOffsetsResponse {
	resp := kmsg.NewPtrDescribeShareGroupOffsetsResponse()
	resp.Groups = mirror(r.Groups, func(g *kmsg.DescribeShareGroupOffsetsRequestGroup) kmsg.DescribeShareGroupOffsetsResponseGroup {
		rg := kmsg.NewDescribeShareGroupOffsetsResponseGroup()
		rg.GroupID = g.GroupID
		rg.ErrorCode = e.code
		rg.ErrorMessage = e.msg
		rg.Topics = mirror(g.Topics, func(t *kmsg.DescribeShareGroupOffsetsRequestGroupTopic) kmsg.DescribeShareGroupOffsetsResponseGroupTopic {
			rt := kmsg.NewDescribeShareGroupOffsetsResponseGroupTopic()
			rt.Topic = t.Topic
			rt.Partitions = make([]kmsg.DescribeShareGroupOffsetsResponseGroupTopicPartition, 0, len(t.Partitions))
			for _, p := range t.Partitions {
				rp := kmsg.NewDescribeShareGroupOffsetsResponseGroupTopicPartition()
				rp.Partition = p
				rp.StartOffset, rp.LeaderEpoch, rp.Lag = -1, -1, -1
				rp.ErrorCode = e.code
				rp.ErrorMessage = e.msg
				rt.Partitions = append(rt.Partitions, rp)
			}
			return rt
		})
		return rg
	})
	return resp
}

// AlterShareGroupOffsets (91).
func alterShareGroupOffsets(r *kmsg.AlterShareGroupOffsetsRequest, e refusal) *kmsg.AlterShareGroupOffsetsResponse {
	resp := kmsg.NewPtrAlterShareGroupOffsetsResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	resp.Topics = mirror(r.Topics, func(t *kmsg.AlterShareGroupOffsetsRequestTopic) kmsg.AlterShareGroupOffsetsResponseTopic {
		rt := kmsg.NewAlterShareGroupOffsetsResponseTopic()
		rt.Topic = t.Topic
		rt.Partitions = mirror(t.Partitions, func(p *kmsg.AlterShareGroupOffsetsRequestTopicPartition) kmsg.AlterShareGroupOffsetsResponseTopicPartition {
			rp := kmsg.NewAlterShareGroupOffsetsResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = e.code
			rp.ErrorMessage = e.msg
			return rp
		})
		return rt
	})
	return resp
}

// DeleteShareGroupOffsets (92).
func deleteShareGroupOffsets(r *kmsg.DeleteShareGroupOffsetsRequest, e refusal) *kmsg.DeleteShareGroupOffsetsResponse {
	resp := kmsg.NewPtrDeleteShareGroupOffsetsResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	resp.Topics = mirror(r.Topics, func(t *kmsg.DeleteShareGroupOffsetsRequestTopic) kmsg.DeleteShareGroupOffsetsResponseTopic {
		rt := kmsg.NewDeleteShareGroupOffsetsResponseTopic()
		rt.Topic = t.Topic
		rt.ErrorCode = e.code
		rt.ErrorMessage = e.msg
		return rt
	})
	return resp
}

// StreamsGroupTopologyDescriptionUpdate (93).
func streamsGroupTopologyDescriptionUpdate(_ *kmsg.StreamsGroupTopologyDescriptionUpdateRequest, e refusal) *kmsg.StreamsGroupTopologyDescriptionUpdateResponse {
	resp := kmsg.NewPtrStreamsGroupTopologyDescriptionUpdateResponse()
	resp.ErrorCode = e.code
	resp.ErrorMessage = e.msg
	return resp
}
