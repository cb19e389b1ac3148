//go:build linux

// Tests of dialing a bootstrap connection past brokers that do not answer.

package backend

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/strait-gw/strait/internal/config"
)

// blackHole returns the address of a socket that listens with a full
// accept queue: Linux drops the SYNs of further connections, so dialing it
// hangs, as dialing a broker behind a firewall that drops packets does.
func blackHole(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	// A backlog of 0 queues one connection; it is never accepted.
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	for range 8 {
		c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
		if err != nil {
			return addr // the queue is full
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Fatalf("%s: the accept queue does not fill", addr)
	return ""
}

// answering returns the address of a broker stand-in that accepts
// connections and holds them open.
func answering(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return l.Addr().String()
}

// TestDialAnyPastBlackHoledBrokers pins one black-holed broker eating the
// whole budget of a bootstrap dial: each broker gets its own share of the
// budget, at most 3s, and the next one is tried when it runs out.
func TestDialAnyPastBlackHoledBrokers(t *testing.T) {
	tests := []struct {
		name   string
		holes  int
		budget time.Duration
		within time.Duration
	}{
		// The session's budget: the hole gets 3s.
		{"one black hole", 1, 10 * time.Second, 4 * time.Second},
		// 1s each for the holes, leaving 1s for the broker that answers.
		{"two black holes, short budget", 2, 3 * time.Second, 3 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var seeds []string
			for range tc.holes {
				seeds = append(seeds, blackHole(t))
			}
			good := answering(t)
			seeds = append(seeds, good)
			// Not run: no brokers known, so the seeds are tried in order.
			c, err := New(&config.BackendCluster{Name: "kafka", BootstrapServers: seeds}, slog.New(slog.DiscardHandler), nopMetrics{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), tc.budget)
			defer cancel()
			start := time.Now()
			conn, _, err := c.DialAny(ctx, Authenticate)
			took := time.Since(start)
			if err != nil {
				t.Fatalf("DialAny after %v: %v", took, err)
			}
			defer conn.Close()
			if got := conn.RemoteAddr().String(); got != good {
				t.Errorf("dialed %s, want %s", got, good)
			}
			if took > tc.within {
				t.Errorf("DialAny took %v, want at most %v", took, tc.within)
			}
		})
	}
}

// TestDialAnyTriesEachAddressOnce checks that a broker that is also a
// seed is not dialed twice.
func TestDialAnyTriesEachAddressOnce(t *testing.T) {
	if got := dialOrder([]string{"b:1", "a:1"}, []string{"a:1", "c:1", "b:1"}); len(got) != 3 || got[2] != "c:1" {
		t.Errorf("dialOrder = %v, want the two brokers then c:1", got)
	}
}
