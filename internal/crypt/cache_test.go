// Tests of the Decrypter's data key cache: one unwrap per data key, errors
// not kept, the size bound, expiry, and concurrent opens of a new key.

package crypt

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestCacheOneUnwrapPerDataKey(t *testing.T) {
	src := &countingSource{KeySource: newStatic(t, "k")}
	d := newDecrypter(t, DecrypterOptions{}, src)
	// Two producer connections: two data keys.
	var recs [][]byte
	for _, e := range []*Encrypter{newEncrypter(t, src, EncrypterOptions{}), newEncrypter(t, src, EncrypterOptions{})} {
		for i := range 50 {
			recs = append(recs, seal(t, e, fmt.Sprint(i), "value"))
		}
	}
	for round := range 3 {
		for i, rec := range recs {
			mustOpen(t, d, rec, "value", fmt.Sprint(i%50))
		}
		if n := src.unwraps.Load(); n != 2 {
			t.Fatalf("round %d: %d unwraps for 2 data keys", round, n)
		}
	}
}

func TestCacheKeepsNoErrors(t *testing.T) {
	src := &countingSource{KeySource: newStatic(t, "k"), failUnwrap: []error{ErrKMSUnavailable, ErrKMSRefused}}
	d := newDecrypter(t, DecrypterOptions{}, src)
	rec := seal(t, newEncrypter(t, src, EncrypterOptions{}), "x", "")
	for _, want := range []error{ErrKMSUnavailable, ErrKMSRefused} {
		if _, err := d.Open(context.Background(), nil, rec, nil); !errors.Is(err, want) {
			t.Fatalf("%v, want %v", err, want)
		}
	}
	mustOpen(t, d, rec, "", "x")
	mustOpen(t, d, rec, "", "x")
	if n := src.unwraps.Load(); n != 3 {
		t.Fatalf("%d unwraps, want 3: two failures, then one success cached", n)
	}
}

func TestCacheBound(t *testing.T) {
	src := &countingSource{KeySource: newStatic(t, "k")}
	d := newDecrypter(t, DecrypterOptions{CacheSize: 2}, src)
	clock := &fakeClock{}
	d.cache.after = clock.AfterFunc
	recs := map[string][]byte{}
	for _, name := range []string{"a", "b", "c"} {
		recs[name] = seal(t, newEncrypter(t, src, EncrypterOptions{}), name, "")
	}
	unwraps := int64(0)
	for _, step := range []struct {
		open   string
		unwrap bool
	}{
		{"a", true}, {"b", true}, {"a", false}, // a is the most recent
		{"c", true},                             // evicts b
		{"a", false}, {"c", false}, {"b", true}, // evicts a
		{"a", true},
	} {
		mustOpen(t, d, recs[step.open], "", step.open)
		if step.unwrap {
			unwraps++
		}
		if n := src.unwraps.Load(); n != unwraps {
			t.Fatalf("after opening %s: %d unwraps, want %d", step.open, n, unwraps)
		}
		if n := d.cache.len(); n > 2 {
			t.Fatalf("cache holds %d keys, bound 2", n)
		}
		if n := clock.pending(); n != d.cache.len() {
			t.Fatalf("%d expiry timers for %d cached keys", n, d.cache.len())
		}
	}
}

func TestCacheTTL(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ttl     time.Duration
		unwraps int64
	}{
		{"expires", time.Minute, 2},
		{"kept", -1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &countingSource{KeySource: newStatic(t, "k")}
			d := newDecrypter(t, DecrypterOptions{CacheTTL: tc.ttl}, src)
			clock := &fakeClock{}
			d.cache.after = clock.AfterFunc
			rec := seal(t, newEncrypter(t, src, EncrypterOptions{}), "x", "")
			mustOpen(t, d, rec, "", "x")
			clock.Advance(59 * time.Second)
			mustOpen(t, d, rec, "", "x")
			clock.Advance(time.Second)
			mustOpen(t, d, rec, "", "x")
			if n := src.unwraps.Load(); n != tc.unwraps {
				t.Fatalf("%d unwraps, want %d", n, tc.unwraps)
			}
			d.Close()
			if n := d.cache.len(); n != 0 {
				t.Fatalf("%d keys cached after Close", n)
			}
			if n := clock.pending(); n != 0 {
				t.Fatalf("%d expiry timers running after Close", n)
			}
			mustOpen(t, d, rec, "", "x")
		})
	}
}

// TestCacheConcurrentOpens opens records of one new data key from many
// goroutines while its unwrap is held: the others wait for it rather than
// ask the KMS again.
func TestCacheConcurrentOpens(t *testing.T) {
	const n = 8
	src := &countingSource{KeySource: newStatic(t, "k"), block: make(chan struct{})}
	d := newDecrypter(t, DecrypterOptions{}, src)
	rec := seal(t, newEncrypter(t, src, EncrypterOptions{}), "x", "value")

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			got, err := d.Open(context.Background(), nil, rec, []byte("value"))
			if err == nil && string(got) != "x" {
				err = fmt.Errorf("Open = %q", got)
			}
			errs <- err
		})
	}
	waitFor(t, "one unwrap and the other opens waiting", func() bool {
		d.cache.mu.Lock()
		defer d.cache.mu.Unlock()
		return src.unwraps.Load() == 1 && d.cache.waiting == n-1
	})
	close(src.block)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := src.unwraps.Load(); got != 1 {
		t.Fatalf("%d unwraps, want 1", got)
	}
}

// TestCacheWaiterOutlivesLoader cancels the context of the Open that is
// unwrapping: an Open waiting for it unwraps again with its own context
// instead of failing with the other's cancellation.
func TestCacheWaiterOutlivesLoader(t *testing.T) {
	src := &countingSource{KeySource: newStatic(t, "k"), block: make(chan struct{})}
	d := newDecrypter(t, DecrypterOptions{}, src)
	rec := seal(t, newEncrypter(t, src, EncrypterOptions{}), "x", "")

	ctx, cancel := context.WithCancel(context.Background())
	loaderErr := make(chan error, 1)
	go func() {
		_, err := d.Open(ctx, nil, rec, nil)
		loaderErr <- err
	}()
	waitFor(t, "the first unwrap", func() bool { return src.unwraps.Load() == 1 })
	waiterErr := make(chan error, 1)
	go func() {
		_, err := d.Open(context.Background(), nil, rec, nil)
		waiterErr <- err
	}()
	waitFor(t, "the second open to wait", func() bool {
		d.cache.mu.Lock()
		defer d.cache.mu.Unlock()
		return d.cache.waiting == 1
	})
	cancel()
	if err := <-loaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled open: %v, want context.Canceled", err)
	}
	waitFor(t, "the waiter's own unwrap", func() bool { return src.unwraps.Load() == 2 })
	close(src.block)
	if err := <-waiterErr; err != nil {
		t.Fatalf("waiting open: %v", err)
	}
}
