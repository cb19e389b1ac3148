// Test helpers: rules in a line, an enforcer in a chain, a backend that
// answers every forwarded entry with success, and responses flattened to
// "entry=code" lines.

package acls_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/policy/acls"
	"github.com/strait-gw/strait/internal/policy/errresp"
)

// rule builds a rule: names are comma-separated globs ("" for none).
func rule(action, res, names string, ops ...string) acls.Rule {
	r := acls.Rule{ResourceType: res, Action: action}
	for _, op := range ops {
		r.Operations = append(r.Operations, acls.Operation{Name: op})
	}
	if names != "" {
		for _, n := range strings.Split(names, ",") {
			r.ResourceNames = append(r.ResourceNames, acls.ResourceName{Match: n})
		}
	}
	return r
}

func allow(res, names string, ops ...string) acls.Rule { return rule("allow", res, names, ops...) }
func deny(res, names string, ops ...string) acls.Rule  { return rule("deny", res, names, ops...) }

// spec is an acls policy; cond may be empty.
func spec(t testing.TB, name, cond string, rules ...acls.Rule) policy.Spec {
	t.Helper()
	c, err := policy.CompileCondition(cond)
	if err != nil {
		t.Fatal(err)
	}
	return policy.Spec{Type: acls.TypeName, Name: name, Condition: c, Config: &acls.Config{Rules: rules}}
}

// topicIDs is a fake topic cache.
type topicIDs map[[16]byte]string

func (m topicIDs) NameForID(_ context.Context, id [16]byte) (string, bool) {
	n, ok := m[id]
	return n, ok
}

func (m topicIDs) IDForName(_ context.Context, name string) ([16]byte, bool) {
	for id, n := range m {
		if n == name {
			return id, true
		}
	}
	return [16]byte{}, false
}

func (m topicIDs) Learn(string, [16]byte) {}

// id makes a topic id from a byte.
func id(b byte) [16]byte { return [16]byte{15: b} }

// ids is the cache of the tests: topics a, b and secret by id 1, 2, 3.
var ids = topicIDs{id(1): "a", id(2): "b", id(3): "secret"}

// denials counts refusals by policy.
type denials struct {
	mu sync.Mutex
	n  map[string]int
}

func (d *denials) Denied(vc, p string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == nil {
		d.n = map[string]int{}
	}
	d.n[vc+"/"+p]++
}

func (d *denials) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n["vc/acls"]
}

// env is the tests' environment.
func env(m *denials) policy.Env {
	return policy.Env{VirtualCluster: "vc", Topics: ids, Metrics: m}
}

// chain builds a chain holding the enforcer of specs.
func chain(t testing.TB, m *denials, specs ...policy.Spec) *policy.Chain {
	t.Helper()
	e, err := acls.NewEnforcer(specs, env(m))
	if err != nil {
		t.Fatalf("NewEnforcer: %v", err)
	}
	ch, err := policy.NewChain(e)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// conn is a connection of principal (anonymous when empty).
func conn(principal string) *policy.Conn {
	c := &policy.Conn{VirtualCluster: "vc"}
	a := policy.Auth{Type: "anonymous"}
	if principal != "" {
		a = policy.Auth{Type: "sasl_plain", Principal: principal}
	}
	c.SetAuth(a)
	return c
}

// outcome is what happened to a request.
type outcome struct {
	// local is true when the gateway answered.
	local bool
	// forwarded is the request as forwarded, nil when answered.
	forwarded kmsg.Request
	// resp is the client's response, as entry=code lines.
	resp []string
	raw  kmsg.Response
}

// run sends req through ch. A forwarded request is answered by backend,
// or by default with success for every entry it names.
func run(t *testing.T, ch *policy.Chain, c *policy.Conn, req kmsg.Request, backend func(kmsg.Request) kmsg.Response) outcome {
	t.Helper()
	ctx := context.Background()
	x, err := ch.OnRequest(ctx, c, req)
	if err != nil {
		t.Fatalf("OnRequest: %v", err)
	}
	if l := x.Local(); l != nil {
		if l.GetVersion() != req.GetVersion() {
			t.Errorf("answer version %d, request version %d", l.GetVersion(), req.GetVersion())
		}
		return outcome{local: true, resp: flatten(l), raw: l}
	}
	var resp kmsg.Response
	if backend != nil {
		resp = backend(x.Request)
	} else {
		resp, err = errresp.For(x.Request, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	resp.SetVersion(req.GetVersion())
	if x.NeedsResponse() {
		if err := ch.OnResponse(ctx, x, resp); err != nil {
			t.Fatalf("OnResponse: %v", err)
		}
	}
	// The forwarded request must encode and decode at its version.
	enc := x.Request.AppendTo(nil)
	dec := kmsg.RequestForKey(req.Key())
	dec.SetVersion(req.GetVersion())
	if err := dec.ReadFrom(enc); err != nil {
		t.Fatalf("forwarded request does not decode: %v", err)
	}
	renc := resp.AppendTo(nil)
	rdec := kmsg.ResponseForKey(req.Key())
	rdec.SetVersion(req.GetVersion())
	if err := rdec.ReadFrom(renc); err != nil {
		t.Fatalf("response does not decode: %v", err)
	}
	return outcome{forwarded: x.Request, resp: flatten(resp), raw: resp}
}

func idName(id [16]byte) string { return "id:" + hex.EncodeToString(id[15:]) }

func topicLabel(name string, tid [16]byte) string {
	if name == "" && tid != ([16]byte{}) {
		return idName(tid)
	}
	return name
}

func ptrLabel(name *string, tid [16]byte) string {
	if name == nil {
		return idName(tid)
	}
	return topicLabel(*name, tid)
}

// flatten lists a response's entries as "name=code", sorted, with
// "error=code" for a top-level error code.
func flatten(resp kmsg.Response) []string {
	var out []string
	add := func(name string, code int16) { out = append(out, fmt.Sprintf("%s=%d", name, code)) }
	top := func(code int16) {
		if code != 0 {
			add("error", code)
		}
	}
	switch r := resp.(type) {
	case *kmsg.ProduceResponse:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				add(fmt.Sprintf("%s/%d", topicLabel(t.Topic, t.TopicID), p.Partition), p.ErrorCode)
			}
		}
	case *kmsg.FetchResponse:
		top(r.ErrorCode)
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				add(fmt.Sprintf("%s/%d", topicLabel(t.Topic, t.TopicID), p.Partition), p.ErrorCode)
			}
		}
	case *kmsg.ListOffsetsResponse:
		for _, t := range r.Topics {
			add(t.Topic, t.Partitions[0].ErrorCode)
		}
	case *kmsg.MetadataResponse:
		top(r.ErrorCode)
		for _, t := range r.Topics {
			add(ptrLabel(t.Topic, t.TopicID), t.ErrorCode)
		}
	case *kmsg.OffsetCommitResponse:
		for _, t := range r.Topics {
			add(topicLabel(t.Topic, t.TopicID), t.Partitions[0].ErrorCode)
		}
	case *kmsg.OffsetFetchResponse:
		top(r.ErrorCode)
		for _, t := range r.Topics {
			add(t.Topic, t.Partitions[0].ErrorCode)
		}
		for _, g := range r.Groups {
			add(g.Group, g.ErrorCode)
			for _, t := range g.Topics {
				code := int16(-1)
				if len(t.Partitions) > 0 {
					code = t.Partitions[0].ErrorCode
				}
				add(g.Group+"/"+topicLabel(t.Topic, t.TopicID), code)
			}
		}
	case *kmsg.FindCoordinatorResponse:
		top(r.ErrorCode)
		for _, c := range r.Coordinators {
			add(c.Key, c.ErrorCode)
		}
	case *kmsg.DescribeGroupsResponse:
		for _, g := range r.Groups {
			add(g.Group, g.ErrorCode)
		}
	case *kmsg.ListGroupsResponse:
		top(r.ErrorCode)
		for _, g := range r.Groups {
			add(g.Group, 0)
		}
	case *kmsg.CreateTopicsResponse:
		for _, t := range r.Topics {
			add(t.Topic, t.ErrorCode)
		}
	case *kmsg.DeleteTopicsResponse:
		for _, t := range r.Topics {
			add(ptrLabel(t.Topic, t.TopicID), t.ErrorCode)
		}
	case *kmsg.DeleteRecordsResponse:
		for _, t := range r.Topics {
			add(t.Topic, t.Partitions[0].ErrorCode)
		}
	case *kmsg.OffsetForLeaderEpochResponse:
		for _, t := range r.Topics {
			add(t.Topic, t.Partitions[0].ErrorCode)
		}
	case *kmsg.AddPartitionsToTxnResponse:
		top(r.ErrorCode)
		for _, t := range r.Topics {
			add(t.Topic, t.Partitions[0].ErrorCode)
		}
	case *kmsg.TxnOffsetCommitResponse:
		for _, t := range r.Topics {
			add(topicLabel(t.Topic, t.TopicID), t.Partitions[0].ErrorCode)
		}
	case *kmsg.DescribeConfigsResponse:
		for _, x := range r.Resources {
			add(x.ResourceName, x.ErrorCode)
		}
	case *kmsg.AlterConfigsResponse:
		for _, x := range r.Resources {
			add(x.ResourceName, x.ErrorCode)
		}
	case *kmsg.IncrementalAlterConfigsResponse:
		for _, x := range r.Resources {
			add(x.ResourceName, x.ErrorCode)
		}
	case *kmsg.CreatePartitionsResponse:
		for _, t := range r.Topics {
			add(t.Topic, t.ErrorCode)
		}
	case *kmsg.DeleteGroupsResponse:
		for _, g := range r.Groups {
			add(g.Group, g.ErrorCode)
		}
	case *kmsg.OffsetDeleteResponse:
		top(r.ErrorCode)
		for _, t := range r.Topics {
			add(t.Topic, t.Partitions[0].ErrorCode)
		}
	case *kmsg.DescribeProducersResponse:
		for _, t := range r.Topics {
			add(t.Topic, t.Partitions[0].ErrorCode)
		}
	case *kmsg.DescribeTransactionsResponse:
		for _, s := range r.TransactionStates {
			add(s.TransactionalID, s.ErrorCode)
			for _, t := range s.Topics {
				add(s.TransactionalID+"/"+t.Topic, 0)
			}
		}
	case *kmsg.ListTransactionsResponse:
		top(r.ErrorCode)
		for _, s := range r.TransactionStates {
			add(s.TransactionalID, 0)
		}
	case *kmsg.ConsumerGroupDescribeResponse:
		for _, g := range r.Groups {
			add(g.Group, g.ErrorCode)
		}
	case *kmsg.ShareGroupDescribeResponse:
		for _, g := range r.Groups {
			add(g.GroupID, g.ErrorCode)
		}
	case *kmsg.DescribeTopicPartitionsResponse:
		for _, t := range r.Topics {
			add(ptrLabel(t.Topic, t.TopicID), t.ErrorCode)
		}
	case *kmsg.ShareFetchResponse:
		top(r.ErrorCode)
		for _, t := range r.Topics {
			add(idName(t.TopicID), t.Partitions[0].ErrorCode)
		}
	case *kmsg.ShareAcknowledgeResponse:
		top(r.ErrorCode)
		for _, t := range r.Topics {
			add(idName(t.TopicID), t.Partitions[0].ErrorCode)
		}
	case *kmsg.DescribeShareGroupOffsetsResponse:
		for _, g := range r.Groups {
			add(g.GroupID, g.ErrorCode)
			for _, t := range g.Topics {
				add(g.GroupID+"/"+t.Topic, t.Partitions[0].ErrorCode)
			}
		}
	case *kmsg.AlterShareGroupOffsetsResponse:
		top(r.ErrorCode)
		for _, t := range r.Topics {
			add(t.Topic, t.Partitions[0].ErrorCode)
		}
	case *kmsg.DeleteShareGroupOffsetsResponse:
		top(r.ErrorCode)
		for _, t := range r.Topics {
			add(t.Topic, t.ErrorCode)
		}
	case *kmsg.DescribeACLsResponse:
		top(r.ErrorCode)
		for _, x := range r.Resources {
			for _, a := range x.ACLs {
				add(fmt.Sprintf("%s:%s:%s %s %s %s", x.ResourceType, x.ResourcePatternType, x.ResourceName, a.Principal, a.Operation, a.PermissionType), 0)
			}
		}
	case *kmsg.CreateACLsResponse:
		for i, x := range r.Results {
			add(fmt.Sprint(i), x.ErrorCode)
		}
	case *kmsg.DeleteACLsResponse:
		for i, x := range r.Results {
			add(fmt.Sprint(i), x.ErrorCode)
		}
	default:
		// Responses with one error code.
		if code, ok := errorCode(resp); ok {
			top(code)
		} else {
			add(fmt.Sprintf("%T", resp), -1)
		}
	}
	slices.Sort(out)
	return out
}

// errorCode is the top-level error code of the responses that have one
// and nothing else to refuse.
func errorCode(resp kmsg.Response) (int16, bool) {
	switch r := resp.(type) {
	case *kmsg.JoinGroupResponse:
		return r.ErrorCode, true
	case *kmsg.HeartbeatResponse:
		return r.ErrorCode, true
	case *kmsg.LeaveGroupResponse:
		return r.ErrorCode, true
	case *kmsg.SyncGroupResponse:
		return r.ErrorCode, true
	case *kmsg.InitProducerIDResponse:
		return r.ErrorCode, true
	case *kmsg.AddOffsetsToTxnResponse:
		return r.ErrorCode, true
	case *kmsg.EndTxnResponse:
		return r.ErrorCode, true
	case *kmsg.ConsumerGroupHeartbeatResponse:
		return r.ErrorCode, true
	case *kmsg.ShareGroupHeartbeatResponse:
		return r.ErrorCode, true
	case *kmsg.DescribeClusterResponse:
		return r.ErrorCode, true
	case *kmsg.DescribeLogDirsResponse:
		return r.ErrorCode, true
	case *kmsg.ElectLeadersResponse:
		return r.ErrorCode, true
	case *kmsg.AlterPartitionAssignmentsResponse:
		return r.ErrorCode, true
	case *kmsg.ListPartitionReassignmentsResponse:
		return r.ErrorCode, true
	case *kmsg.DescribeClientQuotasResponse:
		return r.ErrorCode, true
	case *kmsg.DescribeQuorumResponse:
		return r.ErrorCode, true
	case *kmsg.UpdateFeaturesResponse:
		return r.ErrorCode, true
	case *kmsg.UnregisterBrokerResponse:
		return r.ErrorCode, true
	case *kmsg.ListConfigResourcesResponse:
		return r.ErrorCode, true
	}
	return 0, false
}
