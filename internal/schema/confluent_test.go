package schema

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const tinyAvro = `{"type":"record","name":"T","fields":[{"name":"n","type":"long"}]}`

func TestConfluentCachesSchemas(t *testing.T) {
	f := newFakeRegistry(t)
	f.add(1, fakeSchema{Schema: tinyAvro})
	c := f.client(nil)
	for range 3 {
		s, err := c.Schema(t.Context(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if s.ID() != 1 || s.Type() != TypeAvro {
			t.Fatalf("schema %d %s", s.ID(), s.Type())
		}
	}
	if n := f.requests.Load(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

func TestConfluentConcurrentLookupsShareOneFetch(t *testing.T) {
	f := newFakeRegistry(t)
	f.add(1, fakeSchema{Schema: tinyAvro})
	release := make(chan struct{})
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		<-release
		return false
	})
	c := f.client(nil)
	const n = 20
	var joined atomic.Int64
	c.onWait = func(int) { joined.Add(1) }

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := c.Schema(t.Context(), 1)
			errs <- err
		})
	}
	waitFor(t, "every lookup to join the fetch", func() bool { return joined.Load() == n })
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.requests.Load(); got != 1 {
		t.Fatalf("%d requests for %d concurrent lookups, want 1", got, n)
	}
}

func TestConfluentRegistryErrorsAreNotCached(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter)
	}{
		{"503", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}},
		{"500 with error body", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"error_code":50001,"message":"Error in the backend data store"}`))
		}},
		{"401", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusUnauthorized)
		}},
		{"404 without error body", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte("<html>not here</html>"))
		}},
		{"not json", func(w http.ResponseWriter) {
			w.Write([]byte("<html>hello</html>"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeRegistry(t)
			f.add(1, fakeSchema{Schema: tinyAvro})
			var failing atomic.Bool
			failing.Store(true)
			f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
				if failing.Load() {
					tc.answer(w)
					return true
				}
				return false
			})
			c := f.client(nil)
			for range 2 {
				_, err := c.Schema(t.Context(), 1)
				wantErr(t, err, ErrRegistryUnavailable)
			}
			failing.Store(false)
			if _, err := c.Schema(t.Context(), 1); err != nil {
				t.Fatalf("after the registry recovered: %v", err)
			}
			if n := f.requests.Load(); n != 3 {
				t.Fatalf("%d requests, want 3 (errors are not cached)", n)
			}
		})
	}
}

func TestConfluentConnectionRefusedThenUp(t *testing.T) {
	// A port with nothing behind it, then a registry on it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	c := newClient(t, "http://"+addr, nil)
	_, err = c.Schema(t.Context(), 1)
	wantErr(t, err, ErrRegistryUnavailable)

	f := &fakeRegistry{t: t, ids: map[int]fakeSchema{1: {Schema: tinyAvro}}, subjects: map[string]fakeSchema{}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	if srv.Listener, err = net.Listen("tcp", addr); err != nil {
		t.Skipf("port %s taken again before the test could reuse it: %v", addr, err)
	}
	srv.Start()
	defer srv.Close()
	if _, err := c.Schema(t.Context(), 1); err != nil {
		t.Fatalf("registry up: %v", err)
	}
}

func TestConfluentTimeout(t *testing.T) {
	f := newFakeRegistry(t)
	f.add(1, fakeSchema{Schema: tinyAvro})
	var hang atomic.Bool
	hang.Store(true)
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		if hang.Load() {
			<-r.Context().Done()
			return true
		}
		return false
	})
	c := f.client(func(cc *ConfluentConfig) { cc.Timeout = 100 * time.Millisecond })
	_, err := c.Schema(t.Context(), 1)
	wantErr(t, err, ErrRegistryUnavailable)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v does not say the deadline passed", err)
	}
	hang.Store(false)
	if _, err := c.Schema(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
}

func TestConfluentNotFound(t *testing.T) {
	f := newFakeRegistry(t)
	c := f.client(func(cc *ConfluentConfig) { cc.NotFoundTTL = time.Minute })
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }

	_, err := c.Schema(t.Context(), 5)
	wantErr(t, err, ErrUnknownSchema)
	f.add(5, fakeSchema{Schema: tinyAvro})
	// Within the TTL the answer is remembered: no request.
	_, err = c.Schema(t.Context(), 5)
	wantErr(t, err, ErrUnknownSchema)
	if n := f.requests.Load(); n != 1 {
		t.Fatalf("%d requests within the not-found TTL, want 1", n)
	}
	now = now.Add(time.Minute)
	if _, err := c.Schema(t.Context(), 5); err != nil {
		t.Fatalf("after the TTL: %v", err)
	}
}

func TestConfluentNotFoundUncached(t *testing.T) {
	f := newFakeRegistry(t)
	c := f.client(func(cc *ConfluentConfig) { cc.NotFoundTTL = -1 })
	_, err := c.Schema(t.Context(), 5)
	wantErr(t, err, ErrUnknownSchema)
	f.add(5, fakeSchema{Schema: tinyAvro})
	if _, err := c.Schema(t.Context(), 5); err != nil {
		t.Fatal(err)
	}
}

func TestConfluentNotFoundTableIsBounded(t *testing.T) {
	f := newFakeRegistry(t)
	c := f.client(func(cc *ConfluentConfig) { cc.NotFoundTTL = time.Hour })
	for id := range maxNotFound + 10 {
		c.rememberNotFound(id)
	}
	if n := len(c.notFound); n != maxNotFound {
		t.Fatalf("%d remembered, want at most %d", n, maxNotFound)
	}
}

func TestConfluentDeterministicFailuresAreCached(t *testing.T) {
	f := newFakeRegistry(t)
	f.add(1, fakeSchema{Schema: `<xml/>`, SchemaType: "XML"})
	f.add(2, fakeSchema{Schema: `{"type":"record"`})
	c := f.client(nil)
	for range 2 {
		_, err := c.Schema(t.Context(), 1)
		wantErr(t, err, ErrUnsupportedType)
		_, err = c.Schema(t.Context(), 2)
		wantErr(t, err, ErrBadSchema)
	}
	if n := f.requests.Load(); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}

func TestConfluentBasicAuth(t *testing.T) {
	f := newFakeRegistry(t)
	f.add(1, fakeSchema{Schema: tinyAvro})
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		if u, p, ok := r.BasicAuth(); !ok || u != "gw" || p != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error_code":401,"message":"Unauthorized"}`))
			return true
		}
		return false
	})
	bad := f.client(func(cc *ConfluentConfig) {
		cc.Authentication = &RegistryAuthentication{Type: "basic", Username: "gw", Password: "wrong"}
	})
	_, err := bad.Schema(t.Context(), 1)
	wantErr(t, err, ErrRegistryUnavailable)
	if !strings.Contains(err.Error(), "401") {
		t.Fatalf("error %v does not give the status", err)
	}
	good := f.client(func(cc *ConfluentConfig) {
		cc.Authentication = &RegistryAuthentication{Type: "basic", Username: "gw", Password: "s3cret"}
	})
	if _, err := good.Schema(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
}

func TestConfluentReferences(t *testing.T) {
	f := newFakeRegistry(t)
	f.addSubject("money", 1, fakeSchema{Schema: `{"type":"record","name":"Money","namespace":"ex","fields":[{"name":"cents","type":"long"}]}`})
	f.addSubject("address", 2, fakeSchema{
		Schema:     `{"type":"record","name":"Address","namespace":"ex","fields":[{"name":"city","type":"string"},{"name":"fee","type":"ex.Money"}]}`,
		References: []reference{{Name: "ex.Money", Subject: "money", Version: 1}},
	})
	f.add(1, fakeSchema{
		Schema:     `{"type":"record","name":"Person","namespace":"ex","fields":[{"name":"home","type":"ex.Address"},{"name":"tip","type":"ex.Money"}]}`,
		References: []reference{{Name: "ex.Address", Subject: "address", Version: 2}, {Name: "ex.Money", Subject: "money", Version: 1}},
	})
	f.add(2, fakeSchema{
		Schema:     `{"type":"record","name":"Broken","fields":[{"name":"x","type":"ex.Gone"}]}`,
		References: []reference{{Name: "ex.Gone", Subject: "gone", Version: 1}},
	})
	c := f.client(nil)
	s, err := c.Schema(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	// home{city "a", fee{3}}, tip{4}
	if _, err := s.decode(nil, []byte{2, 'a', 6, 8}, false); err != nil {
		t.Fatal(err)
	}
	// money/1 is fetched once although two schemas reference it.
	if n := f.requests.Load(); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
	// A missing reference is the registry's inconsistency, not an
	// unknown id: not cached, reported as unavailable.
	_, err = c.Schema(t.Context(), 2)
	wantErr(t, err, ErrRegistryUnavailable)
}

func TestConfluentCallerCancelDoesNotFailOthers(t *testing.T) {
	f := newFakeRegistry(t)
	f.add(1, fakeSchema{Schema: tinyAvro})
	release := make(chan struct{})
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		<-release
		return false
	})
	c := f.client(nil)
	var joined atomic.Int64
	c.onWait = func(int) { joined.Add(1) }

	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan error, 1)
	go func() {
		_, err := c.Schema(ctx, 1)
		first <- err
	}()
	waitFor(t, "the first lookup to start the fetch", func() bool { return joined.Load() == 1 })
	second := make(chan error, 1)
	go func() {
		_, err := c.Schema(t.Context(), 1)
		second <- err
	}()
	waitFor(t, "the second lookup to join", func() bool { return joined.Load() == 2 })
	cancel()
	err := <-first
	wantErr(t, err, ErrRegistryUnavailable)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first lookup: %v", err)
	}
	close(release)
	if err := <-second; err != nil {
		t.Fatalf("second lookup: %v", err)
	}
}

func TestConfluentCloseEndsFetches(t *testing.T) {
	f := newFakeRegistry(t)
	f.add(1, fakeSchema{Schema: tinyAvro})
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		<-r.Context().Done()
		return true
	})
	c := f.client(nil)
	var joined atomic.Int64
	c.onWait = func(int) { joined.Add(1) }
	done := make(chan error, 1)
	go func() {
		_, err := c.Schema(t.Context(), 1)
		done <- err
	}()
	waitFor(t, "the fetch to start", func() bool { return joined.Load() == 1 && f.requests.Load() == 1 })
	c.Close()
	wantErr(t, <-done, ErrRegistryUnavailable)
}

func TestNewConfluentRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  RegistryConfig
		want string
	}{
		{"no name", RegistryConfig{Type: "confluent", Config: ConfluentConfig{Endpoint: "http://r"}}, "name"},
		{"bad type", RegistryConfig{Name: "r", Type: "glue", Config: ConfluentConfig{Endpoint: "http://r"}}, "type"},
		{"no endpoint", RegistryConfig{Name: "r", Type: "confluent"}, "config.endpoint"},
		{"bad endpoint", RegistryConfig{Name: "r", Type: "confluent", Config: ConfluentConfig{Endpoint: "registry:8081"}}, "config.endpoint"},
		{"auth without user", RegistryConfig{Name: "r", Type: "confluent", Config: ConfluentConfig{
			Endpoint: "http://r", Authentication: &RegistryAuthentication{Type: "basic"}}}, "config.authentication.username"},
		{"auth type", RegistryConfig{Name: "r", Type: "confluent", Config: ConfluentConfig{
			Endpoint: "http://r", Authentication: &RegistryAuthentication{Type: "oauth", Username: "u"}}}, "config.authentication.type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewConfluent(tc.cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %s", err, tc.want)
			}
		})
	}
}
