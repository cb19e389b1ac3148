// Package backend holds a backend Kafka cluster as the gateway sees it:
// how to dial its brokers (TLS and SASL included) and which brokers it
// has, from metadata refreshed in the background.
package backend

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/strait-gw/strait/internal/config"
)

// Metrics receives the cluster's events. Any method may be called from any
// goroutine.
type Metrics interface {
	MetadataRefresh(cluster string, ok bool)
	BackendDialError(cluster string)
}

// Broker is a backend broker as named in metadata.
type Broker struct {
	ID   int32
	Addr string // host:port
}

// Cluster is one backend cluster. It is safe for concurrent use.
type Cluster struct {
	name     string
	seeds    []string
	interval time.Duration
	tls      *tls.Config
	log      *slog.Logger
	metrics  Metrics
	dialer   net.Dialer
	// mech is the SASL mechanism the gateway authenticates with; nil for
	// an anonymous cluster.
	mech sasl.Mechanism
	// authFailed is the last refused authentication, repeated to dials
	// within authRetryGap of it rather than tried again.
	authFailed struct {
		sync.Mutex
		at  time.Time
		err error
	}

	client *kgo.Client
	ready  atomic.Bool

	// notifyMu serializes calls to watchers, which run without mu held
	// (a watcher may call back into the cluster); it is taken before mu.
	notifyMu sync.Mutex
	mu       sync.Mutex
	brokers  map[int32]string
	watchers []func([]Broker)
	refresh  chan chan error
	// soon holds a pending RefreshSoon.
	soon chan struct{}

	topics   topicCache
	versions advertised
}

// New builds a cluster from its config. It does not connect; Run does.
func New(cfg *config.BackendCluster, log *slog.Logger, m Metrics) (*Cluster, error) {
	c := &Cluster{
		name:     cfg.Name,
		seeds:    slices.Clone(cfg.BootstrapServers),
		interval: cfg.MetadataUpdateInterval.D(),
		log:      log.With("backend_cluster", cfg.Name),
		metrics:  m,
		dialer:   net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second},
		brokers:  map[int32]string{},
		refresh:  make(chan chan error),
		soon:     make(chan struct{}, 1),
	}
	c.topics.c = c
	if c.interval <= 0 {
		c.interval = time.Minute
	}
	if cfg.TLS.Enabled {
		tc, err := TLSConfig(&cfg.TLS)
		if err != nil {
			return nil, fmt.Errorf("backend_clusters %q: %w", cfg.Name, err)
		}
		c.tls = tc
	}
	a := &cfg.Authentication
	var ts *tokenSource
	if a.Type == "sasl_oauthbearer" {
		ts = newTokenSource(a.TokenEndpoint, a.ClientID, a.ClientSecret, a.Scope, c.log)
	}
	mech, err := newMechanism(a, ts)
	if err != nil {
		return nil, fmt.Errorf("backend_clusters %q: %w", cfg.Name, err)
	}
	c.mech = mech
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.seeds...),
		// kgo runs SASL (and KIP-368 re-authentication) itself on the
		// connections it dials.
		kgo.Dialer(func(ctx context.Context, _, host string) (net.Conn, error) { return c.dial(ctx, host) }),
		kgo.RequestRetries(0),
		kgo.RetryTimeout(5 * time.Second),
	}
	if mech != nil {
		opts = append(opts, kgo.SASL(mech))
		c.log = c.log.With("sasl_mechanism", mech.Name())
	}
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("backend_clusters %q: %w", cfg.Name, err)
	}
	c.client = client
	return c, nil
}

// TLSConfig builds the client TLS config for a backend.
func TLSConfig(cfg *config.BackendTLS) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // the user asked for it
	if len(cfg.TLSVersions) > 0 {
		tc.MinVersion, tc.MaxVersion = tls.VersionTLS13, tls.VersionTLS12
		for _, v := range cfg.TLSVersions {
			var n uint16
			switch v {
			case "tls12":
				n = tls.VersionTLS12
			case "tls13":
				n = tls.VersionTLS13
			default:
				return nil, fmt.Errorf("tls_versions: unknown version %q", v)
			}
			tc.MinVersion, tc.MaxVersion = min(tc.MinVersion, n), max(tc.MaxVersion, n)
		}
	}
	if cfg.CABundle != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(cfg.CABundle)) {
			return nil, errors.New("ca_bundle: no PEM certificate found")
		}
		tc.RootCAs = pool
	}
	if id := cfg.ClientIdentity; id != nil {
		cert, err := tls.X509KeyPair([]byte(id.Certificate), []byte(id.Key))
		if err != nil {
			return nil, fmt.Errorf("client_identity: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Name is the cluster's configured name.
func (c *Cluster) Name() string { return c.name }

// Ready reports whether the cluster has answered metadata at least once.
func (c *Cluster) Ready() bool { return c.ready.Load() }

// Dial connects to a broker address, with TLS when the cluster uses it,
// and with mode Authenticate authenticates the connection with the
// cluster's credentials. The Auth says what the broker granted; its owner
// re-authenticates before Auth.ReauthAt with NewSASLExchange. The
// connection is the dialed one (a *net.TCPConn without TLS), never a
// wrapper, so that it can splice.
func (c *Cluster) Dial(ctx context.Context, addr string, mode Mode) (net.Conn, Auth, error) {
	return c.dialBounded(ctx, addr, mode, 0)
}

// dialBounded is Dial with connecting (TCP and TLS) bounded by
// connectTimeout, when not zero. Authentication has the rest of ctx: it
// may wait for a token that every broker's dial shares.
func (c *Cluster) dialBounded(ctx context.Context, addr string, mode Mode, connectTimeout time.Duration) (net.Conn, Auth, error) {
	authenticate := mode == Authenticate && c.mech != nil
	if authenticate {
		if err := c.recentAuthFailure(); err != nil {
			c.metrics.BackendDialError(c.name)
			return nil, Auth{}, err
		}
	}
	cctx := ctx
	if connectTimeout > 0 {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, connectTimeout)
		defer cancel()
	}
	conn, err := c.dial(cctx, addr)
	if err != nil || !authenticate {
		return conn, Auth{}, err
	}
	a, err := c.authenticate(ctx, conn, addr)
	if err != nil {
		conn.Close()
		c.metrics.BackendDialError(c.name)
		if errors.Is(err, ErrAuthentication) {
			c.authFailed.Lock()
			c.authFailed.at, c.authFailed.err = time.Now(), err
			c.authFailed.Unlock()
		}
		return nil, Auth{}, err
	}
	return conn, a, nil
}

// authRetryGap is how long a refused authentication is repeated to new
// connections without asking a broker again: clients reconnecting in a
// loop must not turn into a stream of failed logins on the backend.
const authRetryGap = time.Second

func (c *Cluster) recentAuthFailure() error {
	c.authFailed.Lock()
	defer c.authFailed.Unlock()
	if c.authFailed.err != nil && time.Since(c.authFailed.at) < authRetryGap {
		return c.authFailed.err
	}
	return nil
}

// dial connects to a broker address, with TLS when the cluster uses it.
func (c *Cluster) dial(ctx context.Context, addr string) (net.Conn, error) {
	conn, err := c.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		c.metrics.BackendDialError(c.name)
		return nil, err
	}
	if c.tls == nil {
		return conn, nil
	}
	tc := c.tls.Clone()
	if tc.ServerName == "" {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			tc.ServerName = host
		}
	}
	tconn := tls.Client(conn, tc)
	if err := tconn.HandshakeContext(ctx); err != nil {
		conn.Close()
		c.metrics.BackendDialError(c.name)
		return nil, fmt.Errorf("tls handshake with %s: %w", addr, err)
	}
	return tconn, nil
}

// DialBroker connects to broker id as Dial does. If the id is unknown,
// metadata is refreshed once before giving up.
func (c *Cluster) DialBroker(ctx context.Context, id int32, mode Mode) (net.Conn, Auth, error) {
	addr, ok := c.brokerAddr(id)
	if !ok {
		_ = c.Refresh(ctx)
		if addr, ok = c.brokerAddr(id); !ok {
			return nil, Auth{}, fmt.Errorf("backend cluster %q has no broker %d", c.name, id)
		}
	}
	return c.Dial(ctx, addr, mode)
}

// Bounds on one broker's share of a bootstrap dial's budget.
const (
	maxBrokerConnect = 3 * time.Second
	minBrokerConnect = time.Second
)

// DialAny connects to any live broker as Dial does, trying known brokers
// in random order and then the bootstrap servers, each address once. Each
// address gets its own share of ctx's time to connect, an even split of
// what is left among the addresses left, between 1s and 3s, so that one
// broker that never answers (a black hole) does not use up the budget of
// the others. It stops at the first authentication failure: every broker
// would refuse the same credentials.
func (c *Cluster) DialAny(ctx context.Context, mode Mode) (net.Conn, Auth, error) {
	c.mu.Lock()
	known := make([]string, 0, len(c.brokers))
	for _, a := range c.brokers {
		known = append(known, a)
	}
	c.mu.Unlock()
	addrs := dialOrder(known, c.seeds)
	var errs []error
	for i, a := range addrs {
		conn, auth, err := c.dialBounded(ctx, a, mode, connectShare(ctx, len(addrs)-i))
		if err == nil {
			return conn, auth, nil
		}
		if errors.Is(err, ErrAuthentication) {
			return nil, Auth{}, err
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, Auth{}, fmt.Errorf("no broker of backend cluster %q answered: %w", c.name, errors.Join(errs...))
}

// dialOrder is the order DialAny tries addresses in: the known brokers
// shuffled, then the seeds that are not among them.
func dialOrder(brokers, seeds []string) []string {
	out := slices.Clone(brokers)
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	for _, s := range seeds {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// connectShare is how long one of left addresses may take to connect.
func connectShare(ctx context.Context, left int) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return maxBrokerConnect
	}
	return min(maxBrokerConnect, max(minBrokerConnect, time.Until(deadline)/time.Duration(left)))
}

func (c *Cluster) brokerAddr(id int32) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.brokers[id]
	return a, ok
}

// Brokers returns the brokers from the latest metadata, by id.
func (c *Cluster) Brokers() []Broker {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.brokerList()
}

func (c *Cluster) brokerList() []Broker {
	out := make([]Broker, 0, len(c.brokers))
	for id, a := range c.brokers {
		out = append(out, Broker{ID: id, Addr: a})
	}
	slices.SortFunc(out, func(a, b Broker) int { return int(a.ID) - int(b.ID) })
	return out
}

// Watch calls fn with the broker list now (if known) and whenever it
// changes. fn must not block.
func (c *Cluster) Watch(fn func([]Broker)) {
	c.notifyMu.Lock()
	defer c.notifyMu.Unlock()
	c.mu.Lock()
	c.watchers = append(c.watchers, fn)
	list := c.brokerList()
	c.mu.Unlock()
	if len(list) > 0 {
		fn(list)
	}
}

// Refresh asks the running cluster loop for fresh metadata and waits.
func (c *Cluster) Refresh(ctx context.Context) error {
	done := make(chan error, 1)
	select {
	case c.refresh <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RefreshSoon asks for fresh metadata without waiting for it, for a caller
// that has seen a broker the cluster does not know yet. Requests made
// while one is pending are one request, and the refreshes they cause come
// at least soonGap apart.
func (c *Cluster) RefreshSoon() {
	select {
	case c.soon <- struct{}{}:
	default:
	}
}

// soonGap is the least time between refreshes asked for by RefreshSoon.
const soonGap = time.Second

// Run refreshes metadata every interval until ctx ends, faster after a
// failure or when RefreshSoon asks, then closes the cluster's control
// connections.
func (c *Cluster) Run(ctx context.Context) {
	defer c.client.Close()
	timer := time.NewTimer(0)
	defer timer.Stop()
	var last time.Time // when metadata was last fetched
	next := time.Now() // when the timer fires
	for {
		var done chan error
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case done = <-c.refresh:
		case <-c.soon:
			if at := last.Add(soonGap); at.Before(next) {
				next = at
				timer.Reset(time.Until(at))
			}
			continue
		}
		err := c.fetchMetadata(ctx)
		if done != nil {
			done <- err
		}
		wait := c.interval
		if err != nil {
			wait = min(c.interval, 2*time.Second)
		}
		last = time.Now()
		next = last.Add(wait)
		timer.Reset(wait)
	}
}

func (c *Cluster) fetchMetadata(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = []kmsg.MetadataRequestTopic{}
	resp, err := req.RequestWith(ctx, c.client)
	c.metrics.MetadataRefresh(c.name, err == nil)
	if err != nil {
		c.log.Warn("metadata refresh failed", "err", err)
		return err
	}
	next := make(map[int32]string, len(resp.Brokers))
	for _, b := range resp.Brokers {
		next[b.NodeID] = net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
	}
	c.ready.Store(true)
	c.notifyMu.Lock()
	defer c.notifyMu.Unlock()
	c.mu.Lock()
	if maps.Equal(next, c.brokers) {
		c.mu.Unlock()
		return nil
	}
	c.log.Info("backend brokers changed", "brokers", fmt.Sprint(next))
	c.brokers = next
	list := c.brokerList()
	watchers := c.watchers
	c.mu.Unlock()
	for _, w := range watchers {
		w(list)
	}
	return nil
}
