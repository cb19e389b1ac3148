// The idle watcher: one epoll instance for the whole gateway, in which a
// session with nothing in flight parks its backend socket, so that its
// response loop's goroutine can end. A backend that closes the connection
// (or sends anything) while the session is parked wakes the session, which
// starts its response loop again and sees why. An idle connection costs one
// goroutine, the request loop's, instead of two.

package session

import (
	"net"
	"sync"
	"syscall"
)

// watcher is the gateway's idle watcher.
type watcher struct {
	epfd int
	mu   sync.Mutex
	wake map[uint32]func(gen uint32) // armed sessions, by watch id
	next uint32
}

// idleWatcher returns the gateway's watcher, started on first use, or nil
// when the system refuses an epoll instance: sessions then keep their
// response loop waiting for the backend, as on other systems.
var idleWatcher = sync.OnceValue(func() *watcher {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	w := &watcher{epfd: fd, wake: map[uint32]func(uint32){}}
	go w.run()
	return w
})

// watch is one session's registration: its id and whether its socket is
// in the epoll set yet.
type watch struct {
	id    uint32
	added bool
	rc    syscall.RawConn
}

// watchable reports whether c can be parked: a plain TCP socket, whose
// readiness means a response byte or the end of the connection. A TLS
// backend is not: a TLS record that carries no data (a session ticket)
// would wake the session for nothing to read.
func watchable(c net.Conn) bool {
	_, ok := c.(*net.TCPConn)
	return ok
}

// arm registers c for one wake-up: f(gen) runs once c is readable or
// closed by its peer. A session arms again each time it parks, numbering
// its registrations: the event carries the number it was armed with, so
// that an event of an earlier registration, delivered late, is known as
// such (by its number, not by whichever f is registered when it comes).
func (w *watcher) arm(wt *watch, c net.Conn, gen uint32, f func(gen uint32)) error {
	if wt.rc == nil {
		tc, ok := c.(*net.TCPConn)
		if !ok {
			return net.ErrClosed
		}
		rc, err := tc.SyscallConn()
		if err != nil {
			return err
		}
		wt.rc = rc
	}
	if wt.id == 0 {
		w.mu.Lock()
		for wt.id == 0 {
			w.next++
			if _, taken := w.wake[w.next]; !taken && w.next != 0 {
				wt.id = w.next
			}
		}
		w.wake[wt.id] = f
		w.mu.Unlock()
	}
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
		Fd:     int32(wt.id), Pad: int32(gen),
	}
	var cerr error
	// Control keeps the descriptor open while it runs: it cannot be
	// closed and reused by another socket in between.
	err := wt.rc.Control(func(fd uintptr) {
		op := syscall.EPOLL_CTL_MOD
		if !wt.added {
			op = syscall.EPOLL_CTL_ADD
		}
		cerr = syscall.EpollCtl(w.epfd, op, int(fd), &ev)
	})
	if err == nil {
		err = cerr
	}
	if err != nil {
		w.forget(wt)
		return err
	}
	wt.added = true
	return nil
}

// forget drops a session's registration. Its socket leaves the epoll set
// when it is closed.
func (w *watcher) forget(wt *watch) {
	if wt.id == 0 {
		return
	}
	w.mu.Lock()
	delete(w.wake, wt.id)
	w.mu.Unlock()
	wt.id = 0
}

// run waits for parked sockets to become ready, and wakes their sessions.
func (w *watcher) run() {
	events := make([]syscall.EpollEvent, 128)
	for {
		n, err := syscall.EpollWait(w.epfd, events, -1)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return
		}
		for _, ev := range events[:n] {
			id, gen := uint32(ev.Fd), uint32(ev.Pad)
			w.mu.Lock()
			f := w.wake[id]
			w.mu.Unlock()
			if f != nil {
				f(gen)
			}
		}
	}
}
