package realkafka

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strait-gw/strait/internal/testenv"
)

// TestBackendTLSRealKafka connects the gateway to Kafka's SSL listener,
// verifying the brokers with the cluster's CA, with and without a client
// certificate, and refuses a backend it cannot verify.
func TestBackendTLSRealKafka(t *testing.T) {
	realKafka(t)
	ssl := os.Getenv("STRAIT_KAFKA_SSL_BOOTSTRAP")
	ca, cert, key := os.Getenv("STRAIT_KAFKA_CA_PEM"), os.Getenv("STRAIT_KAFKA_CLIENT_CERT_PEM"), os.Getenv("STRAIT_KAFKA_CLIENT_KEY_PEM")
	if ssl == "" || ca == "" {
		t.Fatal("STRAIT_KAFKA_SSL_BOOTSTRAP and STRAIT_KAFKA_CA_PEM must be set with STRAIT_KAFKA_BOOTSTRAP")
	}
	k := &testenv.Kafka{Bootstrap: strings.Split(ssl, ",")}
	other := testenv.NewCA(t, "unrelated")
	otherFile := t.TempDir() + "/other.pem"
	if err := os.WriteFile(otherFile, []byte(other.CertPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, tls string
		works     bool
	}{
		{"ca bundle", fmt.Sprintf(`{enabled: true, ca_bundle: "${file:%s}"}`, ca), true},
		{"mutual tls", fmt.Sprintf(`{enabled: true, ca_bundle: "${file:%s}", client_identity: {certificate: "${file:%s}", key: "${file:%s}"}}`, ca, cert, key), true},
		{"tls 1.3 only", fmt.Sprintf(`{enabled: true, ca_bundle: "${file:%s}", tls_versions: [tls13]}`, ca), true},
		{"unverifiable broker certificate", fmt.Sprintf(`{enabled: true, ca_bundle: "${file:%s}"}`, otherFile), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &testenv.SyncBuffer{}
			gw := testenv.StartGateway(t, k, testenv.Options{
				MinBrokerID: 1, BrokerPorts: 4, LogLevel: "info", LogWriter: logs,
				BackendTLS: tc.tls, NoWait: !tc.works,
			})
			boot := gw.Bootstrap
			if !tc.works {
				cl := client(t, boot, kgo.RequestRetries(0))
				if err := cl.Ping(ctxFor(t, 10*time.Second)); err == nil {
					t.Fatal("a request through an unverifiable backend succeeded")
				}
				testenv.WaitFor(t, 10*time.Second, "verification error logged", func() bool {
					return strings.Contains(logs.String(), "certificate signed by unknown authority")
				})
				return
			}
			topic := topicName(t)
			p := client(t, boot, kgo.DefaultProduceTopic(topic))
			createTopic(t, p, topic, 3)
			for i := range 100 {
				p.Produce(ctxFor(t, 30*time.Second), &kgo.Record{Value: []byte(strconv.Itoa(i))}, nil)
			}
			if err := p.Flush(ctxFor(t, 30*time.Second)); err != nil {
				t.Fatal(err)
			}
			verifyExactlyOnce(t, boot, topic, 100)
		})
	}
}
