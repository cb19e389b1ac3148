// Package gateway wires a configuration into running parts: backend
// clusters, listeners, the admin server, and their start and stop.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/strait-gw/strait/internal/admin"
	"github.com/strait-gw/strait/internal/backend"
	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/listener"
	"github.com/strait-gw/strait/internal/protocol"
	"github.com/strait-gw/strait/internal/session"
)

// Gateway is a running configuration.
type Gateway struct {
	cfg       *config.Config
	log       *slog.Logger
	metrics   *admin.Metrics
	backends  map[string]*backend.Cluster
	listeners []*listener.PortMapping
	admin     *admin.Server

	runCtx    context.Context
	stopRun   context.CancelFunc
	sessCtx   context.Context
	drainSess context.CancelFunc
	conns     sync.WaitGroup
	bg        sync.WaitGroup
}

// New builds a gateway from a validated config. Nothing is bound yet.
func New(cfg *config.Config, log *slog.Logger) (*Gateway, error) {
	g := &Gateway{cfg: cfg, log: log, metrics: admin.NewMetrics(), backends: map[string]*backend.Cluster{}}
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
	versions := protocol.NewVersions(caps)
	for i := range cfg.Listeners {
		l := &cfg.Listeners[i]
		var fwd *config.ForwardConfig
		path := ""
		for j, p := range l.Policies {
			if p.Forward != nil {
				fwd, path = p.Forward, fmt.Sprintf("listeners[%d].policies[%d].config", i, j)
			}
		}
		if fwd == nil {
			return nil, fmt.Errorf("listeners[%d]: no forward_to_virtual_cluster policy", i)
		}
		vc := cfg.VirtualCluster(fwd.Destination)
		if vc == nil {
			return nil, fmt.Errorf("listeners[%d]: unknown virtual cluster %q", i, fwd.Destination)
		}
		bootstrap, brokers := fwd.BrokerPorts(l)
		pm := &listener.PortMapping{
			Name:           l.Name,
			VirtualCluster: vc.Name,
			Addresses:      l.Addresses,
			MinBrokerID:    fwd.MinBrokerID,
			AdvertisedHost: fwd.AdvertisedHost,
			BootstrapPort:  bootstrap,
			BrokerPorts:    brokers,
			Path:           path,
			CheckBrokerIDs: func(ids []int32) []string { return fwd.CheckBrokerIDs(l, ids) },
			Backend:        g.backends[vc.Destination],
			Log:            log.With("listener", l.Name, "virtual_cluster", vc.Name),
		}
		pm.Session = session.Config{
			MaxFrame: int32(maxFrame),
			Drain:    cfg.Runtime.DrainDuration.D(),
			Observer: g.metrics.Observer(l.Name, vc.Name),
			Versions: versions,
		}
		g.listeners = append(g.listeners, pm)
	}
	return g, nil
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
			why = append(why, fmt.Sprintf("listener %q is not bound", l.Name))
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
		if l.BootstrapPort != 0 {
			out = append(out, net.JoinHostPort(l.AdvertisedHost, fmt.Sprint(l.BootstrapPort)))
		}
	}
	return out
}
