// Package listener accepts client connections and binds each to a virtual
// cluster and a backend broker. Port mapping serves a bootstrap port and one
// port per backend broker.
package listener

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strait-gw/strait/internal/backend"
	"github.com/strait-gw/strait/internal/session"
)

// PortMapping serves one listener whose forward policy is port_mapping.
// Broker ports are bound when the backend's metadata names their broker
// and released when it no longer does; only the metadata watcher binds
// them, never the response path, and a broker is advertised only while
// its port is bound.
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
	// Admission caps the listener's connections and counts its refusals
	// and accept errors.
	Admission Admission

	ctx       context.Context
	conns     *sync.WaitGroup
	stopRetry context.CancelFunc
	accOnce   sync.Once
	acc       *acceptor

	// syncMu serializes binding: the metadata watcher's sync and the
	// retry of ports that failed to bind. It is taken before mu.
	syncMu sync.Mutex
	// ports is what Advertise reads, republished under mu on every change.
	ports atomic.Pointer[portState]

	mu     sync.Mutex
	bound  map[int][]net.Listener
	failed map[int]bool
	// want maps the port of every broker in the latest metadata to its id.
	want   map[int]int32
	warned map[int32]bool
	closed bool
}

// portState is a snapshot of the ports for the response path.
type portState struct {
	// serving holds the bound ports.
	serving map[int]bool
	// known holds the brokers of the latest metadata that have a port.
	known map[int32]bool
}

// BindRetryInterval is how often ports that failed to bind are tried
// again.
var BindRetryInterval = 2 * time.Second

// Start binds the bootstrap port and begins following the backend's
// brokers. Sessions run under ctx and are counted in conns.
func (p *PortMapping) Start(ctx context.Context, conns *sync.WaitGroup) error {
	p.ctx, p.conns = ctx, conns
	p.bound = map[int][]net.Listener{}
	p.failed = map[int]bool{}
	p.want = map[int]int32{}
	p.warned = map[int32]bool{}
	p.ports.Store(&portState{})
	if p.BootstrapPort != 0 {
		if err := p.bind(p.BootstrapPort, true, -1); err != nil {
			return err
		}
	}
	rctx, stop := context.WithCancel(ctx)
	p.mu.Lock()
	p.stopRetry = stop
	p.mu.Unlock()
	go p.retryFailed(rctx)
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
	if p.stopRetry != nil {
		p.stopRetry()
	}
	for port, ls := range p.bound {
		for _, l := range ls {
			l.Close()
		}
		delete(p.bound, port)
	}
	p.publish()
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

// Advertise implements protocol.Advertiser. It only reads: a broker whose
// port is not bound, because metadata has not named it yet or because its
// bind failed, is left out of the response (clients ask again), and a
// broker the metadata does not know yet makes the backend refresh soon.
func (p *PortMapping) Advertise(id int32) (string, int32, bool) {
	port, ok := p.portFor(id)
	if !ok {
		p.warnUnmapped(id)
		return "", 0, false
	}
	st := p.ports.Load()
	if st == nil || !st.serving[port] {
		if st != nil && !st.known[id] {
			p.Backend.RefreshSoon()
		}
		return "", 0, false
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

// publish stores the state Advertise reads. p.mu is held.
func (p *PortMapping) publish() {
	st := &portState{serving: make(map[int]bool, len(p.bound)), known: make(map[int32]bool, len(p.want))}
	for port := range p.bound {
		st.serving[port] = true
	}
	for _, id := range p.want {
		st.known[id] = true
	}
	p.ports.Store(st)
}

// sync binds the ports of the backend's current brokers and releases the
// ports of brokers that left. It is the backend's metadata watcher.
func (p *PortMapping) sync(brokers []backend.Broker) {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
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
	p.want = want
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
	for port := range p.failed {
		if _, ok := want[port]; !ok {
			delete(p.failed, port)
		}
	}
	p.publish()
	p.mu.Unlock()
	p.bindWanted()
}

// bindWanted binds the ports of the brokers of the latest metadata that
// are not bound. p.syncMu is held.
func (p *PortMapping) bindWanted() {
	p.mu.Lock()
	todo := map[int]int32{}
	for port, id := range p.want {
		if p.bound[port] == nil {
			todo[port] = id
		}
	}
	p.mu.Unlock()
	for port, id := range todo {
		_ = p.bind(port, false, id)
	}
}

// retryFailed binds again, every BindRetryInterval until ctx ends, the
// broker ports that failed to bind.
func (p *PortMapping) retryFailed(ctx context.Context) {
	t := time.NewTicker(BindRetryInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.mu.Lock()
		failed := len(p.failed) > 0
		p.mu.Unlock()
		if failed {
			p.syncMu.Lock()
			p.bindWanted()
			p.syncMu.Unlock()
		}
	}
}

// bind listens on port on every address, once. The sockets are opened
// without p.mu held.
func (p *PortMapping) bind(port int, bootstrap bool, id int32) error {
	p.mu.Lock()
	skip := p.closed || p.bound[port] != nil
	p.mu.Unlock()
	if skip {
		return nil
	}
	var ls []net.Listener
	for _, a := range p.Addresses {
		l, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(port)))
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			p.mu.Lock()
			first := !p.failed[port]
			p.failed[port] = true
			p.mu.Unlock()
			if first {
				p.Log.Error("cannot bind port; retrying", "port", port, "broker", id, "err", err)
			}
			return fmt.Errorf("listener %q: %w", p.Name, err)
		}
		ls = append(ls, l)
	}
	p.mu.Lock()
	if p.closed || p.bound[port] != nil {
		p.mu.Unlock()
		for _, l := range ls {
			l.Close()
		}
		return nil
	}
	delete(p.failed, port)
	p.bound[port] = ls
	p.publish()
	p.mu.Unlock()
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

// accept serves l until it is closed, every session with cfg.
func (p *PortMapping) accept(l net.Listener, cfg *session.Config) {
	p.accOnce.Do(func() { p.acc = newAcceptor(p.Name, p.Admission, p.Log) })
	route := func(ConnInfo) (*session.Config, error) { return cfg, nil }
	p.acc.serve(p.ctx, l, p.conns, func(conn net.Conn) {
		serveConn(p.ctx, conn, p.Term, p.Log, route)
	})
}
