package session

import (
	"testing"
	"time"
)

// TestQueueGrowsAndShrinks fills the queue past its kept size in several
// bursts with pops in between, checks the order, that it gives the memory
// back once empty, and that a full queue makes push wait for a pop.
func TestQueueGrowsAndShrinks(t *testing.T) {
	q := newQueue(nil)
	done := make(chan struct{})
	next, want := int32(0), int32(0)
	for _, burst := range []int{1, 5, 40, 3, 200} {
		for range burst {
			if err := q.push(inflight{corr: next}, done); err != nil {
				t.Fatal(err)
			}
			next++
		}
		for range burst / 2 {
			e, ok, _ := q.pop(false)
			if !ok || e.corr != want {
				t.Fatalf("pop = %d, %v; want %d", e.corr, ok, want)
			}
			want++
		}
	}
	for want < next {
		e, ok, _ := q.pop(false)
		if !ok || e.corr != want {
			t.Fatalf("pop = %d, %v; want %d", e.corr, ok, want)
		}
		want++
	}
	if _, ok, closed := q.pop(true); ok || closed {
		t.Fatal("empty open queue popped something or is closed")
	}
	if len(q.items) > keptSlots {
		t.Fatalf("empty queue keeps %d slots", len(q.items))
	}

	for i := range maxInflight {
		if err := q.push(inflight{corr: int32(i)}, done); err != nil {
			t.Fatal(err)
		}
	}
	pushed := make(chan error, 1)
	go func() { pushed <- q.push(inflight{corr: maxInflight}, done) }()
	select {
	case <-pushed:
		t.Fatal("push into a full queue did not wait")
	case <-time.After(50 * time.Millisecond):
	}
	if e, ok, _ := q.pop(false); !ok || e.corr != 0 {
		t.Fatalf("pop = %d, %v", e.corr, ok)
	}
	if err := <-pushed; err != nil {
		t.Fatal(err)
	}
	close(done)
	if err := q.push(inflight{}, done); err == nil {
		t.Fatal("push into a full queue of an ended session succeeded")
	}
}

// TestQueueWakesWaitingResponses checks that a gateway-made response, and
// the end of requests, wake a response loop that waits for the backend,
// while a request the backend will answer does not.
func TestQueueWakesWaitingResponses(t *testing.T) {
	q := newQueue(nil)
	wakes := 0
	q.wake = func() { wakes++ }
	done := make(chan struct{})
	q.pop(true) // empty: the response loop now waits for the backend
	if err := q.push(inflight{corr: 1}, done); err != nil {
		t.Fatal(err)
	}
	if wakes != 0 {
		t.Fatal("a request for the backend woke the response loop")
	}
	if err := q.push(inflight{corr: 2, local: []byte{0}}, done); err != nil {
		t.Fatal(err)
	}
	if err := q.push(inflight{corr: 3, local: []byte{0}}, done); err != nil {
		t.Fatal(err)
	}
	if wakes != 1 || !q.waited() {
		t.Fatalf("%d wakes for two local responses, want 1, reported by waited", wakes)
	}
	for range 3 {
		q.pop(false)
	}
	q.pop(true)
	q.close()
	if wakes != 2 || !q.waited() {
		t.Fatal("close did not wake the waiting response loop")
	}
	if _, ok, closed := q.pop(true); ok || !closed {
		t.Fatal("closed empty queue not reported closed")
	}
}

// TestQueueParkIgnoresStaleWakeUps: a wake-up of an earlier registration
// with the idle watcher, delivered after the loop was resumed by a request
// and armed again, neither resumes the loop nor makes it read a backend
// that has nothing to read; a wake-up of the current registration does.
func TestQueueParkIgnoresStaleWakeUps(t *testing.T) {
	resumed := 0
	q := newQueue(func() { resumed++ })
	done := make(chan struct{})
	if err := q.push(inflight{corr: 1}, done); err != nil {
		t.Fatal(err)
	}
	if resumed != 1 {
		t.Fatalf("first push resumed the loop %d times, want 1", resumed)
	}
	q.pop(false)
	g1 := q.arm()
	if got := q.park(g1); got != parkedOK {
		t.Fatalf("park = %d, want parked", got)
	}
	// A request resumes the loop; the response to it wakes the
	// watcher for g1, which reports it late.
	if err := q.push(inflight{corr: 2}, done); err != nil {
		t.Fatal(err)
	}
	q.pop(false)
	g2 := q.arm()
	q.backendReady(g1)
	if got := q.park(g2); got != parkedOK {
		t.Fatalf("park after a stale wake-up = %d, want parked", got)
	}
	q.backendReady(g1)
	if resumed != 2 {
		t.Fatalf("loop resumed %d times, want 2: a stale wake-up resumed it", resumed)
	}
	// The current registration's wake-up resumes it, to read.
	q.backendReady(g2)
	if resumed != 3 {
		t.Fatalf("loop resumed %d times, want 3", resumed)
	}
	if _, ok, _ := q.pop(false); ok {
		t.Fatal("pop found a request in an empty queue")
	}
	if !q.takeReadable() {
		t.Fatal("the wake-up that resumed the loop is not reported readable")
	}
	// A wake-up that comes between arming and parking makes park read.
	g3 := q.arm()
	q.backendReady(g3)
	if got := q.park(g3); got != parkRead {
		t.Fatalf("park after a wake-up of its own registration = %d, want read", got)
	}
}
