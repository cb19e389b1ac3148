package namespace

import (
	"bytes"
	"context"
	"crypto/sha256"
	"log/slog"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/policy"
)

// backendTopics are the fake backend's topics.
var backendTopics = []string{
	"team-a.orders", "team-a.payments", "team-a.shared.dup", "team-a.__hidden",
	"team-b.orders", "shared.prices", "shared.dup", "ref.countries", "other",
	"__consumer_offsets",
}

// idOf is the fake backend's id of a topic.
func idOf(name string) [16]byte {
	h := sha256.Sum256([]byte(name))
	var id [16]byte
	copy(id[:], h[:])
	return id
}

// fakeTopics is a policy.TopicCache over a fixed set of topics.
type fakeTopics struct {
	mu      sync.Mutex
	byName  map[string][16]byte
	byID    map[[16]byte]string
	learned map[string][16]byte
	lookups int
}

func newFakeTopics(names ...string) *fakeTopics {
	f := &fakeTopics{byName: map[string][16]byte{}, byID: map[[16]byte]string{}, learned: map[string][16]byte{}}
	for _, n := range names {
		f.add(n)
	}
	return f
}

func (f *fakeTopics) add(n string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byName[n] = idOf(n)
	f.byID[idOf(n)] = n
}

func (f *fakeTopics) NameForID(_ context.Context, id [16]byte) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	n, ok := f.byID[id]
	return n, ok
}

func (f *fakeTopics) IDForName(_ context.Context, name string) ([16]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	id, ok := f.byName[name]
	return id, ok
}

func (f *fakeTopics) Learn(name string, id [16]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.learned[name] = id
}

// fakeMetrics records NamespaceConflicts calls.
type fakeMetrics struct {
	mu    sync.Mutex
	calls []bool
}

func (m *fakeMetrics) NamespaceConflicts(vc string, conflict bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, conflict)
}

func (m *fakeMetrics) get() []bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]bool(nil), m.calls...)
}

// syncBuf is a log buffer safe for concurrent writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixture is a chain holding one namespace policy over the fake backend.
type fixture struct {
	p       *Policy
	chain   *policy.Chain
	topics  *fakeTopics
	metrics *fakeMetrics
	logs    *syncBuf
	conn    *policy.Conn
}

// hideCfg and enforceCfg are the namespaces the tests use.
func hideCfg() *config.Namespace {
	return &config.Namespace{
		Mode:   "hide_prefix",
		Prefix: "team-a.",
		Additional: config.NamespaceAdditional{
			Topics: []config.NameSelector{
				{Type: "glob", Glob: "shared.*", Conflict: "warn"},
				{Type: "exact_list", ExactList: []config.ExactName{{Backend: "ref.countries"}}, Conflict: "warn"},
			},
			ConsumerGroups: []config.NameSelector{{Type: "glob", Glob: "legacy-*", Conflict: "warn"}},
		},
	}
}

func enforceCfg() *config.Namespace {
	c := hideCfg()
	c.Mode = "enforce_prefix"
	return c
}

func newFixture(t *testing.T, cfg *config.Namespace) *fixture {
	t.Helper()
	f := &fixture{topics: newFakeTopics(backendTopics...), metrics: &fakeMetrics{}, logs: &syncBuf{}}
	log := slog.New(slog.NewTextHandler(f.logs, nil))
	pol, err := New(cfg, policy.Env{VirtualCluster: "vc", Log: log, Topics: f.topics, Metrics: f.metrics})
	if err != nil {
		t.Fatal(err)
	}
	f.p = pol.(*Policy)
	if f.chain, err = policy.NewChain(pol); err != nil {
		t.Fatal(err)
	}
	f.conn = &policy.Conn{VirtualCluster: "vc", Log: log}
	return f
}

// req runs a request through the chain.
func (f *fixture) req(t *testing.T, r kmsg.Request) *policy.Exchange {
	t.Helper()
	x, err := f.chain.OnRequest(context.Background(), f.conn, r)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	return x
}

// resp runs the backend's response through the chain; the request must
// have asked for it.
func (f *fixture) resp(t *testing.T, x *policy.Exchange, r kmsg.Response) {
	t.Helper()
	if !x.NeedsResponse() {
		t.Fatalf("%s: the policy did not ask for the response", kmsg.NameForKey(x.Key()))
	}
	r.SetVersion(x.Version())
	if err := f.chain.OnResponse(context.Background(), x, r); err != nil {
		t.Fatalf("response: %v", err)
	}
}

// local returns the chain's local answer, failing the test if there is
// none.
func local[T kmsg.Response](t *testing.T, x *policy.Exchange) T {
	t.Helper()
	l := x.Local()
	if l == nil {
		t.Fatalf("%s: forwarded, want a local answer", kmsg.NameForKey(x.Key()))
	}
	r, ok := l.(T)
	if !ok {
		t.Fatalf("local answer %T", l)
	}
	return r
}

func forwarded(t *testing.T, x *policy.Exchange) {
	t.Helper()
	if l := x.Local(); l != nil {
		t.Fatalf("%s: answered locally (%+v), want forwarded", kmsg.NameForKey(x.Key()), l)
	}
}

func sp(s string) *string { return &s }

func deref2(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
