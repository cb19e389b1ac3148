// The isolation suite's attacks: for each API key, the request shapes
// tenant A sends to reach tenant B's topic, groups and transactional ids,
// and the checks of A's own requests (positive controls). Also the KIP-848
// regex subscriptions, and one raw request per key that A's gateway does
// not advertise.

package realkafka

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// producer is the producer id and epoch a transactional request presents:
// the own transaction's when the run is for it, else B's.
func (n *names) producer() (int64, int16) {
	if n.OwnTxn != "" && n.T == n.OwnTxn {
		return n.OwnPID, n.OwnEpoch
	}
	return n.PID, n.PEpoch
}

// member is the member id and epoch (or generation) of group n.G.
func (n *names) member() (string, int32) {
	if n.G == n.Consumer {
		return n.Member848, n.Epoch848
	}
	return n.MemberLive, n.GenLive
}

// initOwnTxn starts a transactional producer of a fresh id of the tenant
// side s acts for, and makes it the run's transaction.
func (w *world) initOwnTxn(ctx context.Context, s *side, n *names) error {
	id := w.local(s, w.fresh("own-txn"))
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionalID = &id
	req.TransactionTimeoutMillis = 60000
	co := s.coordinator(ctx, 1, id)
	if co < 0 {
		return fmt.Errorf("no coordinator for %s", id)
	}
	resp, err := s.send(ctx, co, req)
	if err != nil {
		return err
	}
	r := resp.(*kmsg.InitProducerIDResponse)
	if err := kerrFor(r.ErrorCode); err != nil {
		return fmt.Errorf("InitProducerId %s: %w", id, err)
	}
	n.OwnTxn, n.OwnPID, n.OwnEpoch, n.T = id, r.ProducerID, r.ProducerEpoch, id
	return nil
}

// txnCall sends a request of the own transaction to its coordinator.
func txnCall(ctx context.Context, s *side, n *names, req kmsg.Request) error {
	co := s.coordinator(ctx, 1, n.OwnTxn)
	resp, err := s.send(ctx, co, req)
	if err != nil {
		return err
	}
	if cs := nonZeroCodes(resp); len(cs) > 0 {
		return fmt.Errorf("%s: %s", kmsg.NameForKey(req.Key()), codeList(cs))
	}
	return nil
}

func (w *world) addOwnPartition(ctx context.Context, s *side, n *names) error {
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	req.SetVersion(3)
	req.TransactionalID, req.ProducerID, req.ProducerEpoch = n.OwnTxn, n.OwnPID, n.OwnEpoch
	t := kmsg.NewAddPartitionsToTxnRequestTopic()
	t.Topic, t.Partitions = n.OwnTopic, []int32{0}
	req.Topics = append(req.Topics, t)
	return txnCall(ctx, s, n, req)
}

func (w *world) addOwnOffsets(ctx context.Context, s *side, n *names, group string) error {
	req := kmsg.NewPtrAddOffsetsToTxnRequest()
	req.SetVersion(3)
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Group = n.OwnTxn, n.OwnPID, n.OwnEpoch, group
	return txnCall(ctx, s, n, req)
}

func (w *world) endOwnTxn(ctx context.Context, s *side, n *names, commit bool) {
	req := kmsg.NewPtrEndTxnRequest()
	req.SetVersion(3)
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = n.OwnTxn, n.OwnPID, n.OwnEpoch, commit
	if err := txnCall(ctx, s, n, req); err != nil {
		w.t.Logf("ending %s on %s: %v", n.OwnTxn, s.name, err)
	}
}

// scratchTopic creates a topic for a destructive control and names it.
func (w *world) scratchTopic(ctx context.Context, s *side, n *names) error {
	name := w.local(s, w.fresh("mine-scratch"))
	resp, err := kadm.NewClient(s.cl).CreateTopic(ctx, 1, 1, nil, name)
	if err != nil || resp.Err != nil {
		return fmt.Errorf("create %s: %v %v", name, err, resp.Err)
	}
	n.Topic, n.TopicID = name, resp.ID
	return nil
}

// scratchGroup commits an offset of A's topic for a fresh group.
func (w *world) scratchGroup(ctx context.Context, s *side, n *names) error {
	g := w.local(s, w.fresh("mine-scratch-group"))
	var offs kadm.Offsets
	offs.Add(kadm.Offset{Topic: n.OwnTopic, Partition: 0, At: 1, LeaderEpoch: -1})
	if err := kadm.NewClient(s.cl).CommitAllOffsets(ctx, g, offs); err != nil {
		return fmt.Errorf("commit for %s: %w", g, err)
	}
	n.G, n.Classic = g, g
	return nil
}

// codesIn reports whether every error code of resp is one of ok.
func codesIn(ok ...int16) func(int16, kmsg.Response, *names) string {
	return func(_ int16, resp kmsg.Response, _ *names) string {
		for _, c := range nonZeroCodes(resp) {
			if !slices.Contains(ok, c) {
				return "A's own resources refused: " + codeList(nonZeroCodes(resp))
			}
		}
		return ""
	}
}

// listsOwn checks a listing: no error, and A's topic s (by name or id) in
// it.
func (w *world) listsOwn(s string) func(int16, kmsg.Response, *names) string {
	return func(_ int16, resp kmsg.Response, _ *names) string {
		if cs := nonZeroCodes(resp); len(cs) > 0 {
			return "listing failed: " + codeList(cs)
		}
		if !contains(resp, s) && !containsID(resp, w.aTopicID) {
			return fmt.Sprintf("A's own %q is missing from the listing", s)
		}
		return ""
	}
}

var consumerType = "consumer"

func memberMeta(topics ...string) []byte {
	m := kmsg.NewConsumerMemberMetadata()
	m.Version = 1
	m.Topics = topics
	return m.AppendTo(nil)
}

func memberAssignment(topic string, parts []int32) []byte {
	a := kmsg.NewConsumerMemberAssignment()
	a.Version = 1
	t := kmsg.NewConsumerMemberAssignmentTopic()
	t.Topic, t.Partitions = topic, parts
	a.Topics = append(a.Topics, t)
	return a.AppendTo(nil)
}

// attempts is the catalog, by API key.
// groupsWithOffsets are B's groups with committed offsets.
var groupsWithOffsets = []role{rClassic, rConsumer}

// refreshMembers reads the current member ids and epochs of A's live
// members, for controls that act as them.
func (w *world) refreshMembers(n *names) {
	n.Member848, n.Epoch848 = w.aLive848.GroupMetadata()
	n.MemberLive, n.GenLive = w.aLiveClassic.GroupMetadata()
}

// attempts is the catalog.
func (w *world) attempts() []*attempt {
	var as []*attempt
	add := func(a *attempt) { as = append(as, a) }
	w.topicAttempts(add)
	w.groupAttempts(add)
	w.clusterAttempts(add)
	w.adminAttempts(add)
	w.txnAttempts(add)
	w.kip848Attempts(add)
	w.shareAttempts(add)
	w.mixedAttempts(add)
	w.unservedAttempts(add)
	return as
}

// topicAttempts adds the topic data keys: Produce, Fetch, ListOffsets,
// Metadata, OffsetForLeaderEpoch.
func (w *world) topicAttempts(add func(*attempt)) {
	// 0 Produce: names up to v12, ids from v13; plain and transactional.
	produce := func(txn bool) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrProduceRequest()
			req.Acks, req.TimeoutMillis = -1, 5000
			pid, epoch := int64(-1), int16(-1)
			if txn {
				req.TransactionID = kmsg.StringPtr(n.TxnOpen)
				pid, epoch = n.PID, n.PEpoch
			}
			t := kmsg.NewProduceRequestTopic()
			if v >= 13 {
				t.TopicID = n.TopicID
			} else {
				t.Topic = n.Topic
			}
			for _, p := range n.Parts {
				pp := kmsg.NewProduceRequestTopicPartition()
				pp.Partition, pp.Records = p, recordBatch(pid, epoch, 1000, txn, "intruder")
				t.Partitions = append(t.Partitions, pp)
			}
			req.Topics = append(req.Topics, t)
			return req
		}
	}
	add(&attempt{key: 0, label: "produce", vers: []int16{12, 9, 3}, by: byName, route: rtLeader, build: produce(false), ctrl: true})
	add(&attempt{key: 0, label: "produce", vers: []int16{vMax}, by: byID, route: rtLeader, build: produce(false), ctrl: true})
	add(&attempt{key: 0, label: "transactional produce with B's transactional id", vers: []int16{12}, by: byName, route: rtLeader, build: produce(true)})
	add(&attempt{key: 0, label: "transactional produce with B's transactional id", vers: []int16{vMax}, by: byID, route: rtLeader, build: produce(true)})

	// 1 Fetch: names up to v12, ids from v13.
	fetch := func(v int16, n *names) kmsg.Request {
		req := kmsg.NewPtrFetchRequest()
		req.MaxWaitMillis, req.MinBytes, req.MaxBytes = 50, 1, 1<<20
		t := kmsg.NewFetchRequestTopic()
		if v >= 13 {
			t.TopicID = n.TopicID
		} else {
			t.Topic = n.Topic
		}
		for _, p := range n.Parts {
			pp := kmsg.NewFetchRequestTopicPartition()
			pp.Partition, pp.FetchOffset, pp.PartitionMaxBytes = p, 0, 1<<20
			t.Partitions = append(t.Partitions, pp)
		}
		req.Topics = append(req.Topics, t)
		return req
	}
	fetched := func(_ int16, resp kmsg.Response, _ *names) string {
		if cs := nonZeroCodes(resp); len(cs) > 0 {
			return "A's own topic refused: " + codeList(cs)
		}
		for _, t := range resp.(*kmsg.FetchResponse).Topics {
			for _, p := range t.Partitions {
				if len(p.RecordBatches) > 0 {
					return ""
				}
			}
		}
		return "no records from A's own topic"
	}
	add(&attempt{internal: true, key: 1, label: "fetch", vers: []int16{12, 7, 4}, by: byName, route: rtLeader, build: fetch, ctrl: true, ctrlOK: fetched})
	add(&attempt{internal: true, key: 1, label: "fetch", vers: []int16{vMax, 13}, by: byID, route: rtLeader, build: fetch, ctrl: true, ctrlOK: fetched})

	// 2 ListOffsets.
	add(&attempt{internal: true, key: 2, label: "list offsets", vers: []int16{vMax, 1}, by: byName, route: rtLeader, ctrl: true,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrListOffsetsRequest()
			t := kmsg.NewListOffsetsRequestTopic()
			t.Topic = n.Topic
			for _, p := range n.Parts {
				pp := kmsg.NewListOffsetsRequestTopicPartition()
				pp.Partition, pp.Timestamp = p, -1
				t.Partitions = append(t.Partitions, pp)
			}
			req.Topics = append(req.Topics, t)
			return req
		}})

	// 3 Metadata: every topic, by name, by id.
	add(&attempt{key: 3, label: "metadata of every topic", vers: []int16{vMax, 9, 1, 0}, by: byList, route: rtAny,
		ctrlOK: w.listsOwn(w.cn(w.aPrefix, aTopic)),
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrMetadataRequest()
			if v == 0 {
				req.Topics = []kmsg.MetadataRequestTopic{}
			}
			req.AllowAutoTopicCreation = false
			return req
		}})
	add(&attempt{internal: true, key: 3, label: "metadata", vers: []int16{vMax, 9, 4}, by: byName, route: rtAny, ctrl: true,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrMetadataRequest()
			t := kmsg.NewMetadataRequestTopic()
			t.Topic = kmsg.StringPtr(n.Topic)
			req.Topics = append(req.Topics, t)
			req.AllowAutoTopicCreation = false
			return req
		}})
	add(&attempt{internal: true, key: 3, label: "metadata", vers: []int16{vMax, 12, 11, 10}, by: byID, route: rtAny,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrMetadataRequest()
			t := kmsg.NewMetadataRequestTopic()
			t.TopicID = n.TopicID
			req.Topics = append(req.Topics, t)
			req.AllowAutoTopicCreation = false
			return req
		}})

	// 23 OffsetForLeaderEpoch.
	add(&attempt{internal: true, key: 23, label: "offsets for leader epoch", vers: []int16{vMax, 2}, by: byName, route: rtLeader, ctrl: true,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrOffsetForLeaderEpochRequest()
			req.ReplicaID = -1
			t := kmsg.NewOffsetForLeaderEpochRequestTopic()
			t.Topic = n.Topic
			for _, p := range n.Parts {
				pp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
				pp.Partition, pp.LeaderEpoch = p, 0
				t.Partitions = append(t.Partitions, pp)
			}
			req.Topics = append(req.Topics, t)
			return req
		}})
}

// groupAttempts adds the group keys: offsets, coordinators, the classic
// protocol, DescribeGroups, ListGroups.
func (w *world) groupAttempts(add func(*attempt)) {
	// 8 OffsetCommit: as a live member (names <= v9, ids v10), and as
	// an admin (generation -1) committing A's own topic into B's group.
	commit := func(simple bool) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrOffsetCommitRequest()
			req.Group = n.G
			topic, id, parts := n.Topic, n.TopicID, n.Parts
			if simple {
				req.Generation, req.MemberID = -1, ""
				topic, id, parts = n.OwnTopic, n.OwnTopicID, []int32{0}
			} else {
				req.MemberID, req.Generation = n.member()
			}
			t := kmsg.NewOffsetCommitRequestTopic()
			if v >= 10 {
				t.TopicID = id
			} else {
				t.Topic = topic
			}
			for _, p := range parts {
				pp := kmsg.NewOffsetCommitRequestTopicPartition()
				pp.Partition, pp.Offset, pp.Metadata = p, 1, kmsg.StringPtr("intruder")
				t.Partitions = append(t.Partitions, pp)
			}
			req.Topics = append(req.Topics, t)
			return req
		}
	}
	add(&attempt{key: 8, label: "commit offsets as B's member", vers: []int16{9, 7, 2}, by: byName, route: rtGroup,
		roles: []role{rLive, rConsumer}, build: commit(false), ctrl: true, ctrlNames: w.refreshMembers, destructive: true,
		ctrlOK: func(v int16, resp kmsg.Response, n *names) string {
			if v < 9 && n.G == n.Consumer { // Kafka takes commits of KIP-848 members from v9 on
				return codesIn(kerr.UnsupportedVersion.Code)(v, resp, n)
			}
			return codesIn()(v, resp, n)
		}})
	add(&attempt{key: 8, label: "commit offsets as B's member", vers: []int16{vMax}, by: byID, route: rtGroup,
		roles: []role{rLive, rConsumer}, build: commit(false), ctrl: true, ctrlNames: w.refreshMembers, destructive: true})
	add(&attempt{key: 8, label: "commit A's topic into B's group (generation -1)", vers: []int16{vMax, 9, 2}, by: byName, route: rtGroup,
		roles: []role{rClassic, rConsumer}, build: commit(true), destructive: true})

	// 9 OffsetFetch: one group (<= v7), groups (v8+), ids (v10), all topics.
	offsetFetch := func(all bool) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrOffsetFetchRequest()
			if v < 8 {
				req.Group = n.G
				if !all {
					t := kmsg.NewOffsetFetchRequestTopic()
					t.Topic, t.Partitions = n.Topic, n.Parts
					req.Topics = append(req.Topics, t)
				}
				return req
			}
			g := kmsg.NewOffsetFetchRequestGroup()
			g.Group = n.G
			if !all {
				t := kmsg.NewOffsetFetchRequestGroupTopic()
				if v >= 10 {
					t.TopicID = n.TopicID
				} else {
					t.Topic = n.Topic
				}
				t.Partitions = n.Parts
				g.Topics = append(g.Topics, t)
			}
			req.Groups = append(req.Groups, g)
			return req
		}
	}
	add(&attempt{key: 9, label: "fetch committed offsets", vers: []int16{9, 8, 7, 1}, by: byName, route: rtGroup,
		roles: groupsWithOffsets, build: offsetFetch(false), ctrl: true})
	add(&attempt{key: 9, label: "fetch committed offsets", vers: []int16{vMax}, by: byID, route: rtGroup,
		roles: groupsWithOffsets, build: offsetFetch(false), ctrl: true})
	add(&attempt{key: 9, label: "fetch every committed offset of the group", vers: []int16{vMax, 8, 7, 2}, by: byName, route: rtGroup,
		roles: groupsWithOffsets, build: offsetFetch(true), ctrl: true, ctrlOK: w.listsOwn(w.cn(w.aPrefix, aTopic))})

	// 10 FindCoordinator: group and transaction keys; share-state keys.
	findCoord := func(typ int8) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrFindCoordinatorRequest()
			key := n.G
			if typ == 1 {
				key = n.T
			}
			if typ == 2 {
				key = fmt.Sprintf("%s:%s:0", n.G, base64.RawURLEncoding.EncodeToString(n.TopicID[:]))
			}
			req.CoordinatorType = typ
			if v >= 4 {
				req.CoordinatorKeys = []string{key}
			} else {
				req.CoordinatorKey = key
			}
			return req
		}
	}
	add(&attempt{key: 10, label: "find group coordinator", vers: []int16{vMax, 3, 0}, by: byName, route: rtAny,
		roles: []role{rConsumer, rClassic, rShare}, build: findCoord(0), ctrl: true})
	add(&attempt{key: 10, label: "find transaction coordinator", vers: []int16{vMax, 3, 1}, by: byName, route: rtAny,
		roles: []role{rTxnOpen, rTxnDone}, build: findCoord(1), ctrl: true})
	add(&attempt{key: 10, label: "find share-state coordinator", vers: []int16{vMax}, by: byID, route: rtAny,
		roles: []role{rShare}, build: findCoord(2)})

	// 11-14 the classic group protocol, as B's live member.
	add(&attempt{key: 11, label: "join as B's member, subscribed to B's topic", vers: []int16{vMax, 5, 1}, by: byName, route: rtGroup,
		roles: []role{rLive}, ctrl: true, destructive: true,
		ctrlNames: func(n *names) { n.Live, n.MemberLive = w.fresh("mine-join"), "" },
		ctrlOK: func(v int16, resp kmsg.Response, n *names) string {
			if v >= 4 {
				return codesIn(kerr.MemberIDRequired.Code)(v, resp, n)
			}
			return codesIn()(v, resp, n)
		},
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrJoinGroupRequest()
			req.Group, req.MemberID = n.G, n.MemberLive
			req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = 30000, 30000
			req.ProtocolType = consumerType
			p := kmsg.NewJoinGroupRequestProtocol()
			p.Name, p.Metadata = "range", memberMeta(n.Topic)
			req.Protocols = append(req.Protocols, p)
			return req
		}})
	add(&attempt{key: 12, label: "heartbeat as B's member", vers: []int16{vMax, 0}, by: byName, route: rtGroup,
		roles: []role{rLive}, ctrl: true, ctrlNames: w.refreshMembers, ctrlOK: codesIn(kerr.RebalanceInProgress.Code),
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrHeartbeatRequest()
			req.Group = n.G
			req.MemberID, req.Generation = n.member()
			return req
		}})
	add(&attempt{key: 13, label: "leave as B's member", vers: []int16{vMax, 2}, by: byName, route: rtGroup,
		roles: []role{rLive}, destructive: true, ctrl: true,
		// The control: a pending member of a fresh group of A's leaves.
		ctrlNames: func(n *names) { n.Live, n.MemberLive = w.cn(w.aPrefix, w.fresh("mine-leave")), "" },
		prep: func(ctx context.Context, w *world, s *side, n *names) error {
			if n.MemberLive != "" {
				return nil
			}
			req := kmsg.NewPtrJoinGroupRequest()
			req.SetVersion(5)
			req.Group, req.SessionTimeoutMillis, req.RebalanceTimeoutMillis, req.ProtocolType = n.G, 30000, 30000, consumerType
			p := kmsg.NewJoinGroupRequestProtocol()
			p.Name, p.Metadata = "range", memberMeta(n.OwnTopic)
			req.Protocols = append(req.Protocols, p)
			resp, err := s.send(ctx, s.coordinator(ctx, 0, n.G), req)
			if err != nil {
				return err
			}
			r := resp.(*kmsg.JoinGroupResponse)
			if r.ErrorCode != kerr.MemberIDRequired.Code {
				return fmt.Errorf("join: %s", codeName(r.ErrorCode))
			}
			n.MemberLive = r.MemberID
			return nil
		},
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrLeaveGroupRequest()
			req.Group = n.G
			if v >= 3 {
				m := kmsg.NewLeaveGroupRequestMember()
				m.MemberID = n.MemberLive
				req.Members = append(req.Members, m)
			} else {
				req.MemberID = n.MemberLive
			}
			return req
		}})
	add(&attempt{key: 14, label: "sync as B's member, assigning B's topic", vers: []int16{vMax, 3, 0}, by: byName, route: rtGroup,
		roles: []role{rLive}, ctrl: true, ctrlNames: w.refreshMembers, ctrlOK: codesIn(kerr.RebalanceInProgress.Code),
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrSyncGroupRequest()
			req.Group = n.G
			req.MemberID, req.Generation = n.member()
			req.ProtocolType, req.Protocol = kmsg.StringPtr(consumerType), kmsg.StringPtr("range")
			a := kmsg.NewSyncGroupRequestGroupAssignment()
			a.MemberID, a.MemberAssignment = req.MemberID, memberAssignment(n.Topic, n.Parts)
			req.GroupAssignment = append(req.GroupAssignment, a)
			return req
		}})

	// 15 DescribeGroups, 16 ListGroups.
	add(&attempt{key: 15, label: "describe group", vers: []int16{vMax, 0}, by: byName, route: rtGroup,
		roles: []role{rConsumer, rLive, rShare}, ctrl: true,
		ctrlOK: func(v int16, resp kmsg.Response, n *names) string {
			for _, g := range resp.(*kmsg.DescribeGroupsResponse).Groups {
				if g.Group == w.cn(w.aPrefix, aLive) && (g.ErrorCode != 0 || g.State != "Stable") {
					return fmt.Sprintf("A's live group: %s %s", codeName(g.ErrorCode), g.State)
				}
			}
			return ""
		},
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDescribeGroupsRequest()
			req.Groups = []string{n.G}
			return req
		}})
	listGroups := func(filtered bool) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrListGroupsRequest()
			if filtered {
				req.StatesFilter = []string{"Stable", "Empty"}
				req.TypesFilter = []string{"classic", "consumer", "share"}
			}
			return req
		}
	}
	add(&attempt{key: 16, label: "list groups (every broker)", vers: []int16{vMax, 4, 0}, by: byList, route: rtAll,
		ctrlOK: codesIn(), build: listGroups(false)})
	add(&attempt{key: 16, label: "list groups by state and type (every broker)", vers: []int16{vMax}, by: byList, route: rtAll,
		ctrlOK: codesIn(), build: listGroups(true)})
}

// clusterAttempts adds the keys that name no tenant resource.
func (w *world) clusterAttempts(add func(*attempt)) {
	// 17 SaslHandshake, 18 ApiVersions, 36 SaslAuthenticate, 60
	// DescribeCluster: no tenant resource; their answers are scanned and
	// compared with Kafka's.
	add(&attempt{key: 17, label: "SASL handshake", vers: []int16{vMax, 0}, by: byNone, route: rtAny,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrSASLHandshakeRequest()
			req.Mechanism = "PLAIN"
			return req
		}})
	add(&attempt{key: 18, label: "api versions", vers: []int16{vMax, 3, 0}, by: byNone, route: rtAny,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrApiVersionsRequest()
			req.ClientSoftwareName, req.ClientSoftwareVersion = "strait-isolation", "1"
			return req
		}})
	add(&attempt{key: 36, label: "SASL authenticate", vers: []int16{vMax, 0}, by: byNone, route: rtAny,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrSASLAuthenticateRequest()
			req.SASLAuthBytes = []byte("\x00someone\x00secret")
			return req
		}})
	add(&attempt{key: 60, label: "describe cluster", vers: []int16{vMax, 0}, by: byNone, route: rtAny,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDescribeClusterRequest()
			req.EndpointType = 1
			req.IncludeClusterAuthorizedOperations = true
			return req
		}})

	// 71, 72 telemetry: no tenant resource.
	add(&attempt{key: 71, label: "get telemetry subscriptions", vers: []int16{vMax}, by: byNone, route: rtAny,
		build: func(v int16, n *names) kmsg.Request { return kmsg.NewPtrGetTelemetrySubscriptionsRequest() }})
	add(&attempt{key: 72, label: "push telemetry", vers: []int16{vMax}, by: byNone, route: rtAny,
		build: func(v int16, n *names) kmsg.Request { return kmsg.NewPtrPushTelemetryRequest() }})
}

// adminAttempts adds topic and group administration: CreateTopics,
// DeleteTopics, DeleteRecords, configs, log dirs, partitions, DeleteGroups,
// OffsetDelete, DescribeProducers.
func (w *world) adminAttempts(add func(*attempt)) {
	// 19 CreateTopics (validate only), 20 DeleteTopics, 21 DeleteRecords.
	add(&attempt{internal: true, key: 19, label: "create topic (validate only)", vers: []int16{vMax, 4, 2}, by: byName, route: rtAny, ctrl: true,
		ctrlNames: func(n *names) { n.Topic = w.cn(w.aPrefix, "mine-new") },
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrCreateTopicsRequest()
			req.ValidateOnly = true
			t := kmsg.NewCreateTopicsRequestTopic()
			t.Topic, t.NumPartitions, t.ReplicationFactor = n.Topic, 1, 1
			req.Topics = append(req.Topics, t)
			return req
		}})
	deleteTopic := func(byID bool) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDeleteTopicsRequest()
			req.TimeoutMillis = 10000
			switch {
			case v < 6:
				req.TopicNames = []string{n.Topic}
			case byID:
				t := kmsg.NewDeleteTopicsRequestTopic()
				t.TopicID = n.TopicID
				req.Topics = append(req.Topics, t)
			default:
				t := kmsg.NewDeleteTopicsRequestTopic()
				t.Topic = kmsg.StringPtr(n.Topic)
				req.Topics = append(req.Topics, t)
			}
			return req
		}
	}
	add(&attempt{key: 20, label: "delete topic", vers: []int16{vMax, 5, 1}, by: byName, route: rtAny, destructive: true,
		ctrl: true,
		prep: func(ctx context.Context, w *world, s *side, n *names) error {
			if n.Topic == w.aNames.Topic || n.Topic == w.aPrefix+aTopic {
				return w.scratchTopic(ctx, s, n) // the control deletes a scratch topic
			}
			return nil
		}, build: deleteTopic(false)})
	add(&attempt{key: 20, label: "delete topic", vers: []int16{vMax}, by: byID, route: rtAny, destructive: true, ctrl: true,
		prep: func(ctx context.Context, w *world, s *side, n *names) error {
			if n.TopicID == w.aTopicID {
				return w.scratchTopic(ctx, s, n)
			}
			return nil
		}, build: deleteTopic(true)})
	add(&attempt{key: 21, label: "delete records", vers: []int16{vMax, 0}, by: byName, route: rtLeader, destructive: true, ctrl: true,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDeleteRecordsRequest()
			req.TimeoutMillis = 10000
			t := kmsg.NewDeleteRecordsRequestTopic()
			t.Topic = n.Topic
			for _, p := range n.Parts {
				pp := kmsg.NewDeleteRecordsRequestTopicPartition()
				pp.Partition, pp.Offset = p, -1
				t.Partitions = append(t.Partitions, pp)
			}
			req.Topics = append(req.Topics, t)
			return req
		}})

	// 32 DescribeConfigs, 33 AlterConfigs, 44 IncrementalAlterConfigs.
	describeConfigs := func(typ kmsg.ConfigResourceType) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDescribeConfigsRequest()
			r := kmsg.NewDescribeConfigsRequestResource()
			r.ResourceType = typ
			switch typ {
			case kmsg.ConfigResourceTypeTopic:
				r.ResourceName = n.Topic
			case kmsg.ConfigResourceTypeGroupConfig:
				r.ResourceName = n.G
			default:
				r.ResourceName = strconv.Itoa(int(w.brokers[0]))
			}
			req.Resources = append(req.Resources, r)
			return req
		}
	}
	add(&attempt{internal: true, key: 32, label: "describe topic configs", vers: []int16{vMax, 1}, by: byName, route: rtAny, ctrl: true,
		build: describeConfigs(kmsg.ConfigResourceTypeTopic)})
	add(&attempt{key: 32, label: "describe group configs", vers: []int16{vMax, 1}, by: byName, route: rtAny,
		roles: groupsWithOffsets, ctrl: true, build: describeConfigs(kmsg.ConfigResourceTypeGroupConfig)})
	add(&attempt{key: 32, label: "describe broker configs", vers: []int16{vMax}, by: byList, route: rtAny, ctrlOK: codesIn(),
		build: describeConfigs(kmsg.ConfigResourceTypeBroker)})
	alterConfigs := func(typ kmsg.ConfigResourceType) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrAlterConfigsRequest()
			r := kmsg.NewAlterConfigsRequestResource()
			r.ResourceType = typ
			c := kmsg.NewAlterConfigsRequestResourceConfig()
			if typ == kmsg.ConfigResourceTypeTopic {
				r.ResourceName, c.Name, c.Value = n.Topic, "retention.ms", kmsg.StringPtr("4242000")
			} else {
				r.ResourceName, c.Name, c.Value = n.G, "consumer.session.timeout.ms", kmsg.StringPtr("46000")
			}
			r.Configs = append(r.Configs, c)
			req.Resources = append(req.Resources, r)
			return req
		}
	}
	add(&attempt{key: 33, label: "alter topic configs", vers: []int16{vMax, 0}, by: byName, route: rtAny, destructive: true, ctrl: true,
		build: alterConfigs(kmsg.ConfigResourceTypeTopic)})
	add(&attempt{key: 33, label: "alter group configs", vers: []int16{vMax}, by: byName, route: rtAny, destructive: true, ctrl: true,
		roles: []role{rConsumer}, build: alterConfigs(kmsg.ConfigResourceTypeGroupConfig)})
	incAlter := func(typ kmsg.ConfigResourceType) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrIncrementalAlterConfigsRequest()
			r := kmsg.NewIncrementalAlterConfigsRequestResource()
			r.ResourceType = typ
			c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
			c.Op = kmsg.IncrementalAlterConfigOpSet
			if typ == kmsg.ConfigResourceTypeTopic {
				r.ResourceName, c.Name, c.Value = n.Topic, "retention.ms", kmsg.StringPtr("4242000")
			} else {
				r.ResourceName, c.Name, c.Value = n.G, "consumer.session.timeout.ms", kmsg.StringPtr("46000")
			}
			r.Configs = append(r.Configs, c)
			req.Resources = append(req.Resources, r)
			return req
		}
	}
	add(&attempt{key: 44, label: "alter topic configs", vers: []int16{vMax, 0}, by: byName, route: rtAny, destructive: true, ctrl: true,
		build: incAlter(kmsg.ConfigResourceTypeTopic)})
	add(&attempt{key: 44, label: "alter group configs", vers: []int16{vMax}, by: byName, route: rtAny, destructive: true, ctrl: true,
		roles: []role{rConsumer}, build: incAlter(kmsg.ConfigResourceTypeGroupConfig)})

	// 35 DescribeLogDirs: every topic, and B's topic, on every broker.
	logDirs := func(all bool) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDescribeLogDirsRequest()
			if !all {
				t := kmsg.NewDescribeLogDirsRequestTopic()
				t.Topic, t.Partitions = n.Topic, n.Parts
				req.Topics = append(req.Topics, t)
			}
			return req
		}
	}
	add(&attempt{key: 35, label: "describe every log dir (every broker)", vers: []int16{vMax, 1}, by: byList, route: rtAll,
		ctrlOK: w.listsOwn(w.cn(w.aPrefix, aTopic)), build: logDirs(true)})
	add(&attempt{internal: true, key: 35, label: "describe log dirs (every broker)", vers: []int16{vMax, 1}, by: byName, route: rtAll, ctrl: true,
		ctrlOK: w.listsOwn(w.cn(w.aPrefix, aTopic)), build: logDirs(false)})

	// 37 CreatePartitions (A's control validates only).
	add(&attempt{key: 37, label: "create partitions", vers: []int16{vMax, 0}, by: byName, route: rtAny, destructive: true, ctrl: true,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrCreatePartitionsRequest()
			req.TimeoutMillis = 10000
			req.ValidateOnly = n.Topic == w.aNames.Topic
			t := kmsg.NewCreatePartitionsRequestTopic()
			t.Topic, t.Count = n.Topic, 6
			req.Topics = append(req.Topics, t)
			return req
		}})

	// 42 DeleteGroups, 47 OffsetDelete (controls on scratch groups).
	scratchCtl := func(ctx context.Context, w *world, s *side, n *names) error {
		if n.G == w.aNames.Classic {
			return w.scratchGroup(ctx, s, n)
		}
		return nil
	}
	add(&attempt{key: 42, label: "delete group", vers: []int16{vMax, 0}, by: byName, route: rtGroup, destructive: true,
		roles: []role{rConsumer, rClassic, rShare}, ctrl: true, prep: scratchCtl,
		ctrlNames: func(n *names) { n.Consumer, n.Share = n.Classic, n.Classic },
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDeleteGroupsRequest()
			req.Groups = []string{n.G}
			return req
		}})
	offsetDelete := func(own bool) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrOffsetDeleteRequest()
			req.Group = n.G
			t := kmsg.NewOffsetDeleteRequestTopic()
			t.Topic = n.Topic
			if own {
				t.Topic = n.OwnTopic
			}
			t.Partitions = []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}
			req.Topics = append(req.Topics, t)
			return req
		}
	}
	add(&attempt{key: 47, label: "delete committed offsets", vers: []int16{vMax}, by: byName, route: rtGroup, destructive: true,
		roles: groupsWithOffsets, ctrl: true, prep: scratchCtl, ctrlNames: func(n *names) { n.Consumer = n.Classic },
		build: offsetDelete(false)})
	add(&attempt{key: 47, label: "delete committed offsets of A's topic in B's group", vers: []int16{vMax}, by: byName, route: rtGroup,
		destructive: true, roles: groupsWithOffsets, build: offsetDelete(true)})
}

// txnAttempts adds the transaction keys: InitProducerId, AddPartitionsToTxn,
// AddOffsetsToTxn, EndTxn, TxnOffsetCommit, DescribeTransactions,
// ListTransactions.
func (w *world) txnAttempts(add func(*attempt)) {
	// 22 InitProducerId.
	initPID := func(bump bool) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrInitProducerIDRequest()
			req.TransactionTimeoutMillis = 60000
			if n.T != "" {
				req.TransactionalID = kmsg.StringPtr(n.T)
			}
			if bump {
				req.ProducerID, req.ProducerEpoch = n.PID, n.PEpoch
			}
			return req
		}
	}
	add(&attempt{key: 22, label: "init producer", vers: []int16{vMax, 2, 0}, by: byName, route: rtTxn,
		roles: []role{rTxnOpen, rTxnDone}, build: initPID(false), ctrl: true})
	add(&attempt{key: 22, label: "init producer, bumping B's producer id and epoch", vers: []int16{vMax}, by: byName, route: rtTxn,
		roles: []role{rTxnOpen}, build: initPID(true), destructive: true})
	add(&attempt{key: 22, label: "init idempotent producer", vers: []int16{vMax, 0}, by: byNone, route: rtAny, build: initPID(false)})

	// 24-26, 28: transactions, B's (with B's producer id and epoch, as
	// an attacker who learned them) and A's own naming B's things.
	ownTxn := func(ctx context.Context, w *world, s *side, n *names) error { return w.initOwnTxn(ctx, s, n) }
	addParts := func(v int16, n *names) kmsg.Request {
		req := kmsg.NewPtrAddPartitionsToTxnRequest()
		req.TransactionalID = n.T
		req.ProducerID, req.ProducerEpoch = n.producer()
		t := kmsg.NewAddPartitionsToTxnRequestTopic()
		t.Topic, t.Partitions = n.Topic, n.Parts
		req.Topics = append(req.Topics, t)
		return req
	}
	// v4+ is the brokers' batched form: only v0-v3 are clients'.
	add(&attempt{key: 24, label: "add B's partitions to B's transaction", vers: []int16{3, 0}, by: byName, route: rtTxn,
		roles: []role{rTxnOpen}, build: addParts, destructive: true})
	add(&attempt{key: 24, label: "add B's partitions to A's own transaction", vers: []int16{3}, by: byName, route: rtTxn,
		roles: []role{rOwnTxn}, prep: ownTxn, build: addParts, ctrl: true})
	addOffsets := func(v int16, n *names) kmsg.Request {
		req := kmsg.NewPtrAddOffsetsToTxnRequest()
		req.TransactionalID = n.T
		req.ProducerID, req.ProducerEpoch = n.producer()
		req.Group = n.Consumer
		return req
	}
	add(&attempt{key: 25, label: "add B's group to B's transaction", vers: []int16{vMax, 0}, by: byName, route: rtTxn,
		roles: []role{rTxnOpen}, build: addOffsets, destructive: true})
	add(&attempt{key: 25, label: "add B's group to A's own transaction", vers: []int16{vMax}, by: byName, route: rtTxn,
		roles: []role{rOwnTxn}, prep: ownTxn, build: addOffsets, ctrl: true})
	endTxn := func(commit bool) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrEndTxnRequest()
			req.TransactionalID = n.T
			req.ProducerID, req.ProducerEpoch = n.producer()
			req.Commit = commit
			return req
		}
	}
	add(&attempt{key: 26, label: "abort B's transaction", vers: []int16{vMax, 0}, by: byName, route: rtTxn,
		roles: []role{rTxnOpen}, build: endTxn(false), destructive: true})
	add(&attempt{key: 26, label: "commit B's transaction", vers: []int16{vMax}, by: byName, route: rtTxn,
		roles: []role{rTxnOpen, rTxnDone}, build: endTxn(true), destructive: true})
	add(&attempt{key: 26, label: "abort A's own transaction", vers: []int16{vMax, 0}, by: byNone, route: rtTxn,
		roles: []role{rOwnTxn}, build: endTxn(false), noRef: true, destructive: true,
		prep: func(ctx context.Context, w *world, s *side, n *names) error {
			if err := w.initOwnTxn(ctx, s, n); err != nil {
				return err
			}
			return w.addOwnPartition(ctx, s, n)
		},
		expect: func(v int16, resp kmsg.Response, n *names) string { return codesIn()(v, resp, n) }})
	txnCommit := func(own bool) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrTxnOffsetCommitRequest()
			req.Group, req.Generation = n.G, -1
			topic, id, parts := n.Topic, n.TopicID, n.Parts
			if own {
				req.TransactionalID, req.ProducerID, req.ProducerEpoch = n.OwnTxn, n.OwnPID, n.OwnEpoch
				topic, id, parts = n.OwnTopic, n.OwnTopicID, []int32{0}
			} else {
				req.TransactionalID, req.ProducerID, req.ProducerEpoch = n.TxnOpen, n.PID, n.PEpoch
			}
			t := kmsg.NewTxnOffsetCommitRequestTopic()
			if v >= 6 {
				t.TopicID = id
			} else {
				t.Topic = topic
			}
			for _, p := range parts {
				pp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
				pp.Partition, pp.Offset = p, 1
				t.Partitions = append(t.Partitions, pp)
			}
			req.Topics = append(req.Topics, t)
			return req
		}
	}
	add(&attempt{key: 28, label: "commit offsets in B's transaction", vers: []int16{5, 3, 0}, by: byName, route: rtGroup,
		roles: groupsWithOffsets, build: txnCommit(false), destructive: true})
	add(&attempt{key: 28, label: "commit offsets in B's transaction", vers: []int16{vMax}, by: byID, route: rtGroup,
		roles: groupsWithOffsets, build: txnCommit(false), destructive: true})
	add(&attempt{key: 28, label: "commit offsets of A's topic into B's group in A's own transaction", vers: []int16{vMax, 5}, by: byName,
		route: rtGroup, roles: []role{rConsumer}, build: txnCommit(true), destructive: true, ctrl: true,
		ctrlNames: func(n *names) { n.Consumer = n.Classic },
		prep: func(ctx context.Context, w *world, s *side, n *names) error {
			g := n.G
			if err := w.initOwnTxn(ctx, s, n); err != nil {
				return err
			}
			n.G = g
			return w.addOwnOffsets(ctx, s, n, g)
		},
		post: func(ctx context.Context, w *world, s *side, n *names) { w.endOwnTxn(ctx, s, n, true) }})

	// 61 DescribeProducers, 65 DescribeTransactions, 66 ListTransactions.
	add(&attempt{internal: true, key: 61, label: "describe producers", vers: []int16{vMax}, by: byName, route: rtLeader, ctrl: true,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDescribeProducersRequest()
			t := kmsg.NewDescribeProducersRequestTopic()
			t.Topic, t.Partitions = n.Topic, n.Parts
			req.Topics = append(req.Topics, t)
			return req
		}})
	add(&attempt{key: 65, label: "describe transaction", vers: []int16{vMax}, by: byName, route: rtTxn,
		roles: []role{rTxnOpen, rTxnDone}, ctrl: true,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDescribeTransactionsRequest()
			req.TransactionalIDs = []string{n.T}
			return req
		}})
	listTxns := func(filter string) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrListTransactionsRequest()
			switch filter {
			case "producers":
				for p := range w.fp.pids {
					req.ProducerIDFilters = append(req.ProducerIDFilters, p)
				}
			case "ongoing":
				req.StateFilters = []string{"Ongoing"}
			}
			return req
		}
	}
	add(&attempt{key: 66, label: "list transactions (every broker)", vers: []int16{vMax, 0}, by: byList, route: rtAll,
		ctrlOK: codesIn(), build: listTxns("")})
	add(&attempt{key: 66, label: "list transactions of B's producer ids (every broker)", vers: []int16{vMax, 0}, by: byList, route: rtAll,
		ctrlOK: codesIn(), build: listTxns("producers")})
	add(&attempt{key: 66, label: "list ongoing transactions (every broker)", vers: []int16{vMax}, by: byList, route: rtAll,
		ctrlOK: codesIn(), build: listTxns("ongoing")})
}

// kip848Attempts adds the KIP-848 keys and DescribeTopicPartitions.
func (w *world) kip848Attempts(add func(*attempt)) {
	// 68 ConsumerGroupHeartbeat (the regex subscriptions run apart), 69
	// ConsumerGroupDescribe.
	cgJoin := func(v int16, n *names) kmsg.Request {
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		if n.Scratch == "" {
			n.Scratch = memberID()
		}
		req.Group, req.MemberID, req.MemberEpoch = n.G, n.Scratch, 0
		req.RebalanceTimeoutMillis = 30000
		req.SubscribedTopicNames = []string{n.Topic}
		req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
		return req
	}
	cgLeave := func(ctx context.Context, w *world, s *side, n *names) {
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Group, req.MemberID, req.MemberEpoch = n.G, n.Scratch, -1
		if co := s.coordinator(ctx, 0, n.G); co >= 0 {
			_, _ = s.send(ctx, co, req)
		}
	}
	add(&attempt{internal: true, key: 68, label: "join B's group subscribed to B's topic", vers: []int16{vMax, 0}, by: byName, route: rtGroup,
		roles: []role{rConsumer}, build: cgJoin, post: cgLeave, ctrl: true})
	add(&attempt{key: 68, label: "heartbeat as B's member", vers: []int16{vMax, 0}, by: byName, route: rtGroup,
		roles: []role{rConsumer}, ctrl: true, ctrlNames: w.refreshMembers,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
			req.Group, req.MemberID, req.MemberEpoch = n.G, n.Member848, n.Epoch848
			return req
		}})
	add(&attempt{key: 69, label: "describe consumer group", vers: []int16{vMax, 0}, by: byName, route: rtGroup,
		roles: []role{rConsumer, rLive}, ctrl: true,
		ctrlOK: func(v int16, resp kmsg.Response, n *names) string {
			for _, g := range resp.(*kmsg.ConsumerGroupDescribeResponse).Groups {
				if g.Group == w.cn(w.aPrefix, aConsumer) && g.ErrorCode != 0 {
					return "A's consumer group: " + codeName(g.ErrorCode)
				}
			}
			return ""
		},
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrConsumerGroupDescribeRequest()
			req.Groups = []string{n.G}
			return req
		}})

	// 75 DescribeTopicPartitions: by name, every topic, from a cursor.
	dtp := func(byName, cursor bool) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDescribeTopicPartitionsRequest()
			req.ResponsePartitionLimit = 2000
			if byName {
				t := kmsg.NewDescribeTopicPartitionsRequestTopic()
				t.Topic = n.Topic
				req.Topics = append(req.Topics, t)
			}
			if cursor {
				c := kmsg.NewDescribeTopicPartitionsRequestCursor()
				c.Topic = n.Topic
				req.Cursor = &c
			}
			return req
		}
	}
	add(&attempt{internal: true, key: 75, label: "describe topic partitions", vers: []int16{vMax}, by: byName, route: rtAny, ctrl: true, build: dtp(true, false)})
	add(&attempt{key: 75, label: "describe every topic's partitions", vers: []int16{vMax}, by: byList, route: rtAny,
		ctrlOK: w.listsOwn(w.cn(w.aPrefix, aTopic)), build: dtp(false, false)})
	add(&attempt{key: 75, label: "describe every topic's partitions from a cursor at B's topic", vers: []int16{vMax}, by: byName,
		route: rtAny, noRef: true, build: dtp(false, true)})
}

// shareAttempts adds the share group keys.
func (w *world) shareAttempts(add func(*attempt)) {
	// 76-79, 90-92: share groups.
	sgJoin := func(v int16, n *names) kmsg.Request {
		req := kmsg.NewPtrShareGroupHeartbeatRequest()
		if n.Scratch == "" {
			n.Scratch = memberID()
		}
		req.GroupID, req.MemberID, req.MemberEpoch = n.G, n.Scratch, 0
		req.SubscribedTopicNames = []string{n.Topic}
		return req
	}
	sgLeave := func(ctx context.Context, w *world, s *side, n *names) {
		if co := s.coordinator(ctx, 0, n.G); co >= 0 {
			req := kmsg.NewPtrShareGroupHeartbeatRequest()
			req.GroupID, req.MemberID, req.MemberEpoch = n.G, n.Scratch, -1
			_, _ = s.send(ctx, co, req)
		}
	}
	add(&attempt{key: 76, label: "join B's share group subscribed to B's topic", vers: []int16{vMax}, by: byName, route: rtGroup,
		roles: []role{rShare}, build: sgJoin, post: sgLeave, ctrl: true})
	add(&attempt{key: 76, label: "heartbeat as B's share member", vers: []int16{vMax}, by: byName, route: rtGroup,
		roles: []role{rShare},
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrShareGroupHeartbeatRequest()
			req.GroupID, req.MemberID, req.MemberEpoch = n.G, n.MemberShare, 1
			if req.MemberID == "" {
				req.MemberID = memberID()
			}
			return req
		}})
	add(&attempt{key: 77, label: "describe share group", vers: []int16{vMax}, by: byName, route: rtGroup,
		roles: []role{rShare}, ctrl: true,
		ctrlNames: func(n *names) { n.Share = w.aNames.Share },
		prep: func(ctx context.Context, w *world, s *side, n *names) error {
			if n.G == w.aNames.Share { // the control: make sure A's share group exists
				_, err := w.shareHeartbeat(ctx, s, n.G, memberID(), 0, []string{w.aNames.Topic})
				return err
			}
			return nil
		},
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrShareGroupDescribeRequest()
			req.GroupIDs = []string{n.G}
			return req
		}})
	shareFetch := func(v int16, n *names) kmsg.Request {
		req := kmsg.NewPtrShareFetchRequest()
		req.GroupID, req.MemberID = kmsg.StringPtr(n.Share), kmsg.StringPtr(n.MemberShare)
		if n.MemberShare == "" {
			req.MemberID = kmsg.StringPtr(memberID())
		}
		req.ShareSessionEpoch, req.MaxWaitMillis, req.MinBytes, req.MaxBytes = 0, 0, 0, 1<<20
		req.MaxRecords, req.BatchSize = 10, 10
		t := kmsg.NewShareFetchRequestTopic()
		t.TopicID = n.TopicID
		for _, p := range n.Parts {
			pp := kmsg.NewShareFetchRequestTopicPartition()
			pp.Partition, pp.PartitionMaxBytes = p, 1<<20
			t.Partitions = append(t.Partitions, pp)
		}
		req.Topics = append(req.Topics, t)
		return req
	}
	add(&attempt{internal: true, key: 78, label: "share fetch", vers: []int16{vMax, 1}, by: byID, route: rtLeader, build: shareFetch, ctrl: true,
		prep: func(ctx context.Context, w *world, s *side, n *names) error {
			if n.TopicID == w.aTopicID { // the control joins A's share group first
				n.MemberShare = memberID()
				_, err := w.shareHeartbeat(ctx, s, n.Share, n.MemberShare, 0, []string{w.aNames.Topic})
				return err
			}
			return nil
		},
		ctrlOK: func(v int16, resp kmsg.Response, n *names) string {
			if c := resp.(*kmsg.ShareFetchResponse).ErrorCode; c != 0 {
				return "A's own share fetch refused: " + codeName(c)
			}
			return ""
		}})
	add(&attempt{key: 78, label: "share fetch as a member of A's own share group", vers: []int16{vMax, 1}, by: byID, route: rtLeader,
		build: shareFetch,
		prep: func(ctx context.Context, w *world, s *side, n *names) error {
			n.MemberShare = memberID()
			_, err := w.shareHeartbeat(ctx, s, n.Share, n.MemberShare, 0, []string{n.OwnTopic})
			return err
		},
		post: func(ctx context.Context, w *world, s *side, n *names) {
			_, _ = w.shareHeartbeat(ctx, s, n.Share, n.MemberShare, -1, nil)
		}})
	add(&attempt{key: 79, label: "share acknowledge", vers: []int16{vMax, 1}, by: byID, route: rtLeader,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrShareAcknowledgeRequest()
			req.GroupID, req.MemberID = kmsg.StringPtr(n.Share), kmsg.StringPtr(n.MemberShare)
			if n.MemberShare == "" {
				req.MemberID = kmsg.StringPtr(memberID())
			}
			req.ShareSessionEpoch = 1
			t := kmsg.NewShareAcknowledgeRequestTopic()
			t.TopicID = n.TopicID
			pp := kmsg.NewShareAcknowledgeRequestTopicPartition()
			pp.Partition = 0
			b := kmsg.NewShareAcknowledgeRequestTopicPartitionAcknowledgementBatch()
			b.FirstOffset, b.LastOffset, b.AcknowledgeTypes = 0, 0, []int8{1}
			pp.AcknowledgementBatches = append(pp.AcknowledgementBatches, b)
			t.Partitions = append(t.Partitions, pp)
			req.Topics = append(req.Topics, t)
			return req
		}})
	shareOffsets := func(all bool) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDescribeShareGroupOffsetsRequest()
			g := kmsg.NewDescribeShareGroupOffsetsRequestGroup()
			g.GroupID = n.G
			if !all {
				t := kmsg.NewDescribeShareGroupOffsetsRequestGroupTopic()
				t.Topic, t.Partitions = n.Topic, n.Parts
				g.Topics = append(g.Topics, t)
			}
			req.Groups = append(req.Groups, g)
			return req
		}
	}
	add(&attempt{key: 90, label: "describe share group offsets", vers: []int16{vMax, 0}, by: byName, route: rtGroup,
		roles: []role{rShare}, build: shareOffsets(false), ctrl: true})
	add(&attempt{key: 90, label: "describe every share group offset", vers: []int16{vMax}, by: byName, route: rtGroup,
		roles: []role{rShare}, build: shareOffsets(true), ctrl: true})
	// The controls of 91 and 92: an empty share group of A's, subscribed
	// to A's topic (for 92 with a start offset to delete).
	shareOffsetsCtl := func(n *names) { n.Share = w.cn(w.aPrefix, w.fresh("mine-share-offsets")) }
	emptyShareGroup := func(withOffset bool) func(context.Context, *world, *side, *names) error {
		return func(ctx context.Context, w *world, s *side, n *names) error {
			if !strings.Contains(n.G, "mine-share-offsets") {
				return nil
			}
			m := memberID()
			if _, err := w.shareHeartbeat(ctx, s, n.G, m, 0, []string{n.OwnTopic}); err != nil {
				return err
			}
			if _, err := w.shareHeartbeat(ctx, s, n.G, m, -1, nil); err != nil {
				return err
			}
			if !withOffset {
				return nil
			}
			req := kmsg.NewPtrAlterShareGroupOffsetsRequest()
			req.GroupID = n.G
			t := kmsg.NewAlterShareGroupOffsetsRequestTopic()
			t.Topic = n.OwnTopic
			t.Partitions = []kmsg.AlterShareGroupOffsetsRequestTopicPartition{{Partition: 0, StartOffset: 0}}
			req.Topics = append(req.Topics, t)
			resp, err := s.send(ctx, s.coordinator(ctx, 0, n.G), req)
			if err != nil {
				return err
			}
			if cs := nonZeroCodes(resp); len(cs) > 0 {
				return fmt.Errorf("setting a start offset: %s", codeList(cs))
			}
			return nil
		}
	}
	add(&attempt{key: 91, label: "alter share group offsets", vers: []int16{vMax}, by: byName, route: rtGroup, destructive: true,
		roles: []role{rShare},
		ctrl:  true, ctrlNames: shareOffsetsCtl, prep: emptyShareGroup(false),
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrAlterShareGroupOffsetsRequest()
			req.GroupID = n.G
			t := kmsg.NewAlterShareGroupOffsetsRequestTopic()
			t.Topic = n.Topic
			p := kmsg.NewAlterShareGroupOffsetsRequestTopicPartition()
			p.Partition, p.StartOffset = 0, 0
			t.Partitions = append(t.Partitions, p)
			req.Topics = append(req.Topics, t)
			return req
		}})
	add(&attempt{key: 92, label: "delete share group offsets", vers: []int16{vMax}, by: byName, route: rtGroup, destructive: true,
		roles: []role{rShare},
		ctrl:  true, ctrlNames: shareOffsetsCtl, prep: emptyShareGroup(true),
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDeleteShareGroupOffsetsRequest()
			req.GroupID = n.G
			t := kmsg.NewDeleteShareGroupOffsetsRequestTopic()
			t.Topic = n.Topic
			req.Topics = append(req.Topics, t)
			return req
		}})
}

// mixedAttempts adds requests naming A's own resources and B's together, and
// fetch sessions.
func (w *world) mixedAttempts(add func(*attempt)) {
	// Requests naming A's own topic and B's together: the gateway takes
	// B's entries out and merges its refusals into the backend's answer.
	// Sent to the leader of A's partition, where A's entries succeed.
	add(&attempt{key: 3, label: "metadata of A's topic and B's", vers: []int16{vMax, 9}, by: byName, route: rtAny,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrMetadataRequest()
			for _, name := range []string{n.OwnTopic, n.Topic} {
				t := kmsg.NewMetadataRequestTopic()
				t.Topic = kmsg.StringPtr(name)
				req.Topics = append(req.Topics, t)
			}
			return req
		}})
	mixedProduce := func(v int16, n *names) kmsg.Request {
		req := kmsg.NewPtrProduceRequest()
		req.Acks, req.TimeoutMillis = -1, 5000
		for i, name := range []string{n.OwnTopic, n.Topic} {
			t := kmsg.NewProduceRequestTopic()
			if v >= 13 {
				t.TopicID = [][16]byte{n.OwnTopicID, n.TopicID}[i]
			} else {
				t.Topic = name
			}
			pp := kmsg.NewProduceRequestTopicPartition()
			pp.Partition, pp.Records = 0, recordBatch(-1, -1, -1, false, "mixed")
			t.Partitions = append(t.Partitions, pp)
			req.Topics = append(req.Topics, t)
		}
		return req
	}
	add(&attempt{key: 0, label: "produce to A's topic and B's", vers: []int16{12}, by: byName, route: rtOwnLeader, build: mixedProduce})
	add(&attempt{key: 0, label: "produce to A's topic and B's", vers: []int16{vMax}, by: byID, route: rtOwnLeader, build: mixedProduce})
	mixedFetch := func(v int16, n *names) kmsg.Request {
		req := kmsg.NewPtrFetchRequest()
		req.MaxWaitMillis, req.MinBytes, req.MaxBytes = 50, 1, 1<<20
		for i, name := range []string{n.OwnTopic, n.Topic} {
			t := kmsg.NewFetchRequestTopic()
			if v >= 13 {
				t.TopicID = [][16]byte{n.OwnTopicID, n.TopicID}[i]
			} else {
				t.Topic = name
			}
			pp := kmsg.NewFetchRequestTopicPartition()
			pp.Partition, pp.PartitionMaxBytes = 0, 1<<20
			t.Partitions = append(t.Partitions, pp)
			req.Topics = append(req.Topics, t)
		}
		return req
	}
	add(&attempt{key: 1, label: "fetch A's topic and B's", vers: []int16{12}, by: byName, route: rtOwnLeader, build: mixedFetch})
	add(&attempt{key: 1, label: "fetch A's topic and B's", vers: []int16{vMax}, by: byID, route: rtOwnLeader, build: mixedFetch})
	add(&attempt{key: 2, label: "list offsets of A's topic and B's", vers: []int16{vMax}, by: byName, route: rtOwnLeader,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrListOffsetsRequest()
			for _, name := range []string{n.OwnTopic, n.Topic} {
				t := kmsg.NewListOffsetsRequestTopic()
				t.Topic = name
				pp := kmsg.NewListOffsetsRequestTopicPartition()
				pp.Partition, pp.Timestamp = 0, -2
				t.Partitions = append(t.Partitions, pp)
				req.Topics = append(req.Topics, t)
			}
			return req
		}})
	add(&attempt{key: 23, label: "leader epochs of A's topic and B's", vers: []int16{vMax}, by: byName, route: rtOwnLeader,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrOffsetForLeaderEpochRequest()
			req.ReplicaID = -1
			for _, name := range []string{n.OwnTopic, n.Topic} {
				t := kmsg.NewOffsetForLeaderEpochRequestTopic()
				t.Topic = name
				pp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
				pp.Partition, pp.LeaderEpoch = 0, 0
				t.Partitions = append(t.Partitions, pp)
				req.Topics = append(req.Topics, t)
			}
			return req
		}})
	add(&attempt{key: 61, label: "describe producers of A's topic and B's", vers: []int16{vMax}, by: byName, route: rtOwnLeader,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDescribeProducersRequest()
			for _, name := range []string{n.OwnTopic, n.Topic} {
				t := kmsg.NewDescribeProducersRequestTopic()
				t.Topic, t.Partitions = name, []int32{0}
				req.Topics = append(req.Topics, t)
			}
			return req
		}})
	add(&attempt{key: 21, label: "delete records of A's topic (none) and B's", vers: []int16{vMax}, by: byName, route: rtOwnLeader, destructive: true,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDeleteRecordsRequest()
			req.TimeoutMillis = 10000
			for i, name := range []string{n.OwnTopic, n.Topic} {
				t := kmsg.NewDeleteRecordsRequestTopic()
				t.Topic = name
				pp := kmsg.NewDeleteRecordsRequestTopicPartition()
				pp.Partition, pp.Offset = 0, []int64{0, -1}[i]
				t.Partitions = append(t.Partitions, pp)
				req.Topics = append(req.Topics, t)
			}
			return req
		}})
	add(&attempt{key: 19, label: "create A's and B's topic (validate only)", vers: []int16{vMax}, by: byName, route: rtAny,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrCreateTopicsRequest()
			req.ValidateOnly = true
			for _, name := range []string{n.OwnTopic + "-new", n.Topic} {
				t := kmsg.NewCreateTopicsRequestTopic()
				t.Topic, t.NumPartitions, t.ReplicationFactor = name, 1, 1
				req.Topics = append(req.Topics, t)
			}
			return req
		}})
	add(&attempt{key: 32, label: "describe configs of A's topic and B's", vers: []int16{vMax}, by: byName, route: rtAny,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDescribeConfigsRequest()
			for _, name := range []string{n.OwnTopic, n.Topic} {
				r := kmsg.NewDescribeConfigsRequestResource()
				r.ResourceType, r.ResourceName, r.ConfigNames = kmsg.ConfigResourceTypeTopic, name, []string{"retention.ms"}
				req.Resources = append(req.Resources, r)
			}
			return req
		}})
	mixedOffsetFetch := func(v int16, n *names) kmsg.Request {
		req := kmsg.NewPtrOffsetFetchRequest()
		g := kmsg.NewOffsetFetchRequestGroup()
		g.Group = n.G
		for i, name := range []string{n.OwnTopic, n.Topic} {
			t := kmsg.NewOffsetFetchRequestGroupTopic()
			if v >= 10 {
				t.TopicID = [][16]byte{n.OwnTopicID, n.TopicID}[i]
			} else {
				t.Topic = name
			}
			t.Partitions = []int32{0}
			g.Topics = append(g.Topics, t)
		}
		req.Groups = append(req.Groups, g)
		return req
	}
	add(&attempt{key: 9, label: "fetch offsets of A's topic and B's in A's group", vers: []int16{9}, by: byName, route: rtGroup,
		roles: []role{rOwnClassic}, build: mixedOffsetFetch})
	add(&attempt{key: 9, label: "fetch offsets of A's topic and B's in A's group", vers: []int16{vMax}, by: byID, route: rtGroup,
		roles: []role{rOwnClassic}, build: mixedOffsetFetch})
	mixedCommit := func(v int16, n *names) kmsg.Request {
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Group, req.Generation = n.G, -1
		for i, name := range []string{n.OwnTopic, n.Topic} {
			t := kmsg.NewOffsetCommitRequestTopic()
			if v >= 10 {
				t.TopicID = [][16]byte{n.OwnTopicID, n.TopicID}[i]
			} else {
				t.Topic = name
			}
			pp := kmsg.NewOffsetCommitRequestTopicPartition()
			pp.Partition, pp.Offset = 0, 1
			t.Partitions = append(t.Partitions, pp)
			req.Topics = append(req.Topics, t)
		}
		return req
	}
	add(&attempt{key: 8, label: "commit offsets of A's topic and B's into A's group", vers: []int16{9}, by: byName, route: rtGroup,
		roles: []role{rOwnClassic}, build: mixedCommit})
	add(&attempt{key: 8, label: "commit offsets of A's topic and B's into A's group", vers: []int16{vMax}, by: byID, route: rtGroup,
		roles: []role{rOwnClassic}, build: mixedCommit})
	add(&attempt{key: 10, label: "find coordinators of A's group and B's", vers: []int16{vMax}, by: byName, route: rtAny,
		roles: []role{rConsumer}, build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrFindCoordinatorRequest()
			req.CoordinatorKeys = []string{n.OwnGroup, n.G}
			return req
		}})

	// A fetch session opened on A's topic, then an incremental fetch
	// adding B's topic, and one forgetting it.
	fetchSession := func(v int16) func(ctx context.Context, w *world, s *side, n *names) error {
		return func(ctx context.Context, w *world, s *side, n *names) error {
			req := kmsg.NewPtrFetchRequest()
			req.SetVersion(v)
			req.MaxWaitMillis, req.MinBytes, req.MaxBytes, req.SessionID, req.SessionEpoch = 0, 0, 1<<20, 0, 0
			t := kmsg.NewFetchRequestTopic()
			if v >= 13 {
				t.TopicID = n.OwnTopicID
			} else {
				t.Topic = n.OwnTopic
			}
			pp := kmsg.NewFetchRequestTopicPartition()
			pp.Partition, pp.PartitionMaxBytes = 0, 1<<20
			t.Partitions = append(t.Partitions, pp)
			req.Topics = append(req.Topics, t)
			b := w.brokers[0]
			if l, ok := w.leaders[n.OwnTopic]; ok {
				b = l
			}
			resp, err := s.send(ctx, b, req)
			if err != nil {
				return err
			}
			r := resp.(*kmsg.FetchResponse)
			if r.ErrorCode != 0 || r.SessionID == 0 {
				return fmt.Errorf("opening a fetch session: %s, session %d", codeName(r.ErrorCode), r.SessionID)
			}
			n.Session = r.SessionID
			return nil
		}
	}
	sessionFetch := func(forget bool) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrFetchRequest()
			req.MaxWaitMillis, req.MinBytes, req.MaxBytes, req.SessionID, req.SessionEpoch = 0, 0, 1<<20, n.Session, 1
			if forget {
				f := kmsg.NewFetchRequestForgottenTopic()
				if v >= 13 {
					f.TopicID = n.TopicID
				} else {
					f.Topic = n.Topic
				}
				f.Partitions = []int32{0}
				req.ForgottenTopics = append(req.ForgottenTopics, f)
				return req
			}
			t := kmsg.NewFetchRequestTopic()
			if v >= 13 {
				t.TopicID = n.TopicID
			} else {
				t.Topic = n.Topic
			}
			pp := kmsg.NewFetchRequestTopicPartition()
			pp.Partition, pp.PartitionMaxBytes = 0, 1<<20
			t.Partitions = append(t.Partitions, pp)
			req.Topics = append(req.Topics, t)
			return req
		}
	}
	for _, forget := range []bool{false, true} {
		label := "add B's topic to A's fetch session"
		if forget {
			label = "forget B's topic in A's fetch session"
		}
		add(&attempt{key: 1, label: label, vers: []int16{12}, by: byName, route: rtOwnLeader, prep: fetchSession(12), build: sessionFetch(forget)})
		add(&attempt{key: 1, label: label, vers: []int16{vMax}, by: byID, route: rtOwnLeader, prep: fetchSession(15), build: sessionFetch(forget)})
	}
}

// unservedAttempts adds keys a namespace does not serve today.
func (w *world) unservedAttempts(add func(*attempt)) {
	// Keys a namespace does not serve today (cluster-wide, or not
	// rewritten yet). Should one be advertised, its attack is here.
	aclFilter := func(n *names) (kmsg.ACLResourceType, *string) {
		return kmsg.ACLResourceTypeTopic, kmsg.StringPtr(n.Topic)
	}
	add(&attempt{key: 29, label: "describe ACLs of B's topic", vers: []int16{vMax, 1}, by: byName, route: rtAny,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDescribeACLsRequest()
			req.ResourceType, req.ResourceName = aclFilter(n)
			req.ResourcePatternType, req.Operation, req.PermissionType = kmsg.ACLResourcePatternTypeMatch, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
			return req
		}})
	add(&attempt{key: 29, label: "describe every ACL", vers: []int16{vMax, 1}, by: byList, route: rtAny, ctrlOK: codesIn(kerr.SecurityDisabled.Code),
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDescribeACLsRequest()
			req.ResourceType, req.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
			req.Operation, req.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
			return req
		}})
	add(&attempt{key: 30, label: "grant an ACL on B's topic", vers: []int16{vMax, 1}, by: byName, route: rtAny, destructive: true,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrCreateACLsRequest()
			c := kmsg.NewCreateACLsRequestCreation()
			c.ResourceType, c.ResourceName, c.ResourcePatternType = kmsg.ACLResourceTypeTopic, n.Topic, kmsg.ACLResourcePatternTypeLiteral
			c.Principal, c.Host, c.Operation, c.PermissionType = "User:intruder-"+w.run, "*", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow
			req.Creations = append(req.Creations, c)
			return req
		}})
	add(&attempt{key: 31, label: "delete ACLs of B's topic", vers: []int16{vMax, 1}, by: byName, route: rtAny, destructive: true,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDeleteACLsRequest()
			f := kmsg.NewDeleteACLsRequestFilter()
			f.ResourceType, f.ResourceName = aclFilter(n)
			f.ResourcePatternType, f.Operation, f.PermissionType = kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
			f.Principal = kmsg.StringPtr("User:intruder-" + w.run)
			req.Filters = append(req.Filters, f)
			return req
		}})
	add(&attempt{key: 34, label: "move B's replicas to another log dir", vers: []int16{vMax}, by: byName, route: rtLeader, destructive: true,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrAlterReplicaLogDirsRequest()
			d := kmsg.NewAlterReplicaLogDirsRequestDir()
			d.Dir = "/nonexistent-" + w.run
			t := kmsg.NewAlterReplicaLogDirsRequestDirTopic()
			t.Topic, t.Partitions = n.Topic, n.Parts
			d.Topics = append(d.Topics, t)
			req.Dirs = append(req.Dirs, d)
			return req
		}})
	add(&attempt{key: 43, label: "elect leaders of B's topic", vers: []int16{vMax, 0}, by: byName, route: rtAny, destructive: true,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrElectLeadersRequest()
			req.TimeoutMillis = 10000
			t := kmsg.NewElectLeadersRequestTopic()
			t.Topic, t.Partitions = n.Topic, n.Parts
			req.Topics = append(req.Topics, t)
			return req
		}})
	add(&attempt{key: 45, label: "cancel reassignments of B's topic", vers: []int16{vMax, 0}, by: byName, route: rtAny, destructive: true,
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrAlterPartitionAssignmentsRequest()
			req.TimeoutMillis = 10000
			t := kmsg.NewAlterPartitionAssignmentsRequestTopic()
			t.Topic = n.Topic
			t.Partitions = []kmsg.AlterPartitionAssignmentsRequestTopicPartition{{Partition: 0}}
			req.Topics = append(req.Topics, t)
			return req
		}})
	listReassign := func(all bool) func(int16, *names) kmsg.Request {
		return func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrListPartitionReassignmentsRequest()
			req.TimeoutMillis = 10000
			if !all {
				t := kmsg.NewListPartitionReassignmentsRequestTopic()
				t.Topic, t.Partitions = n.Topic, n.Parts
				req.Topics = append(req.Topics, t)
			}
			return req
		}
	}
	add(&attempt{key: 46, label: "list reassignments of B's topic", vers: []int16{vMax}, by: byName, route: rtAny, build: listReassign(false)})
	add(&attempt{key: 46, label: "list every reassignment", vers: []int16{vMax}, by: byList, route: rtAny, ctrlOK: codesIn(), build: listReassign(true)})
	add(&attempt{key: 48, label: "describe every client quota", vers: []int16{vMax}, by: byList, route: rtAny, ctrlOK: codesIn(),
		build: func(v int16, n *names) kmsg.Request { return kmsg.NewPtrDescribeClientQuotasRequest() }})
	add(&attempt{key: 50, label: "describe every SCRAM user", vers: []int16{vMax}, by: byList, route: rtAny, ctrlOK: codesIn(kerr.ResourceNotFound.Code),
		build: func(v int16, n *names) kmsg.Request { return kmsg.NewPtrDescribeUserSCRAMCredentialsRequest() }})
	add(&attempt{key: 55, label: "describe the metadata quorum", vers: []int16{vMax}, by: byList, route: rtAny, ctrlOK: codesIn(),
		build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrDescribeQuorumRequest()
			t := kmsg.NewDescribeQuorumRequestTopic()
			t.Topic = "__cluster_metadata"
			t.Partitions = []kmsg.DescribeQuorumRequestTopicPartition{{Partition: 0}}
			req.Topics = append(req.Topics, t)
			return req
		}})
	add(&attempt{key: 74, label: "list every config resource", vers: []int16{vMax}, by: byList, route: rtAny, ctrlOK: codesIn(),
		build: func(v int16, n *names) kmsg.Request { return kmsg.NewPtrListConfigResourcesRequest() }})
	for _, k := range []int16{38, 39, 40, 41, 49, 51, 57, 64} {
		k := k
		add(&attempt{key: k, label: "default request (no tenant resource)", vers: []int16{vMax}, by: byNone, route: rtAny,
			build: func(v int16, n *names) kmsg.Request {
				req := kmsg.RequestForKey(k)
				switch r := req.(type) {
				case *kmsg.AlterClientQuotasRequest:
					r.ValidateOnly = true
				case *kmsg.UpdateFeaturesRequest:
					r.ValidateOnly = true
				case *kmsg.UnregisterBrokerRequest:
					r.BrokerID = 9999
				}
				return req
			}})
	}
	add(&attempt{key: 88, label: "join B's group as a streams member", vers: []int16{vMax}, by: byName, route: rtGroup,
		roles: []role{rConsumer}, build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrStreamsGroupHeartbeatRequest()
			req.Group, req.MemberID, req.MemberEpoch, req.RebalanceTimeoutMillis = n.G, memberID(), 0, 30000
			return req
		}})
	add(&attempt{key: 89, label: "describe streams group", vers: []int16{vMax}, by: byName, route: rtGroup,
		roles: []role{rConsumer, rLive}, build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrStreamsGroupDescribeRequest()
			req.Groups = []string{n.G}
			req.IncludeTopologyDescription = true
			return req
		}})
	add(&attempt{key: 93, label: "update the topology of B's group", vers: []int16{vMax}, by: byName, route: rtGroup,
		roles: []role{rConsumer}, build: func(v int16, n *names) kmsg.Request {
			req := kmsg.NewPtrStreamsGroupTopologyDescriptionUpdateRequest()
			req.Group, req.MemberID = n.G, n.Member848
			return req
		}})
}

// regexAttacks subscribes fresh members of A's own groups with KIP-848
// regexes, which the broker evaluates over every topic: ".*" must assign
// A's topic and nothing of B's; regexes that can only match B's topic
// must assign nothing.
func (w *world) regexAttacks(ctx context.Context, e *engine) {
	const key = 68
	_, max, ok := w.a.versions(key)
	if !ok || max < 1 {
		e.note(key, "no regex attack: v1 not advertised")
		return
	}
	regexes := []string{".*", ".*ledger.*", regexp.QuoteMeta(w.bPrefix) + ".*", "ledger", "(?i).*LEDGER.*"}
	var once sync.Once
	rctx, cancel := context.WithTimeout(ctx, 12*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i, rx := range regexes {
		wg.Add(1)
		go func(positive bool, rx string) {
			defer wg.Done()
			group := w.cn(w.aPrefix, w.fresh("mine-regex"))
			member := memberID()
			epoch := int32(0)
			what := fmt.Sprintf("subscribe a member of A's group to regex %q", rx)
			co := w.a.coordinator(ctx, 0, group)
			if co < 0 {
				co = w.brokers[0]
			}
			var assigned [][16]byte
			deadline := time.After(10 * time.Second)
		loop:
			for {
				req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
				req.SetVersion(max)
				req.Group, req.MemberID, req.MemberEpoch = group, member, epoch
				if epoch == 0 {
					req.RebalanceTimeoutMillis = 30000
					req.SubscribedTopicRegex = kmsg.StringPtr(rx)
					req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
				}
				st := e.stat(key)
				e.mu.Lock()
				st.attacks++
				st.versions[max] = true
				e.mu.Unlock()
				w.fp.remember(req)
				resp, err := w.a.send(ctx, co, req)
				if err != nil {
					e.fail(finding{kind: "MISMATCH", key: key, version: max, what: what, detail: err.Error(), req: render(req)})
					return
				}
				r := resp.(*kmsg.ConsumerGroupHeartbeatResponse)
				if l := leakDetail(w.fp.scan(r, req)); l != "" {
					e.fail(finding{kind: "LEAK", key: key, version: max, what: what, detail: l, req: render(req), resp: render(r)})
				}
				if r.ErrorCode != 0 {
					e.fail(finding{kind: "MISMATCH", key: key, version: max, what: what,
						detail: "heartbeat refused: " + codeName(r.ErrorCode), req: render(req), resp: render(r)})
					return
				}
				epoch = r.MemberEpoch
				if r.Assignment != nil {
					assigned = assigned[:0]
					for _, t := range r.Assignment.Topics {
						assigned = append(assigned, t.TopicID)
					}
				}
				if positive && slices.Contains(assigned, w.aTopicID) {
					once.Do(func() { time.AfterFunc(2*time.Second, cancel) })
					break
				}
				select {
				case <-rctx.Done():
					break loop
				case <-deadline:
					break loop
				case <-time.After(300 * time.Millisecond):
				}
			}
			for _, id := range assigned {
				if id == w.bTopicID {
					e.fail(finding{kind: "LEAK", key: key, version: max, what: what, detail: "B's topic was assigned"})
				} else if id != w.aTopicID && !positive {
					e.fail(finding{kind: "MISMATCH", key: key, version: max, what: what,
						detail: "a topic was assigned: " + base64.RawURLEncoding.EncodeToString(id[:])})
				}
			}
			if positive {
				st := e.stat(key)
				e.mu.Lock()
				st.controls++
				e.mu.Unlock()
				if !slices.Contains(assigned, w.aTopicID) {
					e.fail(finding{kind: "CONTROL", key: key, version: max, what: what, detail: "A's own topic was never assigned"})
				}
			}
			leave := kmsg.NewPtrConsumerGroupHeartbeatRequest()
			leave.SetVersion(max)
			leave.Group, leave.MemberID, leave.MemberEpoch = group, member, -1
			_, _ = w.a.send(ctx, co, leave)
		}(i == 0, rx)
	}
	wg.Wait()
	e.note(key, fmt.Sprintf("%d regexes", len(regexes)))
}

// notAdvertised sends each key A's gateway does not advertise once, raw,
// at the backend's version: the gateway must close the connection.
func (w *world) notAdvertised(e *engine) map[int16]string {
	out := map[int16]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for k := int16(0); k < 128; k++ {
		req := kmsg.RequestForKey(k)
		if req == nil || k == 18 {
			continue
		}
		if _, _, ok := w.a.versions(k); ok {
			continue
		}
		v := req.MaxVersion()
		if _, max, ok := w.direct.versions(k); ok && max < v {
			v = max
		}
		req.SetVersion(v)
		w.fillUnadvertised(req)
		wg.Add(1)
		go func(k int16, req kmsg.Request) {
			defer wg.Done()
			res := rawRequest(w.a.boot, req, 5*time.Second)
			var s string
			switch {
			case res.closed:
				s = fmt.Sprintf("v%d: closed", req.GetVersion())
			case res.resp != nil:
				s = fmt.Sprintf("v%d: ANSWERED %s", req.GetVersion(), codeList(nonZeroCodes(res.resp)))
				if l := leakDetail(w.fp.scan(res.resp, req)); l != "" {
					e.fail(finding{kind: "LEAK", key: k, version: req.GetVersion(), what: "raw request of a key A does not advertise",
						detail: l, req: render(req), resp: render(res.resp)})
				}
				e.fail(finding{kind: "CLOSE", key: k, version: req.GetVersion(), what: "raw request of a key A does not advertise",
					detail: "answered instead of closing the connection", req: render(req), resp: render(res.resp)})
			default:
				s = fmt.Sprintf("v%d: %v", req.GetVersion(), res.err)
				e.fail(finding{kind: "CLOSE", key: k, version: req.GetVersion(), what: "raw request of a key A does not advertise",
					detail: fmt.Sprintf("connection neither answered nor closed: %v", res.err), req: render(req)})
			}
			mu.Lock()
			out[k] = s
			mu.Unlock()
		}(k, req)
	}
	wg.Wait()
	return out
}

// fillUnadvertised gives the describe and list requests of keys A does not
// advertise B's names, and keeps the others harmless (empty lists, ids that
// do not exist), in case a gateway forwards them after all.
func (w *world) fillUnadvertised(req kmsg.Request) {
	bt := w.bPrefix + bTopic
	switch r := req.(type) {
	case *kmsg.DescribeACLsRequest:
		r.ResourceType, r.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
		r.Operation, r.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	case *kmsg.DeleteACLsRequest:
		f := kmsg.NewDeleteACLsRequestFilter()
		f.ResourceType, f.ResourceName, f.ResourcePatternType = kmsg.ACLResourceTypeTopic, kmsg.StringPtr(bt), kmsg.ACLResourcePatternTypeLiteral
		f.Principal, f.Operation, f.PermissionType = kmsg.StringPtr("User:nobody-"+w.run), kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
		r.Filters = append(r.Filters, f)
	case *kmsg.ElectLeadersRequest:
		t := kmsg.NewElectLeadersRequestTopic()
		t.Topic, t.Partitions = bt, []int32{0}
		r.Topics = append(r.Topics, t)
	case *kmsg.ListPartitionReassignmentsRequest:
		t := kmsg.NewListPartitionReassignmentsRequestTopic()
		t.Topic, t.Partitions = bt, []int32{0}
		r.Topics = append(r.Topics, t)
	case *kmsg.StreamsGroupDescribeRequest:
		r.Groups = []string{w.bPrefix + bConsumer}
	case *kmsg.DescribeQuorumRequest:
		t := kmsg.NewDescribeQuorumRequestTopic()
		t.Topic = "__cluster_metadata"
		t.Partitions = []kmsg.DescribeQuorumRequestTopicPartition{{Partition: 0}}
		r.Topics = append(r.Topics, t)
	case *kmsg.UnregisterBrokerRequest:
		r.BrokerID = 9999
	}
}

// acksZero sends, on one raw connection to the broker port of A's
// gateway that leads B's partition, a Produce with acks=0 naming B's topic
// and then ApiVersions; Kafka, asked the same for a topic it does not have,
// gives the reference. An acks=0 produce has no answer: the first answer
// must be the ApiVersions one, or the connection closed as Kafka closes it.
func (w *world) acksZero(e *engine) {
	const key = 0
	_, max, ok := w.a.versions(key)
	if !ok {
		return
	}
	aBase, _ := strconv.Atoi(w.a.boot[strings.LastIndex(w.a.boot, ":")+1:])
	for _, v := range []int16{12, max} {
		for _, variant := range []struct {
			what string
			n    *names
		}{{"B's client name", w.bClient}, {"B's backend name", w.bBackend}, {"B's topic id", w.bByID}} {
			if (v >= 13) != (variant.n.TopicID != [16]byte{}) {
				continue
			}
			build := func(n *names) kmsg.Request {
				req := kmsg.NewPtrProduceRequest()
				req.SetVersion(v)
				req.Acks, req.TimeoutMillis = 0, 5000
				t := kmsg.NewProduceRequestTopic()
				if v >= 13 {
					t.TopicID = n.TopicID
				} else {
					t.Topic = n.Topic
				}
				pp := kmsg.NewProduceRequestTopicPartition()
				pp.Partition, pp.Records = 0, recordBatch(-1, -1, -1, false, "intruder-acks0")
				t.Partitions = append(t.Partitions, pp)
				req.Topics = append(req.Topics, t)
				return req
			}
			leader := w.leaders[bTopic]
			st := e.stat(key)
			e.mu.Lock()
			st.attacks++
			st.versions[v] = true
			e.mu.Unlock()
			what := "produce with acks=0, then ApiVersions, on one connection, by " + variant.what
			req := build(variant.n)
			got := rawExchange(fmt.Sprintf("127.0.0.1:%d", aBase+int(leader)), req, 3*time.Second)
			ref := rawExchange(w.brokerAddrs[w.brokers[0]], build(w.refOf(variant.n)), 3*time.Second)
			if got != ref {
				e.fail(finding{kind: "MISMATCH", key: key, version: v, what: what,
					detail: fmt.Sprintf("gateway: %s; Kafka for a missing topic: %s", got, ref), req: render(req)})
			}
			e.note(key, fmt.Sprintf("acks=0 v%d: %s", v, got))
		}
	}
}
