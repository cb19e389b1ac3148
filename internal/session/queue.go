package session

import (
	"net"
	"sync"
)

// queue holds in-flight requests in the order they were sent. It grows
// on demand up to maxInflight and gives its memory back when it empties
// after a burst, so an idle connection holds almost nothing.
type queue struct {
	mu     sync.Mutex
	items  []inflight // ring of len(items) slots
	head   int
	n      int
	closed bool
	// ready has a token after a push or close; space after a pop from a
	// full queue.
	ready chan struct{}
	space chan struct{}
	// waiting is set while the response loop, finding the queue empty,
	// waits for the backend; wake then interrupts that wait for a
	// request that the backend will not answer.
	waiting bool
	wake    func()
	woken   bool
}

// keptSlots is the ring size an empty queue keeps: enough for a client
// that waits for each answer, small enough to cost an idle connection
// little.
const keptSlots = 2

func newQueue() *queue {
	return &queue{ready: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// push appends e, waiting while the queue is full; it fails once done is
// closed.
func (q *queue) push(e inflight, done <-chan struct{}) error {
	q.mu.Lock()
	for q.n == maxInflight {
		q.mu.Unlock()
		select {
		case <-q.space:
		case <-done:
			return net.ErrClosed
		}
		q.mu.Lock()
	}
	if q.n == len(q.items) {
		grown := make([]inflight, min(maxInflight, max(keptSlots, 2*len(q.items))))
		for i := range q.n {
			grown[i] = q.items[(q.head+i)%len(q.items)]
		}
		q.items, q.head = grown, 0
	}
	q.items[(q.head+q.n)%len(q.items)] = e
	q.n++
	if q.waiting && (e.local != nil) && !q.woken {
		q.woken = true
		q.wake()
	}
	q.mu.Unlock()
	signal(q.ready)
	return nil
}

// close marks the end of requests: pop reports it once the queue is
// empty.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	if q.waiting && !q.woken {
		q.woken = true
		q.wake()
	}
	q.mu.Unlock()
	signal(q.ready)
}

// pop takes the oldest request without waiting. ok is false when the
// queue is empty; closed is then true when no request will come. When the
// queue is empty and open, wait (if set) becomes the queue's waiting
// state, under the same lock.
func (q *queue) pop(wait bool) (e inflight, ok, closed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		if q.closed {
			return e, false, true
		}
		q.waiting = wait
		if len(q.items) > keptSlots {
			q.items, q.head = nil, 0
		}
		return e, false, false
	}
	e = q.items[q.head]
	q.items[q.head] = inflight{}
	q.head = (q.head + 1) % len(q.items)
	q.n--
	if q.n == maxInflight-1 {
		signal(q.space)
	}
	return e, true, false
}

// waited ends the waiting state and reports whether wake was called.
func (q *queue) waited() (woken bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	woken, q.waiting, q.woken = q.woken, false, false
	return woken
}
