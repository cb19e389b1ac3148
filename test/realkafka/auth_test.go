// Client authentication against real Kafka: every SASL method and
// mediation of a virtual cluster with franz-go, librdkafka (kcat,
// confluent-kafka) and the Java client. Two tenants on one gateway are in
// auth_tenants_test.go, re-authentication in auth_reauth_test.go, the
// clients in auth_clients_test.go.

package realkafka

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strait-gw/strait/internal/testenv"
)

// oauthOptional is oauthKafka without the skip: ok is false when the test
// cluster offers no OAUTHBEARER.
func oauthOptional(t *testing.T) (oauthBroker, bool) {
	t.Helper()
	if os.Getenv("STRAIT_KAFKA_OAUTH_SIGNING_KEY") == "" {
		return oauthBroker{}, false
	}
	return oauthKafka(t), true
}

// randomSecret is a password no log may hold.
func randomSecret(prefix string) string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return prefix + "-" + base64.RawURLEncoding.EncodeToString(b)
}

// saltedSCRAM is a SCRAM principal given by its salted credentials, as
// Kafka stores them (RFC 5802: StoredKey = H(HMAC(SaltedPassword,
// "Client Key")), ServerKey = HMAC(SaltedPassword, "Server Key")).
func saltedSCRAM(t *testing.T, user, password string, sha512Hash bool, iterations int) string {
	t.Helper()
	h, size := sha256.New, 32
	if sha512Hash {
		h, size = sha512.New, 64
	}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	salted, err := pbkdf2.Key(h, password, salt, iterations, size)
	if err != nil {
		t.Fatal(err)
	}
	mac := func(key []byte, msg string) []byte {
		m := hmac.New(h, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	sum := func(b []byte) []byte {
		var d hash.Hash = h()
		d.Write(b)
		return d.Sum(nil)
	}
	enc := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("{username: %s, salt: %q, iterations: %d, stored_key: %q, server_key: %q}",
		user, enc(salt), iterations, enc(sum(mac(salted, "Client Key"))), enc(mac(salted, "Server Key")))
}

// authMetrics reads strait_authentications_total from the admin server,
// as "virtual_cluster/method/result" -> count.
func authMetrics(t *testing.T, adminAddr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + adminAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^strait_authentications_total\{([^}]*)\} (\S+)$`)
	label := regexp.MustCompile(`(\w+)="([^"]*)"`)
	out := map[string]float64{}
	for _, m := range re.FindAllStringSubmatch(string(body), -1) {
		l := map[string]string{}
		for _, kv := range label.FindAllStringSubmatch(m[1], -1) {
			l[kv[1]] = kv[2]
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		out[l["virtual_cluster"]+"/"+l["method"]+"/"+l["result"]] += v
	}
	return out
}

// noSecrets fails the test if the log holds any of secrets.
func noSecrets(t *testing.T, log string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(log, s) {
			t.Errorf("the gateway log holds a secret (%.12s...)", s)
		}
	}
}

// authCell is one SASL method with one mediation, on the virtual cluster
// whose bootstrap port is port.
type authCell struct {
	name, vc, method string
	port             int
	good, bad        saslCreds
	// kcat: kcat can speak the mechanism to a validating server (its
	// OAUTHBEARER sends unsecured tokens).
	kcat bool
}

// TestAuthMediationsRealKafka serves three virtual clusters in front of
// Kafka's SASL_PLAINTEXT listener: one passing PLAIN, SCRAM-SHA-256,
// SCRAM-SHA-512 and OAUTHBEARER exchanges through to Kafka, one validating
// OAUTHBEARER tokens before forwarding them, and one terminating every
// mechanism at the gateway, which then reaches Kafka as admin. For each
// method, franz-go, kcat (PLAIN and SCRAM), confluent-kafka (librdkafka
// 2.x) and Kafka's console producer and consumer produce and consume in a
// consumer group, and wrong credentials get SASL_AUTHENTICATION_FAILED
// with the message Kafka itself gives. The gateway counts every outcome
// and logs no secret.
func TestAuthMediationsRealKafka(t *testing.T) {
	k := realKafka(t)
	saslBoot := saslBootstrap(t)
	ob, hasOAuth := oauthOptional(t)
	user256, pw256 := scramUser(t, k, kadm.ScramSha256)
	user512, pw512 := scramUser(t, k, kadm.ScramSha512)

	// Terminate: users only the gateway knows.
	termUser, termPass := "gw-alice", randomSecret("gw-alice")
	saltedUser, saltedPass := "gw-salted", randomSecret("gw-salted")
	secrets := []string{"admin-secret", "alice-secret", pw256, pw512, termPass, saltedPass, "endpoint-secret"}

	cluster := signingKey{kid: ob.kid, key: ob.key}
	gwKey := newSigningKey(t, "strait-gateway-test")
	stranger := newSigningKey(t, "strait-test") // the cluster's kid, another key
	var tokens []string
	mint := func(k signingKey, sub string) string {
		tok := ob.token(t, k, sub, 5*time.Minute)
		tokens = append(tokens, tok)
		return tok
	}

	base := authPorts(t, 15)
	passPort, fwdPort, termPort := base, base+5, base+10
	var oauthPass, fwdVC, oauthTerm, fwdListener string
	var clusterTokens, gatewayTokens *tokenEndpoint
	if hasOAuth {
		jwksCluster, jwksGateway := serveJWKS(t, cluster), serveJWKS(t, gwKey)
		validate := fmt.Sprintf("{issuer: %s, audiences: [{name: %s}]}", ob.issuer, ob.audience)
		oauthPass = "\n      - {type: oauth_bearer, mediation: passthrough}"
		fwdVC = fmt.Sprintf(`
  - name: validate-forward
    destination: kafka
    authentication:
      - {type: oauth_bearer, mediation: validate_forward, jwks: {endpoint: "%s/jwks"}, validate: %s}`, jwksCluster.URL, validate)
		oauthTerm = fmt.Sprintf("\n      - {type: oauth_bearer, mediation: terminate, jwks: {endpoint: \"%s/jwks\"}, validate: %s}", jwksGateway.URL, validate)
		fwdListener = fmt.Sprintf(`
  - name: validate-forward
    ports: ["%d-%d"]
    policies:
      - {type: forward_to_virtual_cluster, config: {type: port_mapping, destination: validate-forward, advertised_host: 127.0.0.1, min_broker_id: 1}}`, fwdPort, fwdPort+4)
		// The Java client gets its tokens from these (as alice).
		clusterTokens = newTokenEndpoint(t, 5*time.Minute, func() string { return ob.token(t, cluster, "alice", 5*time.Minute) })
		gatewayTokens = newTokenEndpoint(t, 5*time.Minute, func() string { return ob.token(t, gwKey, "alice", 5*time.Minute) })
	}
	cfg := fmt.Sprintf(`admin: {address: "127.0.0.1:0"}
observability: {log_level: debug}
runtime: {drain_duration: 1s, shutdown_timeout: 5s, failed_authentication_delay: 50ms}
backend_clusters:
  - name: kafka
    bootstrap_servers: %s
    metadata_update_interval: 2s
    authentication: {type: sasl_plain, username: admin, password: admin-secret}
virtual_clusters:
  - name: passthrough
    destination: kafka
    authentication:
      - {type: sasl_plain, mediation: passthrough}
      - {type: sasl_scram, algorithm: sha256, mediation: passthrough}
      - {type: sasl_scram, algorithm: sha512, mediation: passthrough}%s%s
  - name: terminate
    destination: kafka
    authentication:
      - {type: sasl_plain, mediation: terminate, principals: [{username: %s, password: %s}]}
      - {type: sasl_scram, algorithm: sha256, mediation: terminate, principals: [{username: %s, password: %s}]}
      - {type: sasl_scram, algorithm: sha512, mediation: terminate, principals: [{username: %s, password: %s}, %s]}%s
listeners:
  - name: passthrough
    ports: ["%d-%d"]
    policies:
      - {type: forward_to_virtual_cluster, config: {type: port_mapping, destination: passthrough, advertised_host: 127.0.0.1, min_broker_id: 1}}%s
  - name: terminate
    ports: ["%d-%d"]
    policies:
      - {type: forward_to_virtual_cluster, config: {type: port_mapping, destination: terminate, advertised_host: 127.0.0.1, min_broker_id: 1}}
`, quotedList(saslBoot), oauthPass, fwdVC,
		termUser, termPass, termUser, termPass, termUser, termPass, saltedSCRAM(t, saltedUser, saltedPass, true, 4096), oauthTerm,
		passPort, passPort+4, fwdListener, termPort, termPort+4)
	logs := &testenv.SyncBuffer{}
	keepLog(t, logs)
	g, _ := testenv.StartConfig(t, cfg, logs)

	plainCreds := func(mech, user, pass string) saslCreds { return saslCreds{mech: mech, user: user, pass: pass} }
	cells := []authCell{
		{name: "passthrough PLAIN", vc: "passthrough", method: "sasl_plain", port: passPort, kcat: true,
			good: plainCreds("PLAIN", "alice", "alice-secret"), bad: plainCreds("PLAIN", "alice", "not-alice-secret")},
		{name: "passthrough SCRAM-SHA-256", vc: "passthrough", method: "sasl_scram", port: passPort, kcat: true,
			good: plainCreds("SCRAM-SHA-256", user256, pw256), bad: plainCreds("SCRAM-SHA-256", user256, "wrong-"+pw256)},
		{name: "passthrough SCRAM-SHA-512", vc: "passthrough", method: "sasl_scram", port: passPort, kcat: true,
			good: plainCreds("SCRAM-SHA-512", user512, pw512), bad: plainCreds("SCRAM-SHA-512", user512, "wrong-"+pw512)},
		{name: "terminate PLAIN", vc: "terminate", method: "sasl_plain", port: termPort, kcat: true,
			good: plainCreds("PLAIN", termUser, termPass), bad: plainCreds("PLAIN", termUser, "wrong-"+termPass)},
		{name: "terminate SCRAM-SHA-256", vc: "terminate", method: "sasl_scram", port: termPort, kcat: true,
			good: plainCreds("SCRAM-SHA-256", termUser, termPass), bad: plainCreds("SCRAM-SHA-256", "no-such-user", termPass)},
		{name: "terminate SCRAM-SHA-512", vc: "terminate", method: "sasl_scram", port: termPort, kcat: true,
			good: plainCreds("SCRAM-SHA-512", termUser, termPass), bad: plainCreds("SCRAM-SHA-512", termUser, "wrong-"+termPass)},
		{name: "terminate SCRAM-SHA-512 salted credentials", vc: "terminate", method: "sasl_scram", port: termPort, kcat: true,
			good: plainCreds("SCRAM-SHA-512", saltedUser, saltedPass), bad: plainCreds("SCRAM-SHA-512", saltedUser, termPass)},
	}
	if hasOAuth {
		oauthCreds := func(tok string, te *tokenEndpoint) saslCreds {
			c := saslCreds{mech: "OAUTHBEARER", token: tok}
			if te != nil {
				c.tokenURL = te.URL + "/token"
			}
			return c
		}
		cells = append(cells,
			authCell{name: "passthrough OAUTHBEARER", vc: "passthrough", method: "oauth_bearer", port: passPort,
				good: oauthCreds(mint(cluster, "alice"), clusterTokens), bad: oauthCreds(mint(stranger, "alice"), nil)},
			authCell{name: "validate_forward OAUTHBEARER", vc: "validate-forward", method: "oauth_bearer", port: fwdPort,
				good: oauthCreds(mint(cluster, "alice"), clusterTokens), bad: oauthCreds(mint(stranger, "alice"), nil)},
			authCell{name: "terminate OAUTHBEARER", vc: "terminate", method: "oauth_bearer", port: termPort,
				// The broker's key is not the gateway's.
				good: oauthCreds(mint(gwKey, "alice"), gatewayTokens), bad: oauthCreds(mint(cluster, "alice"), nil)},
		)
	}

	// What Kafka itself answers to wrong credentials, per mechanism.
	kafkaSays := map[string]string{}
	for _, c := range []saslCreds{plainCreds("PLAIN", "alice", "wrong"), plainCreds("SCRAM-SHA-256", "alice", "wrong"), plainCreds("SCRAM-SHA-512", "alice", "wrong")} {
		kafkaSays[c.mech] = franzAuthError(t, saslBoot[0], c).Error()
	}
	if hasOAuth {
		kafkaSays["OAUTHBEARER"] = franzAuthError(t, saslBoot[0], saslCreds{mech: "OAUTHBEARER", token: mint(stranger, "alice")}).Error()
	}

	// Two cells at a time (go test's -parallel is GOMAXPROCS): the Java
	// tools are slow to start.
	var ran sync.Map // "vc/method/result" the cells tried (go test -run may pick some)
	t.Run("cells", func(t *testing.T) {
		for _, c := range cells {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				c.run(t, k, kafkaSays, func(result string) { ran.Store(c.vc+"/"+c.method+"/"+result, true) })
			})
		}
		t.Run("Kafka authorizes whom the client authenticated as", func(t *testing.T) {
			t.Parallel()
			kafkaSeesPrincipal(t, k, addr(passPort), cells[0].good, addr(termPort), cells[3].good)
		})
	})

	// Every success and failure is counted per virtual cluster and method.
	m := authMetrics(t, g.AdminAddr())
	ran.Range(func(key, _ any) bool {
		if m[key.(string)] == 0 {
			t.Errorf("strait_authentications_total{%s} is 0; have %v", key, m)
		}
		return true
	})
	if clusterTokens != nil {
		secrets = append(secrets, clusterTokens.secrets()...)
		secrets = append(secrets, gatewayTokens.secrets()...)
	}
	noSecrets(t, logs.String(), append(secrets, tokens...)...)
}

// kafkaSeesPrincipal denies the user of passed (PLAIN, passed through at
// passBoot) writes to a topic in Kafka: passed through, its records are
// refused with TOPIC_AUTHORIZATION_FAILED, since Kafka authenticated the
// client itself; terminated (term, at termBoot), they are written, as the
// backend connection is the gateway's (admin, a super user).
func kafkaSeesPrincipal(t *testing.T, k *testenv.Kafka, passBoot string, passed saslCreds, termBoot string, term saslCreds) {
	topic := authTopic(t, k)
	adm := kadm.NewClient(client(t, k.Bootstrap[0], kgo.SeedBrokers(k.Bootstrap...)))
	deny := kadm.NewACLs().Topics(topic).ResourcePatternType(kadm.ACLPatternLiteral).
		Deny("User:" + passed.user).DenyHosts().Operations(kadm.OpWrite)
	res, err := adm.CreateACLs(ctxFor(t, 30*time.Second), deny)
	if err == nil {
		for _, r := range res {
			if r.Err != nil {
				err = r.Err
			}
		}
	}
	if err != nil {
		t.Fatalf("create ACL: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = adm.DeleteACLs(ctx, deny)
	})
	produce := func(boot string, c saslCreds) error {
		cl := client(t, boot, append(c.franz(), kgo.DefaultProduceTopic(topic), kgo.RecordRetries(0))...)
		defer cl.Close()
		return cl.ProduceSync(ctxFor(t, 15*time.Second), &kgo.Record{Value: []byte("x")}).FirstErr()
	}
	// Every broker applies the ACL a little after it is created.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		err := produce(passBoot, passed)
		if errors.Is(err, kerr.TopicAuthorizationFailed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("passed through, as %s, denied WRITE: %v, want TOPIC_AUTHORIZATION_FAILED", passed.user, err)
		}
	}
	if err := produce(termBoot, term); err != nil {
		t.Errorf("terminated, as %s: %v", term.user, err)
	}
}

// run tries the cell's credentials with every client, and wrong ones;
// kafkaSays is what Kafka answers wrong credentials with, per mechanism.
// It calls tried with the result (ok, failed) the gateway must have
// counted.
func (c authCell) run(t *testing.T, k *testenv.Kafka, kafkaSays map[string]string, tried func(result string)) {
	boot := addr(c.port)
	t.Run("franz-go", func(t *testing.T) {
		tried("ok")
		topic := authTopic(t, k)
		franzRoundTrip(t, boot, c.good, topic, 20)
	})
	if c.kcat {
		t.Run("kcat", func(t *testing.T) {
			if strings.HasPrefix(c.good.mech, "SCRAM-") && c.vc == "passthrough" {
				// Kafka decides; the gateway, terminating, accepts
				// librdkafka's nonce as Kafka 3.9 does.
				kcatCanSCRAM(t, c.good.mech)
			}
			topic := authTopic(t, k)
			kcatRoundTrip(t, boot, c.good, topic, 10)
		})
	}
	t.Run("confluent-kafka", func(t *testing.T) {
		topic := authTopic(t, k)
		confluentRoundTrip(t, boot, c.good, topic, 10)
	})
	t.Run("java", func(t *testing.T) {
		topic := authTopic(t, k)
		javaRoundTrip(t, boot, c.good, topic, 10)
	})
	t.Run("wrong credentials", func(t *testing.T) {
		tried("failed")
		err := franzAuthError(t, boot, c.bad)
		wantAuthFailed(t, err)
		// The same words as Kafka's, which say nothing of whether
		// the user exists.
		if want := kafkaSays[c.good.mech]; err.Error() != want {
			t.Errorf("franz-go got\n\t%v\nKafka answers\n\t%s", err, want)
		}
		if out := confluentAuthError(t, boot, c.bad); !strings.Contains(out, "SASL authentication error: ") {
			t.Errorf("confluent-kafka:\n%s", out)
		}
	})
}

// TestAuthLogLinesNameVirtualClusterTwice pins a bug: the gateway gives
// auth.NewServer a logger that already names the virtual cluster, and
// NewServer adds virtual_cluster again, so every line the authenticator
// logs ("client authenticated", "authentication failed", JWKS fetches)
// carries the key twice; and those lines lack the listener and the client
// that the session's own lines carry, so a failed attempt cannot be told
// from which connection it came (the session logs "client authenticated"
// a second time, with them).
func TestAuthLogLinesNameVirtualClusterTwice(t *testing.T) {
	realKafka(t)
	saslBoot := saslBootstrap(t)
	pass := randomSecret("log")
	base := authPorts(t, 5)
	logs := &testenv.SyncBuffer{}
	testenv.StartConfig(t, fmt.Sprintf(`admin: {address: "127.0.0.1:0"}
observability: {log_level: debug}
backend_clusters:
  - name: kafka
    bootstrap_servers: %s
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
`, quotedList(saslBoot), pass, base, base+4), logs)
	good := saslCreds{mech: "PLAIN", user: "alice", pass: pass}
	if err := client(t, addr(base), good.franz()...).Ping(ctxFor(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	wantAuthFailed(t, franzAuthError(t, addr(base), saslCreds{mech: "PLAIN", user: "alice", pass: "wrong-" + pass}))
	for _, msg := range []string{`msg="client authenticated"`, `msg="authentication failed"`} {
		for _, l := range strings.Split(logs.String(), "\n") {
			if !strings.Contains(l, msg) {
				continue
			}
			if n := strings.Count(l, " virtual_cluster="); n != 1 {
				t.Errorf("virtual_cluster %d times in: %s", n, l)
			}
			if !strings.Contains(l, " listener=plain") || !strings.Contains(l, " client=127.0.0.1:") {
				t.Errorf("no listener or client in: %s", l)
			}
		}
	}
}
