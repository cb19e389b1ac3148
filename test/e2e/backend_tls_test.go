// TLS from the gateway to the backend cluster: plaintext clients, an
// embedded cluster listening with TLS, and each backend_clusters[].tls
// setting either working end to end or failing fast and clearly.
package e2e

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strait-gw/strait/internal/testenv"
)

// backendTLS is the gateway side of a case: backend_clusters[0].tls.
type backendTLS struct {
	ca         *testenv.CA   // ca_bundle, through ${file:ca.pem}
	versions   []string      // tls_versions; nil leaves the default
	identity   *testenv.Cert // client_identity, through ${file:...}
	skipVerify bool          // insecure_skip_verify
}

// tlsGateway is a gateway whose one backend cluster, "kafka", uses TLS.
type tlsGateway struct {
	*testenv.Gateway
	logs *testenv.SyncBuffer
}

// startTLSGateway serves a gateway in front of k with the backend TLS
// settings o, without waiting for it to be ready. The TLS material is read
// from files next to the config, as a deployment would.
func startTLSGateway(t *testing.T, k *testenv.Kafka, o backendTLS) *tlsGateway {
	t.Helper()
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	settings := []string{"enabled: true"}
	if o.ca != nil {
		write("ca.pem", o.ca.CertPEM)
		settings = append(settings, `ca_bundle: "${file:ca.pem}"`)
	}
	if o.versions != nil {
		settings = append(settings, fmt.Sprintf("tls_versions: [%s]", strings.Join(o.versions, ", ")))
	}
	if o.identity != nil {
		write("client.crt", o.identity.CertPEM)
		write("client.key", o.identity.KeyPEM)
		settings = append(settings, `client_identity: {certificate: "${file:client.crt}", key: "${file:client.key}"}`)
	}
	if o.skipVerify {
		settings = append(settings, "insecure_skip_verify: true")
	}
	logs := &testenv.SyncBuffer{}
	gw := testenv.StartGateway(t, k, testenv.Options{
		BackendTLS: "{" + strings.Join(settings, ", ") + "}",
		ConfigDir:  dir,
		NoWait:     true,
		LogWriter:  logs,
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway log:\n%s", logs)
		}
	})
	return &tlsGateway{Gateway: gw, logs: logs}
}

// metadataFailures is how many backend metadata refreshes have failed.
func (g *tlsGateway) metadataFailures(t *testing.T) float64 {
	t.Helper()
	mfs, err := g.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0.0
	for _, mf := range mfs {
		if mf.GetName() != "strait_backend_metadata_refreshes_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == "error" {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// TestBackendTLS runs plaintext clients through the gateway to an embedded
// cluster that listens with TLS. A working setting must carry 100 records
// both ways; a broken one must disconnect clients at once (no hang), keep
// the gateway not ready with a reason naming the backend, and log the TLS
// cause.
func TestBackendTLS(t *testing.T) {
	ca := testenv.NewCA(t, "Strait test CA")
	server := ca.Server(t)
	client := ca.Client(t, "strait")
	expired := ca.ExpiredServer(t)
	stranger := testenv.NewCA(t, "unrelated CA").Server(t)

	onlyVersion := func(tc *tls.Config, v uint16) *tls.Config {
		tc.MinVersion, tc.MaxVersion = v, v
		return tc
	}
	tests := []struct {
		name    string
		backend *tls.Config // the embedded cluster's listener config
		gateway backendTLS
		// wantVersion, when set, is the only TLS version the backend
		// may see negotiated.
		wantVersion uint16
		// fail is "" when records must flow, else a piece of the TLS
		// error the gateway must log.
		fail string
	}{
		{name: "ca_bundle", backend: server.ServerTLS(nil), gateway: backendTLS{ca: ca}},
		{name: "tls13 only", backend: onlyVersion(server.ServerTLS(nil), tls.VersionTLS13),
			gateway: backendTLS{ca: ca, versions: []string{"tls13"}}, wantVersion: tls.VersionTLS13},
		{name: "tls12 only negotiates tls12", backend: server.ServerTLS(nil),
			gateway: backendTLS{ca: ca, versions: []string{"tls12"}}, wantVersion: tls.VersionTLS12},
		{name: "tls13 only against a tls12 backend", backend: onlyVersion(server.ServerTLS(nil), tls.VersionTLS12),
			gateway: backendTLS{ca: ca, versions: []string{"tls13"}}, fail: "protocol version"},
		{name: "mtls with client_identity", backend: server.ServerTLS(ca), gateway: backendTLS{ca: ca, identity: client}},
		{name: "mtls without client_identity", backend: server.ServerTLS(ca), gateway: backendTLS{ca: ca},
			fail: "certificate required"},
		{name: "mtls without client_identity over tls12", backend: onlyVersion(server.ServerTLS(ca), tls.VersionTLS12),
			gateway: backendTLS{ca: ca}, fail: "handshake failure"},
		{name: "unrelated ca", backend: stranger.ServerTLS(nil), gateway: backendTLS{ca: ca},
			fail: "certificate signed by unknown authority"},
		{name: "unrelated ca with insecure_skip_verify", backend: stranger.ServerTLS(nil),
			gateway: backendTLS{ca: ca, skipVerify: true}},
		{name: "no ca_bundle uses system roots", backend: server.ServerTLS(nil), gateway: backendTLS{},
			fail: "certificate signed by unknown authority"},
		{name: "expired certificate", backend: expired.ServerTLS(nil), gateway: backendTLS{ca: ca},
			fail: "certificate has expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var seen atomic.Uint32 // bit per TLS version the backend negotiated
			tc.backend.VerifyConnection = func(cs tls.ConnectionState) error {
				for {
					old := seen.Load()
					if seen.CompareAndSwap(old, old|1<<(cs.Version-tls.VersionTLS10)) {
						return nil
					}
				}
			}
			k := testenv.Embedded(t, 3, kfake.TLS(tc.backend))
			gw := startTLSGateway(t, k, tc.gateway)
			if tc.fail == "" {
				checkTLSWorks(t, gw)
				if tc.wantVersion != 0 {
					if want := uint32(1) << (tc.wantVersion - tls.VersionTLS10); seen.Load() != want {
						t.Errorf("backend negotiated versions %b, want only %s", seen.Load(), tls.VersionName(tc.wantVersion))
					}
				}
				return
			}
			checkTLSFails(t, gw, tc.fail)
		})
	}
}

// checkTLSWorks waits for the gateway to be ready, then produces 100
// records and consumes them back through it.
func checkTLSWorks(t *testing.T, gw *tlsGateway) {
	t.Helper()
	testenv.WaitFor(t, 20*time.Second, "gateway ready", func() bool { ok, _ := gw.Ready(); return ok })
	cl := newClient(t, gw.Bootstrap)
	createTopic(t, kadm.NewClient(cl), "tls", 3)
	produce(t, cl, "tls", 100, "tls")
	cons := newClient(t, gw.Bootstrap, kgo.ConsumeTopics("tls"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := consume(t, cons, 100)
	seen := map[string]bool{}
	for _, r := range got {
		seen[string(r.Value)] = true
	}
	for i := range 100 {
		if v := fmt.Sprintf("tls-%d", i); !seen[v] {
			t.Fatalf("record %s not consumed (got %d records)", v, len(got))
		}
	}
}

// checkTLSFails asserts that a client is disconnected within seconds, that
// a kgo request fails rather than hangs, that the gateway stays not ready
// naming the backend, and that its log holds cause.
func checkTLSFails(t *testing.T, gw *tlsGateway, cause string) {
	t.Helper()
	// A client that sends ApiVersions, as every client does first, is
	// disconnected without an answer.
	c := rawConn(t, gw.Bootstrap)
	start := time.Now()
	_, _ = c.Write(frame(18, 0, 1, nil))
	expectClosed(t, c)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("disconnect took %v", d)
	}

	cl := newClient(t, gw.Bootstrap, kgo.RetryTimeout(2*time.Second), kgo.RequestRetries(1))
	start = time.Now()
	if _, err := kadm.NewClient(cl).BrokerMetadata(ctxT(t, 20*time.Second)); err == nil {
		t.Error("metadata through the gateway succeeded")
	} else if d := time.Since(start); d > 10*time.Second {
		t.Errorf("metadata failed only after %v: %v", d, err)
	}

	testenv.WaitFor(t, 10*time.Second, "two failed metadata refreshes", func() bool { return gw.metadataFailures(t) >= 2 })
	if ok, why := gw.Ready(); ok {
		t.Error("gateway ready with a backend it cannot talk to")
	} else if !strings.Contains(why, `backend cluster "kafka"`) {
		t.Errorf("not-ready reason %q does not name the backend cluster", why)
	}
	testenv.WaitFor(t, 5*time.Second, fmt.Sprintf("%q in the gateway log", cause), func() bool {
		return strings.Contains(gw.logs.String(), cause)
	})
}
