// TLS on listeners and SNI routing, with franz-go and kcat.
package e2e

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strait-gw/strait/internal/listener"
	"github.com/strait-gw/strait/internal/testenv"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func quoteAll(addrs []string) string {
	out := make([]string, len(addrs))
	for i, s := range addrs {
		out[i] = strconv.Quote(s)
	}
	return strings.Join(out, ", ")
}

// sniEnv is a gateway with one TLS port routing two virtual clusters on
// two backends by SNI.
type sniEnv struct {
	port int
	a, b *testenv.Kafka
	logs *testenv.SyncBuffer
	dir  string
}

func startSNI(t *testing.T, format string, certs []*testenv.Cert, extraTLS string) *sniEnv {
	t.Helper()
	e := &sniEnv{a: testenv.Embedded(t, 3), b: testenv.Embedded(t, 1), logs: &testenv.SyncBuffer{}, dir: t.TempDir()}
	e.port = testenv.FreePorts(t, 1)
	var certYAML strings.Builder
	for i, c := range certs {
		cf := writeFile(t, e.dir, fmt.Sprintf("c%d.pem", i), c.CertPEM)
		kf := writeFile(t, e.dir, fmt.Sprintf("k%d.pem", i), c.KeyPEM)
		fmt.Fprintf(&certYAML, "            - {certificate: \"${file:%s}\", key: \"${file:%s}\"}\n", cf, kf)
	}
	text := fmt.Sprintf(`admin: {address: "127.0.0.1:0"}
observability: {log_level: debug}
backend_clusters:
  - {name: a, bootstrap_servers: [%s], metadata_update_interval: 1s}
  - {name: b, bootstrap_servers: [%s], metadata_update_interval: 1s}
virtual_clusters:
  - {name: team-a, destination: a, dns_label: team-a}
  - {name: team-b, destination: b, dns_label: team-b}
listeners:
  - name: tls
    addresses: ["127.0.0.1"]
    ports: [%d]
    policies:
      - type: tls_server
        config:
          certificates:
%s%s
      - type: forward_to_virtual_cluster
        config:
          type: sni
          sni_suffix: .kafka.test
          advertised_port: %d
          broker_host_format: {type: %s}
`, quoteAll(e.a.Bootstrap), quoteAll(e.b.Bootstrap), e.port, certYAML.String(), extraTLS, e.port, format)
	testenv.StartConfig(t, text, e.logs)
	return e
}

func host(format, label, prefix string) string {
	if format == "shared_suffix" {
		return prefix + "-" + label + ".kafka.test"
	}
	return prefix + "." + label + ".kafka.test"
}

// TestSNIRoutesVirtualClusters: two virtual clusters on two backends share
// one TLS port; each client sees only its cluster's SNI host names and its
// records land in its backend. Several certificates are chosen by SNI.
func TestSNIRoutesVirtualClusters(t *testing.T) {
	ca := testenv.NewCA(t, "sni-ca")
	certA := ca.Issue(t, testenv.CertOptions{Subject: pkix.Name{CommonName: "team-a"}, DNSNames: []string{"*.team-a.kafka.test"}})
	certB := ca.Issue(t, testenv.CertOptions{Subject: pkix.Name{CommonName: "team-b"}, DNSNames: []string{"*.team-b.kafka.test"}})
	e := startSNI(t, "per_cluster_suffix", []*testenv.Cert{certA, certB}, "")
	tc := &tls.Config{RootCAs: ca.Pool, MinVersion: tls.VersionTLS12}

	for _, tc2 := range []struct {
		label   string
		brokers int
		direct  string
	}{{"team-a", 3, e.a.Bootstrap[0]}, {"team-b", 1, e.b.Bootstrap[0]}} {
		boot := net.JoinHostPort(host("per_cluster_suffix", tc2.label, "bootstrap"), strconv.Itoa(e.port))
		cl := newClient(t, boot, testenv.LoopbackTLSDialer(tc), kgo.AllowAutoTopicCreation())
		md, err := kadm.NewClient(cl).BrokerMetadata(ctxT(t, 10*time.Second))
		if err != nil {
			t.Fatalf("%s: %v", tc2.label, err)
		}
		if len(md.Brokers) != tc2.brokers {
			t.Fatalf("%s: %d brokers", tc2.label, len(md.Brokers))
		}
		for _, b := range md.Brokers {
			want := host("per_cluster_suffix", tc2.label, fmt.Sprintf("broker-%d", b.NodeID))
			if b.Host != want || int(b.Port) != e.port {
				t.Errorf("%s: broker %d advertised as %s:%d, want %s:%d", tc2.label, b.NodeID, b.Host, b.Port, want, e.port)
			}
		}
		topic := "sni-" + tc2.label
		produce(t, cl, topic, 30, tc2.label)
		direct := newClient(t, tc2.direct, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if got := consume(t, direct, 30); !strings.HasPrefix(string(got[0].Value), tc2.label) {
			t.Fatalf("record in the wrong backend: %s", got[0].Value)
		}
		cons := newClient(t, boot, testenv.LoopbackTLSDialer(tc), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if got := consume(t, cons, 30); len(got) != 30 {
			t.Fatalf("consumed %d through the gateway", len(got))
		}
	}
	// The certificate presented is the one for the name asked.
	for label, cn := range map[string]string{"team-a": "team-a", "team-b": "team-b"} {
		c, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(e.port)),
			&tls.Config{RootCAs: ca.Pool, ServerName: host("per_cluster_suffix", label, "broker-0")})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.ConnectionState().PeerCertificates[0].Subject.CommonName; got != cn {
			t.Errorf("server name for %s got certificate %s", label, got)
		}
		c.Close()
	}
}

// TestSNISharedSuffixWithKcat: one wildcard certificate covers every
// virtual cluster; librdkafka resolves the names through /etc/hosts.
func TestSNISharedSuffixWithKcat(t *testing.T) {
	kcatPath(t)
	ca := testenv.NewCA(t, "sni-ca")
	wild := ca.Issue(t, testenv.CertOptions{Subject: pkix.Name{CommonName: "kafka.test"}, DNSNames: []string{"*.kafka.test"}})
	e := startSNI(t, "shared_suffix", []*testenv.Cert{wild}, "")
	names := []string{host("shared_suffix", "team-a", "bootstrap"), host("shared_suffix", "team-b", "bootstrap")}
	for id := range 3 {
		names = append(names, host("shared_suffix", "team-a", fmt.Sprintf("broker-%d", id)))
	}
	names = append(names, host("shared_suffix", "team-b", "broker-0"))
	testenv.AddHosts(t, names...)
	caFile := writeFile(t, e.dir, "ca.pem", ca.CertPEM)
	tlsArgs := []string{"-X", "security.protocol=ssl", "-X", "ssl.ca.location=" + caFile}
	boot := net.JoinHostPort(names[0], strconv.Itoa(e.port))

	out := kcat(t, nil, append([]string{"-b", boot, "-L", "-m", "10"}, tlsArgs...)...)
	for id := range 3 {
		want := fmt.Sprintf("broker %d at %s:%d", id, host("shared_suffix", "team-a", fmt.Sprintf("broker-%d", id)), e.port)
		if !strings.Contains(out, want) {
			t.Errorf("kcat -L lacks %q:\n%s", want, out)
		}
	}
	var in strings.Builder
	for i := range 200 {
		fmt.Fprintf(&in, "m-%d\n", i)
	}
	kcat(t, []byte(in.String()), append([]string{"-b", boot, "-P", "-t", "kcat-sni", "-m", "20"}, tlsArgs...)...)
	got := kcat(t, nil, append([]string{"-b", boot, "-C", "-t", "kcat-sni", "-o", "beginning", "-c", "200", "-e", "-m", "30"}, tlsArgs...)...)
	if n := len(strings.Split(strings.TrimSpace(got), "\n")); n != 200 {
		t.Fatalf("consumed %d lines", n)
	}
}

// TestSNIBadInput: each bad connection is closed with a reason in the log;
// a good client on the same port keeps working.
func TestSNIBadInput(t *testing.T) {
	ca := testenv.NewCA(t, "sni-ca")
	wild := ca.Issue(t, testenv.CertOptions{Subject: pkix.Name{CommonName: "kafka.test"}, DNSNames: []string{"*.kafka.test"}})
	clientCA := testenv.NewCA(t, "clients")
	e := startSNI(t, "shared_suffix", []*testenv.Cert{wild}, fmt.Sprintf(`          client_authentication:
            mode: required
            tls_trust_bundles: ["${file:%s}"]
            principal_mapping: {type: template, template: "User:{CN}@{O}"}`, writeFile(t, t.TempDir(), "clients.pem", clientCA.CertPEM)))
	good := clientCA.Issue(t, testenv.CertOptions{Subject: pkix.Name{CommonName: "alice", Organization: []string{"acme"}}, Client: true})
	expired := clientCA.Issue(t, testenv.CertOptions{Subject: pkix.Name{CommonName: "old"}, Client: true, NotAfter: time.Now().Add(-time.Minute)})
	stranger := testenv.NewCA(t, "other").Issue(t, testenv.CertOptions{Subject: pkix.Name{CommonName: "mallory"}, Client: true})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(e.port))
	boot := host("shared_suffix", "team-a", "bootstrap")

	goodTLS := &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{good.TLS}}
	okClient := newClient(t, net.JoinHostPort(boot, strconv.Itoa(e.port)), testenv.LoopbackTLSDialer(goodTLS), kgo.AllowAutoTopicCreation())
	produce(t, okClient, "survivor", 5, "before")

	tests := []struct {
		name      string
		dial      func() error
		clientErr string // what the client sees
		logReason string // why the gateway says it closed
	}{
		{"no SNI", func() error {
			return tlsHandshake(addr, &tls.Config{RootCAs: ca.Pool, ServerName: "", InsecureSkipVerify: true, Certificates: goodTLS.Certificates})
		}, "tls: unrecognized name", "client sent no server name"},
		{"unknown virtual cluster", func() error {
			return tlsHandshake(addr, &tls.Config{RootCAs: ca.Pool, ServerName: host("shared_suffix", "team-z", "bootstrap"), Certificates: goodTLS.Certificates})
		}, "tls: unrecognized name", `matches no virtual cluster`},
		{"TLS 1.1", func() error {
			return tlsHandshake(addr, &tls.Config{RootCAs: ca.Pool, ServerName: boot, MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11, Certificates: goodTLS.Certificates}) //nolint:gosec // the point
		}, "protocol version", "tls handshake"},
		{"untrusted client certificate", func() error {
			// Sent whatever CAs the server names as acceptable.
			return tlsRoundTrip(addr, &tls.Config{RootCAs: ca.Pool, ServerName: boot,
				GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &stranger.TLS, nil }})
		}, "", "certificate signed by unknown authority"},
		{"expired client certificate", func() error {
			return tlsRoundTrip(addr, &tls.Config{RootCAs: ca.Pool, ServerName: boot,
				GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &expired.TLS, nil }})
		}, "", "certificate has expired"},
		{"no client certificate", func() error {
			return tlsRoundTrip(addr, &tls.Config{RootCAs: ca.Pool, ServerName: boot})
		}, "", "didn't provide a certificate"},
		{"plaintext to a TLS port", func() error {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return err
			}
			defer c.Close()
			_, _ = c.Write(frame(18, 3, 1, []byte{0, 0, 0}))
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = c.Read(make([]byte, 10))
			return err
		}, "connection reset by peer", "plaintext Kafka sent to a TLS port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			err := tc.dial()
			if err == nil {
				t.Fatal("connection was not refused")
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("refusal took %v", time.Since(start))
			}
			if tc.clientErr != "" && !strings.Contains(err.Error(), tc.clientErr) {
				t.Errorf("client saw %q, want it to mention %q", err, tc.clientErr)
			}
			testenv.WaitFor(t, 5*time.Second, "reason in the log: "+tc.logReason, func() bool {
				return strings.Contains(e.logs.String(), tc.logReason)
			})
			produce(t, okClient, "survivor", 5, tc.name)
		})
	}
	// The good client's principal comes from its certificate.
	if !strings.Contains(e.logs.String(), "principal=User:alice@acme") {
		t.Errorf("principal not derived from the client certificate:\n%s", e.logs.String())
	}
}

// tlsHandshake performs a TLS handshake only.
func tlsHandshake(addr string, tc *tls.Config) error {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, tc)
	if err != nil {
		return err
	}
	c.Close()
	return nil
}

// tlsRoundTrip completes a handshake and sends a request: with TLS 1.3 a
// refused client certificate only shows on the first read.
func tlsRoundTrip(addr string, tc *tls.Config) error {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, tc)
	if err != nil {
		return err
	}
	defer c.Close()
	_, _ = c.Write(frame(18, 3, 1, []byte{0, 0, 0}))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 10))
	return err
}

// TestPortMappingOverTLS: port mapping behind tls_server, with plaintext
// also allowed on the same ports.
func TestPortMappingOverTLS(t *testing.T) {
	k := testenv.Embedded(t, 3)
	ca := testenv.NewCA(t, "pm-ca")
	srv := ca.Server(t)
	dir := t.TempDir()
	base := testenv.FreePorts(t, 5)
	text := fmt.Sprintf(`admin: {address: "127.0.0.1:0"}
observability: {log_level: warn}
backend_clusters:
  - {name: k, bootstrap_servers: [%s], metadata_update_interval: 1s}
virtual_clusters:
  - {name: vc, destination: k}
listeners:
  - name: tls-pm
    ports: ["%d-%d"]
    policies:
      - type: tls_server
        config:
          certificates: [{certificate: "${file:%s}", key: "${file:%s}"}]
          versions: {min: TLSv1.3, max: TLSv1.3}
          allow_plaintext: true
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: vc, advertised_host: 127.0.0.1}
`, quoteAll(k.Bootstrap), base, base+4, writeFile(t, dir, "s.pem", srv.CertPEM), writeFile(t, dir, "s.key", srv.KeyPEM))
	testenv.StartConfig(t, text, nil)
	boot := net.JoinHostPort("127.0.0.1", strconv.Itoa(base))
	tlsClient := newClient(t, boot, kgo.DialTLSConfig(&tls.Config{RootCAs: ca.Pool}), kgo.AllowAutoTopicCreation())
	produce(t, tlsClient, "over-tls", 50, "t")
	plain := newClient(t, boot, kgo.ConsumeTopics("over-tls"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if got := consume(t, plain, 50); len(got) != 50 {
		t.Fatalf("plaintext consumer got %d", len(got))
	}
	c, err := tls.Dial("tcp", boot, &tls.Config{RootCAs: ca.Pool})
	if err != nil {
		t.Fatal(err)
	}
	if v := c.ConnectionState().Version; v != tls.VersionTLS13 {
		t.Errorf("negotiated %x", v)
	}
	c.Close()
	if err := tlsHandshake(boot, &tls.Config{RootCAs: ca.Pool, MaxVersion: tls.VersionTLS12}); err == nil {
		t.Error("TLS 1.2 accepted with versions min TLSv1.3")
	}
}

// TestCertificateReload: replacing the certificate files changes what new
// connections get, without dropping established ones.
func TestCertificateReload(t *testing.T) {
	old := listener.ReloadInterval
	listener.ReloadInterval = 100 * time.Millisecond
	t.Cleanup(func() { listener.ReloadInterval = old })
	ca := testenv.NewCA(t, "reload-ca")
	first := ca.Issue(t, testenv.CertOptions{Subject: pkix.Name{CommonName: "first"}, DNSNames: []string{"*.kafka.test"}})
	e := startSNI(t, "shared_suffix", []*testenv.Cert{first}, "")
	boot := net.JoinHostPort(host("shared_suffix", "team-a", "bootstrap"), strconv.Itoa(e.port))
	tc := &tls.Config{RootCAs: ca.Pool}
	cl := newClient(t, boot, testenv.LoopbackTLSDialer(tc), kgo.AllowAutoTopicCreation())
	produce(t, cl, "reload", 5, "before")

	peerCN := func() string {
		c, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(e.port)),
			&tls.Config{RootCAs: ca.Pool, ServerName: host("shared_suffix", "team-a", "bootstrap")})
		if err != nil {
			return "error: " + err.Error()
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if cn := peerCN(); cn != "first" {
		t.Fatalf("before reload: %s", cn)
	}
	second := ca.Issue(t, testenv.CertOptions{Subject: pkix.Name{CommonName: "second"}, DNSNames: []string{"*.kafka.test"}})
	writeFile(t, e.dir, "k0.pem", second.KeyPEM)
	writeFile(t, e.dir, "c0.pem", second.CertPEM)
	testenv.WaitFor(t, 10*time.Second, "new certificate served", func() bool { return peerCN() == "second" })
	// The client's established connections carry on.
	produce(t, cl, "reload", 5, "after")
	// A file that does not load keeps the current certificate.
	writeFile(t, e.dir, "c0.pem", "not a certificate")
	testenv.WaitFor(t, 10*time.Second, "reload error logged", func() bool {
		return strings.Contains(e.logs.String(), "keeping the previous certificates")
	})
	if cn := peerCN(); cn != "second" {
		t.Fatalf("after a bad file: %s", cn)
	}
}
