// Tests that For answers every key at every version kmsg knows with a
// response that round-trips through kmsg and carries the code on every entry
// the request named.

package errresp

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var (
	code = kerr.TopicAuthorizationFailed.Code
	msg  = "refused by policy"
)

// brokerInternal are the keys For deliberately does not answer.
var brokerInternal = []int16{4, 5, 6, 7, 27, 52, 53, 54, 56, 58, 59, 62, 63, 67, 70, 73, 80, 81, 82, 83, 84, 85, 86, 87, 94}

// pair says that the total length of the request lists at req (paths joined
// by "+" are summed) equals that of the response lists at resp, for versions
// up to upTo (all when upTo is 0).
type pair struct {
	req, resp string
	upTo      int16
}

// same pairs a path with the identical path in the response.
func same(paths ...string) []pair {
	out := make([]pair, 0, len(paths))
	for _, p := range paths {
		out = append(out, pair{req: p, resp: p})
	}
	return out
}

// topicsAndPartitions is the usual Topics / Topics.Partitions shape.
var topicsAndPartitions = same("Topics", "Topics.Partitions")

// lists holds, for every key For handles, the request lists its response
// mirrors. A nil entry means the response mirrors no list.
var lists = map[int16][]pair{
	0:  topicsAndPartitions,
	1:  topicsAndPartitions,
	2:  topicsAndPartitions,
	3:  same("Topics"),
	8:  topicsAndPartitions,
	9:  same("Topics", "Topics.Partitions", "Groups", "Groups.Topics", "Groups.Topics.Partitions"),
	10: {{req: "CoordinatorKeys", resp: "Coordinators"}},
	11: nil,
	12: nil,
	13: same("Members"),
	14: nil,
	15: same("Groups"),
	16: nil,
	17: nil,
	18: nil,
	19: same("Topics"),
	20: {{req: "TopicNames+Topics", resp: "Topics"}},
	21: topicsAndPartitions,
	22: nil,
	23: topicsAndPartitions,
	24: same("Topics", "Topics.Partitions", "Transactions", "Transactions.Topics", "Transactions.Topics.Partitions"),
	25: nil,
	26: nil,
	28: topicsAndPartitions,
	29: nil,
	30: {{req: "Creations", resp: "Results"}},
	31: {{req: "Filters", resp: "Results"}},
	32: same("Resources"),
	33: same("Resources"),
	34: {{req: "Dirs.Topics", resp: "Topics"}, {req: "Dirs.Topics.Partitions", resp: "Topics.Partitions"}},
	35: nil,
	36: nil,
	37: same("Topics"),
	38: nil,
	39: nil,
	40: nil,
	41: nil,
	42: same("Groups"),
	43: topicsAndPartitions,
	44: same("Resources"),
	45: topicsAndPartitions,
	46: topicsAndPartitions,
	47: topicsAndPartitions,
	48: nil,
	49: same("Entries", "Entries.Entity"),
	50: {{req: "Users", resp: "Results"}},
	51: {{req: "Deletions+Upsertions", resp: "Results"}},
	55: topicsAndPartitions,
	57: {{req: "FeatureUpdates", resp: "Results", upTo: 1}},
	60: nil,
	61: topicsAndPartitions,
	64: nil,
	65: {{req: "TransactionalIDs", resp: "TransactionStates"}},
	66: nil,
	68: nil,
	69: same("Groups"),
	71: nil,
	72: nil,
	74: nil,
	75: same("Topics"),
	76: nil,
	77: {{req: "GroupIDs", resp: "Groups"}},
	78: topicsAndPartitions,
	79: topicsAndPartitions,
	88: nil,
	89: same("Groups"),
	90: same("Groups", "Groups.Topics", "Groups.Topics.Partitions"),
	91: topicsAndPartitions,
	92: same("Topics"),
	93: nil,
}

func TestForEveryKeyAndVersion(t *testing.T) {
	for _, key := range Keys() {
		pairs, ok := lists[key]
		if !ok {
			t.Errorf("key %d: no entry in lists", key)
			continue
		}
		t.Run(keyName(key), func(t *testing.T) {
			seen := make(map[string]bool) // request paths that were non-empty at some version
			for v := int16(0); v <= kmsg.RequestForKey(key).MaxVersion(); v++ {
				t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
					req := decodedRequest(t, key, v)
					before := req.AppendTo(nil)

					resp, err := For(req, code, &msg)
					if err != nil {
						t.Fatalf("For: %v", err)
					}
					if !bytes.Equal(req.AppendTo(nil), before) {
						t.Error("For modified the request")
					}
					if resp.Key() != key || resp.GetVersion() != v {
						t.Fatalf("response key %d v%d, want key %d v%d", resp.Key(), resp.GetVersion(), key, v)
					}

					wire := resp.AppendTo(nil)
					got := kmsg.ResponseForKey(key)
					got.SetVersion(v)
					if err := got.ReadFrom(wire); err != nil {
						t.Fatalf("decoding the response: %v", err)
					}
					if again := got.AppendTo(nil); !bytes.Equal(again, wire) {
						t.Error("the decoded response encodes differently")
					}

					checkErrors(t, "built", resp)
					checkErrors(t, "decoded", got)

					reqLens, respLens := lengths(req), lengths(got)
					for _, p := range pairs {
						if p.upTo != 0 && v > p.upTo {
							continue
						}
						want := 0
						for _, path := range strings.Split(p.req, "+") {
							want += reqLens[path]
							seen[p.req] = seen[p.req] || reqLens[path] > 0
						}
						if respLens[p.resp] != want {
							t.Errorf("%s: %d entries, want %d (request %s)", p.resp, respLens[p.resp], want, p.req)
						}
					}
				})
			}
			for _, p := range pairs {
				if !seen[p.req] {
					t.Errorf("request list %s was empty at every version: wrong path?", p.req)
				}
			}
		})
	}
}

// TestKeysCoverKmsg pins Keys to kmsg: a kmsg upgrade that adds a key fails
// here until For answers it or it is listed as broker-internal.
func TestKeysCoverKmsg(t *testing.T) {
	keys := Keys()
	if !slices.IsSorted(keys) {
		t.Errorf("Keys() not sorted: %v", keys)
	}
	for k := int16(0); k < 128; k++ {
		known := kmsg.RequestForKey(k) != nil
		internal := slices.Contains(brokerInternal, k)
		handled := slices.Contains(keys, k)
		switch {
		case known && !internal && !handled:
			t.Errorf("key %d (%s): kmsg knows it, Keys() does not list it", k, keyName(k))
		case handled && (internal || !known):
			t.Errorf("key %d: listed by Keys() but broker-internal or unknown to kmsg", k)
		}
	}
}

// fakeProduce has Produce's key but is not kmsg's type.
type fakeProduce struct{ kmsg.ProduceRequest }

func TestForUnknown(t *testing.T) {
	tests := []struct {
		name string
		req  kmsg.Request
	}{
		{"nil", nil},
		{"broker internal LeaderAndISR", kmsg.NewPtrLeaderAndISRRequest()},
		{"broker internal Vote", kmsg.NewPtrVoteRequest()},
		{"foreign type with a known key", &fakeProduce{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := For(tc.req, code, nil)
			if !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("err = %v, want ErrUnknownKey", err)
			}
			if resp != nil {
				t.Errorf("resp = %v, want nil", resp)
			}
		})
	}
}

// TestForShapes pins the values Kafka puts beside the code, and the cases the
// filled requests of TestForEveryKeyAndVersion do not reach (null lists).
func TestForShapes(t *testing.T) {
	id := [16]byte{1, 2, 3}
	tests := []struct {
		name  string
		req   func() kmsg.Request
		check func(t *testing.T, resp kmsg.Response)
	}{
		{
			name: "produce partitions have unknown offsets",
			req: func() kmsg.Request {
				r := kmsg.NewPtrProduceRequest()
				r.Version = 9
				tp := kmsg.NewProduceRequestTopic()
				tp.Topic = "a"
				tp.Partitions = []kmsg.ProduceRequestTopicPartition{{Partition: 3}}
				r.Topics = append(r.Topics, tp)
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				p := resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0]
				if p.Partition != 3 || p.BaseOffset != -1 || p.LogAppendTime != -1 || p.LogStartOffset != -1 || p.ErrorMessage == nil || *p.ErrorMessage != msg {
					t.Errorf("partition = %+v", p)
				}
			},
		},
		{
			name: "fetch v12 has the top-level code and unknown watermarks",
			req: func() kmsg.Request {
				r := kmsg.NewPtrFetchRequest()
				r.Version = 12
				r.SessionID = 7
				tp := kmsg.NewFetchRequestTopic()
				tp.Topic = "a"
				tp.Partitions = []kmsg.FetchRequestTopicPartition{kmsg.NewFetchRequestTopicPartition()}
				r.Topics = append(r.Topics, tp)
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				f := resp.(*kmsg.FetchResponse)
				p := f.Topics[0].Partitions[0]
				if f.ErrorCode != code || f.SessionID != 7 || f.Topics[0].Topic != "a" {
					t.Errorf("top level = %d session %d topic %q", f.ErrorCode, f.SessionID, f.Topics[0].Topic)
				}
				if p.ErrorCode != code || p.HighWatermark != -1 || p.LastStableOffset != -1 || p.LogStartOffset != -1 || p.PreferredReadReplica != -1 {
					t.Errorf("partition = %+v", p)
				}
			},
		},
		{
			name: "fetch v13 answers topics by id",
			req: func() kmsg.Request {
				r := kmsg.NewPtrFetchRequest()
				r.Version = 13
				tp := kmsg.NewFetchRequestTopic()
				tp.TopicID = id
				tp.Partitions = []kmsg.FetchRequestTopicPartition{kmsg.NewFetchRequestTopicPartition()}
				r.Topics = append(r.Topics, tp)
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				f := resp.(*kmsg.FetchResponse)
				if len(f.Topics) != 1 || f.Topics[0].TopicID != id || len(f.Topics[0].Partitions) != 1 {
					t.Errorf("topics = %+v", f.Topics)
				}
			},
		},
		{
			name: "metadata for all topics has no topics and no brokers",
			req: func() kmsg.Request {
				r := kmsg.NewPtrMetadataRequest()
				r.Version = 12
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				m := resp.(*kmsg.MetadataResponse)
				if len(m.Topics) != 0 || len(m.Brokers) != 0 || m.ControllerID != -1 {
					t.Errorf("metadata = %+v", m)
				}
			},
		},
		{
			name: "metadata by id gets an empty name",
			req: func() kmsg.Request {
				r := kmsg.NewPtrMetadataRequest()
				r.Version = 13
				r.Topics = []kmsg.MetadataRequestTopic{{TopicID: id}}
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				m := resp.(*kmsg.MetadataResponse)
				tp := m.Topics[0]
				if m.ErrorCode != code || tp.Topic == nil || *tp.Topic != "" || tp.TopicID != id || tp.ErrorCode != code {
					t.Errorf("metadata = %+v", m)
				}
			},
		},
		{
			name: "offset fetch v7 for all topics has only the top-level code",
			req: func() kmsg.Request {
				r := kmsg.NewPtrOffsetFetchRequest()
				r.Version = 7
				r.Group = "g"
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				o := resp.(*kmsg.OffsetFetchResponse)
				if o.ErrorCode != code || len(o.Topics) != 0 {
					t.Errorf("offset fetch = %+v", o)
				}
			},
		},
		{
			name: "offset fetch v1 partitions have offset -1",
			req: func() kmsg.Request {
				r := kmsg.NewPtrOffsetFetchRequest()
				r.Version = 1
				r.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "a", Partitions: []int32{0, 1}}}
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				o := resp.(*kmsg.OffsetFetchResponse)
				for _, p := range o.Topics[0].Partitions {
					if p.ErrorCode != code || p.Offset != -1 || p.Metadata == nil {
						t.Errorf("partition = %+v", p)
					}
				}
			},
		},
		{
			name: "find coordinator v3 has no node",
			req: func() kmsg.Request {
				r := kmsg.NewPtrFindCoordinatorRequest()
				r.Version = 3
				r.CoordinatorKey = "g"
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				f := resp.(*kmsg.FindCoordinatorResponse)
				if f.ErrorCode != code || f.NodeID != -1 || f.Host != "" || f.Port != -1 {
					t.Errorf("find coordinator = %+v", f)
				}
			},
		},
		{
			name: "find coordinator v4 answers each key with no node",
			req: func() kmsg.Request {
				r := kmsg.NewPtrFindCoordinatorRequest()
				r.Version = 4
				r.CoordinatorKeys = []string{"g1", "g2"}
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				f := resp.(*kmsg.FindCoordinatorResponse)
				if f.ErrorCode != 0 || len(f.Coordinators) != 2 {
					t.Fatalf("find coordinator = %+v", f)
				}
				for i, c := range f.Coordinators {
					if c.Key != []string{"g1", "g2"}[i] || c.ErrorCode != code || c.NodeID != -1 || c.Host != "" || c.Port != -1 {
						t.Errorf("coordinator %d = %+v", i, c)
					}
				}
			},
		},
		{
			name: "join group v6 keeps the member id, protocol is empty",
			req: func() kmsg.Request {
				r := kmsg.NewPtrJoinGroupRequest()
				r.Version = 6
				r.MemberID = "m-1"
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				j := resp.(*kmsg.JoinGroupResponse)
				if j.MemberID != "m-1" || j.Generation != -1 || j.Protocol == nil || *j.Protocol != "" || j.LeaderID != "" {
					t.Errorf("join group = %+v", j)
				}
			},
		},
		{
			name: "join group v7 has a null protocol",
			req: func() kmsg.Request {
				r := kmsg.NewPtrJoinGroupRequest()
				r.Version = 7
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				if j := resp.(*kmsg.JoinGroupResponse); j.Protocol != nil {
					t.Errorf("protocol = %q", *j.Protocol)
				}
			},
		},
		{
			name: "init producer id has no id and no epoch",
			req: func() kmsg.Request {
				return kmsg.NewPtrInitProducerIDRequest()
			},
			check: func(t *testing.T, resp kmsg.Response) {
				p := resp.(*kmsg.InitProducerIDResponse)
				if p.ErrorCode != code || p.ProducerID != -1 || p.ProducerEpoch != -1 {
					t.Errorf("init producer id = %+v", p)
				}
			},
		},
		{
			name: "offset for leader epoch has unknown epoch and offset",
			req: func() kmsg.Request {
				r := kmsg.NewPtrOffsetForLeaderEpochRequest()
				r.Version = 4
				r.Topics = []kmsg.OffsetForLeaderEpochRequestTopic{{Topic: "a", Partitions: []kmsg.OffsetForLeaderEpochRequestTopicPartition{{Partition: 2}}}}
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				p := resp.(*kmsg.OffsetForLeaderEpochResponse).Topics[0].Partitions[0]
				if p.Partition != 2 || p.ErrorCode != code || p.LeaderEpoch != -1 || p.EndOffset != -1 {
					t.Errorf("partition = %+v", p)
				}
			},
		},
		{
			name: "add partitions to txn v4 has the top-level code",
			req: func() kmsg.Request {
				r := kmsg.NewPtrAddPartitionsToTxnRequest()
				r.Version = 4
				r.Transactions = []kmsg.AddPartitionsToTxnRequestTransaction{{
					TransactionalID: "t",
					Topics:          []kmsg.AddPartitionsToTxnRequestTransactionTopic{{Topic: "a", Partitions: []int32{0}}},
				}}
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				a := resp.(*kmsg.AddPartitionsToTxnResponse)
				if a.ErrorCode != code || a.Transactions[0].TransactionalID != "t" || a.Transactions[0].Topics[0].Partitions[0].ErrorCode != code {
					t.Errorf("add partitions to txn = %+v", a)
				}
			},
		},
		{
			name: "create topics v5 has unknown partitions and replication",
			req: func() kmsg.Request {
				r := kmsg.NewPtrCreateTopicsRequest()
				r.Version = 5
				r.Topics = []kmsg.CreateTopicsRequestTopic{{Topic: "a", NumPartitions: 3, ReplicationFactor: 3}}
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				tp := resp.(*kmsg.CreateTopicsResponse).Topics[0]
				if tp.Topic != "a" || tp.NumPartitions != -1 || tp.ReplicationFactor != -1 || tp.Configs == nil {
					t.Errorf("topic = %+v", tp)
				}
			},
		},
		{
			name: "delete topics v6 by id keeps the null name",
			req: func() kmsg.Request {
				r := kmsg.NewPtrDeleteTopicsRequest()
				r.Version = 6
				r.Topics = []kmsg.DeleteTopicsRequestTopic{{TopicID: id}}
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				tp := resp.(*kmsg.DeleteTopicsResponse).Topics[0]
				if tp.Topic != nil || tp.TopicID != id || tp.ErrorCode != code {
					t.Errorf("topic = %+v", tp)
				}
			},
		},
		{
			name: "elect leaders for all partitions has only the top-level code",
			req: func() kmsg.Request {
				r := kmsg.NewPtrElectLeadersRequest()
				r.Version = 2
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				e := resp.(*kmsg.ElectLeadersResponse)
				if e.ErrorCode != code || len(e.Topics) != 0 {
					t.Errorf("elect leaders = %+v", e)
				}
			},
		},
		{
			name: "alter user scram credentials answers each user once, sorted",
			req: func() kmsg.Request {
				r := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
				r.Deletions = []kmsg.AlterUserSCRAMCredentialsRequestDeletion{{Name: "b"}, {Name: "a"}}
				r.Upsertions = []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{{Name: "b"}, {Name: "c"}}
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				var users []string
				for _, r := range resp.(*kmsg.AlterUserSCRAMCredentialsResponse).Results {
					users = append(users, r.User)
				}
				if !slices.Equal(users, []string{"a", "b", "c"}) {
					t.Errorf("users = %v", users)
				}
			},
		},
		{
			name: "share fetch refuses acknowledgements it carried",
			req: func() kmsg.Request {
				r := kmsg.NewPtrShareFetchRequest()
				tp := kmsg.NewShareFetchRequestTopic()
				tp.TopicID = id
				acked := kmsg.NewShareFetchRequestTopicPartition()
				acked.AcknowledgementBatches = []kmsg.ShareFetchRequestTopicPartitionAcknowledgementBatch{{LastOffset: 1, AcknowledgeTypes: []int8{1}}}
				tp.Partitions = []kmsg.ShareFetchRequestTopicPartition{acked, kmsg.NewShareFetchRequestTopicPartition()}
				tp.Partitions[1].Partition = 1
				r.Topics = append(r.Topics, tp)
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				ps := resp.(*kmsg.ShareFetchResponse).Topics[0].Partitions
				if ps[0].AcknowledgeErrorCode != code || ps[1].AcknowledgeErrorCode != 0 {
					t.Errorf("acknowledge codes = %d, %d", ps[0].AcknowledgeErrorCode, ps[1].AcknowledgeErrorCode)
				}
				if ps[0].CurrentLeader.LeaderID != -1 || ps[0].CurrentLeader.LeaderEpoch != -1 {
					t.Errorf("current leader = %+v", ps[0].CurrentLeader)
				}
			},
		},
		{
			name: "a nil message stays nil",
			req: func() kmsg.Request {
				r := kmsg.NewPtrDeleteGroupsRequest()
				r.Version = 3
				r.Groups = []string{"g"}
				return r
			},
			check: func(t *testing.T, resp kmsg.Response) {
				g := resp.(*kmsg.DeleteGroupsResponse).Groups[0]
				if g.Group != "g" || g.ErrorCode != code || g.ErrorMessage == nil {
					t.Errorf("group = %+v", g)
				}
				again, err := For(kmsg.NewPtrDeleteGroupsRequest(), code, nil)
				if err != nil {
					t.Fatal(err)
				}
				if d := again.(*kmsg.DeleteGroupsResponse); len(d.Groups) != 0 {
					t.Errorf("groups = %+v", d.Groups)
				}
				r := kmsg.NewPtrDeleteGroupsRequest()
				r.Groups = []string{"g"}
				again, _ = For(r, code, nil)
				if m := again.(*kmsg.DeleteGroupsResponse).Groups[0].ErrorMessage; m != nil {
					t.Errorf("message = %q, want nil", *m)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req()
			resp, err := For(req, code, &msg)
			if err != nil {
				t.Fatalf("For: %v", err)
			}
			tc.check(t, resp)
			got := kmsg.ResponseForKey(req.Key())
			got.SetVersion(req.GetVersion())
			if err := got.ReadFrom(resp.AppendTo(nil)); err != nil {
				t.Fatalf("decoding the response: %v", err)
			}
			checkErrors(t, "decoded", got)
		})
	}
}

// keyName names a key by its kmsg request type, for test names.
func keyName(key int16) string {
	req := kmsg.RequestForKey(key)
	if req == nil {
		return fmt.Sprint(key)
	}
	return fmt.Sprintf("%d_%s", key, strings.TrimSuffix(reflect.TypeOf(req).Elem().Name(), "Request"))
}

// decodedRequest fills a request of key with two entries in every list and a
// value in every field, then returns it as a broker would see it at version v:
// encoded and decoded, so only the fields of that version remain.
func decodedRequest(t *testing.T, key, v int16) kmsg.Request {
	t.Helper()
	req := kmsg.RequestForKey(key)
	n := 0
	fill(reflect.ValueOf(req).Elem(), "", &n)
	req.SetVersion(v)
	dec := kmsg.RequestForKey(key)
	dec.SetVersion(v)
	if err := dec.ReadFrom(req.AppendTo(nil)); err != nil {
		t.Fatalf("decoding the filled request: %v", err)
	}
	return dec
}

var tagsType = reflect.TypeFor[kmsg.Tags]()

// fill sets every field under v: two elements per list, distinct strings
// (so names never collide across lists), non-nil pointers.
func fill(v reflect.Value, path string, n *int) {
	*n++
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == tagsType {
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Name == "Version" || !f.IsExported() {
				continue
			}
			fill(v.Field(i), join(path, f.Name), n)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte{1, 2, 3})
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), path, n)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), path, n)
	case reflect.Array:
		for i := range v.Len() {
			v.Index(i).SetUint(uint64(*n + i))
		}
	case reflect.String:
		v.SetString(fmt.Sprintf("%s-%d", path, *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n % 100))
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n % 100))
	case reflect.Float64:
		v.SetFloat(1.5)
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// lengths sums, per path, the lengths of every list (not byte slices) under
// msg.
func lengths(msg any) map[string]int {
	out := make(map[string]int)
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				if f := v.Type().Field(i); f.IsExported() {
					walk(v.Field(i), join(path, f.Name))
				}
			}
		case reflect.Slice:
			if v.Type().Elem().Kind() == reflect.Uint8 {
				return
			}
			out[path] += v.Len()
			for i := range v.Len() {
				walk(v.Index(i), path)
			}
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		}
	}
	walk(reflect.ValueOf(msg), "")
	return out
}

// field is a settable ErrorCode or ErrorMessage somewhere in a response.
type field struct {
	path string
	v    reflect.Value
}

// errorFields finds every ErrorCode (int16) and ErrorMessage (*string) under
// v, which must be addressable.
func errorFields(v reflect.Value, path string) (codes, msgs []field) {
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				f := v.Type().Field(i)
				if !f.IsExported() {
					continue
				}
				p := join(path, f.Name)
				switch {
				case f.Name == "ErrorCode" && f.Type.Kind() == reflect.Int16:
					codes = append(codes, field{p, v.Field(i)})
				case f.Name == "ErrorMessage" && f.Type == reflect.TypeFor[*string]():
					msgs = append(msgs, field{p, v.Field(i)})
				default:
					walk(v.Field(i), p)
				}
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		}
	}
	walk(v, path)
	return codes, msgs
}

// checkErrors checks that every ErrorCode the response's version encodes is
// code and every other is 0, and that every ErrorMessage it encodes is msg.
// Whether a field is encoded at the version is asked of kmsg itself: changing
// the field must change the bytes.
func checkErrors(t *testing.T, what string, resp kmsg.Response) {
	t.Helper()
	base := resp.AppendTo(nil)
	encoded := func(f field, flip func()) bool {
		saved := reflect.New(f.v.Type()).Elem()
		saved.Set(f.v)
		flip()
		b := resp.AppendTo(nil)
		f.v.Set(saved)
		return !bytes.Equal(b, base)
	}
	codes, msgs := errorFields(reflect.ValueOf(resp).Elem(), "")
	for _, f := range codes {
		got := int16(f.v.Int())
		if encoded(f, func() { f.v.SetInt(int64(got) ^ 0x4000) }) {
			if got != code {
				t.Errorf("%s v%d: %s = %d, want %d", what, resp.GetVersion(), f.path, got, code)
			}
		} else if got != 0 {
			t.Errorf("%s v%d: %s = %d but not encoded at this version, want 0", what, resp.GetVersion(), f.path, got)
		}
	}
	for _, f := range msgs {
		flipped := "flipped"
		if !encoded(f, func() { f.v.Set(reflect.ValueOf(&flipped)) }) {
			continue
		}
		if got, _ := f.v.Interface().(*string); got == nil || *got != msg {
			t.Errorf("%s v%d: %s = %v, want %q", what, resp.GetVersion(), f.path, got, msg)
		}
	}
}
