// Test helpers: static sources, a key source that counts and fails on
// demand, and waitFor.

package crypt

import (
	"bytes"
	"context"
	"crypto/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newStatic returns a static source called name with a random key.
func newStatic(t testing.TB, name string) *StaticKeySource {
	t.Helper()
	key := make([]byte, DataKeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	s, err := NewStaticKeySource(name, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newEncrypter(t testing.TB, src KeySource, opts EncrypterOptions) *Encrypter {
	t.Helper()
	e, err := NewEncrypter(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newDecrypter(t testing.TB, opts DecrypterOptions, sources ...KeySource) *Decrypter {
	t.Helper()
	d, err := NewDecrypter(sources, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func seal(t testing.TB, e *Encrypter, plaintext, aad string) []byte {
	t.Helper()
	rec, err := e.Seal(context.Background(), nil, []byte(plaintext), []byte(aad))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return rec
}

func mustOpen(t testing.TB, d *Decrypter, rec []byte, aad, want string) {
	t.Helper()
	got, err := d.Open(context.Background(), nil, rec, []byte(aad))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !bytes.Equal(got, []byte(want)) {
		t.Fatalf("Open = %q, want %q", got, want)
	}
}

// countingSource wraps a KeySource, counting calls. failUnwrap, when set,
// is returned by the next Unwraps (and consumed) instead of calling the
// inner source; block, when set, makes Unwrap wait for it to close.
type countingSource struct {
	KeySource
	wraps, unwraps atomic.Int64

	mu         sync.Mutex
	failUnwrap []error
	block      chan struct{}
}

func (c *countingSource) Wrap(ctx context.Context, dataKey []byte) (string, []byte, error) {
	c.wraps.Add(1)
	return c.KeySource.Wrap(ctx, dataKey)
}

func (c *countingSource) Unwrap(ctx context.Context, ref string, wrapped []byte) ([]byte, error) {
	c.unwraps.Add(1)
	c.mu.Lock()
	block := c.block
	var fail error
	if len(c.failUnwrap) > 0 {
		fail, c.failUnwrap = c.failUnwrap[0], c.failUnwrap[1:]
	}
	c.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail != nil {
		return nil, fail
	}
	return c.KeySource.Unwrap(ctx, ref, wrapped)
}

// fakeClock stands in for time.AfterFunc: Advance runs, in the calling
// goroutine, the functions whose time has come.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Duration
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Duration
	f       func()
	stopped bool
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now + d, f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now += d
	var due []func()
	for _, t := range c.timers {
		if !t.stopped && t.at <= c.now {
			t.stopped = true
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// pending counts the timers neither stopped nor fired.
func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.stopped {
			n++
		}
	}
	return n
}

// waitFor waits up to 10 seconds for cond to hold.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
