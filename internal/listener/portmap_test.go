// Tests of port mapping: which brokers are advertised, and when their
// ports are bound.

package listener

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/strait-gw/strait/internal/backend"
	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/session"
)

type nopBackendMetrics struct{}

func (nopBackendMetrics) MetadataRefresh(string, bool) {}
func (nopBackendMetrics) BackendDialError(string)      {}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startPortMapping serves broker ids 0.. on ports, without a bootstrap
// port, in front of a backend that is never run: the test tells it which
// brokers exist by calling sync.
func startPortMapping(t *testing.T, ports []int) *PortMapping {
	t.Helper()
	b, err := backend.New(&config.BackendCluster{Name: "kafka", BootstrapServers: []string{"127.0.0.1:1"}}, discardLog(), nopBackendMetrics{})
	if err != nil {
		t.Fatal(err)
	}
	p := &PortMapping{
		Name:           "pm",
		Addresses:      []string{"127.0.0.1"},
		BrokerPorts:    ports,
		AdvertisedHost: "127.0.0.1",
		CheckBrokerIDs: func([]int32) []string { return nil },
		Backend:        b,
		Session:        session.Config{Dial: unreachable},
		Log:            discardLog(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	var conns sync.WaitGroup
	if err := p.Start(ctx, &conns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close()
		cancel()
		conns.Wait()
	})
	return p
}

func listening(port int) bool {
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// TestAdvertiseOnlyBoundPorts pins two faults of PortMapping.Advertise,
// which rewrites every response naming a broker: it bound the broker's
// port itself, under the listener's lock, when metadata had not named the
// broker yet; and it advertised the port even when that bind failed.
// Ports are bound by the metadata watcher only, a port that failed to bind
// is retried there, and a broker is advertised only while its port is
// bound.
func TestAdvertiseOnlyBoundPorts(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	freeP, unseenP := freePort(t), freePort(t)
	p := startPortMapping(t, []int{busyPort, freeP, unseenP})
	p.sync([]backend.Broker{{ID: 0, Addr: "kafka-0:9092"}, {ID: 1, Addr: "kafka-1:9092"}})

	if h, port, ok := p.Advertise(1); !ok || h != "127.0.0.1" || int(port) != freeP {
		t.Errorf("Advertise(1) = %s, %d, %v; want 127.0.0.1, %d, true", h, port, ok, freeP)
	}
	if !listening(freeP) {
		t.Errorf("broker 1's port %d is not listening", freeP)
	}
	if _, port, ok := p.Advertise(0); ok {
		t.Errorf("Advertise(0) = port %d, true; its port is taken by another socket: want it left out", port)
	}
	if _, port, ok := p.Advertise(2); ok {
		t.Errorf("Advertise(2) = port %d, true before metadata named broker 2; want it left out", port)
	}
	if listening(unseenP) {
		t.Errorf("Advertise(2) bound port %d: binding belongs to the metadata watcher", unseenP)
	}

	// Once the port is free, the watcher's retry binds it.
	busy.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, port, ok := p.Advertise(0); ok {
			if int(port) != busyPort {
				t.Fatalf("Advertise(0) = port %d, want %d", port, busyPort)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("broker 0 not advertised 10s after its port became free")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !listening(busyPort) {
		t.Errorf("broker 0 advertised but port %d is not listening", busyPort)
	}

	// A broker that leaves is no longer advertised, and its port closes.
	p.sync([]backend.Broker{{ID: 0, Addr: "kafka-0:9092"}})
	if _, _, ok := p.Advertise(1); ok {
		t.Error("Advertise(1) still true after broker 1 left")
	}
	if listening(freeP) {
		t.Errorf("broker 1's port %d still listening after it left", freeP)
	}
}
