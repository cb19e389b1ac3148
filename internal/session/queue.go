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
	// parked is set while no goroutine runs the response loop: it ended
	// with nothing to do, and resume starts it again on a push, a close,
	// or the idle watcher's wake-up. armGen numbers the loop's
	// registrations with the watcher; readable records a wake-up that came
	// before the loop could park.
	parked   bool
	resume   func()
	armGen   uint32
	readable bool
}

// keptSlots is the ring size an empty queue keeps: enough for a client
// that waits for each answer, small enough to cost an idle connection
// little.
const keptSlots = 2

// newQueue returns an empty queue. With resume set, the response loop is
// not running yet: the first push starts it.
func newQueue(resume func()) *queue {
	return &queue{ready: make(chan struct{}, 1), space: make(chan struct{}, 1), resume: resume, parked: resume != nil}
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
	resume := q.unpark()
	q.mu.Unlock()
	signal(q.ready)
	if resume {
		q.resume()
	}
	return nil
}

// unpark ends the parked state, with mu held, and reports whether the
// caller must call resume once it has released mu. A loop resumed by a
// request or the close reads the backend with its responses: the
// watcher's registration becomes stale, and a wake-up it gives later
// (for a response, say) is ignored.
func (q *queue) unpark() bool {
	if !q.parked {
		return false
	}
	q.parked = false
	q.armGen++
	return true
}

// Outcomes of park.
const (
	parkedOK  = iota // the loop's goroutine may end
	parkRetry        // a request or the close came: pop again
	parkRead         // the backend is readable: read it
)

// arm starts a registration with the watcher and returns its number.
func (q *queue) arm() uint32 {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.armGen++
	if q.armGen == 0 { // 0 is "nothing armed"
		q.armGen++
	}
	return q.armGen
}

// park parks the response loop, after it armed registration gen (0: no
// backend to watch), unless something came meanwhile.
func (q *queue) park(gen uint32) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.n > 0 || q.closed:
		// A later wake-up of that registration is stale, and the loop
		// reads whatever the backend sent with the responses.
		q.armGen++
		q.readable = false
		return parkRetry
	case gen != 0 && q.readable:
		// The loop goes back to waiting for the backend, which has
		// something to read.
		q.readable = false
		return parkRead
	}
	q.parked = true
	return parkedOK
}

// takeReadable reports, and clears, a wake-up of the watcher that the
// loop has not acted on.
func (q *queue) takeReadable() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	r := q.readable
	q.readable = false
	return r
}

// backendReady is the watcher's wake-up for registration gen: it resumes
// a parked loop, or tells a loop about to park to read instead. A stale
// registration's wake-up is ignored.
func (q *queue) backendReady(gen uint32) {
	q.mu.Lock()
	if gen != q.armGen {
		q.mu.Unlock()
		return
	}
	q.readable = true
	resume := q.parked
	q.parked = false
	q.mu.Unlock()
	if resume {
		q.resume()
	}
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
	resume := q.unpark()
	q.mu.Unlock()
	signal(q.ready)
	if resume {
		q.resume()
	}
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
	// The backend's next bytes are this request's response: a wake-up
	// reported before is read with it.
	q.readable = false
	e = q.items[q.head]
	q.items[q.head] = inflight{}
	q.head = (q.head + 1) % len(q.items)
	q.n--
	if q.n == maxInflight-1 {
		signal(q.space)
	}
	return e, true, false
}

// isWoken reports whether wake was called in the current waiting state.
func (q *queue) isWoken() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.woken
}

// waited ends the waiting state and reports whether wake was called.
func (q *queue) waited() (woken bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	woken, q.waiting, q.woken = q.woken, false, false
	return woken
}
