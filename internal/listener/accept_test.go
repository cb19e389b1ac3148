// Tests of the accept loops: backoff after accept errors on every listener
// kind.

package listener

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/strait-gw/strait/internal/backend"
	"github.com/strait-gw/strait/internal/session"
)

// flakyListener fails its first fails Accept calls with EMFILE, as a
// process out of file descriptors sees, then hands out the connections
// sent on conns until it is closed. It records when Accept was called.
type flakyListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once

	mu    sync.Mutex
	fails int
	calls []time.Time
}

func newFlakyListener(fails int) *flakyListener {
	return &flakyListener{conns: make(chan net.Conn), closed: make(chan struct{}), fails: fails}
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	l.calls = append(l.calls, time.Now())
	fail := l.fails > 0
	if fail {
		l.fails--
	}
	l.mu.Unlock()
	select {
	case <-l.closed:
		return nil, net.ErrClosed
	default:
	}
	if fail {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *flakyListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *flakyListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// callTimes returns when Accept was called so far.
func (l *flakyListener) callTimes() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.calls...)
}

// countingMetrics records the accept events of listeners.
type countingMetrics struct {
	mu      sync.Mutex
	refused map[string]int // by listener and reason, "name/reason"
	errors  map[string]int
}

func newCountingMetrics() *countingMetrics {
	return &countingMetrics{refused: map[string]int{}, errors: map[string]int{}}
}

func (m *countingMetrics) ConnectionRefused(listener, reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refused[listener+"/"+reason]++
}

func (m *countingMetrics) AcceptError(listener string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.errors[listener]++
}

func (m *countingMetrics) acceptErrors(listener string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.errors[listener]
}

func (m *countingMetrics) refusals(listener, reason string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.refused[listener+"/"+reason]
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestAcceptErrorsBackOff pins the spin of the SNI listener on accept
// errors (and the fixed pause of port mapping): every listener kind waits
// 5ms after a failed accept, twice as long after each further failure up
// to 1s, counts each failure, and takes connections again once accept
// succeeds.
func TestAcceptErrorsBackOff(t *testing.T) {
	const fails = 6 // waits of 5, 10, 20, 40, 80 and 160ms: 315ms in all
	kinds := []struct {
		name string
		// run serves l as the listener kind does until l is closed,
		// counting its sessions in conns.
		run func(l net.Listener, m Metrics, conns *sync.WaitGroup)
	}{
		{"port_mapping", func(l net.Listener, m Metrics, conns *sync.WaitGroup) {
			p := &PortMapping{Name: "port_mapping", Log: discardLog(), Admission: Admission{Metrics: m},
				ctx: context.Background(), conns: conns}
			cfg := &session.Config{Log: discardLog(), Dial: unreachable}
			p.accept(l, cfg)
		}},
		{"sni", func(l net.Listener, m Metrics, conns *sync.WaitGroup) {
			s := &SNI{Name: "sni", Log: discardLog(), Term: &Terminator{}, Admission: Admission{Metrics: m}}
			s.accept(context.Background(), l, conns)
		}},
	}
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			l := newFlakyListener(fails)
			m := newCountingMetrics()
			var conns sync.WaitGroup
			done := make(chan struct{})
			go func() {
				defer close(done)
				kind.run(l, m, &conns)
			}()
			defer func() {
				l.Close()
				<-done
				conns.Wait()
			}()

			client, server := net.Pipe()
			defer client.Close()
			select {
			case l.conns <- server:
			case <-time.After(5 * time.Second):
				t.Fatalf("accept not called again after %d failures; %d calls", fails, len(l.callTimes()))
			}
			// The call that took the connection is the last of these; the
			// loop may have gone on to the next.
			calls := l.callTimes()[:fails+1]
			want := 5 * time.Millisecond
			for i := 1; i < len(calls); i++ {
				if gap := calls[i].Sub(calls[i-1]); gap < want {
					t.Errorf("accept retried %v after failure %d, want at least %v", gap, i, want)
				}
				want = min(2*want, time.Second)
			}
			if got := m.acceptErrors(kind.name); got != fails {
				t.Errorf("strait_accept_errors_total = %d, want %d", got, fails)
			}
		})
	}
}

// TestAcceptDelay checks that the wait between failed accepts doubles from
// 5ms and stops doubling at 1s.
func TestAcceptDelay(t *testing.T) {
	var d time.Duration
	var got []time.Duration
	for range 10 {
		d = nextAcceptDelay(d)
		got = append(got, d)
	}
	want := []time.Duration{5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("delays %v, want %v ms", got, want)
		}
	}
}

func unreachable(context.Context, backend.Mode) (net.Conn, backend.Auth, error) {
	return nil, backend.Auth{}, errors.New("backend unreachable")
}

// TestConnectionLimits checks a listener's limit and the gateway's, which
// listeners share: a connection over either is closed at accept and
// counted with its reason, the ones open are untouched, and a place freed
// by a connection that ends is taken by the next.
func TestConnectionLimits(t *testing.T) {
	gateway := NewLimit(3)
	m := newCountingMetrics()
	var conns sync.WaitGroup
	// serve runs an acceptor whose connections say "k" and stay open
	// until the client closes them.
	serve := func(name string, limit *Limit) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		a := newAcceptor(name, Admission{Limit: limit, GatewayLimit: gateway, Metrics: m}, discardLog())
		done := make(chan struct{})
		go func() {
			defer close(done)
			a.serve(context.Background(), l, &conns, func(c net.Conn) {
				defer c.Close()
				_, _ = c.Write([]byte("k"))
				_, _ = c.Read(make([]byte, 1))
			})
		}()
		t.Cleanup(func() {
			l.Close()
			<-done
		})
		return l.Addr().String()
	}
	a, b := serve("a", NewLimit(2)), serve("b", nil)
	// dial reports whether the connection was admitted (the server
	// spoke) or closed at once.
	dial := func(addr string) (net.Conn, bool) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(make([]byte, 1))
		if err != nil && err != io.EOF {
			t.Fatalf("%s: %v", addr, err)
		}
		return c, n == 1
	}
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
		conns.Wait()
	}()
	steps := []struct {
		addr     string
		admitted bool
	}{
		{a, true}, {a, true},
		{a, false}, // a's own limit
		{b, true},  // the gateway's third
		{b, false}, // the gateway's limit
	}
	for i, s := range steps {
		c, ok := dial(s.addr)
		if ok != s.admitted {
			t.Fatalf("connection %d admitted = %v, want %v", i, ok, s.admitted)
		}
		if ok {
			open = append(open, c)
		} else {
			c.Close()
		}
	}
	if got := m.refusals("a", ReasonListenerLimit); got != 1 {
		t.Errorf("a refused %d for its limit, want 1", got)
	}
	if got := m.refusals("b", ReasonGatewayLimit); got != 1 {
		t.Errorf("b refused %d for the gateway's limit, want 1", got)
	}
	// The open connections are still served: each handler reads the
	// byte and ends, giving its place back.
	for i, c := range open {
		if _, err := c.Write([]byte("x")); err != nil {
			t.Fatalf("open connection %d: %v", i, err)
		}
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("open connection %d: %v after its handler ended, want EOF", i, err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, ok := dial(a)
		c.Close()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no connection admitted after the open ones ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNilLimitAdmitsAll(t *testing.T) {
	if NewLimit(0) != nil || NewLimit(-1) != nil {
		t.Fatal("NewLimit(0 or less) must cap nothing")
	}
	var l *Limit
	for range 1000 {
		if !l.acquire() {
			t.Fatal("a nil limit refused")
		}
	}
}
