// Test helpers: a registry fake speaking the part of Confluent's REST API
// the client uses, and payload builders.

package schema

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
)

// fakeSchema is a schema the fake serves.
type fakeSchema struct {
	Schema     string      `json:"schema"`
	SchemaType string      `json:"schemaType,omitempty"`
	References []reference `json:"references,omitempty"`
}

// fakeRegistry serves /schemas/ids/{id} and /subjects/{s}/versions/{v}.
// Its hook, when set, may answer a request itself (returning true).
type fakeRegistry struct {
	t        *testing.T
	srv      *httptest.Server
	requests atomic.Int64

	mu       sync.Mutex
	ids      map[int]fakeSchema
	subjects map[string]fakeSchema // "subject/version"
	hook     func(w http.ResponseWriter, r *http.Request) bool
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	t.Helper()
	f := &fakeRegistry{t: t, ids: map[int]fakeSchema{}, subjects: map[string]fakeSchema{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRegistry) add(id int, s fakeSchema) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ids[id] = s
}

func (f *fakeRegistry) addSubject(subject string, version int, s fakeSchema) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subjects[subject+"/"+strconv.Itoa(version)] = s
}

func (f *fakeRegistry) setHook(h func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = h
}

func (f *fakeRegistry) serve(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	f.mu.Lock()
	hook := f.hook
	f.mu.Unlock()
	if hook != nil && hook(w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	notFound := func(code int, msg string) {
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(errorResponse{ErrorCode: code, Message: msg})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/schemas/ids/"):
		id, err := strconv.Atoi(strings.TrimPrefix(p, "/schemas/ids/"))
		s, ok := f.ids[id]
		if err != nil || !ok {
			notFound(40403, "Schema not found")
			return
		}
		json.NewEncoder(w).Encode(s)
	case strings.HasPrefix(p, "/subjects/"):
		parts := strings.Split(strings.TrimPrefix(p, "/subjects/"), "/versions/")
		s, ok := f.subjects[strings.Join(parts, "/")]
		if len(parts) != 2 || !ok {
			notFound(40401, "Subject not found")
			return
		}
		json.NewEncoder(w).Encode(s)
	default:
		http.NotFound(w, r)
	}
}

// client returns a Confluent client of the fake; edit may change the
// config first.
func (f *fakeRegistry) client(edit func(*ConfluentConfig)) *Confluent {
	f.t.Helper()
	return newClient(f.t, f.srv.URL, edit)
}

func newClient(t *testing.T, endpoint string, edit func(*ConfluentConfig)) *Confluent {
	t.Helper()
	cfg := RegistryConfig{Name: "test", Type: RegistryConfluent, Config: ConfluentConfig{Endpoint: endpoint, Timeout: 5 * time.Second}}
	if edit != nil {
		edit(&cfg.Config)
	}
	c, err := NewConfluent(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// wire prefixes payload with the wire header of id (and Protobuf message
// indexes when indexes is not nil).
func wire(id int, indexes []int, payload []byte) []byte {
	return append(AppendHeader(nil, id, indexes), payload...)
}

// mustAvro encodes v with the Avro schema text.
func mustAvro(t *testing.T, schema string, v any) []byte {
	t.Helper()
	s, err := avro.Parse(schema)
	if err != nil {
		t.Fatal(err)
	}
	b, err := avro.Marshal(s, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantErr checks that err wraps want, or is nil when want is nil.
func wantErr(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("error %v, want one wrapping %q", err, want)
	}
}

// waitFor polls cond until it holds or the test has waited too long.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
