// Package listener accepts client connections and binds each to a virtual
// cluster and a backend broker. Port mapping serves a bootstrap port and one
// port per backend broker.
package listener

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/strait-gw/strait/internal/backend"
	"github.com/strait-gw/strait/internal/session"
)

// PortMapping serves one listener whose forward policy is port_mapping.
// Broker ports are bound when the backend's metadata names their broker
// and released when it no longer does.
type PortMapping struct {
	// Name is the listener's name; VirtualCluster the destination's.
	Name, VirtualCluster string
	// Addresses are the IPs or host names to bind.
	Addresses []string
	// BootstrapPort is 0 when the listener has none.
	BootstrapPort int
	// BrokerPorts[i] serves broker id MinBrokerID+i.
	BrokerPorts []int
	MinBrokerID int32
	// AdvertisedHost is the host clients are told to use.
	AdvertisedHost string
	// Path names the forward policy in the config, for messages.
	Path string
	// CheckBrokerIDs explains broker ids the listener has no port for.
	CheckBrokerIDs func(ids []int32) []string
	Backend        *backend.Cluster
	// Session is the template for every session's config; Bootstrap,
	// Dial and Advertiser are set per port.
	Session session.Config
	Log     *slog.Logger
	// Term terminates TLS when the listener has a tls_server policy.
	Term *Terminator

	ctx   context.Context
	conns *sync.WaitGroup

	mu     sync.Mutex
	bound  map[int][]net.Listener
	failed map[int]bool
	warned map[int32]bool
	closed bool
}

// Start binds the bootstrap port and begins following the backend's
// brokers. Sessions run under ctx and are counted in conns.
func (p *PortMapping) Start(ctx context.Context, conns *sync.WaitGroup) error {
	p.ctx, p.conns = ctx, conns
	p.bound = map[int][]net.Listener{}
	p.failed = map[int]bool{}
	p.warned = map[int32]bool{}
	if p.BootstrapPort != 0 {
		if err := p.bind(p.BootstrapPort, true, -1); err != nil {
			return err
		}
	}
	p.Backend.Watch(p.sync)
	if p.Term != nil && p.Term.TLS != nil {
		go p.Term.TLS.Watch(ctx)
	}
	return nil
}

// ListenerName is the listener's configured name.
func (p *PortMapping) ListenerName() string { return p.Name }

// Close stops accepting on every port. Established sessions go on until
// their context ends.
func (p *PortMapping) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for port, ls := range p.bound {
		for _, l := range ls {
			l.Close()
		}
		delete(p.bound, port)
	}
}

// Ready reports whether the bootstrap port and the port of every broker
// the backend names are bound.
func (p *PortMapping) Ready() bool {
	// Backend locks are never taken under p.mu: the backend's metadata
	// refresh calls sync, which takes p.mu.
	brokers := p.Backend.Brokers()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.BootstrapPort != 0 && p.bound[p.BootstrapPort] == nil {
		return false
	}
	for _, b := range brokers {
		if port, ok := p.portFor(b.ID); ok && p.bound[port] == nil {
			return false
		}
	}
	return true
}

// Advertise implements protocol.Advertiser. It binds the broker's port if
// a response names a broker before metadata refresh has seen it.
func (p *PortMapping) Advertise(id int32) (string, int32, bool) {
	port, ok := p.portFor(id)
	if !ok {
		p.warnUnmapped(id)
		return "", 0, false
	}
	p.mu.Lock()
	_, bound := p.bound[port]
	p.mu.Unlock()
	if !bound {
		_ = p.bind(port, false, id)
	}
	return p.AdvertisedHost, int32(port), true
}

func (p *PortMapping) portFor(id int32) (int, bool) {
	i := int64(id) - int64(p.MinBrokerID)
	if i < 0 || i >= int64(len(p.BrokerPorts)) {
		return 0, false
	}
	return p.BrokerPorts[i], true
}

func (p *PortMapping) warnUnmapped(id int32) {
	p.mu.Lock()
	seen := p.warned[id]
	p.warned[id] = true
	p.mu.Unlock()
	if !seen {
		for _, msg := range p.CheckBrokerIDs([]int32{id}) {
			p.Log.Error(p.Path + ": " + msg + "; clients are not told about this broker")
		}
	}
}

// sync binds the ports of the backend's current brokers and releases the
// ports of brokers that left.
func (p *PortMapping) sync(brokers []backend.Broker) {
	want := map[int]int32{}
	for _, b := range brokers {
		port, ok := p.portFor(b.ID)
		if !ok {
			p.warnUnmapped(b.ID)
			continue
		}
		want[port] = b.ID
	}
	p.mu.Lock()
	for port, ls := range p.bound {
		if _, ok := want[port]; ok || port == p.BootstrapPort {
			continue
		}
		for _, l := range ls {
			l.Close()
		}
		delete(p.bound, port)
		p.Log.Info("broker left; port released", "port", port)
	}
	p.mu.Unlock()
	for port, id := range want {
		_ = p.bind(port, false, id)
	}
}

// bind listens on port on every address, once.
func (p *PortMapping) bind(port int, bootstrap bool, id int32) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.bound[port] != nil {
		return nil
	}
	var ls []net.Listener
	for _, a := range p.Addresses {
		l, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(port)))
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			if !p.failed[port] {
				p.Log.Error("cannot bind port", "port", port, "err", err)
			}
			p.failed[port] = true
			return fmt.Errorf("listener %q: %w", p.Name, err)
		}
		ls = append(ls, l)
	}
	delete(p.failed, port)
	p.bound[port] = ls
	cfg := p.Session
	cfg.Bootstrap = bootstrap
	cfg.Advertiser = p
	if bootstrap {
		cfg.Dial = p.Backend.DialAny
	} else {
		cfg.Dial = func(ctx context.Context, mode backend.Mode) (net.Conn, backend.Auth, error) {
			return p.Backend.DialBroker(ctx, id, mode)
		}
	}
	cfg.Log = p.Log.With("port", port)
	if !bootstrap {
		cfg.Log = cfg.Log.With("broker", id)
		p.Log.Info("serving broker", "broker", id, "port", port)
	}
	for _, l := range ls {
		go p.accept(l, &cfg)
	}
	return nil
}

func (p *PortMapping) accept(l net.Listener, cfg *session.Config) {
	for {
		conn, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait and go on.
			p.Log.Error("accept failed", "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		p.conns.Add(1)
		go func() {
			defer p.conns.Done()
			serveConn(p.ctx, conn, p.Term, p.Log, func(ConnInfo) (*session.Config, error) { return cfg, nil })
		}()
	}
}
