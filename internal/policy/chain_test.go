package policy

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// recorder is a policy that records the order its hooks run in.
type recorder struct {
	name   string
	keys   KeySet
	log    *[]string
	answer bool // fail every request with TOPIC_AUTHORIZATION_FAILED
	want   bool
	rename string // renames the first metadata topic in requests
	caps   map[int16]int16
}

func (r *recorder) Name() string        { return r.name }
func (r *recorder) RequestKeys() KeySet { return r.keys }

func (r *recorder) Request(_ context.Context, x *Exchange) error {
	*r.log = append(*r.log, "req "+r.name)
	if r.want {
		x.WantResponse()
		x.SetState(r.name + "-state")
	}
	if r.rename != "" {
		if m, ok := x.Request.(*kmsg.MetadataRequest); ok && len(m.Topics) > 0 {
			m.Topics[0].Topic = kmsg.StringPtr(r.rename)
		}
	}
	if r.answer {
		return x.Fail(kerr.TopicAuthorizationFailed.Code, "denied by "+r.name)
	}
	return nil
}

func (r *recorder) Response(_ context.Context, x *Exchange, resp kmsg.Response) error {
	*r.log = append(*r.log, "resp "+r.name+" "+x.State().(string))
	return nil
}

func (r *recorder) Cap(caps map[int16]int16) {
	for k, v := range r.caps {
		caps[k] = v
	}
}

func metadataRequest(topics ...string) *kmsg.MetadataRequest {
	req := kmsg.NewPtrMetadataRequest()
	req.Version = 12
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	return req
}

func TestChainOrder(t *testing.T) {
	var log []string
	a := &recorder{name: "a", keys: Keys(3), log: &log, want: true}
	b := &recorder{name: "b", keys: Keys(3, 0), log: &log, want: true, rename: "backend.t"}
	c := &recorder{name: "c", keys: Keys(0), log: &log}
	chain, err := NewChain(a, b, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  int16
		want bool
	}{{0, true}, {3, true}, {1, false}, {18, false}, {-1, false}, {200, false}} {
		if got := chain.Wants(tc.key); got != tc.want {
			t.Errorf("Wants(%d) = %v, want %v", tc.key, got, tc.want)
		}
	}
	req := metadataRequest("t")
	x, err := chain.OnRequest(context.Background(), &Conn{}, req)
	if err != nil {
		t.Fatal(err)
	}
	if x.Local() != nil || !x.NeedsResponse() {
		t.Fatalf("local %v, needs response %v; want forwarded with a response wanted", x.Local(), x.NeedsResponse())
	}
	if got := *req.Topics[0].Topic; got != "backend.t" {
		t.Errorf("forwarded topic %q, want the rename", got)
	}
	resp := kmsg.NewPtrMetadataResponse()
	if err := chain.OnResponse(context.Background(), x, resp); err != nil {
		t.Fatal(err)
	}
	want := []string{"req a", "req b", "resp b b-state", "resp a a-state"}
	if len(log) != len(want) {
		t.Fatalf("hooks ran %q, want %q", log, want)
	}
	for i := range want {
		if log[i] != want[i] {
			t.Fatalf("hooks ran %q, want %q", log, want)
		}
	}
}

func TestChainLocalAnswer(t *testing.T) {
	var log []string
	a := &recorder{name: "a", keys: Keys(3), log: &log, want: true}
	b := &recorder{name: "b", keys: Keys(3), log: &log, answer: true}
	c := &recorder{name: "c", keys: Keys(3), log: &log, want: true}
	chain, _ := NewChain(a, b, c)
	x, err := chain.OnRequest(context.Background(), &Conn{}, metadataRequest("t1", "t2"))
	if err != nil {
		t.Fatal(err)
	}
	resp, ok := x.Local().(*kmsg.MetadataResponse)
	if !ok {
		t.Fatalf("local answer %T, want a metadata response", x.Local())
	}
	if resp.Version != 12 || len(resp.Topics) != 2 {
		t.Fatalf("answer v%d with %d topics, want v12 with 2", resp.Version, len(resp.Topics))
	}
	for _, tp := range resp.Topics {
		if tp.ErrorCode != kerr.TopicAuthorizationFailed.Code {
			t.Errorf("topic %v: error %d, want TOPIC_AUTHORIZATION_FAILED", tp.Topic, tp.ErrorCode)
		}
	}
	if x.NeedsResponse() {
		t.Error("an answered request must not wait for a backend response")
	}
	// c never ran; a saw the answer on its way back.
	want := []string{"req a", "req b", "resp a a-state"}
	if len(log) != len(want) || log[2] != want[2] {
		t.Fatalf("hooks ran %q, want %q", log, want)
	}
}

func TestChainCapsAndEmpty(t *testing.T) {
	var log []string
	a := &recorder{name: "a", log: &log, caps: map[int16]int16{29: -1, 1: 12}}
	chain, _ := NewChain(a)
	if chain.Caps()[29] != -1 || chain.Caps()[1] != 12 {
		t.Errorf("caps %v", chain.Caps())
	}
	var nilChain *Chain
	empty, _ := NewChain()
	for k := int16(0); k < MaxKey; k++ {
		if nilChain.Wants(k) || empty.Wants(k) || chain.Wants(k) {
			t.Fatalf("key %d wanted by a chain without request hooks for it", k)
		}
	}
}

func TestCondition(t *testing.T) {
	conn := &Conn{VirtualCluster: "vc"}
	conn.SetAuth(Auth{Type: "sasl_plain", Principal: "alice", Claims: map[string]any{"team": "a"}})
	for _, tc := range []struct {
		expr string
		want bool
		err  bool
	}{
		{"", true, false},
		{"context.auth.principal.name == 'alice'", true, false},
		{"context.auth.type == 'anonymous'", false, false},
		{"context.auth.token.claims.team == 'a'", true, false},
		{"context.auth.token.claims.missing == 'a'", false, true},
		{"context.virtual_cluster.name.startsWith('v')", true, false},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			c, err := CompileCondition(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Holds(conn.Vars())
			if got != tc.want || (err != nil) != tc.err {
				t.Errorf("Holds = %v, %v; want %v, error %v", got, err, tc.want, tc.err)
			}
		})
	}
	for _, bad := range []string{"context.auth.type ==", "1 + 1", "nosuchvar == 1"} {
		if _, err := CompileCondition(bad); err == nil {
			t.Errorf("CompileCondition(%q) succeeded, want an error", bad)
		}
	}
	s, err := CompileStrings("['team-' + context.auth.principal.name + '-*']")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Eval(conn.Vars()); err != nil || len(got) != 1 || got[0] != "team-alice-*" {
		t.Errorf("Eval = %q, %v", got, err)
	}
	// Claims are dyn: a list of them compiles and is checked when run.
	s, err = CompileStrings("[context.auth.token.claims.team]")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Eval(conn.Vars()); err != nil || len(got) != 1 || got[0] != "a" {
		t.Errorf("Eval = %q, %v", got, err)
	}
	conn.SetAuth(Auth{Claims: map[string]any{"team": 7}})
	if got, err := s.Eval(conn.Vars()); err == nil {
		t.Errorf("Eval = %q with a number claim; want an error", got)
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		glob, name string
		want       bool
	}{
		{"shared.*", "shared.x", true},
		{"shared.*", "shared", false},
		{"shared.*", "sharedx", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
		{"a+b*", "a+bc", true},
		{"*", "", true},
	} {
		g, err := CompileGlob(tc.glob)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.Match(tc.name); got != tc.want {
			t.Errorf("%q.Match(%q) = %v, want %v", tc.glob, tc.name, got, tc.want)
		}
	}
	if _, err := CompileGlob(""); err == nil {
		t.Error("empty glob compiled")
	}
}

// answerer answers key 29 itself.
type answerer struct{ recorder }

func (answerer) AnsweredKeys() KeySet { return Keys(29) }

func TestChainCapsBehindAnswerer(t *testing.T) {
	var log []string
	first := &answerer{recorder{name: "first", log: &log}}
	later := &recorder{name: "later", log: &log, caps: map[int16]int16{29: -1, 30: -1, 1: 12}}
	chain, _ := NewChain(first, later)
	if _, capped := chain.Caps()[29]; capped {
		t.Errorf("key 29 capped at %d although an earlier policy answers it", chain.Caps()[29])
	}
	if chain.Caps()[30] != -1 || chain.Caps()[1] != 12 {
		t.Errorf("caps %v; want 30 off and 1 at 12", chain.Caps())
	}
	// The other order: the capping policy runs first and still caps.
	chain, _ = NewChain(later, first)
	if chain.Caps()[29] != -1 {
		t.Errorf("caps %v; want 29 off when the capping policy comes first", chain.Caps())
	}
}
