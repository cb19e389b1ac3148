// This file holds the helpers of the auth tests: a metrics recorder, a log
// capture, a clock the tests move, and a server built from methods.

package auth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/strait-gw/strait/internal/config"
)

// recorder is a Metrics that remembers every call.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) Authentication(vc, method, result string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, vc+"/"+method+"/"+result)
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// syncBuffer is a bytes.Buffer for a log handler used by several
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// clock is a time source the tests move forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Truncate(time.Second)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a server under test with what it reports.
type env struct {
	s       *Server
	metrics *recorder
	logs    *syncBuffer
	clock   *clock
}

// newEnv builds a server for a virtual cluster "vc" with the given
// methods and max_session_lifetime, logging everything into a buffer.
func newEnv(t *testing.T, lifetime time.Duration, methods ...config.ClientAuth) *env {
	t.Helper()
	e := &env{metrics: &recorder{}, logs: &syncBuffer{}, clock: newClock()}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	vc := &config.VirtualCluster{Name: "vc", Authentication: methods, MaxSessionLifetime: config.Duration(lifetime)}
	s, err := NewServer(vc, 100*time.Millisecond, log, e.metrics)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	s.now = e.clock.now
	e.s = s
	return e
}

// begin starts an exchange and fails t if it cannot.
func (e *env) begin(t *testing.T, mech string) Exchange {
	t.Helper()
	x, err := e.s.Begin(mech, TLSInfo{})
	if err != nil {
		t.Fatalf("Begin(%s): %v", mech, err)
	}
	return x
}

// failure returns err as a *Failure, failing t if it is not one.
func failure(t *testing.T, err error) *Failure {
	t.Helper()
	var f *Failure
	if !errors.As(err, &f) || !errors.Is(err, ErrFailed) {
		t.Fatalf("error %v (%T) is not a *Failure wrapping ErrFailed", err, err)
	}
	return f
}

func plainToken(authzid, user, pass string) []byte {
	return []byte(authzid + "\x00" + user + "\x00" + pass)
}

var ctx = context.Background()
