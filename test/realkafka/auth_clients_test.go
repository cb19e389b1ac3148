// This file holds the clients of the authentication tests: credentials for
// one SASL mechanism as franz-go, librdkafka (kcat, and confluent-kafka for
// what the distribution's kcat cannot do) and Kafka's Java console tools
// take them, each client's produce-and-consume round trip through a
// gateway, and the JWKS the tests serve.

package realkafka

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/strait-gw/strait/internal/testenv"
)

// saslCreds are a client's credentials for one SASL mechanism.
type saslCreds struct {
	// mech is PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER.
	mech       string
	user, pass string
	// token is the OAUTHBEARER token franz-go sends.
	token string
	// tokenURL is the token endpoint the Java client gets OAUTHBEARER
	// tokens from (client strait/endpoint-secret, see newTokenEndpoint).
	tokenURL string
	// tls makes the clients speak SASL_SSL, trusting caFile / pool.
	tls *tls.Config
	// caFile is the PEM CA kcat trusts with tls.
	caFile string
}

// mechanism is the franz-go SASL mechanism of c.
func (c saslCreds) mechanism() sasl.Mechanism {
	switch c.mech {
	case "PLAIN":
		return plain.Auth{User: c.user, Pass: c.pass}.AsMechanism()
	case "SCRAM-SHA-256":
		return scram.Auth{User: c.user, Pass: c.pass}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		return scram.Auth{User: c.user, Pass: c.pass}.AsSha512Mechanism()
	case "OAUTHBEARER":
		return oauth.Auth{Token: c.token}.AsMechanism()
	}
	panic("unknown mechanism " + c.mech)
}

// franz is the franz-go options that authenticate with c.
func (c saslCreds) franz() []kgo.Opt {
	opts := []kgo.Opt{kgo.SASL(c.mechanism())}
	if c.tls != nil {
		opts = append(opts, kgo.DialTLSConfig(c.tls.Clone()))
	}
	return opts
}

// kcat is kcat's (librdkafka's) configuration for c. OAUTHBEARER is left
// out: librdkafka's built-in OAUTHBEARER sends unsecured JWTs, which a
// validating broker or gateway refuses.
func (c saslCreds) kcat() []string {
	proto := "sasl_plaintext"
	if c.tls != nil {
		proto = "sasl_ssl"
	}
	args := []string{"-X", "security.protocol=" + proto, "-X", "sasl.mechanisms=" + c.mech,
		"-X", "sasl.username=" + c.user, "-X", "sasl.password=" + c.pass}
	if c.tls != nil {
		args = append(args, "-X", "ssl.ca.location="+c.caFile)
	}
	return args
}

// javaProps is the Java client's configuration for c (PLAINTEXT
// transport). With OAUTHBEARER the client logs in with its own
// OAuthBearerLoginCallbackHandler at c.tokenURL.
func (c saslCreds) javaProps() string {
	var b strings.Builder
	fmt.Fprintf(&b, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=%s\n", c.mech)
	switch c.mech {
	case "PLAIN":
		fmt.Fprintf(&b, "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=%q password=%q;\n", c.user, c.pass)
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		fmt.Fprintf(&b, "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=%q password=%q;\n", c.user, c.pass)
	case "OAUTHBEARER":
		fmt.Fprintf(&b, "sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler\n")
		fmt.Fprintf(&b, "sasl.oauthbearer.token.endpoint.url=%s\n", c.tokenURL)
		fmt.Fprintf(&b, "sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"strait\" clientSecret=\"endpoint-secret\" scope=\"kafka\";\n")
	}
	return b.String()
}

// javaToolOpts are the JVM options of a Java client with c: from Kafka
// 4.0 (and on 3.9 when set), only the URLs that
// org.apache.kafka.sasl.oauthbearer.allowed.urls lists may be called.
func (c saslCreds) javaToolOpts() string {
	if c.mech != "OAUTHBEARER" {
		return ""
	}
	return "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=" + c.tokenURL
}

// franzRoundTrip produces n records to topic through boot as c and reads
// them back in a consumer group, committing its offsets.
func franzRoundTrip(t *testing.T, boot string, c saslCreds, topic string, n int) {
	t.Helper()
	p := client(t, boot, append(c.franz(), kgo.DefaultProduceTopic(topic))...)
	for i := range n {
		p.Produce(ctxFor(t, 30*time.Second), &kgo.Record{Value: []byte(strconv.Itoa(i))}, nil)
	}
	if err := p.Flush(ctxFor(t, 30*time.Second)); err != nil {
		t.Fatalf("produce as %s: %v", c.mech, err)
	}
	g := client(t, boot, append(c.franz(), kgo.ConsumeTopics(topic), kgo.ConsumerGroup(topic+"-g"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	ctx := ctxFor(t, 60*time.Second)
	seen := map[string]bool{}
	for len(seen) < n {
		fs := g.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records", len(seen), n)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s[%d]: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)] = true })
	}
	if err := g.CommitUncommittedOffsets(ctxFor(t, 30*time.Second)); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

// franzAuthError is the error a franz-go client gets from its first
// request through boot as c; it fails the test if there is none.
func franzAuthError(t *testing.T, boot string, c saslCreds) error {
	t.Helper()
	cl := client(t, boot, append(c.franz(), kgo.RequestRetries(0))...)
	err := cl.Ping(ctxFor(t, 20*time.Second))
	if err == nil {
		t.Fatalf("%s as %q: authenticated with wrong credentials", c.mech, c.user)
	}
	return err
}

// wantAuthFailed checks that err is Kafka's SASL_AUTHENTICATION_FAILED.
func wantAuthFailed(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Errorf("got %v, want SASL_AUTHENTICATION_FAILED", err)
	}
}

// kcatRoundTrip produces n lines to topic with kcat through boot as c and
// reads them back in a consumer group.
func kcatRoundTrip(t *testing.T, boot string, c saslCreds, topic string, n int) {
	t.Helper()
	kcatPath(t)
	args := append([]string{"-b", boot}, c.kcat()...)
	var in bytes.Buffer
	want := make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("kcat-%d", i)
		fmt.Fprintln(&in, want[i])
	}
	run(t, in.Bytes(), "kcat", append(args, "-P", "-t", topic, "-m", "30")...)
	out := run(t, nil, "kcat", append(args, "-G", topic+"-g", topic, "-X", "auto.offset.reset=earliest", "-c", strconv.Itoa(n))...)
	got := strings.Fields(out)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("kcat consumed %d records, want %d:\n%s", len(got), n, out)
	}
}

// kcatAuthError runs kcat -L through boot as c and returns its error
// output; it fails the test if kcat succeeds.
func kcatAuthError(t *testing.T, boot string, c saslCreds) string {
	t.Helper()
	kcatPath(t)
	cmd := exec.Command("kcat", append(append([]string{"-b", boot}, c.kcat()...), "-L", "-m", "3")...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err == nil {
		t.Fatalf("kcat authenticated as %q with wrong credentials:\n%s", c.user, out.String())
	}
	return errb.String()
}

func kcatPath(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("kcat"); err != nil {
		t.Fatal("kcat is not installed (apt-get install kcat)")
	}
}

// javaSetup returns the Kafka version and kafka-tool.sh of the test
// cluster, a client properties file for c and the environment of the
// tools.
func javaSetup(t *testing.T, c saslCreds) (version, tool, props string, env []string) {
	t.Helper()
	version = os.Getenv("STRAIT_KAFKA_VERSION")
	tool = filepath.Join(os.Getenv("STRAIT_KAFKA_HARNESS"), "kafka-tool.sh")
	if version == "" || os.Getenv("STRAIT_KAFKA_HARNESS") == "" {
		t.Fatal("STRAIT_KAFKA_VERSION and STRAIT_KAFKA_HARNESS must be set (source test/kafka/env.sh)")
	}
	props = filepath.Join(t.TempDir(), "client.properties")
	if err := os.WriteFile(props, []byte(c.javaProps()), 0o600); err != nil {
		t.Fatal(err)
	}
	return version, tool, props, []string{"STRAIT_KAFKA_TOOL_OPTS=" + c.javaToolOpts()}
}

// cfgFlag is the client config option of a console tool of kind
// (producer, consumer): 4.x renamed --producer.config and
// --consumer.config to --command-config.
func cfgFlag(version, kind string) string {
	if strings.HasPrefix(version, "3.") {
		return "--" + kind + ".config"
	}
	return "--command-config"
}

// javaRoundTrip produces n lines to topic with Kafka's console producer
// through boot as c and reads them back with the console consumer in a
// group.
func javaRoundTrip(t *testing.T, boot string, c saslCreds, topic string, n int) {
	t.Helper()
	version, tool, props, env := javaSetup(t, c)
	var in bytes.Buffer
	for i := range n {
		fmt.Fprintf(&in, "java-%d\n", i)
	}
	runEnv(t, env, in.Bytes(), tool, version, "kafka-console-producer", "--bootstrap-server", boot, "--topic", topic, cfgFlag(version, "producer"), props)
	out := runEnv(t, env, nil, tool, version, "kafka-console-consumer", "--bootstrap-server", boot, "--topic", topic,
		"--group", topic+"-g", "--from-beginning", "--max-messages", strconv.Itoa(n), "--timeout-ms", "30000", cfgFlag(version, "consumer"), props)
	for i := range n {
		if !strings.Contains(out, fmt.Sprintf("java-%d\n", i)) {
			t.Fatalf("the Java consumer lacks java-%d:\n%s", i, out)
		}
	}
}

// runEnv is run with env added to the command's environment.
func runEnv(t *testing.T, env []string, stdin []byte, name string, args ...string) string {
	t.Helper()
	out, errOut, err := runCmd(90*time.Second, env, stdin, name, args...)
	if err != nil {
		t.Fatalf("%s %v: %v\n%s\n%s", name, args, err, out, errOut)
	}
	return out
}

// runCmd runs a command with env added to its environment and returns its
// output and error output; it is killed after timeout.
func runCmd(timeout time.Duration, env []string, stdin []byte, name string, args ...string) (string, string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		return "", "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), errb.String(), err
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		return out.String(), errb.String(), fmt.Errorf("timed out after %v", timeout)
	}
}

// signingKey is an RSA key that signs tokens, with its key id.
type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

func newSigningKey(t *testing.T, kid string) signingKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid: kid, key: k}
}

// serveJWKS serves the public halves of keys as a JSON Web Key Set.
func serveJWKS(t *testing.T, keys ...signingKey) *httptest.Server {
	t.Helper()
	type jwk struct {
		Kty string `json:"kty"`
		Use string `json:"use"`
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		N   string `json:"n"`
		E   string `json:"e"`
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	for _, k := range keys {
		pub := k.key.PublicKey
		set.Keys = append(set.Keys, jwk{Kty: "RSA", Use: "sig", Alg: "RS256", Kid: k.kid,
			N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())})
	}
	body, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

// token signs a token for subject with k, valid for ttl, with the
// issuer and audience of o.
func (o oauthBroker) token(t *testing.T, k signingKey, subject string, ttl time.Duration) string {
	t.Helper()
	o.kid = k.kid
	return o.jwt(t, k.key, subject, ttl)
}

// authPorts finds n consecutive free loopback ports away from those the
// test clusters and concurrent compatibility runs use (24092-24300,
// 34000-34100, 36000-36100, 45092-45300).
func authPorts(t *testing.T, n int) int {
	t.Helper()
	busy := [][2]int{{24000, 24300}, {34000, 34100}, {36000, 36100}, {45000, 45300}}
	for range 50 {
		base := testenv.FreePorts(t, n)
		ok := true
		for _, r := range busy {
			if base < r[1] && base+n > r[0] {
				ok = false
			}
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free ports outside the reserved ranges")
	return 0
}

// addr is 127.0.0.1:port.
func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// quotedList is a YAML flow list of strings.
func quotedList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// kcatSCRAM caches, per mechanism, why kcat cannot use SCRAM with this
// Kafka ("" when it can).
var kcatSCRAM sync.Map

// kcatCanSCRAM skips the test when kcat cannot authenticate with mech to
// Kafka itself with good credentials: librdkafka before 2.6.1 repeats the
// client nonce in its SCRAM client-final message
// (confluentinc/librdkafka#4895), which Kafka 4.x refuses as RFC 5802
// wants (3.9 accepts a nonce that ends with the server's, and so does the
// gateway when it terminates SCRAM). confluent-kafka's librdkafka covers
// SCRAM passed through to Kafka 4.
func kcatCanSCRAM(t *testing.T, mech string) {
	t.Helper()
	kcatPath(t)
	why, ok := kcatSCRAM.Load(mech)
	if !ok {
		admin := saslCreds{mech: mech, user: "admin", pass: "admin-secret"}
		cmd := exec.Command("kcat", append(append([]string{"-b", saslBootstrap(t)[0]}, admin.kcat()...), "-L", "-m", "3")...)
		out, err := cmd.CombinedOutput()
		why = ""
		if err != nil {
			why = fmt.Sprintf("kcat (librdkafka %s) cannot authenticate with %s to Kafka itself (librdkafka before 2.6.1 sends a SCRAM nonce Kafka 4 refuses, confluentinc/librdkafka#4895): %s",
				kcatLibrdkafka(t), mech, strings.TrimSpace(lastLine(string(out))))
		}
		kcatSCRAM.Store(mech, why)
	}
	if why != "" {
		t.Skip(why)
	}
}

// kcatLibrdkafka is the version of kcat's librdkafka.
func kcatLibrdkafka(t *testing.T) string {
	t.Helper()
	v, _ := exec.Command("kcat", "-V").CombinedOutput()
	m := regexp.MustCompile(`librdkafka ([0-9]+\.[0-9]+\.[0-9]+)`).FindStringSubmatch(string(v))
	if m == nil {
		t.Fatalf("no librdkafka version in kcat -V:\n%s", v)
	}
	return m[1]
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// confluentPython is the Python with confluent-kafka that
// test/compat/clients/python/install sets up (STRAIT_CONFLUENT_PYTHON
// overrides it); the test is skipped without one, except under CI.
func confluentPython(t *testing.T) string {
	t.Helper()
	py := os.Getenv("STRAIT_CONFLUENT_PYTHON")
	if py == "" {
		py = filepath.Join("..", "compat", "clients", "python", ".venv", "bin", "python")
	}
	if err := exec.Command(py, "-c", "import confluent_kafka").Run(); err != nil {
		msg := fmt.Sprintf("no confluent-kafka at %s (run test/compat/clients/python/install): %v", py, err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return py
}

// confluentScript produces and consumes (round-trip, n records; soak, for
// n seconds), or connects and prints the errors it gets (fail), with
// confluent-kafka; its configuration comes in
// STRAIT_CK_CONFIG, so no secret is on a command line.
const confluentScript = `
import json, os, sys, time
from confluent_kafka import Producer, Consumer

cfg = json.loads(os.environ["STRAIT_CK_CONFIG"])
mode, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
errs = []
base = {"bootstrap.servers": cfg["bootstrap"], "security.protocol": cfg["protocol"],
        "sasl.mechanisms": cfg["mech"], "error_cb": lambda e: errs.append(str(e))}
if cfg.get("ca"):
    base["ssl.ca.location"] = cfg["ca"]
if cfg["mech"] == "OAUTHBEARER":
    base["oauth_cb"] = lambda _: (cfg["token"], time.time() + 300, cfg["principal"])
else:
    base["sasl.username"], base["sasl.password"] = cfg["user"], cfg["pass"]

if mode == "fail":
    # error_cb is served by poll; librdkafka connects to the bootstrap
    # server at once.
    p = Producer(base)
    deadline = time.time() + 15
    while time.time() < deadline and not any("_AUTHENTICATION" in e for e in errs):
        p.poll(0.2)
    print("\n".join(errs))
    sys.exit(0 if errs else 1)

if mode == "soak":
    # A producer at 50 records a second and a consumer group, for n
    # seconds; then every acknowledged record must be consumed.
    p = Producer(base)
    c = Consumer(dict(base, **{"group.id": topic + "-g", "auto.offset.reset": "earliest"}))
    c.subscribe([topic])
    acked, got, failed = set(), set(), []
    def delivered(e, m):
        if e:
            failed.append(str(e))
        else:
            acked.add(m.value().decode())
    def consume(timeout):
        m = c.poll(timeout)
        if m is not None:
            if m.error():
                errs.append(str(m.error()))
            else:
                got.add(m.value().decode())
    produced, start = 0, time.time()
    while time.time() < start + n:
        while produced < (time.time() - start) * 50:
            p.produce(topic, value=str(produced).encode(), on_delivery=delivered)
            produced += 1
        p.poll(0)
        consume(0.01)
    p.flush(30)
    deadline = time.time() + 30
    while not acked <= got and time.time() < deadline:
        consume(0.2)
    c.close()
    print("%d produced, %d acknowledged, %d consumed; errors %s, failed deliveries %s" % (produced, len(acked), len(got), errs[:10], failed[:10]))
    sys.exit(0 if produced == len(acked) and acked <= got and not errs and not failed else 1)

failed = []
p = Producer(base)
for i in range(n):
    p.produce(topic, value=("ck-%d" % i).encode(), on_delivery=lambda e, m: e and failed.append(str(e)))
left = p.flush(30)
if left or failed or errs:
    sys.exit("produce: %d not delivered, %s %s" % (left, failed, errs))
c = Consumer(dict(base, **{"group.id": topic + "-g", "auto.offset.reset": "earliest"}))
c.subscribe([topic])
got, deadline = set(), time.time() + 45
while len(got) < n and time.time() < deadline and not errs:
    m = c.poll(0.5)
    if m is None:
        continue
    if m.error():
        errs.append(str(m.error()))
        continue
    got.add(m.value().decode())
if len(got) == n and not errs:
    c.commit(asynchronous=False)
c.close()
if len(got) != n or errs:
    sys.exit("consumed %d of %d: %s" % (len(got), n, errs))
print("ok %d" % len(got))
`

// confluentEnv is the STRAIT_CK_CONFIG of c through boot.
func (c saslCreds) confluentEnv(t *testing.T, boot string) []string {
	t.Helper()
	cfg := map[string]string{"bootstrap": boot, "protocol": "SASL_PLAINTEXT", "mech": c.mech,
		"user": c.user, "pass": c.pass, "token": c.token, "principal": "alice"}
	if c.tls != nil {
		cfg["protocol"], cfg["ca"] = "SASL_SSL", c.caFile
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return []string{"STRAIT_CK_CONFIG=" + string(b)}
}

// confluentRoundTrip produces n records with confluent-kafka through boot
// as c and reads them back in a consumer group.
func confluentRoundTrip(t *testing.T, boot string, c saslCreds, topic string, n int) {
	t.Helper()
	py := confluentPython(t)
	runEnv(t, c.confluentEnv(t, boot), nil, py, "-c", confluentScript, "round-trip", topic, strconv.Itoa(n))
}

// confluentAuthError returns the errors confluent-kafka reports through
// boot as c; it fails the test if there are none.
func confluentAuthError(t *testing.T, boot string, c saslCreds) string {
	t.Helper()
	py := confluentPython(t)
	return runEnv(t, c.confluentEnv(t, boot), nil, py, "-c", confluentScript, "fail", "-", "0")
}

// authTopic creates a topic for the test as superTopic does and waits
// until every broker knows it: librdkafka 2.0 takes the answer of a broker
// that has not learnt of a new topic yet for a topic without partitions,
// and fails the messages it holds for it.
func authTopic(t *testing.T, k *testenv.Kafka) string {
	t.Helper()
	topic := topicName(t)
	superTopic(t, k, topic)
	for _, b := range k.Bootstrap {
		testenv.WaitFor(t, 30*time.Second, topic+" known to "+b, func() bool { return brokerKnows(b, topic, 3) })
	}
	return topic
}

// brokerKnows reports whether the broker at addr (a PLAINTEXT listener)
// answers metadata for topic with its partitions, each with a leader.
func brokerKnows(addr, topic string, partitions int) bool {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	req := kmsg.NewPtrMetadataRequest()
	req.Version = 12
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := (&rawConn{conn: conn}).roundTrip(req)
	if err != nil {
		return false
	}
	m := resp.(*kmsg.MetadataResponse)
	if len(m.Topics) != 1 || m.Topics[0].ErrorCode != 0 || len(m.Topics[0].Partitions) != partitions {
		return false
	}
	for _, p := range m.Topics[0].Partitions {
		if p.ErrorCode != 0 || p.Leader < 0 {
			return false
		}
	}
	return true
}

// keepLog writes the gateway's log to $STRAIT_AUTH_LOG_DIR/TEST.log when
// that is set, for a look after the run.
func keepLog(t *testing.T, logs *testenv.SyncBuffer) {
	dir := os.Getenv("STRAIT_AUTH_LOG_DIR")
	if dir == "" {
		return
	}
	t.Cleanup(func() {
		name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
		_ = os.WriteFile(filepath.Join(dir, name+".log"), []byte(logs.String()), 0o600)
	})
}
