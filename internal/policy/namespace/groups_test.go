package namespace

import (
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestFindCoordinator(t *testing.T) {
	t.Run("v3 group", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrFindCoordinatorRequest()
		r.Version, r.CoordinatorKey = 3, "g1"
		x := f.req(t, r)
		forwarded(t, x)
		if r.CoordinatorKey != "team-a.g1" || x.NeedsResponse() {
			t.Fatalf("key %q, response wanted %v", r.CoordinatorKey, x.NeedsResponse())
		}
	})
	t.Run("v3 foreign transaction", func(t *testing.T) {
		f := newFixture(t, enforceCfg())
		r := kmsg.NewPtrFindCoordinatorRequest()
		r.Version, r.CoordinatorType, r.CoordinatorKey = 3, 1, "tx"
		resp := local[*kmsg.FindCoordinatorResponse](t, f.req(t, r))
		if resp.ErrorCode != errTxnDenied || resp.NodeID != -1 {
			t.Fatalf("answer %+v", resp)
		}
	})
	for _, tc := range []struct {
		name    string
		enforce bool
		typ     int8
		keys    []string
		sent    []string
		refused map[string]int16
	}{
		{"hide/groups", false, 0, []string{"g1", "legacy-x"}, []string{"team-a.g1", "legacy-x"}, nil},
		{"enforce/groups", true, 0, []string{"team-a.g1", "g1"}, []string{"team-a.g1"}, map[string]int16{"g1": errGroupDenied}},
		{"hide/txns", false, 1, []string{"tx"}, []string{"team-a.tx"}, nil},
		{"enforce/txns", true, 1, []string{"team-a.tx", "tx", "legacy-x"}, []string{"team-a.tx"}, map[string]int16{"tx": errTxnDenied, "legacy-x": errTxnDenied}},
		{"hide/share keys", false, 2, []string{"g:x:0"}, nil, map[string]int16{"g:x:0": errClusterDenied}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := hideCfg()
			if tc.enforce {
				cfg = enforceCfg()
			}
			f := newFixture(t, cfg)
			r := kmsg.NewPtrFindCoordinatorRequest()
			r.Version, r.CoordinatorType, r.CoordinatorKeys = 6, tc.typ, slices.Clone(tc.keys)
			x := f.req(t, r)
			var resp *kmsg.FindCoordinatorResponse
			if tc.sent == nil {
				resp = local[*kmsg.FindCoordinatorResponse](t, x)
			} else {
				if !slices.Equal(r.CoordinatorKeys, tc.sent) {
					t.Fatalf("sent %v", r.CoordinatorKeys)
				}
				resp = kmsg.NewPtrFindCoordinatorResponse()
				for _, k := range r.CoordinatorKeys {
					resp.Coordinators = append(resp.Coordinators, kmsg.FindCoordinatorResponseCoordinator{Key: k, NodeID: 1, Host: "h", Port: 1})
				}
				f.resp(t, x, resp)
			}
			got := map[string]int16{}
			for _, c := range resp.Coordinators {
				got[c.Key] = c.ErrorCode
			}
			if len(got) != len(tc.keys) {
				t.Fatalf("answer %v", got)
			}
			for _, k := range tc.keys {
				if got[k] != tc.refused[k] {
					t.Errorf("key %s: %d, want %d", k, got[k], tc.refused[k])
				}
			}
		})
	}
}

func consumerMetadata(topics ...string) []byte {
	m := kmsg.NewConsumerMemberMetadata()
	m.Version = 3
	m.Topics = topics
	for _, t := range topics {
		m.OwnedPartitions = append(m.OwnedPartitions, kmsg.ConsumerMemberMetadataOwnedPartition{Topic: t, Partitions: []int32{0}})
	}
	m.UserData = []byte("user")
	return m.AppendTo(nil)
}

func metadataTopics(t *testing.T, b []byte) ([]string, []string) {
	t.Helper()
	var m kmsg.ConsumerMemberMetadata
	if err := m.ReadFrom(b); err != nil {
		t.Fatal(err)
	}
	var owned []string
	for _, o := range m.OwnedPartitions {
		owned = append(owned, o.Topic)
	}
	if string(m.UserData) != "user" {
		t.Errorf("user data %q", m.UserData)
	}
	return m.Topics, owned
}

func consumerAssignment(topics ...string) []byte {
	a := kmsg.NewConsumerMemberAssignment()
	a.Version = 1
	for _, t := range topics {
		a.Topics = append(a.Topics, kmsg.ConsumerMemberAssignmentTopic{Topic: t, Partitions: []int32{0, 1}})
	}
	return a.AppendTo(nil)
}

func assignmentTopics(t *testing.T, b []byte) []string {
	t.Helper()
	var a kmsg.ConsumerMemberAssignment
	if err := a.ReadFrom(b); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, at := range a.Topics {
		out = append(out, at.Topic)
	}
	return out
}

func TestClassicGroups(t *testing.T) {
	t.Run("JoinGroup consumer", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrJoinGroupRequest()
		r.Version, r.Group, r.ProtocolType = 9, "g1", "consumer"
		r.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: consumerMetadata("orders", "shared.prices", "__consumer_offsets")}}
		x := f.req(t, r)
		if r.Group != "team-a.g1" {
			t.Fatalf("group %q", r.Group)
		}
		topics, owned := metadataTopics(t, r.Protocols[0].Metadata)
		if !slices.Equal(topics, []string{"team-a.orders", "shared.prices"}) || !slices.Equal(owned, topics) {
			t.Fatalf("sent subscription %v, owned %v", topics, owned)
		}
		resp := kmsg.NewPtrJoinGroupResponse()
		resp.ProtocolType = sp("consumer")
		resp.Members = []kmsg.JoinGroupResponseMember{
			{MemberID: "m1", ProtocolMetadata: consumerMetadata("team-a.orders", "shared.prices")},
			{MemberID: "m2", ProtocolMetadata: consumerMetadata("team-b.orders", "team-a.payments")},
		}
		f.resp(t, x, resp)
		if topics, _ := metadataTopics(t, resp.Members[0].ProtocolMetadata); !slices.Equal(topics, []string{"orders", "shared.prices"}) {
			t.Errorf("member 1 subscription %v", topics)
		}
		if topics, owned := metadataTopics(t, resp.Members[1].ProtocolMetadata); !slices.Equal(topics, []string{"payments"}) || !slices.Equal(owned, topics) {
			t.Errorf("member 2 subscription %v, owned %v", topics, owned)
		}
	})
	t.Run("JoinGroup connect", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrJoinGroupRequest()
		r.Version, r.Group, r.ProtocolType = 9, "connect-cluster", "connect"
		payload := []byte("\x00\x01opaque connect metadata")
		r.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "sessioned", Metadata: payload}}
		x := f.req(t, r)
		if r.Group != "team-a.connect-cluster" || string(r.Protocols[0].Metadata) != string(payload) || x.NeedsResponse() {
			t.Fatalf("connect join %+v", r)
		}
	})
	t.Run("JoinGroup enforce foreign", func(t *testing.T) {
		f := newFixture(t, enforceCfg())
		r := kmsg.NewPtrJoinGroupRequest()
		r.Version, r.Group, r.MemberID = 9, "team-b.g1", "m"
		resp := local[*kmsg.JoinGroupResponse](t, f.req(t, r))
		if resp.ErrorCode != errGroupDenied {
			t.Fatalf("answer %+v", resp)
		}
	})
	for _, v := range []int16{3, 5} {
		t.Run("SyncGroup v"+string(rune('0'+v)), func(t *testing.T) {
			f := newFixture(t, hideCfg())
			r := kmsg.NewPtrSyncGroupRequest()
			r.Version, r.Group = v, "g1"
			if v >= 5 {
				r.ProtocolType = sp("consumer")
			}
			r.GroupAssignment = []kmsg.SyncGroupRequestGroupAssignment{{MemberID: "m1", MemberAssignment: consumerAssignment("orders", "__consumer_offsets", "shared.prices")}}
			x := f.req(t, r)
			if got := assignmentTopics(t, r.GroupAssignment[0].MemberAssignment); r.Group != "team-a.g1" || !slices.Equal(got, []string{"team-a.orders", "shared.prices"}) {
				t.Fatalf("sent group %s, assignment %v", r.Group, got)
			}
			resp := kmsg.NewPtrSyncGroupResponse()
			resp.ProtocolType = r.ProtocolType
			resp.MemberAssignment = consumerAssignment("team-a.orders", "team-b.orders")
			f.resp(t, x, resp)
			if got := assignmentTopics(t, resp.MemberAssignment); !slices.Equal(got, []string{"orders"}) {
				t.Fatalf("answer assignment %v", got)
			}
		})
	}
	t.Run("SyncGroup v3 connect", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrSyncGroupRequest()
		r.Version, r.Group = 3, "connect-cluster"
		payload := []byte("\x00\x01\x00\x00\x00\x05leader\x00")
		r.GroupAssignment = []kmsg.SyncGroupRequestGroupAssignment{{MemberID: "m1", MemberAssignment: payload}}
		x := f.req(t, r)
		if string(r.GroupAssignment[0].MemberAssignment) != string(payload) {
			t.Fatal("connect assignment rewritten")
		}
		resp := kmsg.NewPtrSyncGroupResponse()
		resp.MemberAssignment = payload
		f.resp(t, x, resp)
		if string(resp.MemberAssignment) != string(payload) {
			t.Fatal("connect assignment rewritten in the answer")
		}
	})
	t.Run("SyncGroup v5 connect", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrSyncGroupRequest()
		r.Version, r.Group, r.ProtocolType = 5, "c", sp("connect")
		r.GroupAssignment = []kmsg.SyncGroupRequestGroupAssignment{{MemberID: "m1", MemberAssignment: consumerAssignment("x")}}
		x := f.req(t, r)
		if got := assignmentTopics(t, r.GroupAssignment[0].MemberAssignment); !slices.Equal(got, []string{"x"}) || x.NeedsResponse() {
			t.Fatalf("connect assignment %v", got)
		}
	})
	t.Run("Heartbeat and LeaveGroup", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		hb := kmsg.NewPtrHeartbeatRequest()
		hb.Version, hb.Group = 4, "g1"
		f.req(t, hb)
		lg := kmsg.NewPtrLeaveGroupRequest()
		lg.Version, lg.Group = 5, "legacy-x"
		f.req(t, lg)
		if hb.Group != "team-a.g1" || lg.Group != "legacy-x" {
			t.Fatalf("sent %s, %s", hb.Group, lg.Group)
		}
		e := newFixture(t, enforceCfg())
		hb = kmsg.NewPtrHeartbeatRequest()
		hb.Version, hb.Group = 4, "g1"
		if resp := local[*kmsg.HeartbeatResponse](t, e.req(t, hb)); resp.ErrorCode != errGroupDenied {
			t.Fatalf("answer %+v", resp)
		}
	})
	t.Run("DescribeGroups", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrDescribeGroupsRequest()
		r.Version, r.Groups = 5, []string{"g1", "legacy-x"}
		x := f.req(t, r)
		if !slices.Equal(r.Groups, []string{"team-a.g1", "legacy-x"}) {
			t.Fatalf("sent %v", r.Groups)
		}
		resp := kmsg.NewPtrDescribeGroupsResponse()
		resp.Groups = []kmsg.DescribeGroupsResponseGroup{
			{Group: "team-a.g1", ProtocolType: "consumer", Members: []kmsg.DescribeGroupsResponseGroupMember{{
				MemberID: "m", ProtocolMetadata: consumerMetadata("team-a.orders"), MemberAssignment: consumerAssignment("team-a.orders", "other"),
			}}},
			{Group: "legacy-x", ProtocolType: "connect", Members: []kmsg.DescribeGroupsResponseGroupMember{{MemberAssignment: []byte("raw")}}},
		}
		f.resp(t, x, resp)
		if resp.Groups[0].Group != "g1" || resp.Groups[1].Group != "legacy-x" {
			t.Fatalf("groups %+v", resp.Groups)
		}
		m := resp.Groups[0].Members[0]
		if topics, _ := metadataTopics(t, m.ProtocolMetadata); !slices.Equal(topics, []string{"orders"}) {
			t.Errorf("subscription %v", topics)
		}
		if got := assignmentTopics(t, m.MemberAssignment); !slices.Equal(got, []string{"orders"}) {
			t.Errorf("assignment %v", got)
		}
		if string(resp.Groups[1].Members[0].MemberAssignment) != "raw" {
			t.Error("connect assignment rewritten")
		}

		e := newFixture(t, enforceCfg())
		r = kmsg.NewPtrDescribeGroupsRequest()
		r.Version, r.Groups = 5, []string{"team-b.g1"}
		lresp := local[*kmsg.DescribeGroupsResponse](t, e.req(t, r))
		if len(lresp.Groups) != 1 || lresp.Groups[0].Group != "team-b.g1" || lresp.Groups[0].ErrorCode != errGroupDenied {
			t.Fatalf("answer %+v", lresp.Groups)
		}
	})
	t.Run("ListGroups", func(t *testing.T) {
		for _, tc := range []struct {
			enforce bool
			want    []string
		}{
			{false, []string{"g1", "", "legacy-x"}},
			{true, []string{"team-a.g1", "team-a.", "team-a.legacy-x", "legacy-x"}},
		} {
			cfg := hideCfg()
			if tc.enforce {
				cfg = enforceCfg()
			}
			f := newFixture(t, cfg)
			x := f.req(t, kmsg.NewPtrListGroupsRequest())
			resp := kmsg.NewPtrListGroupsResponse()
			for _, g := range []string{"team-a.g1", "team-a.", "team-b.g1", "other", "team-a.legacy-x", "legacy-x"} {
				resp.Groups = append(resp.Groups, kmsg.ListGroupsResponseGroup{Group: g})
			}
			f.resp(t, x, resp)
			var got []string
			for _, g := range resp.Groups {
				got = append(got, g.Group)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("enforce %v: groups %v, want %v", tc.enforce, got, tc.want)
			}
			if conflict := strings.Contains(f.logs.String(), "namespace conflict"); conflict == tc.enforce {
				t.Errorf("enforce %v: conflict logged %v", tc.enforce, conflict)
			}
			if calls := f.metrics.get(); !tc.enforce && !slices.Equal(calls, []bool{true}) || tc.enforce && len(calls) != 0 {
				t.Errorf("enforce %v: metrics %v", tc.enforce, calls)
			}
		}
	})
	t.Run("DeleteGroups", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrDeleteGroupsRequest()
		r.Version, r.Groups = 2, []string{"g1", "legacy-x"}
		x := f.req(t, r)
		if !slices.Equal(r.Groups, []string{"team-a.g1"}) {
			t.Fatalf("sent %v", r.Groups)
		}
		resp := kmsg.NewPtrDeleteGroupsResponse()
		resp.Groups = []kmsg.DeleteGroupsResponseGroup{{Group: "team-a.g1"}}
		f.resp(t, x, resp)
		if len(resp.Groups) != 2 || resp.Groups[0].Group != "g1" || resp.Groups[1].Group != "legacy-x" || resp.Groups[1].ErrorCode != errGroupDenied {
			t.Fatalf("answer %+v", resp.Groups)
		}
	})
}

func TestOffsets(t *testing.T) {
	t.Run("OffsetCommit v9", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrOffsetCommitRequest()
		r.Version, r.Group = 9, "g1"
		r.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "orders", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0}}},
			{Topic: "__consumer_offsets", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 3}}}}
		x := f.req(t, r)
		if r.Group != "team-a.g1" || len(r.Topics) != 1 || r.Topics[0].Topic != "team-a.orders" {
			t.Fatalf("sent %+v", r)
		}
		resp := kmsg.NewPtrOffsetCommitResponse()
		resp.Topics = []kmsg.OffsetCommitResponseTopic{{Topic: "team-a.orders", Partitions: []kmsg.OffsetCommitResponseTopicPartition{{}}}}
		f.resp(t, x, resp)
		if len(resp.Topics) != 2 || resp.Topics[0].Topic != "orders" || resp.Topics[1].Partitions[0].ErrorCode != errUnknownTopic || resp.Topics[1].Partitions[0].Partition != 3 {
			t.Fatalf("answer %+v", resp.Topics)
		}
	})
	t.Run("OffsetCommit v10 ids", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrOffsetCommitRequest()
		r.Version, r.Group = 10, "g1"
		r.Topics = []kmsg.OffsetCommitRequestTopic{{TopicID: idOf("team-b.orders"), Partitions: []kmsg.OffsetCommitRequestTopicPartition{{}}}}
		resp := local[*kmsg.OffsetCommitResponse](t, f.req(t, r))
		if resp.Topics[0].TopicID != idOf("team-b.orders") || resp.Topics[0].Partitions[0].ErrorCode != errUnknownTopicID {
			t.Fatalf("answer %+v", resp.Topics)
		}
		r = kmsg.NewPtrOffsetCommitRequest()
		r.Version, r.Group = 10, "g1"
		r.Topics = []kmsg.OffsetCommitRequestTopic{{TopicID: idOf("team-a.orders")}}
		if x := f.req(t, r); x.NeedsResponse() || r.Group != "team-a.g1" {
			t.Fatal("commit by id with nothing refused reads the response")
		}
	})
	t.Run("OffsetFetch v7", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrOffsetFetchRequest()
		r.Version, r.Group = 7, "g1"
		r.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "orders", Partitions: []int32{0}}, {Topic: "__consumer_offsets", Partitions: []int32{1}}}
		x := f.req(t, r)
		if r.Group != "team-a.g1" || len(r.Topics) != 1 || r.Topics[0].Topic != "team-a.orders" {
			t.Fatalf("sent %+v", r)
		}
		resp := kmsg.NewPtrOffsetFetchResponse()
		resp.Topics = []kmsg.OffsetFetchResponseTopic{{Topic: "team-a.orders", Partitions: []kmsg.OffsetFetchResponseTopicPartition{{Offset: 5}}}}
		f.resp(t, x, resp)
		// A topic that does not exist has no committed offset: -1, no error.
		if len(resp.Topics) != 2 || resp.Topics[0].Topic != "orders" || resp.Topics[1].Partitions[0].Offset != -1 || resp.Topics[1].Partitions[0].ErrorCode != 0 {
			t.Fatalf("answer %+v", resp.Topics)
		}
	})
	t.Run("OffsetFetch v7 all", func(t *testing.T) {
		f := newFixture(t, enforceCfg())
		r := kmsg.NewPtrOffsetFetchRequest()
		r.Version, r.Group = 7, "team-a.g1"
		x := f.req(t, r)
		resp := kmsg.NewPtrOffsetFetchResponse()
		resp.Topics = []kmsg.OffsetFetchResponseTopic{{Topic: "team-a.orders"}, {Topic: "team-b.orders"}, {Topic: "shared.prices"}}
		f.resp(t, x, resp)
		if len(resp.Topics) != 2 || resp.Topics[1].Topic != "shared.prices" {
			t.Fatalf("answer %+v", resp.Topics)
		}
		r = kmsg.NewPtrOffsetFetchRequest()
		r.Version, r.Group = 7, "team-b.g1"
		if resp := local[*kmsg.OffsetFetchResponse](t, f.req(t, r)); resp.ErrorCode != errGroupDenied {
			t.Fatalf("answer %+v", resp)
		}
	})
	t.Run("OffsetFetch v8 groups", func(t *testing.T) {
		f := newFixture(t, enforceCfg())
		r := kmsg.NewPtrOffsetFetchRequest()
		r.Version = 8
		r.Groups = []kmsg.OffsetFetchRequestGroup{
			{Group: "team-a.g1", Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: "team-a.orders", Partitions: []int32{0}}, {Topic: "team-b.orders", Partitions: []int32{0}}}},
			{Group: "team-a.g2"}, // every topic
			{Group: "team-b.g1"},
		}
		x := f.req(t, r)
		if len(r.Groups) != 2 || len(r.Groups[0].Topics) != 1 || r.Groups[1].Topics != nil {
			t.Fatalf("sent %+v", r.Groups)
		}
		resp := kmsg.NewPtrOffsetFetchResponse()
		resp.Groups = []kmsg.OffsetFetchResponseGroup{
			{Group: "team-a.g1", Topics: []kmsg.OffsetFetchResponseGroupTopic{{Topic: "team-a.orders", Partitions: []kmsg.OffsetFetchResponseGroupTopicPartition{{Offset: 3}}}}},
			{Group: "team-a.g2", Topics: []kmsg.OffsetFetchResponseGroupTopic{{Topic: "team-a.orders"}, {Topic: "other"}}},
		}
		f.resp(t, x, resp)
		if len(resp.Groups) != 3 {
			t.Fatalf("answer %+v", resp.Groups)
		}
		g1, g2, gb := resp.Groups[0], resp.Groups[1], resp.Groups[2]
		if len(g1.Topics) != 2 || g1.Topics[1].Topic != "team-b.orders" || g1.Topics[1].Partitions[0].Offset != -1 || g1.ErrorCode != 0 {
			t.Errorf("group 1 %+v", g1)
		}
		if len(g2.Topics) != 1 || g2.Topics[0].Topic != "team-a.orders" {
			t.Errorf("group 2 %+v", g2)
		}
		if gb.Group != "team-b.g1" || gb.ErrorCode != errGroupDenied {
			t.Errorf("foreign group %+v", gb)
		}
	})
	t.Run("OffsetFetch v10 ids", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrOffsetFetchRequest()
		r.Version = 10
		r.Groups = []kmsg.OffsetFetchRequestGroup{
			{Group: "g1", Topics: []kmsg.OffsetFetchRequestGroupTopic{{TopicID: idOf("team-a.orders"), Partitions: []int32{0}}, {TopicID: idOf("other"), Partitions: []int32{0}}}},
			{Group: "g2"},
		}
		x := f.req(t, r)
		resp := kmsg.NewPtrOffsetFetchResponse()
		resp.Groups = []kmsg.OffsetFetchResponseGroup{
			{Group: "team-a.g1", Topics: []kmsg.OffsetFetchResponseGroupTopic{{TopicID: idOf("team-a.orders")}}},
			{Group: "team-a.g2", Topics: []kmsg.OffsetFetchResponseGroupTopic{{TopicID: idOf("team-a.orders")}, {TopicID: idOf("team-b.orders")}}},
		}
		f.resp(t, x, resp)
		g1, g2 := resp.Groups[0], resp.Groups[1]
		if g1.Group != "g1" || len(g1.Topics) != 2 || g1.Topics[1].Partitions[0].ErrorCode != errUnknownTopicID {
			t.Errorf("group 1 %+v", g1)
		}
		if g2.Group != "g2" || len(g2.Topics) != 1 {
			t.Errorf("group 2 %+v", g2)
		}
	})
	t.Run("OffsetDelete", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrOffsetDeleteRequest()
		r.Group = "g1"
		r.Topics = []kmsg.OffsetDeleteRequestTopic{{Topic: "orders", Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{}}}, {Topic: "__x", Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{}}}}
		x := f.req(t, r)
		if r.Group != "team-a.g1" || len(r.Topics) != 1 {
			t.Fatalf("sent %+v", r)
		}
		resp := kmsg.NewPtrOffsetDeleteResponse()
		resp.Topics = []kmsg.OffsetDeleteResponseTopic{{Topic: "team-a.orders", Partitions: []kmsg.OffsetDeleteResponseTopicPartition{{}}}}
		f.resp(t, x, resp)
		if len(resp.Topics) != 2 || resp.Topics[0].Topic != "orders" || resp.Topics[1].Partitions[0].ErrorCode != errUnknownTopic || resp.ErrorCode != 0 {
			t.Fatalf("answer %+v", resp)
		}
		r = kmsg.NewPtrOffsetDeleteRequest()
		r.Group = "legacy-x"
		if resp := local[*kmsg.OffsetDeleteResponse](t, f.req(t, r)); resp.ErrorCode != errGroupDenied {
			t.Fatalf("additional group: %+v", resp)
		}
		r = kmsg.NewPtrOffsetDeleteRequest()
		r.Group = "g1"
		r.Topics = []kmsg.OffsetDeleteRequestTopic{{Topic: "__x", Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{}}}}
		if resp := local[*kmsg.OffsetDeleteResponse](t, f.req(t, r)); resp.ErrorCode != 0 || resp.Topics[0].Partitions[0].ErrorCode != errUnknownTopic {
			t.Fatalf("all refused: %+v", resp)
		}
	})
}

func TestConsumerGroupHeartbeat(t *testing.T) {
	t.Run("names and ids", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		r.Version, r.Group = 1, "g848"
		r.SubscribedTopicNames = []string{"orders", "__consumer_offsets", "shared.prices"}
		r.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{{TopicID: idOf("team-a.orders")}, {TopicID: idOf("team-b.orders")}, {TopicID: [16]byte{7}}}
		x := f.req(t, r)
		if r.Group != "team-a.g848" || !slices.Equal(r.SubscribedTopicNames, []string{"team-a.orders", "shared.prices"}) {
			t.Fatalf("sent %s %v", r.Group, r.SubscribedTopicNames)
		}
		// A known foreign id is dropped; an id the cache does not know
		// (yet) is kept.
		if len(r.Topics) != 2 || r.Topics[0].TopicID != idOf("team-a.orders") || r.Topics[1].TopicID != ([16]byte{7}) {
			t.Fatalf("owned %+v", r.Topics)
		}
		resp := kmsg.NewPtrConsumerGroupHeartbeatResponse()
		resp.Assignment = &kmsg.ConsumerGroupHeartbeatResponseAssignment{Topics: []kmsg.ConsumerGroupHeartbeatResponseAssignmentTopic{
			{TopicID: idOf("team-a.orders")}, {TopicID: idOf("other")}}}
		f.resp(t, x, resp)
		if len(resp.Assignment.Topics) != 1 {
			t.Fatalf("assignment %+v", resp.Assignment.Topics)
		}
	})
	t.Run("all names dropped", func(t *testing.T) {
		f := newFixture(t, enforceCfg())
		r := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		r.Version, r.Group = 1, "team-a.g"
		r.SubscribedTopicNames = []string{"orders"}
		f.req(t, r)
		if r.SubscribedTopicNames == nil || len(r.SubscribedTopicNames) != 0 {
			t.Fatalf("sent %#v, want an empty non-null list", r.SubscribedTopicNames)
		}
	})
	for _, tc := range []struct {
		name    string
		enforce bool
		regex   string
		want    string // "" for refused
	}{
		{"hide", false, "orders.*", `^team-a\.(?:(?-s:orders.*))$`},
		{"hide anchored", false, "^orders$", `^team-a\.(?:(?-m:orders$))$`},
		{"hide kgo style", false, ".*(?:(?:ord.*)).*", `^team-a\.(?:(?-s:.*ord.*.*))$`},
		{"hide alternation", false, "a|b", `^team-a\.(?:[ab])$`},
		{"hide injection", false, "a)|(.*", ""},
		{"hide invalid", false, "(", ""},
		{"enforce", true, `team-a\.ord.*`, `^(?:(?-s:team-a\.ord.*))$`},
		{"enforce anchored", true, `^team-a\.x|^team-a\.y`, `^(?:team-a\.x|team-a\.y)$`},
		{"enforce outside", true, ".*", ""},
		{"enforce partly outside", true, `team-a\.x|team-b\.x`, ""},
		{"enforce case-insensitive", true, `(?i)team-a\..*`, ""},
	} {
		t.Run("regex/"+tc.name, func(t *testing.T) {
			cfg := hideCfg()
			if tc.enforce {
				cfg = enforceCfg()
			}
			f := newFixture(t, cfg)
			r := kmsg.NewPtrConsumerGroupHeartbeatRequest()
			r.Version, r.Group, r.SubscribedTopicRegex = 1, "team-a.g", sp(tc.regex)
			x := f.req(t, r)
			if tc.want == "" {
				resp := local[*kmsg.ConsumerGroupHeartbeatResponse](t, x)
				if resp.ErrorCode != kerr.InvalidRegularExpression.Code {
					t.Fatalf("answer %+v", resp)
				}
				return
			}
			if *r.SubscribedTopicRegex != tc.want {
				t.Fatalf("sent %s, want %s", *r.SubscribedTopicRegex, tc.want)
			}
			if back := f.p.regexOut(*r.SubscribedTopicRegex); back == nil {
				t.Fatalf("regexOut(%s) = nil", *r.SubscribedTopicRegex)
			}
		})
	}
	t.Run("describe", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrConsumerGroupDescribeRequest()
		r.Groups = []string{"g848"}
		x := f.req(t, r)
		if !slices.Equal(r.Groups, []string{"team-a.g848"}) {
			t.Fatalf("sent %v", r.Groups)
		}
		resp := kmsg.NewPtrConsumerGroupDescribeResponse()
		resp.Groups = []kmsg.ConsumerGroupDescribeResponseGroup{{Group: "team-a.g848", Members: []kmsg.ConsumerGroupDescribeResponseGroupMember{{
			SubscribedTopics:     []string{"team-a.orders", "team-b.orders"},
			SubscribedTopicRegex: sp(`^team-a\.(?:orders(?-s:.)*)$`),
			Assignment:           kmsg.Assignment{TopicPartitions: []kmsg.AssignmentTopicPartition{{Topic: "team-a.orders"}, {Topic: "other"}}},
			TargetAssignment:     kmsg.Assignment{TopicPartitions: []kmsg.AssignmentTopicPartition{{Topic: "team-a.orders"}}},
		}}}}
		f.resp(t, x, resp)
		g := resp.Groups[0]
		m := g.Members[0]
		if g.Group != "g848" || !slices.Equal(m.SubscribedTopics, []string{"orders"}) || *m.SubscribedTopicRegex != "orders(?-s:.)*" ||
			len(m.Assignment.TopicPartitions) != 1 || m.Assignment.TopicPartitions[0].Topic != "orders" || m.TargetAssignment.TopicPartitions[0].Topic != "orders" {
			t.Fatalf("answer %+v", g)
		}
	})
}

func TestTransactions(t *testing.T) {
	t.Run("InitProducerId", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrInitProducerIDRequest()
		r.Version, r.TransactionalID = 5, sp("tx")
		f.req(t, r)
		if *r.TransactionalID != "team-a.tx" {
			t.Fatalf("sent %s", *r.TransactionalID)
		}
		r = kmsg.NewPtrInitProducerIDRequest() // idempotent
		if x := f.req(t, r); x.Local() != nil || r.TransactionalID != nil {
			t.Fatal("idempotent producer touched")
		}
		e := newFixture(t, enforceCfg())
		r = kmsg.NewPtrInitProducerIDRequest()
		r.TransactionalID = sp("tx")
		if resp := local[*kmsg.InitProducerIDResponse](t, e.req(t, r)); resp.ErrorCode != errTxnDenied {
			t.Fatalf("answer %+v", resp)
		}
	})
	t.Run("AddPartitionsToTxn", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrAddPartitionsToTxnRequest()
		r.Version, r.TransactionalID = 3, "tx"
		r.Topics = []kmsg.AddPartitionsToTxnRequestTopic{{Topic: "orders", Partitions: []int32{0}}}
		x := f.req(t, r)
		if r.TransactionalID != "team-a.tx" || r.Topics[0].Topic != "team-a.orders" {
			t.Fatalf("sent %+v", r)
		}
		resp := kmsg.NewPtrAddPartitionsToTxnResponse()
		resp.Topics = []kmsg.AddPartitionsToTxnResponseTopic{{Topic: "team-a.orders"}}
		f.resp(t, x, resp)
		if resp.Topics[0].Topic != "orders" {
			t.Fatalf("answer %+v", resp.Topics)
		}
		// A topic that does not exist fails the request as Kafka does.
		r = kmsg.NewPtrAddPartitionsToTxnRequest()
		r.Version, r.TransactionalID = 3, "tx"
		r.Topics = []kmsg.AddPartitionsToTxnRequestTopic{{Topic: "orders", Partitions: []int32{0}}, {Topic: "__x", Partitions: []int32{1}}}
		lresp := local[*kmsg.AddPartitionsToTxnResponse](t, f.req(t, r))
		got := map[string]int16{}
		for _, rt := range lresp.Topics {
			got[rt.Topic] = rt.Partitions[0].ErrorCode
		}
		if got["orders"] != kerr.OperationNotAttempted.Code || got["__x"] != errUnknownTopic {
			t.Fatalf("answer %v", got)
		}
	})
	t.Run("AddOffsetsToTxn and EndTxn", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrAddOffsetsToTxnRequest()
		r.TransactionalID, r.Group = "tx", "g"
		f.req(t, r)
		end := kmsg.NewPtrEndTxnRequest()
		end.TransactionalID = "tx"
		f.req(t, end)
		if r.TransactionalID != "team-a.tx" || r.Group != "team-a.g" || end.TransactionalID != "team-a.tx" {
			t.Fatalf("sent %+v %+v", r, end)
		}
		e := newFixture(t, enforceCfg())
		r = kmsg.NewPtrAddOffsetsToTxnRequest()
		r.TransactionalID, r.Group = "team-a.tx", "g"
		if resp := local[*kmsg.AddOffsetsToTxnResponse](t, e.req(t, r)); resp.ErrorCode != errGroupDenied {
			t.Fatalf("answer %+v", resp)
		}
	})
	t.Run("TxnOffsetCommit", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrTxnOffsetCommitRequest()
		r.Version, r.TransactionalID, r.Group = 5, "tx", "g"
		r.Topics = []kmsg.TxnOffsetCommitRequestTopic{{Topic: "orders", Partitions: []kmsg.TxnOffsetCommitRequestTopicPartition{{}}}, {Topic: "__x", Partitions: []kmsg.TxnOffsetCommitRequestTopicPartition{{}}}}
		x := f.req(t, r)
		if r.TransactionalID != "team-a.tx" || r.Group != "team-a.g" || len(r.Topics) != 1 || r.Topics[0].Topic != "team-a.orders" {
			t.Fatalf("sent %+v", r)
		}
		resp := kmsg.NewPtrTxnOffsetCommitResponse()
		resp.Topics = []kmsg.TxnOffsetCommitResponseTopic{{Topic: "team-a.orders", Partitions: []kmsg.TxnOffsetCommitResponseTopicPartition{{}}}}
		f.resp(t, x, resp)
		if len(resp.Topics) != 2 || resp.Topics[0].Topic != "orders" || resp.Topics[1].Partitions[0].ErrorCode != errUnknownTopic {
			t.Fatalf("answer %+v", resp.Topics)
		}
	})
	t.Run("DescribeTransactions", func(t *testing.T) {
		f := newFixture(t, enforceCfg())
		r := kmsg.NewPtrDescribeTransactionsRequest()
		r.TransactionalIDs = []string{"team-a.tx", "tx"}
		x := f.req(t, r)
		if !slices.Equal(r.TransactionalIDs, []string{"team-a.tx"}) {
			t.Fatalf("sent %v", r.TransactionalIDs)
		}
		resp := kmsg.NewPtrDescribeTransactionsResponse()
		resp.TransactionStates = []kmsg.DescribeTransactionsResponseTransactionState{{TransactionalID: "team-a.tx",
			Topics: []kmsg.DescribeTransactionsResponseTransactionStateTopic{{Topic: "team-a.orders"}, {Topic: "other"}}}}
		f.resp(t, x, resp)
		if len(resp.TransactionStates) != 2 || len(resp.TransactionStates[0].Topics) != 1 || resp.TransactionStates[1].ErrorCode != errTxnDenied {
			t.Fatalf("answer %+v", resp.TransactionStates)
		}
	})
	t.Run("ListTransactions", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		x := f.req(t, kmsg.NewPtrListTransactionsRequest())
		resp := kmsg.NewPtrListTransactionsResponse()
		for _, id := range []string{"team-a.tx", "team-b.tx", "tx"} {
			resp.TransactionStates = append(resp.TransactionStates, kmsg.ListTransactionsResponseTransactionState{TransactionalID: id})
		}
		f.resp(t, x, resp)
		if len(resp.TransactionStates) != 1 || resp.TransactionStates[0].TransactionalID != "tx" {
			t.Fatalf("answer %+v", resp.TransactionStates)
		}
	})
}

func TestConfigs(t *testing.T) {
	type res struct {
		typ  kmsg.ConfigResourceType
		name string
	}
	topic, group, broker, logger, metrics := kmsg.ConfigResourceTypeTopic, kmsg.ConfigResourceTypeGroupConfig,
		kmsg.ConfigResourceTypeBroker, kmsg.ConfigResourceTypeBrokerLogger, kmsg.ConfigResourceTypeClientMetrics
	resources := []res{{topic, "orders"}, {topic, "shared.prices"}, {topic, "__consumer_offsets"}, {group, "g"}, {group, "legacy-x"},
		{broker, "1"}, {logger, "1"}, {metrics, "m"}, {kmsg.ConfigResourceType(99), "x"}}
	t.Run("describe", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrDescribeConfigsRequest()
		for _, x := range resources {
			r.Resources = append(r.Resources, kmsg.DescribeConfigsRequestResource{ResourceType: x.typ, ResourceName: x.name})
		}
		x := f.req(t, r)
		var sent []string
		resp := kmsg.NewPtrDescribeConfigsResponse()
		for _, rr := range r.Resources {
			sent = append(sent, rr.ResourceName)
			resp.Resources = append(resp.Resources, kmsg.DescribeConfigsResponseResource{ResourceType: rr.ResourceType, ResourceName: rr.ResourceName})
		}
		if !slices.Equal(sent, []string{"team-a.orders", "shared.prices", "team-a.g", "legacy-x", "1", "1"}) {
			t.Fatalf("sent %v", sent)
		}
		f.resp(t, x, resp)
		got := map[res]int16{}
		for _, rr := range resp.Resources {
			got[res{rr.ResourceType, rr.ResourceName}] = rr.ErrorCode
		}
		want := map[res]int16{{topic, "orders"}: 0, {topic, "shared.prices"}: 0, {topic, "__consumer_offsets"}: errUnknownTopic,
			{group, "g"}: 0, {group, "legacy-x"}: 0, {broker, "1"}: 0, {logger, "1"}: 0, {metrics, "m"}: errClusterDenied,
			{kmsg.ConfigResourceType(99), "x"}: errInvalidRequest}
		if len(got) != len(want) {
			t.Fatalf("answer %v", got)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%v: %d, want %d", k, got[k], v)
			}
		}
	})
	t.Run("alter", func(t *testing.T) {
		f := newFixture(t, hideCfg())
		r := kmsg.NewPtrIncrementalAlterConfigsRequest()
		for _, x := range resources {
			r.Resources = append(r.Resources, kmsg.IncrementalAlterConfigsRequestResource{ResourceType: x.typ, ResourceName: x.name})
		}
		x := f.req(t, r)
		resp := kmsg.NewPtrIncrementalAlterConfigsResponse()
		var sent []string
		for _, rr := range r.Resources {
			sent = append(sent, rr.ResourceName)
			resp.Resources = append(resp.Resources, kmsg.IncrementalAlterConfigsResponseResource{ResourceType: rr.ResourceType, ResourceName: rr.ResourceName})
		}
		if !slices.Equal(sent, []string{"team-a.orders", "team-a.g"}) {
			t.Fatalf("sent %v", sent)
		}
		f.resp(t, x, resp)
		got := map[res]int16{}
		for _, rr := range resp.Resources {
			got[res{rr.ResourceType, rr.ResourceName}] = rr.ErrorCode
		}
		want := map[res]int16{{topic, "orders"}: 0, {topic, "shared.prices"}: errTopicDenied, {topic, "__consumer_offsets"}: errUnknownTopic,
			{group, "g"}: 0, {group, "legacy-x"}: errGroupDenied, {broker, "1"}: errClusterDenied, {logger, "1"}: errClusterDenied,
			{metrics, "m"}: errClusterDenied, {kmsg.ConfigResourceType(99), "x"}: errInvalidRequest}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%v: %d, want %d", k, got[k], v)
			}
		}
		// AlterConfigs, everything refused: answered locally.
		a := kmsg.NewPtrAlterConfigsRequest()
		a.Resources = []kmsg.AlterConfigsRequestResource{{ResourceType: broker, ResourceName: "1"}}
		if resp := local[*kmsg.AlterConfigsResponse](t, f.req(t, a)); resp.Resources[0].ErrorCode != errClusterDenied {
			t.Fatalf("answer %+v", resp)
		}
	})
}

func TestShareGroups(t *testing.T) {
	f := newFixture(t, hideCfg())
	hb := kmsg.NewPtrShareGroupHeartbeatRequest()
	hb.GroupID, hb.SubscribedTopicNames = "sg", []string{"orders", "__x"}
	x := f.req(t, hb)
	if hb.GroupID != "team-a.sg" || !slices.Equal(hb.SubscribedTopicNames, []string{"team-a.orders"}) {
		t.Fatalf("sent %+v", hb)
	}
	hresp := kmsg.NewPtrShareGroupHeartbeatResponse()
	hresp.Assignment = &kmsg.ShareGroupHeartbeatResponseAssignment{TopicPartitions: []kmsg.ShareGroupHeartbeatResponseAssignmentTopicPartition{{TopicID: idOf("team-a.orders")}, {TopicID: idOf("other")}}}
	f.resp(t, x, hresp)
	if len(hresp.Assignment.TopicPartitions) != 1 {
		t.Fatalf("assignment %+v", hresp.Assignment)
	}

	sf := kmsg.NewPtrShareFetchRequest()
	sf.GroupID = sp("sg")
	sf.MinBytes = 1
	sf.Topics = []kmsg.ShareFetchRequestTopic{{TopicID: idOf("team-a.orders"), Partitions: []kmsg.ShareFetchRequestTopicPartition{{}}}, {TopicID: idOf("team-b.orders"), Partitions: []kmsg.ShareFetchRequestTopicPartition{{Partition: 2}}}}
	x = f.req(t, sf)
	if *sf.GroupID != "team-a.sg" || len(sf.Topics) != 1 || sf.MinBytes != 0 {
		t.Fatalf("sent %+v", sf)
	}
	sresp := kmsg.NewPtrShareFetchResponse()
	sresp.Topics = []kmsg.ShareFetchResponseTopic{{TopicID: idOf("team-a.orders")}}
	f.resp(t, x, sresp)
	if len(sresp.Topics) != 2 || sresp.Topics[1].Partitions[0].ErrorCode != errUnknownTopicID || sresp.ErrorCode != 0 {
		t.Fatalf("answer %+v", sresp)
	}

	sa := kmsg.NewPtrShareAcknowledgeRequest()
	sa.GroupID = sp("sg")
	sa.Topics = []kmsg.ShareAcknowledgeRequestTopic{{TopicID: idOf("team-a.orders")}}
	if x = f.req(t, sa); x.NeedsResponse() || *sa.GroupID != "team-a.sg" {
		t.Fatal("acknowledgement of own topics reads the response")
	}

	d := kmsg.NewPtrShareGroupDescribeRequest()
	d.GroupIDs = []string{"sg"}
	x = f.req(t, d)
	dresp := kmsg.NewPtrShareGroupDescribeResponse()
	dresp.Groups = []kmsg.ShareGroupDescribeResponseGroup{{GroupID: "team-a.sg", Members: []kmsg.ShareGroupDescribeResponseGroupMember{{
		SubscribedTopicNames: []string{"team-a.orders"},
		Assignment: kmsg.ShareGroupDescribeResponseGroupMemberAssignment{TopicPartitions: []kmsg.ShareGroupDescribeResponseGroupMemberAssignmentTopicPartition{
			{Topic: "team-a.orders"}, {Topic: "other"}}},
	}}}}
	f.resp(t, x, dresp)
	m := dresp.Groups[0].Members[0]
	if dresp.Groups[0].GroupID != "sg" || m.SubscribedTopicNames[0] != "orders" || len(m.Assignment.TopicPartitions) != 1 {
		t.Fatalf("answer %+v", dresp.Groups[0])
	}

	off := kmsg.NewPtrDescribeShareGroupOffsetsRequest()
	off.Groups = []kmsg.DescribeShareGroupOffsetsRequestGroup{{GroupID: "sg", Topics: []kmsg.DescribeShareGroupOffsetsRequestGroupTopic{{Topic: "orders", Partitions: []int32{0}}, {Topic: "__x", Partitions: []int32{0}}}}}
	x = f.req(t, off)
	oresp := kmsg.NewPtrDescribeShareGroupOffsetsResponse()
	oresp.Groups = []kmsg.DescribeShareGroupOffsetsResponseGroup{{GroupID: "team-a.sg", Topics: []kmsg.DescribeShareGroupOffsetsResponseGroupTopic{{Topic: "team-a.orders"}}}}
	f.resp(t, x, oresp)
	if len(oresp.Groups) != 1 || oresp.Groups[0].GroupID != "sg" || len(oresp.Groups[0].Topics) != 2 || oresp.Groups[0].Topics[0].Topic != "orders" {
		t.Fatalf("answer %+v", oresp.Groups)
	}

	del := kmsg.NewPtrDeleteShareGroupOffsetsRequest()
	del.GroupID = "legacy-x"
	if resp := local[*kmsg.DeleteShareGroupOffsetsResponse](t, f.req(t, del)); resp.ErrorCode != errGroupDenied {
		t.Fatalf("additional group: %+v", resp)
	}
}

// TestShortMemberMetadata pins the kafka-go failure found by the
// compatibility matrix: metadata with version 1 but only the v0 fields was
// passed in unprefixed and dropped on the way out.
func TestShortMemberMetadata(t *testing.T) {
	m := kmsg.ConsumerMemberMetadata{Version: 0, Topics: []string{"orders"}, UserData: []byte("ud")}
	b := m.AppendTo(nil)
	b[1] = 1 // kafka-go: version 1, v0 layout
	got, short, ok := readMemberMetadata(b)
	if !ok || !short || got.Version != 1 || len(got.Topics) != 1 || got.Topics[0] != "orders" {
		t.Fatalf("read %+v short=%v ok=%v", got, short, ok)
	}
	got.Topics[0] = "team-a.orders"
	out := appendMemberMetadata(got, short)
	if out[0] != 0 || out[1] != 1 {
		t.Fatalf("version bytes %x, want 0001", out[:2])
	}
	back, _, ok := readMemberMetadata(out)
	if !ok || back.Topics[0] != "team-a.orders" || string(back.UserData) != "ud" {
		t.Fatalf("round trip %+v", back)
	}
}
