// Accepting connections, the same on every listener kind: connection
// limits, backoff after accept errors, and counting both.

package listener

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Metrics receives a listener's accept events. Any method may be called
// from any goroutine.
type Metrics interface {
	// ConnectionRefused counts a connection closed as soon as it was
	// accepted; reason is ReasonListenerLimit or ReasonGatewayLimit.
	ConnectionRefused(listener, reason string)
	// AcceptError counts a failed accept.
	AcceptError(listener string)
}

// Reasons for refusing a connection.
const (
	// ReasonListenerLimit: the listener has max_connections open.
	ReasonListenerLimit = "listener_limit"
	// ReasonGatewayLimit: the gateway has runtime.max_connections open.
	ReasonGatewayLimit = "gateway_limit"
)

// Admission is what a listener admits and where it reports. The zero value
// admits every connection and reports nothing.
type Admission struct {
	// Limit caps the listener's open connections; nil caps nothing.
	Limit *Limit
	// GatewayLimit caps open connections across every listener that
	// shares it; nil caps nothing.
	GatewayLimit *Limit
	// Metrics counts refused connections and accept errors; nil counts
	// nothing.
	Metrics Metrics
}

// Limit caps how many connections are open at once. A nil *Limit caps
// nothing. It is safe for concurrent use.
type Limit struct {
	max  int64
	open atomic.Int64
}

// NewLimit returns a cap of max open connections, or nil (no cap) when max
// is 0 or less.
func NewLimit(max int) *Limit {
	if max <= 0 {
		return nil
	}
	return &Limit{max: int64(max)}
}

// acquire takes a place if one is free.
func (l *Limit) acquire() bool {
	if l == nil {
		return true
	}
	for {
		n := l.open.Load()
		if n >= l.max {
			return false
		}
		if l.open.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release gives back a place taken by acquire.
func (l *Limit) release() {
	if l != nil {
		l.open.Add(-1)
	}
}

// Backoff after a failed accept, as net/http's Server.Serve: out of file
// descriptors, retrying at once would only spin.
const (
	minAcceptDelay = 5 * time.Millisecond
	maxAcceptDelay = time.Second
)

// nextAcceptDelay is the wait after a failed accept that followed a wait
// of d (0 after a success).
func nextAcceptDelay(d time.Duration) time.Duration {
	return min(max(2*d, minAcceptDelay), maxAcceptDelay)
}

// refusalLogGap is the least time between two log lines about refused
// connections on one listener: a flood of them must not flood the log.
const refusalLogGap = time.Second

// acceptor runs the accept loops of one listener, on all its ports and
// addresses, which share its limits and its refusal log.
type acceptor struct {
	name string
	adm  Admission
	log  *slog.Logger
	// nextLog is when a refusal may next be logged (Unix nanoseconds);
	// unlogged counts the refusals since the last line.
	nextLog  atomic.Int64
	unlogged atomic.Int64
}

func newAcceptor(name string, adm Admission, log *slog.Logger) *acceptor {
	if adm.Metrics == nil {
		adm.Metrics = nopMetrics{}
	}
	return &acceptor{name: name, adm: adm, log: log}
}

// serve accepts connections on l until l is closed or ctx ends, and runs
// handle on each admitted one in its own goroutine, counted in conns.
// handle owns the connection; its place under the limits is given back
// when handle returns.
func (a *acceptor) serve(ctx context.Context, l net.Listener, conns *sync.WaitGroup, handle func(net.Conn)) {
	var delay time.Duration
	for {
		conn, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			a.adm.Metrics.AcceptError(a.name)
			delay = nextAcceptDelay(delay)
			a.log.Error("accept failed; retrying", "err", err, "retry_in", delay)
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		delay = 0
		if reason := a.admit(); reason != "" {
			conn.Close()
			a.refused(conn, reason)
			continue
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			defer a.release()
			handle(conn)
		}()
	}
}

// admit takes a place for a new connection under both limits, or returns
// why there is none.
func (a *acceptor) admit() string {
	if !a.adm.Limit.acquire() {
		return ReasonListenerLimit
	}
	if !a.adm.GatewayLimit.acquire() {
		a.adm.Limit.release()
		return ReasonGatewayLimit
	}
	return ""
}

func (a *acceptor) release() {
	a.adm.GatewayLimit.release()
	a.adm.Limit.release()
}

// refused counts a refused connection, and logs it unless the listener
// logged a refusal less than refusalLogGap ago; the line says how many
// were refused since the last one.
func (a *acceptor) refused(conn net.Conn, reason string) {
	a.adm.Metrics.ConnectionRefused(a.name, reason)
	a.unlogged.Add(1)
	now := time.Now().UnixNano()
	next := a.nextLog.Load()
	if now < next || !a.nextLog.CompareAndSwap(next, now+int64(refusalLogGap)) {
		return
	}
	limit := a.adm.Limit
	if reason == ReasonGatewayLimit {
		limit = a.adm.GatewayLimit
	}
	a.log.Warn("refusing new connections: too many open", "reason", reason, "max_connections", limit.max,
		"refused", a.unlogged.Swap(0), "client", conn.RemoteAddr().String())
}

type nopMetrics struct{}

func (nopMetrics) ConnectionRefused(string, string) {}
func (nopMetrics) AcceptError(string)               {}
