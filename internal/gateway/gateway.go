// Package gateway wires a configuration into running parts: backend
// clusters, listeners, the admin server, and their start and stop.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/strait-gw/strait/internal/admin"
	"github.com/strait-gw/strait/internal/auth"
	"github.com/strait-gw/strait/internal/backend"
	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/crypt"
	"github.com/strait-gw/strait/internal/listener"
	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/protocol"
	"github.com/strait-gw/strait/internal/schema"
	"github.com/strait-gw/strait/internal/session"
	"github.com/strait-gw/strait/internal/vcluster"
)

// Gateway is a running configuration.
type Gateway struct {
	cfg      *config.Config
	log      *slog.Logger
	metrics  *admin.Metrics
	backends map[string]*backend.Cluster
	// vcs holds each virtual cluster's chain and the versions it serves.
	vcs       map[string]builtVC
	listeners []servedListener
	admin     *admin.Server
	// connLimit is runtime.max_connections, shared by every listener.
	connLimit *listener.Limit

	runCtx    context.Context
	stopRun   context.CancelFunc
	sessCtx   context.Context
	drainSess context.CancelFunc
	conns     sync.WaitGroup
	bg        sync.WaitGroup
}

// resources builds the top-level resources policies name: static keys
// and schema registry clients.
func resources(cfg *config.Config) (func(kind, name string) (any, bool), error) {
	all := map[string]any{}
	for i, k := range cfg.StaticKeys {
		key, err := crypt.ParseStaticKey(k.Value)
		if err != nil {
			return nil, fmt.Errorf("static_keys[%d].value: %w", i, err)
		}
		all["static_key/"+k.Name] = key
	}
	for i := range cfg.SchemaRegistries {
		r, err := schema.NewConfluent(cfg.SchemaRegistries[i], nil)
		if err != nil {
			return nil, fmt.Errorf("schema_registries[%d]: %w", i, err)
		}
		all["schema_registry/"+r.Name()] = r
	}
	return func(kind, name string) (any, bool) {
		v, ok := all[kind+"/"+name]
		return v, ok
	}, nil
}

// New builds a gateway from a validated config. Nothing is bound yet.
func New(cfg *config.Config, log *slog.Logger) (*Gateway, error) {
	g := &Gateway{cfg: cfg, log: log, metrics: admin.NewMetrics(), backends: map[string]*backend.Cluster{},
		connLimit: listener.NewLimit(cfg.Runtime.MaxConnections)}
	for i := range cfg.BackendClusters {
		b := &cfg.BackendClusters[i]
		c, err := backend.New(b, log, g.metrics)
		if err != nil {
			return nil, err
		}
		g.backends[b.Name] = c
	}
	maxFrame := cfg.Runtime.MaxFrameBytes
	if maxFrame <= 0 || maxFrame > 1<<30 {
		maxFrame = 100 << 20
	}
	caps := map[int16]int16{}
	if !cfg.Runtime.FetchLeaderEndpoints {
		caps[1] = protocol.FetchWithoutLeaderEndpoints
	}
	resource, err := resources(cfg)
	if err != nil {
		return nil, err
	}
	g.vcs = map[string]builtVC{}
	for i := range cfg.VirtualClusters {
		vc := &cfg.VirtualClusters[i]
		env := policy.Env{
			VirtualCluster: vc.Name,
			Log:            log.With("virtual_cluster", vc.Name),
			Topics:         g.backends[vc.Destination].Topics(),
			Metrics:        g.metrics,
			Resource:       resource,
		}
		chain, err := vcluster.Chain(vc, env)
		if err != nil {
			return nil, fmt.Errorf("virtual_clusters[%d]: %w", i, err)
		}
		vcCaps := maps.Clone(caps)
		for k, v := range chain.Caps() {
			if old, ok := vcCaps[k]; !ok || v < old {
				vcCaps[k] = v
			}
		}
		built := builtVC{chain: chain, versions: protocol.NewVersions(vcCaps)}
		if needsAuth(vc) {
			srv, err := auth.NewServer(vc, cfg.Runtime.FailedAuthenticationDelay.D(), log, g.metrics)
			if err != nil {
				return nil, fmt.Errorf("virtual_clusters[%d].authentication: %w", i, err)
			}
			built.auth = srv
		}
		g.vcs[vc.Name] = built
	}
	for i := range cfg.Listeners {
		l, err := g.buildListener(i, int32(maxFrame))
		if err != nil {
			return nil, err
		}
		g.listeners = append(g.listeners, l)
	}
	return g, nil
}

// authenticator is srv as a session's Authenticator, or nil (not a nil
// *auth.Server in an interface, which the session would call).
func authenticator(srv *auth.Server) session.Authenticator {
	if srv == nil {
		return nil
	}
	return srv
}

// backendMode is how a virtual cluster's sessions dial the backend: not
// authenticated when its clients' SASL exchanges go through to the broker
// (passthrough, validate_forward), else with the backend cluster's own
// credentials. Validation keeps a virtual cluster from mixing the two.
func backendMode(vc *config.VirtualCluster) backend.Mode {
	for _, a := range vc.Authentication {
		if a.Mediation == "passthrough" || a.Mediation == "validate_forward" {
			return backend.Passthrough
		}
	}
	return backend.Authenticate
}

// builtVC is a virtual cluster built from the config.
type builtVC struct {
	chain    *policy.Chain
	versions *protocol.Versions
	// auth is nil when every client is anonymous: sessions then check
	// nothing, as before authentication existed.
	auth *auth.Server
}

// needsAuth reports whether a virtual cluster authenticates its clients:
// anything but the single method anonymous.
func needsAuth(vc *config.VirtualCluster) bool {
	return !(len(vc.Authentication) == 1 && vc.Authentication[0].Type == "anonymous")
}

// servedListener is a listener the gateway starts and stops.
type servedListener interface {
	Start(ctx context.Context, conns *sync.WaitGroup) error
	Close()
	Ready() bool
	ListenerName() string
}

// buildListener builds listener i: port mapping or SNI routing, over TLS
// when it has a tls_server policy.
func (g *Gateway) buildListener(i int, maxFrame int32) (servedListener, error) {
	cfg := g.cfg
	l := &cfg.Listeners[i]
	log := g.log.With("listener", l.Name)
	adm := listener.Admission{Limit: listener.NewLimit(l.MaxConnections), GatewayLimit: g.connLimit, Metrics: g.metrics}
	var term *listener.Terminator
	var forwards []*config.ForwardConfig
	var paths []string
	for j, p := range l.Policies {
		switch {
		case p.TLSServer != nil:
			ts, err := listener.NewTLSServer(p.TLSServer, log)
			if err != nil {
				return nil, fmt.Errorf("listeners[%d].policies[%d].config: %w", i, j, err)
			}
			term = &listener.Terminator{TLS: ts, AllowPlaintext: p.TLSServer.AllowPlaintext}
			if ca := p.TLSServer.ClientAuthentication; ca != nil {
				term.Mapping = ca.PrincipalMapping
			}
		case p.Forward != nil:
			forwards = append(forwards, p.Forward)
			paths = append(paths, fmt.Sprintf("listeners[%d].policies[%d].config", i, j))
		}
	}
	if len(forwards) == 0 {
		return nil, fmt.Errorf("listeners[%d]: no forward_to_virtual_cluster policy", i)
	}
	sessionFor := func(vc *config.VirtualCluster) session.Config {
		return session.Config{
			MaxFrame:            maxFrame,
			Drain:               cfg.Runtime.DrainDuration.D(),
			Observer:            g.metrics.Observer(l.Name, vc.Name),
			Versions:            g.vcs[vc.Name].versions,
			VirtualCluster:      vc.Name,
			Chain:               g.vcs[vc.Name].chain,
			BackendVersions:     g.backends[vc.Destination].AdvertisedVersions,
			BackendMode:         backendMode(vc),
			FirstRequestTimeout: cfg.Runtime.FirstRequestTimeout.D(),
			Auth:                authenticator(g.vcs[vc.Name].auth),
			Reauth:              g.backends[vc.Destination].NewSASLExchange,
		}
	}
	if forwards[0].Type == "sni" {
		if term == nil {
			return nil, fmt.Errorf("listeners[%d]: sni routing needs a tls_server policy", i)
		}
		s := &listener.SNI{Name: l.Name, Addresses: l.Addresses, Ports: l.PortList(), Term: term, Log: log, Admission: adm}
		for _, fwd := range forwards {
			r := &listener.SNIRoute{Forward: fwd, Clusters: map[string]*listener.SNICluster{}}
			for k := range cfg.VirtualClusters {
				vc := &cfg.VirtualClusters[k]
				if fwd.Destination != "" && fwd.Destination != vc.Name {
					continue
				}
				r.Clusters[vc.DNSLabel] = &listener.SNICluster{
					Name: vc.Name, DNSLabel: vc.DNSLabel, Backend: g.backends[vc.Destination], Session: sessionFor(vc),
				}
			}
			s.Routes = append(s.Routes, r)
		}
		return s, nil
	}
	fwd := forwards[0]
	vc := cfg.VirtualCluster(fwd.Destination)
	if vc == nil {
		return nil, fmt.Errorf("%s.destination: unknown virtual cluster %q", paths[0], fwd.Destination)
	}
	bootstrap, brokers := fwd.BrokerPorts(l)
	return &listener.PortMapping{
		Name:           l.Name,
		VirtualCluster: vc.Name,
		Addresses:      l.Addresses,
		MinBrokerID:    fwd.MinBrokerID,
		AdvertisedHost: fwd.AdvertisedHost,
		BootstrapPort:  bootstrap,
		BrokerPorts:    brokers,
		Path:           paths[0],
		CheckBrokerIDs: func(ids []int32) []string { return fwd.CheckBrokerIDs(l, ids) },
		Backend:        g.backends[vc.Destination],
		Log:            log.With("virtual_cluster", vc.Name),
		Session:        sessionFor(vc),
		Term:           term,
		Admission:      adm,
	}, nil
}

// Metrics returns the gateway's metrics.
func (g *Gateway) Metrics() *admin.Metrics { return g.metrics }

// AdminAddr is the admin server's bound address, or "".
func (g *Gateway) AdminAddr() string {
	if g.admin == nil {
		return ""
	}
	return g.admin.Addr()
}

// Start binds every listener and the admin server and starts following
// the backends. On error everything started is stopped again.
func (g *Gateway) Start() error {
	g.runCtx, g.stopRun = context.WithCancel(context.Background())
	g.sessCtx, g.drainSess = context.WithCancel(context.Background())
	for _, b := range g.backends {
		g.bg.Add(1)
		go func() {
			defer g.bg.Done()
			b.Run(g.runCtx)
		}()
	}
	var errs []error
	for _, l := range g.listeners {
		if err := l.Start(g.sessCtx, &g.conns); err != nil {
			errs = append(errs, err)
		}
	}
	if addr := g.cfg.Admin.Address; addr != "" && len(errs) == 0 {
		s, err := admin.Listen(addr, g.metrics, g.Ready, g.log)
		if err != nil {
			errs = append(errs, fmt.Errorf("admin.address: %w", err))
		} else {
			g.admin = s
		}
	}
	if err := errors.Join(errs...); err != nil {
		g.Stop(context.Background())
		return err
	}
	return nil
}

// Ready reports whether every listener is bound and every backend has
// answered metadata, and if not, why.
func (g *Gateway) Ready() (bool, string) {
	var why []string
	for name, b := range g.backends {
		if !b.Ready() {
			why = append(why, fmt.Sprintf("backend cluster %q has not answered metadata", name))
		}
	}
	for _, l := range g.listeners {
		if !l.Ready() {
			why = append(why, fmt.Sprintf("listener %q is not bound", l.ListenerName()))
		}
	}
	return len(why) == 0, strings.Join(why, "; ")
}

// Stop stops accepting, lets in-flight requests finish for the drain
// duration, then closes every connection. ctx bounds the whole stop.
func (g *Gateway) Stop(ctx context.Context) {
	for _, l := range g.listeners {
		l.Close()
	}
	// Sessions stop reading, deliver in-flight responses for at most the
	// drain duration, and close.
	g.drainSess()
	done := make(chan struct{})
	go func() {
		g.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		g.log.Warn("shutdown timed out with connections open")
	}
	if g.admin != nil {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = g.admin.Shutdown(sctx)
		cancel()
	}
	g.stopRun()
	g.bg.Wait()
}

// BootstrapAddrs lists each listener's bootstrap address, for messages.
func (g *Gateway) BootstrapAddrs() []string {
	var out []string
	for _, l := range g.listeners {
		switch l := l.(type) {
		case *listener.PortMapping:
			if l.BootstrapPort != 0 {
				out = append(out, net.JoinHostPort(l.AdvertisedHost, fmt.Sprint(l.BootstrapPort)))
			}
		case *listener.SNI:
			for _, r := range l.Routes {
				for label := range r.Clusters {
					out = append(out, l.BootstrapAddr(label))
				}
			}
		}
	}
	return out
}
