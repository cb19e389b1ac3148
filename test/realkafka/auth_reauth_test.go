// Re-authentication (KIP-368) through the gateway against real Kafka, under
// a running producer and consumer group (franz-go, the Java client,
// confluent-kafka): the backend side on Kafka's SASL_REAUTH listener
// (connections.max.reauth.ms), the client side with a short
// max_session_lifetime, both at once, and a client's own session on that
// listener passed through; and the regression test of a request pipelined
// behind a long Fetch past the backend session.

package realkafka

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/protocol"
	"github.com/strait-gw/strait/internal/testenv"
)

// reauthListener returns the bootstrap servers of Kafka's SASL_REAUTH
// listener and its session lifetime, or skips.
func reauthListener(t *testing.T) ([]string, time.Duration) {
	t.Helper()
	boot := os.Getenv("STRAIT_KAFKA_REAUTH_BOOTSTRAP")
	ms, _ := strconv.Atoi(os.Getenv("STRAIT_KAFKA_REAUTH_MS"))
	if boot == "" || ms <= 0 {
		t.Skip("no listener with connections.max.reauth.ms: STRAIT_KAFKA_REAUTH_BOOTSTRAP and STRAIT_KAFKA_REAUTH_MS are not set")
	}
	return strings.Split(boot, ","), time.Duration(ms) * time.Millisecond
}

// soakDuration is how long the re-authentication runs last: 20s, or a
// minute with STRAIT_SOAK=1.
func soakDuration() time.Duration {
	if os.Getenv("STRAIT_SOAK") == "1" {
		return time.Minute
	}
	return 20 * time.Second
}

// connWatch counts a franz-go client's connections and disconnections and
// keeps what it logs at warn and above.
type connWatch struct {
	connects, disconnects atomic.Int32
	mu                    sync.Mutex
	warnings              []string
}

func (w *connWatch) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err == nil {
		w.connects.Add(1)
	}
}

func (w *connWatch) OnBrokerDisconnect(kgo.BrokerMetadata, net.Conn) { w.disconnects.Add(1) }

func (w *connWatch) Level() kgo.LogLevel { return kgo.LogLevelWarn }

func (w *connWatch) Log(level kgo.LogLevel, msg string, kv ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.warnings = append(w.warnings, fmt.Sprint(level, ": ", msg, " ", kv))
}

func (w *connWatch) opts() []kgo.Opt {
	// Connections are never reaped for idling during the run: every
	// disconnection counted is one the client did not ask for.
	return []kgo.Opt{kgo.WithHooks(w), kgo.WithLogger(w), kgo.ConnIdleTimeout(15 * time.Minute)}
}

func (w *connWatch) report() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return fmt.Sprintf("%d connections, %d disconnections, warnings: %q", w.connects.Load(), w.disconnects.Load(), w.warnings)
}

// soak runs a producer and a consumer group as c through boot for d, and
// checks that every acknowledged record is consumed, no request failed
// and no connection closed. It returns how many client connections there
// were.
func soak(t *testing.T, k *testenv.Kafka, boot string, c saslCreds, d time.Duration) int {
	t.Helper()
	topic := authTopic(t, k)
	var pw, cw connWatch
	p := client(t, boot, append(append(c.franz(), pw.opts()...), kgo.DefaultProduceTopic(topic))...)
	g := client(t, boot, append(append(c.franz(), cw.opts()...), kgo.ConsumeTopics(topic), kgo.ConsumerGroup(topic+"-g"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)

	var (
		mu       sync.Mutex
		acked    = map[string]bool{}
		consumed = map[string]int{}
		errs     []string
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(errs) < 20 {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			fs := g.PollFetches(ctx)
			fs.EachError(func(topic string, p int32, err error) {
				if ctx.Err() == nil {
					fail("fetch %s[%d]: %v", topic, p, err)
				}
			})
			mu.Lock()
			fs.EachRecord(func(r *kgo.Record) { consumed[string(r.Value)]++ })
			mu.Unlock()
		}
	}()

	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	end := time.Now().Add(d)
	produced := 0
	for time.Now().Before(end) {
		<-tick.C
		v := strconv.Itoa(produced)
		produced++
		p.Produce(ctx, &kgo.Record{Value: []byte(v)}, func(_ *kgo.Record, err error) {
			if err != nil {
				fail("produce %s: %v", v, err)
				return
			}
			mu.Lock()
			acked[v] = true
			mu.Unlock()
		})
	}
	if err := p.Flush(ctxFor(t, 30*time.Second)); err != nil {
		fail("flush: %v", err)
	}
	testenv.WaitFor(t, 30*time.Second, "every acknowledged record consumed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for v := range acked {
			if consumed[v] == 0 {
				return false
			}
		}
		return true
	})
	if err := g.CommitUncommittedOffsets(ctxFor(t, 30*time.Second)); err != nil {
		fail("commit: %v", err)
	}
	cancel()
	<-done

	mu.Lock()
	defer mu.Unlock()
	dups := 0
	for _, n := range consumed {
		if n > 1 {
			dups++
		}
	}
	t.Logf("%d produced, %d acknowledged, %d consumed (%d more than once); producer: %s; consumer: %s",
		produced, len(acked), len(consumed), dups, pw.report(), cw.report())
	if len(acked) != produced {
		t.Errorf("%d of %d records acknowledged", len(acked), produced)
	}
	if min := int(d / (40 * time.Millisecond)); produced < min {
		t.Errorf("only %d records produced in %v", produced, d)
	}
	for _, e := range errs {
		t.Error(e)
	}
	if n := pw.disconnects.Load() + cw.disconnects.Load(); n > 0 {
		t.Errorf("%d connections closed under the clients", n)
	}
	if len(pw.warnings)+len(cw.warnings) > 0 {
		t.Errorf("the clients logged warnings: %q %q", pw.warnings, cw.warnings)
	}
	return int(pw.connects.Load() + cw.connects.Load())
}

// javaSoak runs Kafka's producer performance tool (50 records a second
// for d) and console consumer, in a group, as c through boot, and checks
// that the consumer reads every record and neither logs a warning.
func javaSoak(t *testing.T, k *testenv.Kafka, boot string, c saslCreds, d time.Duration) {
	t.Helper()
	topic := authTopic(t, k)
	version, tool, props, env := javaSetup(t, c)
	n := int(d.Seconds()) * 50
	type result struct {
		out, errOut string
		err         error
	}
	consumed := make(chan result, 1)
	go func() {
		out, errOut, err := runCmd(d+90*time.Second, env, nil, tool, version, "kafka-console-consumer", "--bootstrap-server", boot,
			"--topic", topic, "--group", topic+"-g", "--from-beginning", "--max-messages", strconv.Itoa(n), "--timeout-ms", "30000",
			cfgFlag(version, "consumer"), props)
		consumed <- result{out, errOut, err}
	}()
	out, errOut, err := runCmd(d+90*time.Second, env, nil, tool, version, "kafka-producer-perf-test", "--topic", topic,
		"--num-records", strconv.Itoa(n), "--throughput", "50", "--record-size", "32",
		"--producer-props", "bootstrap.servers="+boot, "acks=all", cfgFlag(version, "producer"), props)
	r := <-consumed
	if err != nil || !strings.Contains(out, fmt.Sprintf("%d records sent", n)) {
		t.Errorf("producer: %v\n%s\n%s", err, out, errOut)
	}
	if got := strings.Count(r.out, "\n"); r.err != nil || got != n {
		t.Errorf("consumer: %v, %d of %d records\n%s", r.err, got, n, r.errOut)
	}
	for _, e := range []string{errOut, r.errOut} {
		for _, l := range strings.Split(e, "\n") {
			if strings.Contains(l, " WARN ") || strings.Contains(l, " ERROR ") {
				t.Errorf("a Java client logged: %s", l)
			}
		}
	}
	t.Logf("Java: %d records produced and consumed", n)
}

// confluentSoak runs confluent-kafka's producer (50 records a second for d)
// and consumer group as c through boot: every acknowledged record must be
// consumed and librdkafka report no error.
func confluentSoak(t *testing.T, k *testenv.Kafka, boot string, c saslCreds, d time.Duration) {
	t.Helper()
	py := confluentPython(t)
	topic := authTopic(t, k)
	out, errOut, err := runCmd(d+90*time.Second, c.confluentEnv(t, boot), nil, py, "-c", confluentScript, "soak", topic, strconv.Itoa(int(d.Seconds())))
	if err != nil {
		t.Errorf("confluent-kafka: %v\n%s\n%s", err, out, errOut)
	}
	t.Logf("confluent-kafka: %s", strings.TrimSpace(out))
}

// reauthLines counts the gateway's re-authentications of its backend
// connections in its debug log.
func reauthLines(log string) int {
	return strings.Count(log, `msg="backend connection re-authenticated"`)
}

// TestAuthReauthRealKafka runs a producer and a consumer group through the
// gateway for 20 seconds (a minute with STRAIT_SOAK=1) while sessions
// expire: the gateway's own sessions on Kafka's SASL_REAUTH listener
// (connections.max.reauth.ms 5s, PLAIN and OAUTHBEARER), the clients'
// sessions at the gateway (max_session_lifetime 3s, PLAIN, SCRAM and
// OAUTHBEARER terminated), both at once, and clients' own sessions on the
// SASL_REAUTH listener passed through; with franz-go, and with Kafka's Java
// tools and confluent-kafka on both sides at once. Nothing may be lost, no
// request fail, no connection close, and the re-authentications must have
// happened. Alongside, a connection idles past the backend's session.
func TestAuthReauthRealKafka(t *testing.T) {
	k := realKafka(t)
	reauthBoot, lifetime := reauthListener(t)
	saslBoot := saslBootstrap(t)
	ob, hasOAuth := oauthOptional(t)
	d := soakDuration()
	if lifetime*2 > d {
		t.Skipf("STRAIT_KAFKA_REAUTH_MS=%d: too long for a %v run", lifetime.Milliseconds(), d)
	}
	pass := randomSecret("reauth")
	plainTerm := fmt.Sprintf("[{type: sasl_plain, mediation: terminate, principals: [{username: alice, password: %s}]}]", pass)
	admin := "{type: sasl_plain, username: admin, password: admin-secret}"
	type scenario struct {
		name        string
		backend     []string
		backendAuth string
		// vc is the virtual cluster's authentication and
		// max_session_lifetime.
		vc, lifetime string
		creds        saslCreds
		// backendReauth and clientReauth: re-authentications that
		// must happen.
		backendReauth, clientReauth bool
		// client is franz-go (the default), java or confluent-kafka.
		client string
	}
	scenarios := []scenario{
		{name: "backend sasl_plain", backend: reauthBoot, backendAuth: admin, vc: plainTerm,
			creds: saslCreds{mech: "PLAIN", user: "alice", pass: pass}, backendReauth: true},
		{name: "clients PLAIN terminated", backend: saslBoot, backendAuth: admin, vc: plainTerm, lifetime: "3s",
			creds: saslCreds{mech: "PLAIN", user: "alice", pass: pass}, clientReauth: true},
		{name: "clients SCRAM-SHA-512 terminated", backend: saslBoot, backendAuth: admin, lifetime: "3s",
			vc:    fmt.Sprintf("[{type: sasl_scram, algorithm: sha512, mediation: terminate, principals: [{username: alice, password: %s}]}]", pass),
			creds: saslCreds{mech: "SCRAM-SHA-512", user: "alice", pass: pass}, clientReauth: true},
		{name: "both sides", backend: reauthBoot, backendAuth: admin, vc: plainTerm, lifetime: "3s",
			creds: saslCreds{mech: "PLAIN", user: "alice", pass: pass}, backendReauth: true, clientReauth: true},
		{name: "Java clients SCRAM-SHA-512 terminated, both sides", client: "java", backend: reauthBoot, backendAuth: admin, lifetime: "3s",
			vc:    fmt.Sprintf("[{type: sasl_scram, algorithm: sha512, mediation: terminate, principals: [{username: alice, password: %s}]}]", pass),
			creds: saslCreds{mech: "SCRAM-SHA-512", user: "alice", pass: pass}, backendReauth: true, clientReauth: true},
		{name: "confluent-kafka clients PLAIN terminated, both sides", client: "confluent-kafka", backend: reauthBoot, backendAuth: admin, vc: plainTerm, lifetime: "3s",
			creds: saslCreds{mech: "PLAIN", user: "alice", pass: pass}, backendReauth: true, clientReauth: true},
		{name: "clients PLAIN passed through", backend: reauthBoot, backendAuth: admin,
			vc:    "[{type: sasl_plain, mediation: passthrough}]",
			creds: saslCreds{mech: "PLAIN", user: "alice", pass: "alice-secret"}, clientReauth: true},
	}
	if hasOAuth {
		cluster := signingKey{kid: ob.kid, key: ob.key}
		te := newTokenEndpoint(t, time.Hour, func() string { return ob.token(t, cluster, "strait-gateway", time.Hour) })
		gwKey := newSigningKey(t, "strait-reauth-test")
		jwks := serveJWKS(t, gwKey)
		scenarios = append(scenarios,
			scenario{name: "backend sasl_oauthbearer", backend: reauthBoot, vc: plainTerm,
				backendAuth: fmt.Sprintf(`{type: sasl_oauthbearer, token_endpoint: "%s/token", client_id: strait, client_secret: endpoint-secret}`, te.URL),
				creds:       saslCreds{mech: "PLAIN", user: "alice", pass: pass}, backendReauth: true},
			scenario{name: "clients OAUTHBEARER terminated", backend: saslBoot, backendAuth: admin, lifetime: "3s",
				vc:    fmt.Sprintf(`[{type: oauth_bearer, mediation: terminate, jwks: {endpoint: "%s/jwks"}, validate: {issuer: %s, audiences: [{name: %s}]}}]`, jwks.URL, ob.issuer, ob.audience),
				creds: saslCreds{mech: "OAUTHBEARER", token: ob.token(t, gwKey, "alice", time.Hour)}, clientReauth: true},
		)
	}
	run := func(t *testing.T, sc scenario) {
		base := authPorts(t, 5)
		lifetimeKey := ""
		if sc.lifetime != "" {
			lifetimeKey = "\n    max_session_lifetime: " + sc.lifetime
		}
		logs := &testenv.SyncBuffer{}
		keepLog(t, logs)
		g, _ := testenv.StartConfig(t, fmt.Sprintf(`admin: {address: "127.0.0.1:0"}
observability: {log_level: debug}
runtime: {drain_duration: 1s, shutdown_timeout: 5s}
backend_clusters:
  - name: kafka
    bootstrap_servers: %s
    metadata_update_interval: 2s
    authentication: %s
virtual_clusters:
  - name: vc
    destination: kafka%s
    authentication: %s
listeners:
  - name: plain
    ports: ["%d-%d"]
    policies:
      - {type: forward_to_virtual_cluster, config: {type: port_mapping, destination: vc, advertised_host: 127.0.0.1, min_broker_id: 1}}
`, quotedList(sc.backend), sc.backendAuth, lifetimeKey, sc.vc, base, base+4), logs)

		// Each connection re-authenticates about every 3s, at
		// least: with franz-go, whose connections are counted,
		// twice per connection; else a few times over the run.
		var want float64
		switch sc.client {
		case "java":
			javaSoak(t, k, addr(base), sc.creds, soakDuration())
			want = float64(soakDuration() / (3 * time.Second))
		case "confluent-kafka":
			confluentSoak(t, k, addr(base), sc.creds, soakDuration())
			want = float64(soakDuration() / (3 * time.Second))
		default:
			want = float64(2 * soak(t, k, addr(base), sc.creds, soakDuration()))
		}

		log := logs.String()
		if n := reauthLines(log); sc.backendReauth && n == 0 {
			t.Error("the gateway never re-authenticated a backend connection")
		} else {
			t.Logf("%d backend re-authentications", n)
		}
		if sc.clientReauth {
			method := map[string]string{"PLAIN": "sasl_plain", "SCRAM-SHA-512": "sasl_scram", "OAUTHBEARER": "oauth_bearer"}[sc.creds.mech]
			m := authMetrics(t, g.AdminAddr())
			ok := m["vc/"+method+"/ok"]
			t.Logf("%v successful authentications", ok)
			if ok < want {
				t.Errorf("%v successful authentications, want at least %v: the clients did not re-authenticate", ok, want)
			}
			if f := m["vc/"+method+"/failed"]; f > 0 {
				t.Errorf("%v failed authentications", f)
			}
		}
		for _, bad := range []string{`level=ERROR`, `msg="closing client`} {
			if n := strings.Count(log, bad); n > 0 {
				t.Errorf("the gateway logged %d %q lines, e.g.:\n%s", n, bad, firstLine(log, bad))
			}
		}
		noSecrets(t, log, pass, "admin-secret", "endpoint-secret")
	}
	// The franz-go scenarios run at once, whatever go test's -parallel:
	// they spend their time waiting. The Java and confluent-kafka ones
	// follow, as their clients need the CPU: on a small machine, a
	// saturated broker reads pipelined requests so late that they can
	// arrive after a 5-second session expired, and Kafka then closes the
	// connection.
	wave := func(pick func(scenario) bool, more ...func()) {
		var wg sync.WaitGroup
		for _, sc := range scenarios {
			if pick(sc) {
				wg.Go(func() { t.Run(sc.name, func(t *testing.T) { run(t, sc) }) })
			}
		}
		for _, f := range more {
			wg.Go(f)
		}
		wg.Wait()
	}
	idle := func() {
		t.Run("backend session expired while idle", func(t *testing.T) { reauthAfterIdle(t, reauthBoot, lifetime) })
	}
	// STRAIT_AUTH_CONTROL=1 adds franz-go directly on the SASL_REAUTH
	// listener, to tell the gateway's doing from the machine's load.
	control := func() {
		if os.Getenv("STRAIT_AUTH_CONTROL") != "" {
			t.Run("control: franz-go directly to the SASL_REAUTH listener", func(t *testing.T) {
				soak(t, k, reauthBoot[0], saslCreds{mech: "PLAIN", user: "alice", pass: "alice-secret"}, soakDuration())
			})
		}
	}
	wave(func(sc scenario) bool { return sc.client == "" }, idle, control)
	wave(func(sc scenario) bool { return sc.client != "" })
}

// reauthAfterIdle: a client connection left idle for longer than the
// backend's session lifetime keeps working. The gateway re-authenticates
// its backend connection at the client's next request, after the session
// expired, which Kafka accepts: its SocketServer lets a SaslHandshake
// begin a re-authentication before it closes expired sessions at any other
// request.
func reauthAfterIdle(t *testing.T, reauthBoot []string, lifetime time.Duration) {
	pass := randomSecret("idle")
	base := authPorts(t, 5)
	logs := &testenv.SyncBuffer{}
	keepLog(t, logs)
	testenv.StartConfig(t, fmt.Sprintf(`admin: {address: "127.0.0.1:0"}
observability: {log_level: debug}
runtime: {drain_duration: 1s, shutdown_timeout: 5s}
backend_clusters:
  - name: kafka
    bootstrap_servers: %s
    metadata_update_interval: 2s
    authentication: {type: sasl_plain, username: admin, password: admin-secret}
virtual_clusters:
  - name: vc
    destination: kafka
    authentication: [{type: sasl_plain, mediation: terminate, principals: [{username: alice, password: %s}]}]
listeners:
  - name: plain
    ports: ["%d-%d"]
    policies:
      - {type: forward_to_virtual_cluster, config: {type: port_mapping, destination: vc, advertised_host: 127.0.0.1, min_broker_id: 1}}
`, quotedList(reauthBoot), pass, base, base+4), logs)

	// One connection, used, left idle past the backend's session
	// lifetime, then used again.
	conn, err := net.DialTimeout("tcp", addr(base), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := &rawConn{conn: conn}
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, "PLAIN"
	au := kmsg.NewPtrSASLAuthenticateRequest()
	au.Version, au.SASLAuthBytes = 1, []byte("\x00alice\x00"+pass)
	for _, req := range []kmsg.Request{hs, au} {
		resp, err := r.roundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		var code int16
		switch resp := resp.(type) {
		case *kmsg.SASLHandshakeResponse:
			code = resp.ErrorCode
		case *kmsg.SASLAuthenticateResponse:
			code = resp.ErrorCode
		}
		if code != 0 {
			t.Fatalf("%s: error %d", kmsg.NameForKey(req.Key()), code)
		}
	}
	if err := r.metadata(); err != nil {
		t.Fatal(err)
	}
	idle := lifetime + 2*time.Second
	time.Sleep(idle)
	if err := r.metadata(); err != nil {
		t.Errorf("a request after %v idle: %v", idle, err)
	}
	if reauthLines(logs.String()) == 0 {
		t.Error("the backend connection was not re-authenticated")
	}
	if l := logs.String(); strings.Contains(l, `msg="closing client`) {
		t.Errorf("the gateway closed the client:\n%s", firstLine(l, `msg="closing client`))
	}
}

// firstLine is the first line of log holding s.
func firstLine(log, s string) string {
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// TestAuthBackendReauthRequestPipelinedBehindFetch pins a bug: the gateway
// re-authenticates its backend connection only when a client request
// arrives after ReauthAt, and otherwise writes the request at once. A
// request pipelined behind a long-polling Fetch is then read by the broker
// when the Fetch completes, which can be after the backend session expired
// (here: a Fetch waiting 3s sent a little before ReauthAt, then a
// Metadata request), and Kafka closes the connection, so the client, which
// knows nothing of the backend's session, loses its connection.
func TestAuthBackendReauthRequestPipelinedBehindFetch(t *testing.T) {
	k := realKafka(t)
	reauthBoot, lifetime := reauthListener(t)
	if lifetime != 5*time.Second {
		t.Skipf("the timing below is for a 5s session, the listener has %v", lifetime)
	}
	pass := randomSecret("pipelined")
	base := authPorts(t, 5)
	logs := &testenv.SyncBuffer{}
	keepLog(t, logs)
	testenv.StartConfig(t, fmt.Sprintf(`admin: {address: "127.0.0.1:0"}
observability: {log_level: debug}
runtime: {drain_duration: 1s, shutdown_timeout: 5s}
backend_clusters:
  - name: kafka
    bootstrap_servers: %s
    metadata_update_interval: 2s
    authentication: {type: sasl_plain, username: admin, password: admin-secret}
virtual_clusters:
  - name: vc
    destination: kafka
    authentication: [{type: sasl_plain, mediation: terminate, principals: [{username: alice, password: %s}]}]
listeners:
  - name: plain
    ports: ["%d-%d"]
    policies:
      - {type: forward_to_virtual_cluster, config: {type: port_mapping, destination: vc, advertised_host: 127.0.0.1, min_broker_id: 1}}
`, quotedList(reauthBoot), pass, base, base+4), logs)

	// An empty partition, and the gateway port of its leader.
	topic := authTopic(t, k)
	boot := dialSASLPlain(t, addr(base), "alice", pass)
	mreq := kmsg.NewPtrMetadataRequest()
	mreq.Version = 11
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	mreq.Topics = append(mreq.Topics, mt)
	resp, err := boot.roundTrip(mreq)
	if err != nil {
		t.Fatal(err)
	}
	leader := resp.(*kmsg.MetadataResponse).Topics[0].Partitions[0].Leader
	c := dialSASLPlain(t, addr(base+int(leader)), "alice", pass)

	// The backend connection is dialed and authenticated at the first
	// request that needs it: its session ends about 5s later, and the
	// gateway re-authenticates it from about 1s before.
	start := time.Now()
	if err := c.metadata(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(start.Add(lifetime - 1700*time.Millisecond)))
	fetch := kmsg.NewPtrFetchRequest()
	fetch.Version = 11
	fetch.ReplicaID, fetch.MaxWaitMillis, fetch.MinBytes, fetch.MaxBytes, fetch.SessionEpoch = -1, 3000, 1, 1<<20, -1
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic = topic
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.PartitionMaxBytes = 1 << 20
	ft.Partitions = append(ft.Partitions, fp)
	fetch.Topics = append(fetch.Topics, ft)
	meta := kmsg.NewPtrMetadataRequest()
	meta.Version = 12
	fc, mc := c.write(t, fetch), c.write(t, meta)
	if _, err := c.read(fetch, fc); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if _, err := c.read(meta, mc); err != nil {
		t.Errorf("Metadata pipelined behind a Fetch that outlived the backend session (%v after the first request): %v", time.Since(start).Round(100*time.Millisecond), err)
	}
	if l := logs.String(); strings.Contains(l, `msg="closing connection"`) {
		t.Logf("gateway: %s", firstLine(l, `msg="closing connection"`))
	}
}

// pipeConn is a client connection through the gateway that can pipeline
// requests.
type pipeConn struct{ rawConn }

// dialSASLPlain connects to the gateway at address and authenticates with
// PLAIN.
func dialSASLPlain(t *testing.T, address, user, pass string) *pipeConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", address, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &pipeConn{rawConn{conn: conn}}
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, "PLAIN"
	au := kmsg.NewPtrSASLAuthenticateRequest()
	au.Version, au.SASLAuthBytes = 1, []byte("\x00"+user+"\x00"+pass)
	for _, req := range []kmsg.Request{hs, au} {
		resp, err := c.roundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		var code int16
		switch resp := resp.(type) {
		case *kmsg.SASLHandshakeResponse:
			code = resp.ErrorCode
		case *kmsg.SASLAuthenticateResponse:
			code = resp.ErrorCode
		}
		if code != 0 {
			t.Fatalf("%s: error %d", kmsg.NameForKey(req.Key()), code)
		}
	}
	return c
}

// write sends req and returns its correlation id.
func (c *pipeConn) write(t *testing.T, req kmsg.Request) int32 {
	t.Helper()
	c.corr++
	if _, err := c.conn.Write(kmsg.NewRequestFormatter().AppendRequest(nil, req, c.corr)); err != nil {
		t.Fatal(err)
	}
	return c.corr
}

// read reads the response to req, sent with correlation id corr.
func (c *pipeConn) read(req kmsg.Request, corr int32) (kmsg.Response, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(c.conn, size[:]); err != nil {
		return nil, err
	}
	frame := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c.conn, frame); err != nil {
		return nil, err
	}
	if got := int32(binary.BigEndian.Uint32(frame)); got != corr {
		return nil, fmt.Errorf("correlation id %d, want %d", got, corr)
	}
	hl, err := protocol.ResponseHeaderLen(frame, req.Key(), req.GetVersion())
	if err != nil {
		return nil, err
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	return resp, resp.ReadFrom(frame[hl:])
}
