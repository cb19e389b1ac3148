package realkafka

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/gateway"
	"github.com/strait-gw/strait/internal/testenv"
)

// saslBootstrap returns the bootstrap servers of Kafka's SASL_PLAINTEXT
// listener.
func saslBootstrap(t *testing.T) []string {
	t.Helper()
	v := os.Getenv("STRAIT_KAFKA_SASL_BOOTSTRAP")
	if v == "" {
		t.Fatal("STRAIT_KAFKA_SASL_BOOTSTRAP must be set with STRAIT_KAFKA_BOOTSTRAP (source test/kafka/env.sh)")
	}
	return strings.Split(v, ",")
}

// saslGatewayConfig is a gateway config in front of bootstrap whose
// backend authentication is auth (a YAML flow mapping) and whose clients
// are anonymous; it serves brokers 1 to 3 from base+1.
func saslGatewayConfig(bootstrap []string, auth string, base int) string {
	quoted := make([]string, len(bootstrap))
	for i, s := range bootstrap {
		quoted[i] = strconv.Quote(s)
	}
	return fmt.Sprintf(`admin:
  address: "127.0.0.1:0"
observability:
  log_level: debug
runtime:
  drain_duration: 1s
  shutdown_timeout: 5s
backend_clusters:
  - name: secured
    bootstrap_servers: [%s]
    metadata_update_interval: 1s
    authentication: %s
    insecure_allow_anonymous_virtual_cluster_auth: true
virtual_clusters:
  - name: vc
    destination: secured
    authentication:
      - type: anonymous
listeners:
  - name: plain
    addresses: ["127.0.0.1"]
    ports: ["%d-%d"]
    policies:
      - type: forward_to_virtual_cluster
        config:
          type: port_mapping
          destination: vc
          advertised_host: 127.0.0.1
          min_broker_id: 1
`, strings.Join(quoted, ", "), auth, base, base+4)
}

// scramUser creates a SCRAM user on the cluster with a random password,
// as the PLAINTEXT listener's super user, waits until every broker of
// the SASL listener accepts it, and deletes it when the test ends.
func scramUser(t *testing.T, k *testenv.Kafka, mech kadm.ScramMechanism) (user, password string) {
	t.Helper()
	user = fmt.Sprintf("strait-backend-sasl-%d", rand.IntN(1e9))
	password = fmt.Sprintf("pw-%x", rand.Uint64())
	adm := kadm.NewClient(client(t, k.Bootstrap[0], kgo.SeedBrokers(k.Bootstrap...)))
	res, err := adm.AlterUserSCRAMs(ctxFor(t, 30*time.Second), nil, []kadm.UpsertSCRAM{{User: user, Mechanism: mech, Iterations: 4096, Password: password}})
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		t.Fatalf("create SCRAM user: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := adm.AlterUserSCRAMs(ctx, []kadm.DeleteSCRAM{{User: user, Mechanism: mech}}, nil); err != nil {
			t.Logf("delete SCRAM user %s: %v", user, err)
		}
	})
	// Credentials reach every broker through the metadata log: wait for
	// each to accept them.
	a := scram.Auth{User: user, Pass: password}
	m := a.AsSha256Mechanism()
	if mech == kadm.ScramSha512 {
		m = a.AsSha512Mechanism()
	}
	for _, b := range saslBootstrap(t) {
		testenv.WaitFor(t, 30*time.Second, "SCRAM user known to "+b, func() bool {
			cl, err := kgo.NewClient(kgo.SeedBrokers(b), kgo.SASL(m), kgo.RequestRetries(0))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return cl.Ping(ctx) == nil
		})
	}
	return user, password
}

// superTopic creates topic with 3 partitions and the cluster's default
// replication factor, as the PLAINTEXT listener's super user.
func superTopic(t *testing.T, k *testenv.Kafka, topic string) {
	t.Helper()
	adm := kadm.NewClient(client(t, k.Bootstrap[0], kgo.SeedBrokers(k.Bootstrap...)))
	if resp, err := adm.CreateTopic(ctxFor(t, 30*time.Second), 3, -1, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create %s: %v %v", topic, err, resp.Err)
	}
}

// TestBackendSASLRealKafka puts the gateway in front of Kafka's
// SASL_PLAINTEXT listener with each mechanism, and produces and consumes
// through it with anonymous clients.
func TestBackendSASLRealKafka(t *testing.T) {
	k := realKafka(t)
	sasl := saslBootstrap(t)
	user256, pw256 := scramUser(t, k, kadm.ScramSha256)
	user512, pw512 := scramUser(t, k, kadm.ScramSha512)
	for _, tc := range []struct {
		name, auth, password string
	}{
		{"sasl_plain", `{type: sasl_plain, username: admin, password: admin-secret}`, "admin-secret"},
		{"sasl_scram sha256", fmt.Sprintf(`{type: sasl_scram, algorithm: sha256, username: %s, password: %s}`, user256, pw256), pw256},
		{"sasl_scram sha512", fmt.Sprintf(`{type: sasl_scram, algorithm: sha512, username: %s, password: %s}`, user512, pw512), pw512},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &testenv.SyncBuffer{}
			base := testenv.FreePorts(t, 5)
			testenv.StartConfig(t, saslGatewayConfig(sasl, tc.auth, base), logs)
			boot := net.JoinHostPort("127.0.0.1", strconv.Itoa(base))

			// The topic is made directly, as the super user: the
			// backend user may lack CREATE where ACLs exist.
			topic := topicName(t)
			superTopic(t, k, topic)

			p := client(t, boot, kgo.DefaultProduceTopic(topic))
			for i := range 100 {
				p.Produce(ctxFor(t, 30*time.Second), &kgo.Record{Value: []byte(strconv.Itoa(i))}, nil)
			}
			if err := p.Flush(ctxFor(t, 30*time.Second)); err != nil {
				t.Fatal(err)
			}
			verifyExactlyOnce(t, boot, topic, 100)

			// A consumer group: coordinator lookups, joins and offset
			// commits go through authenticated connections too.
			group := topicName(t)
			g := client(t, boot, kgo.ConsumeTopics(topic), kgo.ConsumerGroup(group), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			ctx := ctxFor(t, 60*time.Second)
			for n := 0; n < 100; {
				fs := g.PollFetches(ctx)
				if ctx.Err() != nil {
					t.Fatalf("group consumed %d of 100 records", n)
				}
				fs.EachError(func(topic string, p int32, err error) { t.Errorf("%s[%d]: %v", topic, p, err) })
				n += fs.NumRecords()
			}
			if err := g.CommitUncommittedOffsets(ctxFor(t, 30*time.Second)); err != nil {
				t.Fatalf("commit through the gateway: %v", err)
			}

			if l := logs.String(); strings.Contains(l, tc.password) {
				t.Errorf("the log holds the backend password:\n%s", l)
			}
		})
	}
}

// startUnready serves a gateway from text without waiting for it to be
// ready, logging to w.
func startUnready(t *testing.T, text string, w *testenv.SyncBuffer) *gateway.Gateway {
	t.Helper()
	cfg, err := config.Parse([]byte(text), ".")
	if err != nil {
		t.Fatalf("gateway config: %v\n%s", err, text)
	}
	g, err := gateway.New(cfg, slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})))
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
	return g
}

// TestBackendSASLWrongCredentialsRealKafka: with credentials Kafka
// refuses, the gateway is not ready, a client is disconnected, and the log
// says why (cluster, broker, mechanism, Kafka's error) without the
// password.
func TestBackendSASLWrongCredentialsRealKafka(t *testing.T) {
	k := realKafka(t)
	sasl := saslBootstrap(t)
	user512, _ := scramUser(t, k, kadm.ScramSha512)
	for _, tc := range []struct {
		name, auth, password string
		bootstrap            []string
		want                 string
	}{
		{
			name: "sasl_plain wrong password", bootstrap: sasl, password: "not-admin-secret-42",
			auth: `{type: sasl_plain, username: admin, password: not-admin-secret-42}`,
			want: `SASL PLAIN authentication with 127.0.0.1:\d+: authentication failed: SASL_AUTHENTICATION_FAILED: .*: Authentication failed: Invalid username or password`,
		},
		{
			name: "sasl_scram unknown user", bootstrap: sasl, password: "no-such-user-pw-42",
			auth: `{type: sasl_scram, algorithm: sha256, username: nobody-here, password: no-such-user-pw-42}`,
			want: `SASL SCRAM-SHA-256 authentication with 127.0.0.1:\d+: authentication failed: SASL_AUTHENTICATION_FAILED: .*Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256`,
		},
		{
			name: "sasl_scram wrong password", bootstrap: sasl, password: "wrong-scram-pw-42",
			auth: fmt.Sprintf(`{type: sasl_scram, algorithm: sha512, username: %s, password: wrong-scram-pw-42}`, user512),
			want: `SASL SCRAM-SHA-512 authentication with 127.0.0.1:\d+: authentication failed: SASL_AUTHENTICATION_FAILED: .*Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512`,
		},
		{
			name: "sasl_plain to a listener without SASL", bootstrap: k.Bootstrap, password: "admin-secret",
			auth: `{type: sasl_plain, username: admin, password: admin-secret}`,
			want: `SASL PLAIN authentication with 127.0.0.1:\d+: authentication failed: ILLEGAL_SASL_STATE: .* \(is the listener a SASL_PLAINTEXT or SASL_SSL one\?\)`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &testenv.SyncBuffer{}
			base := testenv.FreePorts(t, 5)
			g := startUnready(t, saslGatewayConfig(tc.bootstrap, tc.auth, base), logs)
			testenv.WaitFor(t, 20*time.Second, "metadata refresh failure logged", func() bool {
				return strings.Contains(logs.String(), `msg="metadata refresh failed" backend_cluster=secured sasl_mechanism=`)
			})
			if ok, why := g.Ready(); ok || !strings.Contains(why, `backend cluster "secured" has not answered metadata`) {
				t.Errorf("ready = %v (%s), want not ready", ok, why)
			}

			// A client is disconnected: its backend connection cannot
			// authenticate.
			cl := client(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(base)), kgo.RequestRetries(0))
			if err := cl.Ping(ctxFor(t, 10*time.Second)); err == nil {
				t.Fatal("a request through the gateway succeeded")
			}
			line := `msg="closing client: backend unreachable" .* err="backend cluster \\"secured\\": ` + strings.ReplaceAll(tc.want, `"`, `\\"`)
			testenv.WaitFor(t, 10*time.Second, "disconnection logged", func() bool {
				return regexpMatch(line, logs.String())
			})
			if l := logs.String(); strings.Contains(l, tc.password) {
				t.Errorf("the log holds the password:\n%s", l)
			}
		})
	}
}

func regexpMatch(pattern, s string) bool {
	return regexp.MustCompile(pattern).MatchString(s)
}
