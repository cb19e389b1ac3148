package realkafka

import (
	"bytes"
	"crypto/tls"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strait-gw/strait/internal/testenv"
)

// TestSNIRealKafkaClients serves real Kafka through one TLS port routed by
// SNI, with client certificates required, to franz-go, librdkafka (kcat)
// and the Java client (truststore and keystore). Host names resolve to
// loopback through /etc/hosts entries the test adds.
func TestSNIRealKafkaClients(t *testing.T) {
	k := realKafka(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca := testenv.NewCA(t, "strait-sni-ca")
	server := ca.Issue(t, testenv.CertOptions{Subject: pkix.Name{CommonName: "kafka.test"}, DNSNames: []string{"*.kafka.test"}})
	clientCA := testenv.NewCA(t, "strait-clients")
	alice := clientCA.Issue(t, testenv.CertOptions{Subject: pkix.Name{CommonName: "alice"}, Client: true})
	caFile, certFile, keyFile := write("ca.pem", ca.CertPEM), write("server.pem", server.CertPEM), write("server.key", server.KeyPEM)
	clientsFile := write("clients.pem", clientCA.CertPEM)
	aliceCert, aliceKey := write("alice.pem", alice.CertPEM), write("alice.key", alice.KeyPEM)

	port := testenv.FreePorts(t, 1)
	quoted := make([]string, len(k.Bootstrap))
	for i, a := range k.Bootstrap {
		quoted[i] = strconv.Quote(a)
	}
	logs := &testenv.SyncBuffer{}
	testenv.StartConfig(t, fmt.Sprintf(`admin: {address: "127.0.0.1:0"}
observability: {log_level: info}
backend_clusters:
  - {name: kafka, bootstrap_servers: [%s], metadata_update_interval: 2s}
virtual_clusters:
  - {name: team-a, destination: kafka, dns_label: team-a}
listeners:
  - name: sni
    ports: [%d]
    policies:
      - type: tls_server
        config:
          certificates: [{certificate: "${file:%s}", key: "${file:%s}"}]
          client_authentication: {mode: required, tls_trust_bundles: ["${file:%s}"], principal_mapping: {type: cn}}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.test, advertised_port: %d, broker_host_format: {type: shared_suffix}}
`, strings.Join(quoted, ", "), port, certFile, keyFile, clientsFile, port), logs)

	boot := "bootstrap-team-a.kafka.test"
	testenv.AddHosts(t, boot, "broker-1-team-a.kafka.test", "broker-2-team-a.kafka.test", "broker-3-team-a.kafka.test")
	bootAddr := net.JoinHostPort(boot, strconv.Itoa(port))

	t.Run("franz-go", func(t *testing.T) {
		tc := &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{alice.TLS}}
		topic := topicName(t)
		p := client(t, bootAddr, kgo.DialTLSConfig(tc), kgo.DefaultProduceTopic(topic))
		createTopic(t, p, topic, 3)
		for i := range 100 {
			p.Produce(ctxFor(t, 30*time.Second), &kgo.Record{Value: []byte(strconv.Itoa(i))}, nil)
		}
		if err := p.Flush(ctxFor(t, 30*time.Second)); err != nil {
			t.Fatal(err)
		}
		cons := client(t, bootAddr, kgo.DialTLSConfig(tc), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		got := 0
		ctx := ctxFor(t, 30*time.Second)
		for got < 100 && ctx.Err() == nil {
			got += cons.PollFetches(ctx).NumRecords()
		}
		if got != 100 {
			t.Fatalf("consumed %d", got)
		}
	})

	t.Run("kcat", func(t *testing.T) {
		if _, err := exec.LookPath("kcat"); err != nil {
			t.Fatal("kcat is not installed (apt-get install kcat)")
		}
		args := []string{"-b", bootAddr, "-X", "security.protocol=ssl", "-X", "ssl.ca.location=" + caFile,
			"-X", "ssl.certificate.location=" + aliceCert, "-X", "ssl.key.location=" + aliceKey}
		out := run(t, nil, "kcat", append(args, "-L", "-m", "15")...)
		for id := 1; id <= 3; id++ {
			want := fmt.Sprintf("broker %d at broker-%d-team-a.kafka.test:%d", id, id, port)
			if !strings.Contains(out, want) {
				t.Errorf("kcat -L lacks %q:\n%s", want, out)
			}
		}
		topic := topicName(t)
		var in bytes.Buffer
		for i := range 100 {
			fmt.Fprintf(&in, "k%d\n", i)
		}
		run(t, in.Bytes(), "kcat", append(args, "-P", "-t", topic, "-X", "allow.auto.create.topics=true", "-m", "30")...)
		got := run(t, nil, "kcat", append(args, "-C", "-t", topic, "-o", "beginning", "-c", "100", "-e", "-m", "30")...)
		if n := len(strings.Fields(got)); n != 100 {
			t.Fatalf("kcat consumed %d records", n)
		}
	})

	t.Run("java", func(t *testing.T) {
		version := os.Getenv("STRAIT_KAFKA_VERSION")
		tool := filepath.Join(os.Getenv("STRAIT_KAFKA_HARNESS"), "kafka-tool.sh")
		ts := filepath.Join(dir, "truststore.p12")
		ks := filepath.Join(dir, "alice.p12")
		run(t, nil, "keytool", "-importcert", "-noprompt", "-alias", "ca", "-file", caFile, "-keystore", ts, "-storetype", "PKCS12", "-storepass", "secret1")
		run(t, nil, "openssl", "pkcs12", "-export", "-in", aliceCert, "-inkey", aliceKey, "-out", ks, "-passout", "pass:secret1", "-name", "alice")
		props := write("client.properties", fmt.Sprintf(`security.protocol=SSL
ssl.truststore.location=%s
ssl.truststore.password=secret1
ssl.truststore.type=PKCS12
ssl.keystore.location=%s
ssl.keystore.password=secret1
ssl.keystore.type=PKCS12
`, ts, ks))
		topic := topicName(t)
		var in bytes.Buffer
		for i := range 50 {
			fmt.Fprintf(&in, "java-%d\n", i)
		}
		cfgFlag := func(kind string) string {
			if strings.HasPrefix(version, "3.") {
				return "--" + kind + ".config"
			}
			return "--command-config"
		}
		run(t, in.Bytes(), tool, version, "kafka-console-producer", "--bootstrap-server", bootAddr, "--topic", topic, cfgFlag("producer"), props)
		out := run(t, nil, tool, version, "kafka-console-consumer", "--bootstrap-server", bootAddr, "--topic", topic,
			"--from-beginning", "--max-messages", "50", "--timeout-ms", "30000", cfgFlag("consumer"), props)
		for i := range 50 {
			if !strings.Contains(out, fmt.Sprintf("java-%d\n", i)) {
				t.Fatalf("java consumer lacks java-%d:\n%s", i, out)
			}
		}
	})
}

// run executes a command with a timeout and returns its stdout.
func run(t *testing.T, stdin []byte, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s %v: %v\n%s\n%s", name, args, err, out.String(), errb.String())
		}
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("%s %v: timed out\n%s", name, args, errb.String())
	}
	return out.String()
}
