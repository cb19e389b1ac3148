// Tests of the check of each API key: what is forwarded, what is refused,
// and how the client's response looks.

package acls_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/policy/acls"
	"github.com/strait-gw/strait/internal/policy/errresp"
)

// clone copies a request through its encoding, so that cases sharing one
// do not see each other's changes.
func clone(t *testing.T, req kmsg.Request) kmsg.Request {
	t.Helper()
	c := kmsg.RequestForKey(req.Key())
	c.SetVersion(req.GetVersion())
	if err := c.ReadFrom(req.AppendTo(nil)); err != nil {
		t.Fatalf("clone: %v", err)
	}
	return c
}

// ref is a topic given by name, or by id as "#N" (id(N)).
func ref(s string) (string, [16]byte) {
	if strings.HasPrefix(s, "#") {
		return "", id(s[1] - '0')
	}
	return s, [16]byte{}
}

func produceReq(v int16, topics ...string) *kmsg.ProduceRequest {
	r := kmsg.NewPtrProduceRequest()
	r.Version, r.Acks = v, -1
	for _, s := range topics {
		t := kmsg.NewProduceRequestTopic()
		t.Topic, t.TopicID = ref(s)
		p := kmsg.NewProduceRequestTopicPartition()
		t.Partitions = append(t.Partitions, p)
		r.Topics = append(r.Topics, t)
	}
	return r
}

// txnBatch is the start of a transactional v2 record batch.
func txnBatch() []byte {
	b := make([]byte, 61)
	b[16] = 2
	b[22] = 0x10
	return b
}

func fetchReq(v int16, topics ...string) *kmsg.FetchRequest {
	r := kmsg.NewPtrFetchRequest()
	r.Version = v
	for _, s := range topics {
		t := kmsg.NewFetchRequestTopic()
		t.Topic, t.TopicID = ref(s)
		t.Partitions = append(t.Partitions, kmsg.NewFetchRequestTopicPartition())
		r.Topics = append(r.Topics, t)
	}
	return r
}

func metadataReq(v int16, topics ...string) *kmsg.MetadataRequest {
	r := kmsg.NewPtrMetadataRequest()
	r.Version = v
	r.Topics = []kmsg.MetadataRequestTopic{}
	for _, s := range topics {
		t := kmsg.NewMetadataRequestTopic()
		name, tid := ref(s)
		if name != "" {
			t.Topic = &name
		}
		t.TopicID = tid
		r.Topics = append(r.Topics, t)
	}
	return r
}

// metadataBackend answers a metadata request for every topic in names,
// whatever was asked, or for the topics asked when names is nil; a topic
// in missing is UNKNOWN_TOPIC_OR_PARTITION.
func metadataBackend(names []string, missing ...string) func(kmsg.Request) kmsg.Response {
	return func(req kmsg.Request) kmsg.Response {
		r := req.(*kmsg.MetadataRequest)
		resp := kmsg.NewPtrMetadataResponse()
		list := names
		if list == nil {
			for _, t := range r.Topics {
				if t.Topic != nil {
					list = append(list, *t.Topic)
				} else {
					list = append(list, ids[t.TopicID])
				}
			}
		}
		for _, n := range list {
			t := kmsg.NewMetadataResponseTopic()
			t.Topic = kmsg.StringPtr(n)
			for tid, name := range ids {
				if name == n {
					t.TopicID = tid
				}
			}
			if slices.Contains(missing, n) {
				t.ErrorCode = 3
			}
			resp.Topics = append(resp.Topics, t)
		}
		return resp
	}
}

func offsetFetchV7(group string, topics ...string) *kmsg.OffsetFetchRequest {
	r := kmsg.NewPtrOffsetFetchRequest()
	r.Version, r.Group = 7, group
	if topics != nil {
		r.Topics = []kmsg.OffsetFetchRequestTopic{}
	}
	for _, s := range topics {
		t := kmsg.NewOffsetFetchRequestTopic()
		t.Topic, t.Partitions = s, []int32{0}
		r.Topics = append(r.Topics, t)
	}
	return r
}

// offsetFetchV8 asks for groups "g:t1,t2" (topics) or "g" (all topics).
func offsetFetchV8(v int16, groups ...string) *kmsg.OffsetFetchRequest {
	r := kmsg.NewPtrOffsetFetchRequest()
	r.Version = v
	for _, s := range groups {
		name, topics, named := strings.Cut(s, ":")
		g := kmsg.NewOffsetFetchRequestGroup()
		g.Group = name
		if named {
			g.Topics = []kmsg.OffsetFetchRequestGroupTopic{}
			for _, ts := range strings.Split(topics, ",") {
				t := kmsg.NewOffsetFetchRequestGroupTopic()
				t.Topic, t.TopicID = ref(ts)
				t.Partitions = []int32{0}
				g.Topics = append(g.Topics, t)
			}
		}
		r.Groups = append(r.Groups, g)
	}
	return r
}

// offsetFetchAllBackend answers every group with offsets of a, b and
// secret.
func offsetFetchAllBackend(req kmsg.Request) kmsg.Response {
	r := req.(*kmsg.OffsetFetchRequest)
	resp := kmsg.NewPtrOffsetFetchResponse()
	topics := []string{"a", "b", "secret"}
	if r.Version < 8 {
		for _, n := range topics {
			t := kmsg.NewOffsetFetchResponseTopic()
			t.Topic = n
			t.Partitions = []kmsg.OffsetFetchResponseTopicPartition{kmsg.NewOffsetFetchResponseTopicPartition()}
			resp.Topics = append(resp.Topics, t)
		}
		return resp
	}
	for _, g := range r.Groups {
		rg := kmsg.NewOffsetFetchResponseGroup()
		rg.Group = g.Group
		if g.Topics == nil {
			for _, n := range topics {
				t := kmsg.NewOffsetFetchResponseGroupTopic()
				t.Topic = n
				t.Partitions = []kmsg.OffsetFetchResponseGroupTopicPartition{kmsg.NewOffsetFetchResponseGroupTopicPartition()}
				rg.Topics = append(rg.Topics, t)
			}
		} else {
			for _, gt := range g.Topics {
				t := kmsg.NewOffsetFetchResponseGroupTopic()
				t.Topic, t.TopicID = gt.Topic, gt.TopicID
				t.Partitions = []kmsg.OffsetFetchResponseGroupTopicPartition{kmsg.NewOffsetFetchResponseGroupTopicPartition()}
				rg.Topics = append(rg.Topics, t)
			}
		}
		resp.Groups = append(resp.Groups, rg)
	}
	return resp
}

// keyCase is one request through the enforcer.
type keyCase struct {
	name    string
	rules   []acls.Rule
	req     kmsg.Request
	backend func(kmsg.Request) kmsg.Response
	// local: the gateway answers; else fwd lists the forwarded entries
	// (as a success response to them would, nil: not checked).
	local  bool
	fwd    []string
	want   []string
	denied int
	check  func(t *testing.T, o outcome)
	// learn lets the enforcer see the ids of a, b and secret in a
	// metadata response first.
	learn bool
}

// learnIDs runs a metadata request for every topic through ch, whose
// answer pairs the names of ids with their ids.
func learnIDs(t *testing.T, ch *policy.Chain) {
	t.Helper()
	all := kmsg.NewPtrMetadataRequest()
	all.Version = 12
	run(t, ch, conn("alice"), all, metadataBackend([]string{"a", "b", "secret"}))
}

func runCases(t *testing.T, cases []keyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := &denials{}
			var ch *policy.Chain
			if tc.rules == nil {
				ch = chain(t, m)
			} else {
				ch = chain(t, m, spec(t, "acls", "", tc.rules...))
			}
			if tc.learn {
				learnIDs(t, ch)
			}
			o := run(t, ch, conn("alice"), clone(t, tc.req), tc.backend)
			if o.local != tc.local {
				t.Fatalf("answered locally = %v, want %v (response %v)", o.local, tc.local, o.resp)
			}
			if !tc.local && tc.fwd != nil {
				fr, err := errresp.For(o.forwarded, 0, nil)
				if err != nil {
					t.Fatal(err)
				}
				if got := flatten(fr); !slices.Equal(got, tc.fwd) {
					t.Errorf("forwarded %v, want %v", got, tc.fwd)
				}
			}
			if tc.want != nil && !slices.Equal(o.resp, tc.want) {
				t.Errorf("response %v, want %v", o.resp, tc.want)
			}
			if got := m.count(); got != tc.denied {
				t.Errorf("denials counted: %d, want %d", got, tc.denied)
			}
			if tc.check != nil {
				tc.check(t, o)
			}
		})
	}
}

var (
	readA      = allow("topic", "a", "read")
	writeA     = allow("topic", "a", "write")
	groupRead  = allow("group", "g", "read")
	groupDesc  = allow("group", "g", "describe")
	txnWrite   = allow("transactional_id", "tx", "write")
	clusterAll = allow("cluster", "", "all")
)

func TestProduce(t *testing.T) {
	txn := produceReq(9, "a", "b")
	txn.TransactionID = kmsg.StringPtr("tx")
	txn.Topics[0].Partitions[0].Records = txnBatch()
	acks0 := produceReq(9, "a", "b")
	acks0.Acks = 0
	runCases(t, []keyCase{
		{name: "allowed topic forwarded", rules: []acls.Rule{writeA}, req: produceReq(9, "a"),
			fwd: []string{"a/0=0"}, want: []string{"a/0=0"}},
		{name: "denied topic fails alone", rules: []acls.Rule{writeA}, req: produceReq(9, "a", "b"),
			fwd: []string{"a/0=0"}, want: []string{"a/0=0", "b/0=29"}, denied: 1},
		{name: "read does not allow write", rules: []acls.Rule{readA}, req: produceReq(9, "a"),
			local: true, want: []string{"a/0=29"}, denied: 1},
		{name: "deny wins over allow", rules: []acls.Rule{allow("topic", "*", "all"), deny("topic", "b", "write")},
			req: produceReq(9, "a", "b"), fwd: []string{"a/0=0"}, want: []string{"a/0=0", "b/0=29"}, denied: 1},
		{name: "deny of another operation does not deny", rules: []acls.Rule{writeA, deny("topic", "a", "read")},
			req: produceReq(9, "a"), fwd: []string{"a/0=0"}, want: []string{"a/0=0"}},
		{name: "topic ids v13", rules: []acls.Rule{writeA}, req: produceReq(13, "#1", "#2", "#9"), learn: true,
			fwd: []string{"id:01/0=0"}, want: []string{"id:01/0=0", "id:02/0=29", "id:09/0=100"}, denied: 2},
		{name: "topic ids not learned yet", rules: []acls.Rule{writeA}, req: produceReq(13, "#1", "#2"),
			fwd: []string{"id:01/0=0"}, want: []string{"id:01/0=0", "id:02/0=100"}, denied: 1},
		{name: "transactional batch without transactional id write", rules: []acls.Rule{writeA, allow("topic", "b", "write")},
			req: txn, local: true, want: []string{"a/0=53", "b/0=53"}, denied: 1},
		{name: "transactional batch with write", rules: []acls.Rule{writeA, txnWrite}, req: func() kmsg.Request {
			r := produceReq(9, "a")
			r.TransactionID = kmsg.StringPtr("tx")
			r.Topics[0].Partitions[0].Records = txnBatch()
			return r
		}(), fwd: []string{"a/0=0"}, want: []string{"a/0=0"}},
		{name: "acks 0 with a denied topic fails whole", rules: []acls.Rule{writeA}, req: acks0,
			local: true, denied: 1},
	})
}

func TestFetch(t *testing.T) {
	follower := fetchReq(12, "a")
	follower.ReplicaID = 1
	session := fetchReq(12, "b")
	session.SessionID, session.SessionEpoch = 7, 3
	runCases(t, []keyCase{
		{name: "read allows", rules: []acls.Rule{readA}, req: fetchReq(12, "a"), fwd: []string{"a/0=0"}, want: []string{"a/0=0"}},
		{name: "describe does not allow read", rules: []acls.Rule{allow("topic", "a", "describe")}, req: fetchReq(12, "a"),
			local: true, want: []string{"a/0=29"}, denied: 1},
		{name: "mixed", rules: []acls.Rule{readA}, req: fetchReq(12, "a", "b"),
			fwd: []string{"a/0=0"}, want: []string{"a/0=0", "b/0=29"}, denied: 1},
		{name: "ids v13", rules: []acls.Rule{readA}, req: fetchReq(13, "#1", "#3", "#7"), learn: true,
			fwd: []string{"id:01/0=0"}, want: []string{"id:01/0=0", "id:03/0=29", "id:07/0=100"}, denied: 2},
		{name: "incremental session keeps going with nothing left", rules: []acls.Rule{readA}, req: session,
			fwd: []string{}, want: []string{"b/0=29"}, denied: 1},
		{name: "follower needs cluster action", rules: []acls.Rule{readA}, req: follower,
			local: true, want: []string{"a/0=29"}, denied: 1},
		{name: "follower with cluster action", rules: []acls.Rule{allow("cluster", "", "cluster_action")}, req: follower,
			fwd: []string{"a/0=0"}},
	})
}

func TestListOffsetsAndEpochs(t *testing.T) {
	lo := func(topics ...string) kmsg.Request {
		r := kmsg.NewPtrListOffsetsRequest()
		r.Version = 7
		for _, n := range topics {
			t := kmsg.NewListOffsetsRequestTopic()
			t.Topic = n
			t.Partitions = []kmsg.ListOffsetsRequestTopicPartition{kmsg.NewListOffsetsRequestTopicPartition()}
			r.Topics = append(r.Topics, t)
		}
		return r
	}
	ofle := func(topics ...string) kmsg.Request {
		r := kmsg.NewPtrOffsetForLeaderEpochRequest()
		r.Version = 4
		for _, n := range topics {
			t := kmsg.NewOffsetForLeaderEpochRequestTopic()
			t.Topic = n
			t.Partitions = []kmsg.OffsetForLeaderEpochRequestTopicPartition{kmsg.NewOffsetForLeaderEpochRequestTopicPartition()}
			r.Topics = append(r.Topics, t)
		}
		return r
	}
	runCases(t, []keyCase{
		{name: "list offsets: read implies describe", rules: []acls.Rule{readA}, req: lo("a", "b"),
			fwd: []string{"a=0"}, want: []string{"a=0", "b=29"}, denied: 1},
		{name: "list offsets: nothing allowed", rules: []acls.Rule{readA}, req: lo("b"), local: true, want: []string{"b=29"}, denied: 1},
		{name: "offset for leader epoch: describe", rules: []acls.Rule{allow("topic", "b", "describe")}, req: ofle("a", "b"),
			fwd: []string{"b=0"}, want: []string{"a=29", "b=0"}, denied: 1},
		{name: "offset for leader epoch: cluster action allows all", rules: []acls.Rule{allow("cluster", "", "cluster_action")},
			req: ofle("a", "b"), fwd: []string{"a=0", "b=0"}},
	})
}

func TestMetadata(t *testing.T) {
	all := kmsg.NewPtrMetadataRequest()
	all.Version = 12
	allV0 := metadataReq(0)
	auto := metadataReq(9, "a", "new")
	auto.AllowAutoTopicCreation = true
	autoCreate := metadataReq(9, "new")
	autoCreate.AllowAutoTopicCreation = true
	old := metadataReq(3, "a", "new")
	ops := metadataReq(10, "a")
	ops.IncludeTopicAuthorizedOperations, ops.IncludeClusterAuthorizedOperations = true, true
	describeAll := []acls.Rule{allow("topic", "a,b", "describe")}
	runCases(t, []keyCase{
		{name: "all topics drops undescribable silently", rules: describeAll, req: all,
			backend: metadataBackend([]string{"a", "b", "secret"}), want: []string{"a=0", "b=0"}},
		{name: "all topics at v0 (empty list)", rules: describeAll, req: allV0,
			backend: metadataBackend([]string{"a", "secret"}), want: []string{"a=0"}},
		{name: "named undescribable topic refused", rules: describeAll, req: metadataReq(12, "a", "secret"),
			backend: metadataBackend(nil), fwd: []string{"a=0"}, want: []string{"a=0", "secret=29"}, denied: 1},
		{name: "nothing describable still forwarded for brokers", rules: describeAll, req: metadataReq(12, "secret"),
			backend: metadataBackend(nil), fwd: []string{}, want: []string{"secret=29"}, denied: 1,
			check: func(t *testing.T, o outcome) {
				if o.forwarded.(*kmsg.MetadataRequest).Topics == nil {
					t.Error("forwarded a request for every topic")
				}
			}},
		{name: "by id", rules: describeAll, req: metadataReq(12, "#1", "#3"), learn: true,
			backend: metadataBackend(nil), fwd: []string{"id:01=0"}, want: []string{"a=0", "id:03=29"}, denied: 1},
		{name: "by unknown id checked in the response", rules: describeAll, req: metadataReq(12, "#9"),
			backend: metadataBackend([]string{"secret"}), want: []string{"secret=29"}, denied: 1},
		{name: "auto-create off without create", rules: describeAll, req: auto,
			backend: metadataBackend(nil, "new"), want: []string{"a=0", "new=29"}, denied: 1,
			check: func(t *testing.T, o outcome) {
				if o.forwarded.(*kmsg.MetadataRequest).AllowAutoTopicCreation {
					t.Error("auto-creation still on")
				}
			}},
		{name: "auto-create with topic create", rules: []acls.Rule{allow("topic", "*", "create", "describe")}, req: autoCreate,
			backend: metadataBackend(nil), want: []string{"new=0"},
			check: func(t *testing.T, o outcome) {
				if !o.forwarded.(*kmsg.MetadataRequest).AllowAutoTopicCreation {
					t.Error("auto-creation turned off")
				}
			}},
		{name: "auto-create with cluster create", rules: []acls.Rule{allow("topic", "*", "describe"), allow("cluster", "", "create")},
			req: autoCreate, backend: metadataBackend(nil),
			check: func(t *testing.T, o outcome) {
				if !o.forwarded.(*kmsg.MetadataRequest).AllowAutoTopicCreation {
					t.Error("auto-creation turned off")
				}
			}},
		{name: "before v4 an unknown uncreatable topic is refused", rules: []acls.Rule{allow("topic", "*", "describe")}, req: old,
			backend: metadataBackend(nil), fwd: []string{"a=0"}, want: []string{"a=0", "new=29"}, denied: 1},
		{name: "authorized operations are the gateway's", rules: []acls.Rule{readA, allow("cluster", "", "describe")}, req: ops,
			backend: metadataBackend(nil), want: []string{"a=0"},
			check: func(t *testing.T, o outcome) {
				r := o.raw.(*kmsg.MetadataResponse)
				if got, want := r.Topics[0].AuthorizedOperations, int32(1<<3|1<<8); got != want {
					t.Errorf("topic ops %b, want %b", got, want)
				}
				if got, want := r.AuthorizedOperations, int32(1<<8); got != want {
					t.Errorf("cluster ops %b, want %b", got, want)
				}
			}},
	})
}

func TestDescribeTopicPartitions(t *testing.T) {
	req := func(topics ...string) kmsg.Request {
		r := kmsg.NewPtrDescribeTopicPartitionsRequest()
		for _, n := range topics {
			t := kmsg.NewDescribeTopicPartitionsRequestTopic()
			t.Topic = n
			r.Topics = append(r.Topics, t)
		}
		return r
	}
	listing := func(kmsg.Request) kmsg.Response {
		resp := kmsg.NewPtrDescribeTopicPartitionsResponse()
		for _, n := range []string{"a", "secret"} {
			t := kmsg.NewDescribeTopicPartitionsResponseTopic()
			t.Topic = kmsg.StringPtr(n)
			resp.Topics = append(resp.Topics, t)
		}
		return resp
	}
	runCases(t, []keyCase{
		{name: "named", rules: []acls.Rule{readA}, req: req("a", "secret"), fwd: []string{"a=0"}, want: []string{"a=0", "secret=29"}, denied: 1},
		{name: "listing filtered", rules: []acls.Rule{readA}, req: req(), backend: listing, want: []string{"a=0"}},
	})
}

func TestOffsetCommitAndFetch(t *testing.T) {
	oc := func(v int16, topics ...string) kmsg.Request {
		r := kmsg.NewPtrOffsetCommitRequest()
		r.Version, r.Group = v, "g"
		for _, s := range topics {
			t := kmsg.NewOffsetCommitRequestTopic()
			t.Topic, t.TopicID = ref(s)
			t.Partitions = []kmsg.OffsetCommitRequestTopicPartition{kmsg.NewOffsetCommitRequestTopicPartition()}
			r.Topics = append(r.Topics, t)
		}
		return r
	}
	runCases(t, []keyCase{
		{name: "commit: group denied fails all", rules: []acls.Rule{readA}, req: oc(8, "a"), local: true, want: []string{"a=30"}, denied: 1},
		{name: "commit: topic read per topic", rules: []acls.Rule{readA, groupRead}, req: oc(8, "a", "b"),
			fwd: []string{"a=0"}, want: []string{"a=0", "b=29"}, denied: 1},
		{name: "commit: ids v10", rules: []acls.Rule{readA, groupRead}, req: oc(10, "#1", "#2"), learn: true,
			fwd: []string{"id:01=0"}, want: []string{"id:01=0", "id:02=29"}, denied: 1},
		{name: "commit: group describe is not enough", rules: []acls.Rule{readA, groupDesc}, req: oc(8, "a"), local: true, want: []string{"a=30"}, denied: 1},
		{name: "fetch v7: group describe needed", rules: []acls.Rule{readA}, req: offsetFetchV7("g", "a"), local: true, denied: 1},
		{name: "fetch v7: named topics", rules: []acls.Rule{readA, groupDesc}, req: offsetFetchV7("g", "a", "b"),
			fwd: []string{"a=0"}, want: []string{"a=0", "b=29"}, denied: 1},
		{name: "fetch v7: nothing named left is forwarded", rules: []acls.Rule{readA, groupDesc}, req: offsetFetchV7("g", "b"),
			fwd: []string{}, want: []string{"b=29"}, denied: 1,
			check: func(t *testing.T, o outcome) {
				if o.forwarded.(*kmsg.OffsetFetchRequest).Topics == nil {
					t.Error("forwarded a request for every topic")
				}
			}},
		{name: "fetch v7: all topics filtered", rules: []acls.Rule{readA, allow("topic", "b", "describe"), groupRead},
			req: offsetFetchV7("g"), backend: offsetFetchAllBackend, want: []string{"a=0", "b=0"}},
		{name: "fetch v8: groups and topics", rules: []acls.Rule{readA, groupDesc},
			req: offsetFetchV8(8, "g:a,b", "h:a"), fwd: []string{"g/a=0", "g=0"},
			backend: offsetFetchAllBackend, want: []string{"g/a=0", "g/b=29", "g=0", "h=30"}, denied: 2},
		{name: "fetch v8: all of a group filtered", rules: []acls.Rule{readA, groupDesc},
			req: offsetFetchV8(8, "g"), backend: offsetFetchAllBackend, want: []string{"g/a=0", "g=0"}},
		{name: "fetch v10: ids", rules: []acls.Rule{readA, groupDesc}, learn: true,
			req: offsetFetchV8(10, "g:#1,#3,#8"), backend: offsetFetchAllBackend,
			want: []string{"g/id:01=0", "g/id:03=29", "g/id:08=100", "g=0"}, denied: 2},
		{name: "fetch v8: every group refused", rules: []acls.Rule{readA}, req: offsetFetchV8(8, "g:a", "h"),
			local: true, want: []string{"g=30", "h=30"}, denied: 2},
	})
}

func TestFindCoordinator(t *testing.T) {
	fc := func(v int16, typ int8, keys ...string) kmsg.Request {
		r := kmsg.NewPtrFindCoordinatorRequest()
		r.Version, r.CoordinatorType = v, typ
		if v < 4 {
			r.CoordinatorKey = keys[0]
		} else {
			r.CoordinatorKeys = keys
		}
		return r
	}
	runCases(t, []keyCase{
		{name: "v3 group allowed", rules: []acls.Rule{groupRead}, req: fc(3, 0, "g"), fwd: []string{}},
		{name: "v3 group refused", rules: []acls.Rule{groupRead}, req: fc(3, 0, "h"), local: true, want: []string{"error=30"}, denied: 1},
		{name: "v4 per key", rules: []acls.Rule{groupDesc}, req: fc(4, 0, "g", "h"), fwd: []string{"g=0"}, want: []string{"g=0", "h=30"}, denied: 1},
		{name: "v4 transactional ids", rules: []acls.Rule{allow("transactional_id", "tx", "describe")}, req: fc(4, 1, "tx", "other"),
			fwd: []string{"tx=0"}, want: []string{"other=53", "tx=0"}, denied: 1},
		{name: "v4 all refused", rules: nil, req: fc(4, 1, "tx"), local: true, want: []string{"tx=53"}, denied: 1},
		{name: "share keys need cluster action", rules: []acls.Rule{groupRead}, req: fc(6, 2, "g:x:0"), local: true, want: []string{"g:x:0=31"}, denied: 1},
	})
}

func TestClassicGroups(t *testing.T) {
	join := kmsg.NewPtrJoinGroupRequest()
	join.Version, join.Group = 9, "g"
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Version, hb.Group = 4, "h"
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Version, leave.Group = 5, "g"
	syncReq := kmsg.NewPtrSyncGroupRequest()
	syncReq.Version, syncReq.Group = 5, "h"
	dg := kmsg.NewPtrDescribeGroupsRequest()
	dg.Version, dg.Groups, dg.IncludeAuthorizedOperations = 5, []string{"g", "h"}, true
	del := kmsg.NewPtrDeleteGroupsRequest()
	del.Version, del.Groups = 2, []string{"g", "h"}
	lg := kmsg.NewPtrListGroupsRequest()
	lg.Version = 5
	listing := func(kmsg.Request) kmsg.Response {
		resp := kmsg.NewPtrListGroupsResponse()
		for _, n := range []string{"g", "h"} {
			g := kmsg.NewListGroupsResponseGroup()
			g.Group = n
			resp.Groups = append(resp.Groups, g)
		}
		return resp
	}
	runCases(t, []keyCase{
		{name: "join allowed", rules: []acls.Rule{groupRead}, req: join, fwd: []string{}},
		{name: "heartbeat refused", rules: []acls.Rule{groupRead}, req: hb, local: true, want: []string{"error=30"}, denied: 1},
		{name: "leave allowed", rules: []acls.Rule{groupRead}, req: leave, fwd: []string{}},
		{name: "sync refused", rules: []acls.Rule{groupRead}, req: syncReq, local: true, want: []string{"error=30"}, denied: 1},
		{name: "describe per group", rules: []acls.Rule{groupDesc}, req: dg, fwd: []string{"g=0"}, want: []string{"g=0", "h=30"}, denied: 1,
			check: func(t *testing.T, o outcome) {
				for _, g := range o.raw.(*kmsg.DescribeGroupsResponse).Groups {
					if g.Group == "g" && g.AuthorizedOperations != 1<<8 {
						t.Errorf("authorized operations %b, want describe", g.AuthorizedOperations)
					}
				}
			}},
		{name: "delete per group", rules: []acls.Rule{allow("group", "h", "delete")}, req: del, fwd: []string{"h=0"}, want: []string{"g=30", "h=0"}, denied: 1},
		{name: "list filtered without cluster describe", rules: []acls.Rule{groupDesc}, req: lg, backend: listing, want: []string{"g=0"}},
		{name: "list all with cluster describe", rules: []acls.Rule{allow("cluster", "", "describe")}, req: lg, backend: listing, want: []string{"g=0", "h=0"}},
	})
}

func TestOffsetDelete(t *testing.T) {
	od := func(topics ...string) kmsg.Request {
		r := kmsg.NewPtrOffsetDeleteRequest()
		r.Group = "g"
		for _, n := range topics {
			t := kmsg.NewOffsetDeleteRequestTopic()
			t.Topic = n
			t.Partitions = []kmsg.OffsetDeleteRequestTopicPartition{kmsg.NewOffsetDeleteRequestTopicPartition()}
			r.Topics = append(r.Topics, t)
		}
		return r
	}
	runCases(t, []keyCase{
		{name: "group delete needed", rules: []acls.Rule{readA, groupRead}, req: od("a"), local: true, denied: 1},
		{name: "topic read per topic, rest forwarded even empty", rules: []acls.Rule{readA, allow("group", "g", "delete")}, req: od("b"),
			fwd: []string{}, want: []string{"b=29"}, denied: 1},
	})
}

func TestTopicAdmin(t *testing.T) {
	ct := kmsg.NewPtrCreateTopicsRequest()
	ct.Version = 7
	for _, n := range []string{"a", "b"} {
		t := kmsg.NewCreateTopicsRequestTopic()
		t.Topic = n
		ct.Topics = append(ct.Topics, t)
	}
	dtOld := kmsg.NewPtrDeleteTopicsRequest()
	dtOld.Version, dtOld.TopicNames = 5, []string{"a", "b"}
	dt := kmsg.NewPtrDeleteTopicsRequest()
	dt.Version = 6
	for _, s := range []string{"a", "#1", "#2", "#3", "#9"} {
		t := kmsg.NewDeleteTopicsRequestTopic()
		name, tid := ref(s)
		if name != "" {
			t.Topic = &name
		}
		t.TopicID = tid
		dt.Topics = append(dt.Topics, t)
	}
	dr := kmsg.NewPtrDeleteRecordsRequest()
	dr.Version = 2
	cp := kmsg.NewPtrCreatePartitionsRequest()
	cp.Version = 3
	for _, n := range []string{"a", "b"} {
		t := kmsg.NewDeleteRecordsRequestTopic()
		t.Topic = n
		t.Partitions = []kmsg.DeleteRecordsRequestTopicPartition{kmsg.NewDeleteRecordsRequestTopicPartition()}
		dr.Topics = append(dr.Topics, t)
		c := kmsg.NewCreatePartitionsRequestTopic()
		c.Topic = n
		cp.Topics = append(cp.Topics, c)
	}
	dp := kmsg.NewPtrDescribeProducersRequest()
	for _, n := range []string{"a", "b"} {
		t := kmsg.NewDescribeProducersRequestTopic()
		t.Topic, t.Partitions = n, []int32{0}
		dp.Topics = append(dp.Topics, t)
	}
	runCases(t, []keyCase{
		{name: "create per topic", rules: []acls.Rule{allow("topic", "a", "create")}, req: ct,
			fwd: []string{"a=0"}, want: []string{"a=0", "b=29"}, denied: 1,
			check: func(t *testing.T, o outcome) {
				for _, tp := range o.raw.(*kmsg.CreateTopicsResponse).Topics {
					if tp.Topic == "a" && tp.ConfigErrorCode != 29 {
						t.Errorf("configs of a shown without describe_configs")
					}
				}
			}},
		{name: "create with cluster create", rules: []acls.Rule{allow("cluster", "", "create"), allow("topic", "*", "describe_configs")}, req: ct,
			fwd: []string{"a=0", "b=0"}, want: []string{"a=0", "b=0"}},
		{name: "delete by name v5", rules: []acls.Rule{allow("topic", "b", "delete")}, req: dtOld,
			fwd: []string{"b=0"}, want: []string{"a=29", "b=0"}, denied: 1},
		{name: "delete by name and id v6", rules: []acls.Rule{allow("topic", "a", "delete"), allow("topic", "b", "describe")}, req: dt, learn: true,
			fwd: []string{"a=0", "id:01=0"}, want: []string{"a=0", "b=29", "id:01=0", "id:03=29", "id:09=100"}, denied: 3},
		{name: "delete records", rules: []acls.Rule{allow("topic", "a", "delete")}, req: dr,
			fwd: []string{"a=0"}, want: []string{"a=0", "b=29"}, denied: 1},
		{name: "create partitions needs alter", rules: []acls.Rule{allow("topic", "b", "alter")}, req: cp,
			fwd: []string{"b=0"}, want: []string{"a=29", "b=0"}, denied: 1},
		{name: "describe producers needs read", rules: []acls.Rule{readA}, req: dp,
			fwd: []string{"a=0"}, want: []string{"a=0", "b=29"}, denied: 1},
	})
}

func TestConfigs(t *testing.T) {
	res := []struct {
		typ  kmsg.ConfigResourceType
		name string
	}{{kmsg.ConfigResourceTypeTopic, "a"}, {kmsg.ConfigResourceTypeTopic, "b"}, {kmsg.ConfigResourceTypeBroker, "1"},
		{kmsg.ConfigResourceTypeGroupConfig, "g"}, {kmsg.ConfigResourceTypeUnknown, "x"}}
	dc := kmsg.NewPtrDescribeConfigsRequest()
	dc.Version = 4
	ac := kmsg.NewPtrAlterConfigsRequest()
	ac.Version = 2
	iac := kmsg.NewPtrIncrementalAlterConfigsRequest()
	iac.Version = 1
	for _, r := range res {
		d := kmsg.NewDescribeConfigsRequestResource()
		d.ResourceType, d.ResourceName = r.typ, r.name
		dc.Resources = append(dc.Resources, d)
		a := kmsg.NewAlterConfigsRequestResource()
		a.ResourceType, a.ResourceName = r.typ, r.name
		ac.Resources = append(ac.Resources, a)
		i := kmsg.NewIncrementalAlterConfigsRequestResource()
		i.ResourceType, i.ResourceName = r.typ, r.name
		iac.Resources = append(iac.Resources, i)
	}
	alter := []acls.Rule{allow("topic", "a", "alter_configs"), allow("group", "g", "alter_configs")}
	runCases(t, []keyCase{
		{name: "describe: alter_configs implies describe_configs", rules: alter, req: dc,
			fwd: []string{"a=0", "g=0"}, want: []string{"1=31", "a=0", "b=29", "g=0", "x=42"}, denied: 3},
		{name: "alter", rules: alter, req: ac, fwd: []string{"a=0", "g=0"}, want: []string{"1=31", "a=0", "b=29", "g=0", "x=42"}, denied: 3},
		{name: "incremental alter: describe_configs is not enough", rules: []acls.Rule{allow("topic", "*", "describe_configs"), allow("cluster", "", "alter_configs")},
			req: iac, fwd: []string{"1=0"}, want: []string{"1=0", "a=29", "b=29", "g=30", "x=42"}, denied: 4},
	})
}

func TestClusterKeys(t *testing.T) {
	keys := map[int16]kmsg.ACLOperation{
		34: kmsg.ACLOperationAlter, 35: kmsg.ACLOperationDescribe, 43: kmsg.ACLOperationAlter, 45: kmsg.ACLOperationAlter,
		46: kmsg.ACLOperationDescribe, 48: kmsg.ACLOperationDescribeConfigs, 49: kmsg.ACLOperationAlterConfigs,
		50: kmsg.ACLOperationDescribe, 51: kmsg.ACLOperationAlter, 55: kmsg.ACLOperationDescribe, 57: kmsg.ACLOperationAlter,
		64: kmsg.ACLOperationAlter, 74: kmsg.ACLOperationDescribeConfigs,
	}
	names := map[kmsg.ACLOperation]string{kmsg.ACLOperationAlter: "alter", kmsg.ACLOperationDescribe: "describe",
		kmsg.ACLOperationDescribeConfigs: "describe_configs", kmsg.ACLOperationAlterConfigs: "alter_configs"}
	for key, op := range keys {
		req := kmsg.RequestForKey(key)
		req.SetVersion(req.MaxVersion())
		t.Run(kmsg.NameForKey(key), func(t *testing.T) {
			for _, tc := range []struct {
				rules []acls.Rule
				local bool
			}{
				{nil, true},
				{[]acls.Rule{allow("topic", "*", "all"), allow("group", "*", "all")}, true},
				{[]acls.Rule{allow("cluster", "kafka-cluster", names[op])}, false},
				{[]acls.Rule{allow("cluster", "", "all"), deny("cluster", "", names[op])}, true},
			} {
				m := &denials{}
				ch := chain(t, m)
				if tc.rules != nil {
					ch = chain(t, m, spec(t, "acls", "", tc.rules...))
				}
				x, err := ch.OnRequest(t.Context(), conn("alice"), clone(t, req))
				if err != nil {
					t.Fatal(err)
				}
				if got := x.Local() != nil; got != tc.local {
					t.Errorf("rules %v: answered = %v, want %v", tc.rules, got, tc.local)
				}
				if tc.local {
					if code, ok := errorCode(x.Local()); ok && code != 31 {
						t.Errorf("error %d, want 31", code)
					}
					if m.count() != 1 {
						t.Errorf("%d denials counted", m.count())
					}
				}
			}
		})
	}
}

func TestDescribeCluster(t *testing.T) {
	r := kmsg.NewPtrDescribeClusterRequest()
	r.Version, r.IncludeClusterAuthorizedOperations = 1, true
	runCases(t, []keyCase{
		{name: "no describe: operations 0", rules: []acls.Rule{allow("cluster", "", "idempotent_write")}, req: r, want: []string{},
			check: func(t *testing.T, o outcome) {
				if ops := o.raw.(*kmsg.DescribeClusterResponse).ClusterAuthorizedOperations; ops != 0 {
					t.Errorf("operations %b, want 0", ops)
				}
			}},
		{name: "alter implies describe", rules: []acls.Rule{allow("cluster", "", "alter")}, req: r, want: []string{},
			check: func(t *testing.T, o outcome) {
				if ops, want := o.raw.(*kmsg.DescribeClusterResponse).ClusterAuthorizedOperations, int32(1<<7|1<<8); ops != want {
					t.Errorf("operations %b, want %b", ops, want)
				}
			}},
		{name: "all", rules: []acls.Rule{clusterAll}, req: r, want: []string{},
			check: func(t *testing.T, o outcome) {
				want := int32(1<<5 | 1<<7 | 1<<8 | 1<<9 | 1<<10 | 1<<11 | 1<<12)
				if ops := o.raw.(*kmsg.DescribeClusterResponse).ClusterAuthorizedOperations; ops != want {
					t.Errorf("operations %b, want %b", ops, want)
				}
			}},
	})
}

func TestTransactions(t *testing.T) {
	ipTxn := kmsg.NewPtrInitProducerIDRequest()
	ipTxn.Version, ipTxn.TransactionalID = 4, kmsg.StringPtr("tx")
	ipIdem := kmsg.NewPtrInitProducerIDRequest()
	ipIdem.Version = 4
	apt := kmsg.NewPtrAddPartitionsToTxnRequest()
	apt.Version, apt.TransactionalID = 3, "tx"
	for _, n := range []string{"a", "b"} {
		t := kmsg.NewAddPartitionsToTxnRequestTopic()
		t.Topic, t.Partitions = n, []int32{0}
		apt.Topics = append(apt.Topics, t)
	}
	apt4 := kmsg.NewPtrAddPartitionsToTxnRequest()
	apt4.Version = 4
	aot := kmsg.NewPtrAddOffsetsToTxnRequest()
	aot.Version, aot.TransactionalID, aot.Group = 3, "tx", "g"
	end := kmsg.NewPtrEndTxnRequest()
	end.Version, end.TransactionalID = 4, "tx"
	toc := kmsg.NewPtrTxnOffsetCommitRequest()
	toc.Version, toc.TransactionalID, toc.Group = 3, "tx", "g"
	for _, n := range []string{"a", "b"} {
		t := kmsg.NewTxnOffsetCommitRequestTopic()
		t.Topic = n
		t.Partitions = []kmsg.TxnOffsetCommitRequestTopicPartition{kmsg.NewTxnOffsetCommitRequestTopicPartition()}
		toc.Topics = append(toc.Topics, t)
	}
	dt := kmsg.NewPtrDescribeTransactionsRequest()
	dt.TransactionalIDs = []string{"tx", "other"}
	descBackend := func(req kmsg.Request) kmsg.Response {
		resp := kmsg.NewPtrDescribeTransactionsResponse()
		for _, id := range req.(*kmsg.DescribeTransactionsRequest).TransactionalIDs {
			s := kmsg.NewDescribeTransactionsResponseTransactionState()
			s.TransactionalID = id
			for _, n := range []string{"a", "secret"} {
				tp := kmsg.NewDescribeTransactionsResponseTransactionStateTopic()
				tp.Topic = n
				s.Topics = append(s.Topics, tp)
			}
			resp.TransactionStates = append(resp.TransactionStates, s)
		}
		return resp
	}
	lt := kmsg.NewPtrListTransactionsRequest()
	ltBackend := func(kmsg.Request) kmsg.Response {
		resp := kmsg.NewPtrListTransactionsResponse()
		for _, n := range []string{"tx", "other"} {
			s := kmsg.NewListTransactionsResponseTransactionState()
			s.TransactionalID = n
			resp.TransactionStates = append(resp.TransactionStates, s)
		}
		return resp
	}
	runCases(t, []keyCase{
		{name: "init transactional", rules: []acls.Rule{txnWrite}, req: ipTxn, fwd: []string{}},
		{name: "init transactional refused", rules: []acls.Rule{writeA}, req: ipTxn, local: true, want: []string{"error=53"}, denied: 1},
		{name: "init idempotent with write on a topic", rules: []acls.Rule{writeA}, req: ipIdem, fwd: []string{}},
		{name: "init idempotent with idempotent_write", rules: []acls.Rule{allow("cluster", "", "idempotent_write")}, req: ipIdem, fwd: []string{}},
		{name: "init idempotent refused", rules: []acls.Rule{readA}, req: ipIdem, local: true, want: []string{"error=31"}, denied: 1},
		{name: "init idempotent: write denied on every topic", rules: []acls.Rule{writeA, deny("topic", "*", "write")}, req: ipIdem,
			local: true, want: []string{"error=31"}, denied: 1},
		{name: "init idempotent: the one writable topic denied", rules: []acls.Rule{writeA, deny("topic", "a", "all")}, req: ipIdem,
			local: true, want: []string{"error=31"}, denied: 1},
		{name: "init idempotent: prefix under a denied prefix", rules: []acls.Rule{allow("topic", "orders-*", "write"), deny("topic", "ord*", "write")},
			req: ipIdem, local: true, want: []string{"error=31"}, denied: 1},
		{name: "init idempotent: prefix partly denied", rules: []acls.Rule{allow("topic", "orders-*", "write"), deny("topic", "orders-eu*", "write")},
			req: ipIdem, fwd: []string{}},
		{name: "add partitions", rules: []acls.Rule{txnWrite, writeA, allow("topic", "b", "write")}, req: apt, fwd: []string{"a=0", "b=0"}},
		{name: "add partitions: a refused topic fails all", rules: []acls.Rule{txnWrite, writeA}, req: apt,
			local: true, want: []string{"a=55", "b=29"}, denied: 1},
		{name: "add partitions: transactional id", rules: []acls.Rule{writeA}, req: apt, local: true, want: []string{"a=53", "b=53"}, denied: 1},
		{name: "add partitions v4 is for brokers", rules: []acls.Rule{txnWrite}, req: apt4, local: true, denied: 1},
		{name: "add offsets: txn then group", rules: []acls.Rule{txnWrite}, req: aot, local: true, want: []string{"error=30"}, denied: 1},
		{name: "add offsets allowed", rules: []acls.Rule{txnWrite, groupRead}, req: aot, fwd: []string{}},
		{name: "end txn", rules: []acls.Rule{groupRead}, req: end, local: true, want: []string{"error=53"}, denied: 1},
		{name: "txn offset commit", rules: []acls.Rule{txnWrite, groupRead, readA}, req: toc,
			fwd: []string{"a=0"}, want: []string{"a=0", "b=29"}, denied: 1},
		{name: "txn offset commit: group", rules: []acls.Rule{txnWrite, readA}, req: toc, local: true, want: []string{"a=30", "b=30"}, denied: 1},
		{name: "describe transactions", rules: []acls.Rule{allow("transactional_id", "tx", "describe"), readA}, req: dt,
			backend: descBackend, fwd: []string{"tx=0"}, want: []string{"other=53", "tx/a=0", "tx=0"}, denied: 1},
		{name: "list transactions filtered", rules: []acls.Rule{txnWrite}, req: lt, backend: ltBackend, want: []string{"tx=0"}},
	})
}

func TestConsumerAndShareGroups(t *testing.T) {
	hb := func(topics []string, regex string) kmsg.Request {
		r := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		r.Version, r.Group, r.SubscribedTopicNames = 1, "g", topics
		if regex != "" {
			r.SubscribedTopicRegex = &regex
		}
		return r
	}
	sh := kmsg.NewPtrShareGroupHeartbeatRequest()
	sh.GroupID, sh.SubscribedTopicNames = "g", []string{"a", "b"}
	cgd := kmsg.NewPtrConsumerGroupDescribeRequest()
	cgd.Groups, cgd.IncludeAuthorizedOperations = []string{"g", "h", "x"}, true
	cgdBackend := func(req kmsg.Request) kmsg.Response {
		resp := kmsg.NewPtrConsumerGroupDescribeResponse()
		for _, g := range req.(*kmsg.ConsumerGroupDescribeRequest).Groups {
			rg := kmsg.NewConsumerGroupDescribeResponseGroup()
			rg.Group = g
			m := kmsg.NewConsumerGroupDescribeResponseGroupMember()
			tp := kmsg.NewAssignmentTopicPartition()
			tp.Topic = "a"
			if g == "x" {
				tp.Topic = "secret"
			}
			m.Assignment.TopicPartitions = append(m.Assignment.TopicPartitions, tp)
			rg.Members = append(rg.Members, m)
			resp.Groups = append(resp.Groups, rg)
		}
		return resp
	}
	sgd := kmsg.NewPtrShareGroupDescribeRequest()
	sgd.GroupIDs = []string{"g", "h"}
	sf := kmsg.NewPtrShareFetchRequest()
	sf.GroupID = kmsg.StringPtr("g")
	sa := kmsg.NewPtrShareAcknowledgeRequest()
	sa.GroupID = kmsg.StringPtr("g")
	for _, i := range []byte{1, 2, 9} {
		t := kmsg.NewShareFetchRequestTopic()
		t.TopicID = id(i)
		t.Partitions = []kmsg.ShareFetchRequestTopicPartition{kmsg.NewShareFetchRequestTopicPartition()}
		sf.Topics = append(sf.Topics, t)
		a := kmsg.NewShareAcknowledgeRequestTopic()
		a.TopicID = id(i)
		a.Partitions = []kmsg.ShareAcknowledgeRequestTopicPartition{kmsg.NewShareAcknowledgeRequestTopicPartition()}
		sa.Topics = append(sa.Topics, a)
	}
	dsgo := kmsg.NewPtrDescribeShareGroupOffsetsRequest()
	for _, s := range []string{"g", "h"} {
		g := kmsg.NewDescribeShareGroupOffsetsRequestGroup()
		g.GroupID = s
		for _, n := range []string{"a", "b"} {
			t := kmsg.NewDescribeShareGroupOffsetsRequestGroupTopic()
			t.Topic, t.Partitions = n, []int32{0}
			g.Topics = append(g.Topics, t)
		}
		dsgo.Groups = append(dsgo.Groups, g)
	}
	asgo := kmsg.NewPtrAlterShareGroupOffsetsRequest()
	asgo.GroupID = "g"
	dlsgo := kmsg.NewPtrDeleteShareGroupOffsetsRequest()
	dlsgo.GroupID = "g"
	for _, n := range []string{"a", "b"} {
		t := kmsg.NewAlterShareGroupOffsetsRequestTopic()
		t.Topic = n
		t.Partitions = []kmsg.AlterShareGroupOffsetsRequestTopicPartition{kmsg.NewAlterShareGroupOffsetsRequestTopicPartition()}
		asgo.Topics = append(asgo.Topics, t)
		d := kmsg.NewDeleteShareGroupOffsetsRequestTopic()
		d.Topic = n
		dlsgo.Topics = append(dlsgo.Topics, d)
	}
	runCases(t, []keyCase{
		{name: "heartbeat", rules: []acls.Rule{groupRead, readA}, req: hb([]string{"a"}, ""), fwd: []string{}},
		{name: "heartbeat: group", rules: []acls.Rule{readA}, req: hb([]string{"a"}, ""), local: true, want: []string{"error=30"}, denied: 1},
		{name: "heartbeat: subscribed topic", rules: []acls.Rule{groupRead, readA}, req: hb([]string{"a", "b"}, ""),
			local: true, want: []string{"error=29"}, denied: 1},
		{name: "heartbeat: regex needs describe on all", rules: []acls.Rule{groupRead, readA}, req: hb(nil, "a.*"),
			local: true, want: []string{"error=29"}, denied: 1},
		{name: "heartbeat: regex with describe on all", rules: []acls.Rule{groupRead, allow("topic", "*", "describe")}, req: hb(nil, "a.*"), fwd: []string{}},
		{name: "share heartbeat", rules: []acls.Rule{groupRead, readA}, req: sh, local: true, want: []string{"error=29"}, denied: 1},
		{name: "consumer group describe", rules: []acls.Rule{allow("group", "g,x", "describe"), readA}, req: cgd, backend: cgdBackend,
			fwd: []string{"g=0", "x=0"}, want: []string{"g=0", "h=30", "x=29"}, denied: 2,
			check: func(t *testing.T, o outcome) {
				for _, g := range o.raw.(*kmsg.ConsumerGroupDescribeResponse).Groups {
					if g.Group == "g" && g.AuthorizedOperations != 1<<8 {
						t.Errorf("authorized operations %b", g.AuthorizedOperations)
					}
				}
			}},
		{name: "share group describe", rules: []acls.Rule{groupDesc}, req: sgd, fwd: []string{"g=0"}, want: []string{"g=0", "h=30"}, denied: 1},
		{name: "share fetch", rules: []acls.Rule{groupRead, readA}, req: sf, learn: true, fwd: []string{"id:01=0"},
			want: []string{"id:01=0", "id:02=29", "id:09=100"}, denied: 2},
		{name: "share fetch: group", rules: []acls.Rule{readA}, req: sf, local: true, denied: 1},
		{name: "share acknowledge", rules: []acls.Rule{groupRead, readA}, req: sa, learn: true, fwd: []string{"id:01=0"},
			want: []string{"id:01=0", "id:02=29", "id:09=100"}, denied: 2},
		{name: "describe share group offsets", rules: []acls.Rule{groupDesc, readA}, req: dsgo,
			want: []string{"g/a=0", "g/b=29", "g=0", "h=30"}, denied: 2},
		{name: "alter share group offsets", rules: []acls.Rule{groupRead, readA}, req: asgo, fwd: []string{"a=0"}, want: []string{"a=0", "b=29"}, denied: 1},
		{name: "delete share group offsets: group delete", rules: []acls.Rule{groupRead, readA}, req: dlsgo, local: true, denied: 1},
		{name: "delete share group offsets", rules: []acls.Rule{allow("group", "g", "delete"), readA}, req: dlsgo,
			fwd: []string{"a=0"}, want: []string{"a=0", "b=29"}, denied: 1},
	})
}

func TestACLAPIs(t *testing.T) {
	describe := func(typ kmsg.ACLResourceType, name *string, pattern kmsg.ACLResourcePatternType) kmsg.Request {
		r := kmsg.NewPtrDescribeACLsRequest()
		r.Version = 3
		r.ResourceType, r.ResourceName, r.ResourcePatternType = typ, name, pattern
		r.Operation, r.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
		return r
	}
	create := kmsg.NewPtrCreateACLsRequest()
	create.Version = 3
	create.Creations = []kmsg.CreateACLsRequestCreation{kmsg.NewCreateACLsRequestCreation()}
	del := kmsg.NewPtrDeleteACLsRequest()
	del.Version = 3
	del.Filters = []kmsg.DeleteACLsRequestFilter{kmsg.NewDeleteACLsRequestFilter(), kmsg.NewDeleteACLsRequestFilter()}
	rules := []acls.Rule{allow("cluster", "", "describe"), allow("topic", "orders-*,a", "read", "write"), deny("topic", "a?c", "read")}
	runCases(t, []keyCase{
		{name: "describe needs cluster describe", rules: []acls.Rule{readA},
			req: describe(kmsg.ACLResourceTypeAny, nil, kmsg.ACLResourcePatternTypeAny), local: true, want: []string{"error=31"}, denied: 1},
		{name: "describe all", rules: rules, req: describe(kmsg.ACLResourceTypeAny, nil, kmsg.ACLResourcePatternTypeAny), local: true,
			want: []string{
				"CLUSTER:LITERAL:kafka-cluster User:* DESCRIBE ALLOW=0",
				"TOPIC:LITERAL:a User:* READ ALLOW=0",
				"TOPIC:LITERAL:a User:* WRITE ALLOW=0",
				"TOPIC:LITERAL:a?c User:* READ DENY=0",
				"TOPIC:PREFIXED:orders- User:* READ ALLOW=0",
				"TOPIC:PREFIXED:orders- User:* WRITE ALLOW=0",
			}},
		{name: "describe matching a topic", rules: rules, req: describe(kmsg.ACLResourceTypeTopic, kmsg.StringPtr("orders-eu"), kmsg.ACLResourcePatternTypeMatch),
			local: true, want: []string{"TOPIC:PREFIXED:orders- User:* READ ALLOW=0", "TOPIC:PREFIXED:orders- User:* WRITE ALLOW=0"}},
		{name: "describe literal", rules: rules, req: describe(kmsg.ACLResourceTypeTopic, kmsg.StringPtr("a"), kmsg.ACLResourcePatternTypeLiteral),
			local: true, want: []string{"TOPIC:LITERAL:a User:* READ ALLOW=0", "TOPIC:LITERAL:a User:* WRITE ALLOW=0"}},
		{name: "describe invalid filter", rules: rules, req: describe(kmsg.ACLResourceTypeUnknown, nil, kmsg.ACLResourcePatternTypeAny),
			local: true, want: []string{"error=42"}},
		{name: "create refused", rules: []acls.Rule{clusterAll}, req: create, local: true, want: []string{"0=31"}, denied: 1},
		{name: "delete refused", rules: []acls.Rule{clusterAll}, req: del, local: true, want: []string{"0=31", "1=31"}, denied: 1},
	})
}

func TestCaps(t *testing.T) {
	ch := chain(t, &denials{})
	caps := ch.Caps()
	for _, k := range []int16{38, 39, 40, 41, 88, 89, 93} {
		if v, ok := caps[k]; !ok || v != -1 {
			t.Errorf("cap of %s: %d, %v; want -1", kmsg.NameForKey(k), v, ok)
		}
	}
	for _, k := range []int16{17, 18, 36, 71, 72} {
		if ch.Wants(k) {
			t.Errorf("enforcer wants %s, which needs no ACL", kmsg.NameForKey(k))
		}
	}
}

// TestEveryServedKey checks that every key the gateway serves is either
// checked, capped, or one that needs no ACL.
func TestEveryServedKey(t *testing.T) {
	ch := chain(t, &denials{})
	noACL := map[int16]bool{17: true, 18: true, 36: true, 71: true, 72: true}
	brokerOnly := map[int16]bool{4: true, 5: true, 6: true, 7: true, 27: true, 52: true, 53: true, 54: true, 56: true, 58: true,
		59: true, 62: true, 63: true, 67: true, 70: true, 73: true, 80: true, 81: true, 82: true, 83: true, 84: true, 85: true,
		86: true, 87: true, 94: true}
	for k := int16(0); k < 128; k++ {
		if kmsg.RequestForKey(k) == nil || brokerOnly[k] || noACL[k] {
			continue
		}
		if v, capped := ch.Caps()[k]; capped && v == -1 {
			continue
		}
		if !ch.Wants(k) {
			t.Errorf("%s (%d) is served but not checked", kmsg.NameForKey(k), k)
		}
	}
}
