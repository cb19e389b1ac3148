// Two tenants with their own credentials on one gateway, in front of one
// real Kafka cluster: one virtual cluster port-mapped on plaintext, the
// other behind SNI on a TLS listener.

package realkafka

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

	"github.com/strait-gw/strait/internal/testenv"
)

// TestAuthTenantsRealKafka serves virtual clusters tenant-a (port mapping,
// plaintext) and tenant-b (SNI on TLS) of the same Kafka cluster from one
// gateway, each terminating PLAIN and SCRAM-SHA-512 for its own users:
// alice on tenant-a, bob on tenant-b, and carol on both with a different
// password on each. Each user produces and consumes on its own virtual
// cluster (franz-go, kcat, confluent-kafka); on the other one, every
// credential gets SASL_AUTHENTICATION_FAILED.
func TestAuthTenantsRealKafka(t *testing.T) {
	k := realKafka(t)
	saslBoot := saslBootstrap(t)
	dir := t.TempDir()
	ca := testenv.NewCA(t, "strait-auth-tenants")
	server := ca.Issue(t, testenv.CertOptions{Subject: pkix.Name{CommonName: "auth.test"}, DNSNames: []string{"*.auth.test"}})
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile, certFile, keyFile := write("ca.pem", ca.CertPEM), write("server.pem", server.CertPEM), write("server.key", server.KeyPEM)

	alicePass, bobPass := randomSecret("alice-a"), randomSecret("bob-b")
	carolA, carolB := randomSecret("carol-a"), randomSecret("carol-b")
	portA := authPorts(t, 5)
	portB := authPorts(t, 1)
	methods := func(user, pass, carol string) string {
		p := fmt.Sprintf("[{username: %s, password: %s}, {username: carol, password: %s}]", user, pass, carol)
		return fmt.Sprintf(`
      - {type: sasl_plain, mediation: terminate, principals: %[1]s}
      - {type: sasl_scram, algorithm: sha512, mediation: terminate, principals: %[1]s}`, p)
	}
	logs := &testenv.SyncBuffer{}
	keepLog(t, logs)
	testenv.StartConfig(t, fmt.Sprintf(`admin: {address: "127.0.0.1:0"}
observability: {log_level: debug}
runtime: {drain_duration: 1s, shutdown_timeout: 5s, failed_authentication_delay: 50ms}
backend_clusters:
  - name: kafka
    bootstrap_servers: %s
    metadata_update_interval: 2s
    authentication: {type: sasl_plain, username: admin, password: admin-secret}
virtual_clusters:
  - name: tenant-a
    destination: kafka
    authentication:%s
  - name: tenant-b
    destination: kafka
    authentication:%s
listeners:
  - name: tenant-a
    ports: ["%d-%d"]
    policies:
      - {type: forward_to_virtual_cluster, config: {type: port_mapping, destination: tenant-a, advertised_host: 127.0.0.1, min_broker_id: 1}}
  - name: tenant-b
    ports: [%d]
    policies:
      - type: tls_server
        config: {certificates: [{certificate: "${file:%s}", key: "${file:%s}"}]}
      - type: forward_to_virtual_cluster
        config: {type: sni, destination: tenant-b, sni_suffix: .auth.test, advertised_port: %d, broker_host_format: {type: shared_suffix}}
`, quotedList(saslBoot), methods("alice", alicePass, carolA), methods("bob", bobPass, carolB),
		portA, portA+4, portB, certFile, keyFile, portB), logs)

	bootB := "bootstrap-tenant-b.auth.test"
	testenv.AddHosts(t, bootB, "broker-1-tenant-b.auth.test", "broker-2-tenant-b.auth.test", "broker-3-tenant-b.auth.test")
	tlsB := &tls.Config{RootCAs: ca.Pool}
	type tenant struct {
		name string
		boot string
		tls  *tls.Config
		user string
		// pass is user's password; carol is carol's on this tenant.
		pass, carol string
	}
	tenants := []tenant{
		{name: "tenant-a", boot: addr(portA), user: "alice", pass: alicePass, carol: carolA},
		{name: "tenant-b", boot: net.JoinHostPort(bootB, strconv.Itoa(portB)), tls: tlsB, user: "bob", pass: bobPass, carol: carolB},
	}
	creds := func(on tenant, mech, user, pass string) saslCreds {
		c := saslCreds{mech: mech, user: user, pass: pass}
		if on.tls != nil {
			c.tls, c.caFile = on.tls, caFile
		}
		return c
	}
	for i, own := range tenants {
		other := tenants[1-i]
		t.Run(own.name, func(t *testing.T) {
			for _, mech := range []string{"PLAIN", "SCRAM-SHA-512"} {
				t.Run(mech+" own user franz-go", func(t *testing.T) {
					topic := authTopic(t, k)
					franzRoundTrip(t, own.boot, creds(own, mech, own.user, own.pass), topic, 20)
				})
				t.Run(mech+" carol franz-go", func(t *testing.T) {
					topic := authTopic(t, k)
					franzRoundTrip(t, own.boot, creds(own, mech, "carol", own.carol), topic, 20)
				})
				t.Run(mech+" the other tenant's credentials", func(t *testing.T) {
					for _, c := range []saslCreds{
						creds(own, mech, other.user, other.pass),
						creds(own, mech, "carol", other.carol),
					} {
						wantAuthFailed(t, franzAuthError(t, own.boot, c))
					}
				})
			}
			t.Run("PLAIN kcat", func(t *testing.T) {
				topic := authTopic(t, k)
				kcatRoundTrip(t, own.boot, creds(own, "PLAIN", own.user, own.pass), topic, 10)
				if out := kcatAuthError(t, own.boot, creds(own, "PLAIN", other.user, other.pass)); !strings.Contains(out, "SASL authentication error: Authentication failed") {
					t.Errorf("kcat with the other tenant's user:\n%s", out)
				}
			})
			t.Run("SCRAM-SHA-512 confluent-kafka", func(t *testing.T) {
				topic := authTopic(t, k)
				confluentRoundTrip(t, own.boot, creds(own, "SCRAM-SHA-512", "carol", own.carol), topic, 10)
				if out := confluentAuthError(t, own.boot, creds(own, "SCRAM-SHA-512", "carol", other.carol)); !strings.Contains(out, "SASL authentication error: ") {
					t.Errorf("confluent-kafka with carol's password on the other tenant:\n%s", out)
				}
			})
		})
	}
	noSecrets(t, logs.String(), alicePass, bobPass, carolA, carolB, "admin-secret")
}
