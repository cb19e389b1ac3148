// Package testenv starts what the integration tests and benchmarks need: an
// embedded cluster or a real Kafka cluster named by the environment, and a
// gateway in front of it on free loopback ports.
package testenv

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/devcluster"
	"github.com/strait-gw/strait/internal/gateway"
)

// Kafka is a backend cluster for a test.
type Kafka struct {
	// Bootstrap lists the backend's bootstrap servers.
	Bootstrap []string
	// Fake is the embedded cluster, nil for a real one.
	Fake *kfake.Cluster
}

// Embedded starts an embedded cluster of n brokers, closed when the test
// ends.
func Embedded(t testing.TB, n int, opts ...kfake.Opt) *Kafka {
	t.Helper()
	c, err := devcluster.Start(n, opts...)
	if err != nil {
		t.Fatalf("embedded cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return &Kafka{Bootstrap: c.ListenAddrs(), Fake: c}
}

// Real returns the real Kafka cluster named by STRAIT_KAFKA_BOOTSTRAP, or
// nil when the variable is unset.
func Real() *Kafka {
	v := os.Getenv("STRAIT_KAFKA_BOOTSTRAP")
	if v == "" {
		return nil
	}
	return &Kafka{Bootstrap: strings.Split(v, ",")}
}

// Gateway is a running gateway in a test.
type Gateway struct {
	*gateway.Gateway
	// Bootstrap is the address clients bootstrap from.
	Bootstrap string
	// FirstBrokerPort serves broker id 0 (min_broker_id).
	FirstBrokerPort int
	Config          *config.Config
}

// Options tunes StartGateway.
type Options struct {
	// BrokerPorts is how many broker ports to map; default 10.
	BrokerPorts int
	// MinBrokerID is the first broker id mapped.
	MinBrokerID int32
	// MaxFrameBytes sets runtime.max_frame_bytes when not zero.
	MaxFrameBytes int64
	// FetchLeaderEndpoints sets runtime.fetch_leader_endpoints.
	FetchLeaderEndpoints bool
	// BasePort is the bootstrap port; 0 picks free ports.
	BasePort int
	// LogLevel defaults to warn; STRAIT_TEST_LOG=debug overrides it.
	LogLevel string
	// LogWriter receives the gateway's logs; default stderr.
	LogWriter io.Writer
	// BackendTLS, a YAML flow mapping, is backend_clusters[0].tls.
	BackendTLS string
	// ConfigDir, when set, is where the config is written and loaded
	// from, as a deployment would: ${file:} paths are relative to it.
	ConfigDir string
	// NoWait returns without waiting for the gateway to be ready.
	NoWait bool
	// MetadataUpdateInterval defaults to 1s.
	MetadataUpdateInterval time.Duration
	// VirtualCluster is YAML added to the virtual cluster's mapping, one
	// key per line without indentation (e.g. "namespace: {prefix: a.}").
	VirtualCluster string
	// Runtime and Listener are YAML added to the runtime and the
	// listener's mapping, as VirtualCluster (e.g. "max_connections: 3").
	Runtime, Listener string
	// Top is YAML added at the top level of the config (e.g.
	// "static_keys: [...]").
	Top string
}

// StartGateway serves a gateway in front of k on free loopback ports and
// waits until it is ready. It stops when the test ends.
func StartGateway(t testing.TB, k *Kafka, o Options) *Gateway {
	t.Helper()
	if o.MaxFrameBytes == 0 {
		o.MaxFrameBytes = 100 << 20
	}
	if o.BrokerPorts == 0 {
		o.BrokerPorts = 10
	}
	level := o.LogLevel
	if level == "" {
		level = "warn"
	}
	base := o.BasePort
	if base == 0 {
		base = FreePorts(t, o.BrokerPorts+1)
	}
	quoted := make([]string, len(k.Bootstrap))
	for i, s := range k.Bootstrap {
		quoted[i] = strconv.Quote(s)
	}
	text := fmt.Sprintf(`admin:
  address: "127.0.0.1:0"
observability:
  log_level: %s
runtime:
  drain_duration: 2s
  shutdown_timeout: 5s
  max_frame_bytes: %d
  fetch_leader_endpoints: %v
%sbackend_clusters:
  - name: kafka
    bootstrap_servers: [%s]
    metadata_update_interval: %s
    tls: %s
virtual_clusters:
  - name: vc
    destination: kafka
%slisteners:
  - name: plain
    addresses: ["127.0.0.1"]
    ports: ["%d-%d"]
%s    policies:
      - type: forward_to_virtual_cluster
        config:
          type: port_mapping
          destination: vc
          advertised_host: 127.0.0.1
          min_broker_id: %d
`, level, o.MaxFrameBytes, o.FetchLeaderEndpoints, indent(o.Runtime, "  "), strings.Join(quoted, ", "), cmp.Or(o.MetadataUpdateInterval, time.Second), cmp.Or(o.BackendTLS, "{enabled: false}"),
		indent(o.VirtualCluster, "    "), base, base+o.BrokerPorts, indent(o.Listener, "    "), o.MinBrokerID)
	text += o.Top
	g, cfg := start(t, text, o.ConfigDir, o.LogWriter)
	if !o.NoWait {
		waitReady(t, g)
	}
	return &Gateway{Gateway: g, Bootstrap: net.JoinHostPort("127.0.0.1", strconv.Itoa(base)), FirstBrokerPort: base + 1, Config: cfg}
}

// indent prefixes every line of text with pre.
func indent(text, pre string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if l != "" {
			b.WriteString(pre + l + "\n")
		}
	}
	return b.String()
}

// StartConfig serves a gateway from config text, logging to w (stderr when
// nil), waits until it is ready, and stops it when the test ends.
func StartConfig(t testing.TB, text string, w io.Writer) (*gateway.Gateway, *config.Config) {
	t.Helper()
	g, cfg := start(t, text, "", w)
	waitReady(t, g)
	return g, cfg
}

func waitReady(t testing.TB, g *gateway.Gateway) {
	t.Helper()
	WaitFor(t, 20*time.Second, "gateway ready", func() bool { ok, _ := g.Ready(); return ok })
}

// start serves a gateway from config text: parsed in place when dir is
// empty, else written to dir/strait.yaml and loaded from there.
func start(t testing.TB, text, dir string, w io.Writer) (*gateway.Gateway, *config.Config) {
	t.Helper()
	var cfg *config.Config
	var err error
	if dir == "" {
		cfg, err = config.Parse([]byte(text), ".")
	} else {
		path := filepath.Join(dir, "strait.yaml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err = config.Load(path)
	}
	if err != nil {
		t.Fatalf("gateway config: %v\n%s", err, text)
	}
	if v := os.Getenv("STRAIT_TEST_LOG"); v != "" {
		cfg.Observability.LogLevel = v
	}
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Observability.LogLevel))
	if w == nil {
		w = os.Stderr
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
	g, err := gateway.New(cfg, log)
	if err != nil {
		t.Fatalf("gateway: %v", err)
	}
	if err := g.Start(); err != nil {
		t.Fatalf("gateway start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		g.Stop(ctx)
	})
	return g, cfg
}

// SyncBuffer is a bytes.Buffer safe for concurrent writes, for capturing
// logs.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// FreePorts finds n consecutive free loopback ports and returns the first.
func FreePorts(t testing.TB, n int) int {
	t.Helper()
	base, err := FindFreePorts(n)
	if err != nil {
		t.Fatal(err)
	}
	return base
}

// FindFreePorts finds n consecutive free loopback ports and returns the
// first, for programs that have no testing.TB. The ports are below Linux's
// ephemeral range (32768 and up), as the test clusters' are: an outgoing
// connection (a client's, or the gateway's own to its backend) never
// takes one of them while a gateway restarts.
func FindFreePorts(n int) (int, error) {
	const low, ephemeral = 20000, 32768
	if n < 1 || n > ephemeral-low {
		return 0, fmt.Errorf("cannot find %d consecutive ports", n)
	}
	for try := 0; try < 200; try++ {
		base := low + rand.IntN(ephemeral-low-n+1)
		ok := true
		var ls []net.Listener
		for p := base; p < base+n; p++ {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no %d consecutive free ports", n)
}

// WaitFor polls cond until it holds or timeout passes.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
