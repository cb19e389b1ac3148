// SASL over TLS to the embedded cluster (SASL_SSL): the exchange runs
// after the TLS handshake, on the TLS connection.

package backend_test

import (
	"context"
	"crypto/tls"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/strait-gw/strait/internal/backend"
	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/testenv"
)

type nopMetrics struct{}

func (nopMetrics) MetadataRefresh(string, bool) {}
func (nopMetrics) BackendDialError(string)      {}

func TestSASLOverTLS(t *testing.T) {
	ca := testenv.NewCA(t, "backend")
	kf, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(ca.Server(t).ServerTLS(nil)), kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-512", "strait", "tls-scram-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer kf.Close()
	addr := kf.ListenAddrs()[0]
	c, err := backend.New(&config.BackendCluster{
		Name: "kafka", BootstrapServers: []string{addr},
		TLS:            config.BackendTLS{Enabled: true, CABundle: ca.CertPEM},
		Authentication: config.BackendAuth{Type: "sasl_scram", Algorithm: "sha512", Username: "strait", Password: "tls-scram-secret"},
	}, slog.New(slog.DiscardHandler), nopMetrics{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); c.Run(runCtx) }()
	defer func() { stop(); <-done }()

	conn, a, err := c.Dial(ctx, addr, backend.Authenticate)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, ok := conn.(*tls.Conn); !ok || a.Mechanism != "SCRAM-SHA-512" {
		t.Errorf("Dial: %T, %+v; want a *tls.Conn authenticated with SCRAM-SHA-512", conn, a)
	}
	if err := c.Refresh(ctx); err != nil {
		t.Fatalf("metadata over SASL_SSL: %v", err)
	}
}
