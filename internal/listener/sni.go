// SNI routing: one TLS port serves many virtual clusters and brokers; the
// server name the client asks for picks both.

package listener

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"

	"github.com/strait-gw/strait/internal/backend"
	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/session"
)

// SNICluster is a virtual cluster reachable through an SNI route.
type SNICluster struct {
	Name, DNSLabel string
	Backend        *backend.Cluster
	// Session is the template of its sessions' config.
	Session session.Config
}

// SNIRoute is one forward_to_virtual_cluster policy of type sni.
type SNIRoute struct {
	Forward *config.ForwardConfig
	// Clusters by dns_label: every virtual cluster, or the destination.
	Clusters map[string]*SNICluster
}

// SNI serves a listener that routes by TLS server name.
type SNI struct {
	Name      string
	Addresses []string
	Ports     []int
	Routes    []*SNIRoute
	Term      *Terminator
	Log       *slog.Logger
	// Admission caps the listener's connections and counts its refusals
	// and accept errors.
	Admission Admission

	accOnce   sync.Once
	acc       *acceptor
	mu        sync.Mutex
	listeners []net.Listener
	closed    bool
}

// target is where a server name leads.
type target struct {
	route     *SNIRoute
	cluster   *SNICluster
	bootstrap bool
	broker    int32
}

// resolve finds the route, virtual cluster and broker for a server name.
// Routes are tried in order.
func (s *SNI) resolve(name string) (target, error) {
	if name == "" {
		return target{}, errNoServerName
	}
	for _, r := range s.Routes {
		label, id, bootstrap, ok := r.Forward.ParseSNI(name)
		if !ok {
			continue
		}
		if c := r.Clusters[label]; c != nil {
			return target{route: r, cluster: c, bootstrap: bootstrap, broker: id}, nil
		}
	}
	return target{}, fmt.Errorf("server name %q matches no virtual cluster of listener %q", name, s.Name)
}

// Start binds every address and port. The TLS handshake rejects server
// names that lead nowhere.
func (s *SNI) Start(ctx context.Context, conns *sync.WaitGroup) error {
	s.Term.TLS.Accept = func(name string) error {
		_, err := s.resolve(name)
		if err != nil {
			s.Log.Info("refusing tls handshake", "server_name", name, "reason", err.Error())
		}
		return err
	}
	var errs []error
	for _, port := range s.Ports {
		for _, a := range s.Addresses {
			l, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(port)))
			if err != nil {
				errs = append(errs, fmt.Errorf("listener %q: %w", s.Name, err))
				continue
			}
			s.mu.Lock()
			s.listeners = append(s.listeners, l)
			s.mu.Unlock()
			go s.accept(ctx, l, conns)
		}
	}
	go s.Term.TLS.Watch(ctx)
	return errors.Join(errs...)
}

func (s *SNI) accept(ctx context.Context, l net.Listener, conns *sync.WaitGroup) {
	s.accOnce.Do(func() { s.acc = newAcceptor(s.Name, s.Admission, s.Log) })
	s.acc.serve(ctx, l, conns, func(conn net.Conn) {
		serveConn(ctx, conn, s.Term, s.Log, s.route)
	})
}

// route builds the session config for a connection from its server name.
func (s *SNI) route(info ConnInfo) (*session.Config, error) {
	if !info.TLS {
		return nil, errors.New("plaintext connection on an SNI listener has no server name to route by")
	}
	t, err := s.resolve(info.ServerName)
	if err != nil {
		return nil, err
	}
	c := t.cluster.Session
	c.Bootstrap = t.bootstrap
	c.Advertiser = sniAdvertiser{f: t.route.Forward, label: t.cluster.DNSLabel}
	b := t.cluster.Backend
	if t.bootstrap {
		c.Dial = b.DialAny
	} else {
		id := t.broker
		c.Dial = func(ctx context.Context, mode backend.Mode) (net.Conn, backend.Auth, error) {
			return b.DialBroker(ctx, id, mode)
		}
	}
	c.Log = s.Log.With("virtual_cluster", t.cluster.Name)
	return &c, nil
}

// Close stops accepting.
func (s *SNI) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, l := range s.listeners {
		l.Close()
	}
	s.listeners = nil
}

// Ready reports whether every port is bound.
func (s *SNI) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed && len(s.listeners) == len(s.Ports)*len(s.Addresses)
}

// ListenerName is the listener's configured name.
func (s *SNI) ListenerName() string { return s.Name }

// sniAdvertiser names brokers by their SNI host names.
type sniAdvertiser struct {
	f     *config.ForwardConfig
	label string
}

func (a sniAdvertiser) Advertise(id int32) (string, int32, bool) {
	return a.f.BrokerHost(a.label, id), int32(a.f.AdvertisedPort), true
}

// BootstrapAddr is the address clients bootstrap from for a virtual
// cluster, for messages.
func (s *SNI) BootstrapAddr(label string) string {
	for _, r := range s.Routes {
		if r.Clusters[label] != nil {
			return net.JoinHostPort(r.Forward.BootstrapHost(label), strconv.Itoa(r.Forward.AdvertisedPort))
		}
	}
	return ""
}
