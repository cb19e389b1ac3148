package realkafka

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/backend"
	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/protocol"
	"github.com/strait-gw/strait/internal/testenv"
)

// oauthBroker is what the tests need of a Kafka SASL listener that
// validates OAUTHBEARER tokens (OAuthBearerValidatorCallbackHandler) with
// a JWKS the tests hold the key of.
type oauthBroker struct {
	key              *rsa.PrivateKey
	kid              string
	issuer, audience string
}

// oauthKafka returns the OAUTHBEARER settings of the test cluster, or
// skips when it has none (a cluster started by a cluster.sh older than
// OAUTHBEARER). test/kafka/cluster.sh configures, on the listener of
// STRAIT_KAFKA_SASL_BOOTSTRAP (and on SASL_REAUTH):
//
//	sasl.enabled.mechanisms=...,OAUTHBEARER
//	listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
//	listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
//	sasl.oauthbearer.jwks.endpoint.url=file://DIR/oauth/jwks.json
//	sasl.oauthbearer.expected.issuer=$STRAIT_KAFKA_OAUTH_ISSUER
//	sasl.oauthbearer.expected.audience=$STRAIT_KAFKA_OAUTH_AUDIENCE
//
// and the JVM option (which Kafka 4 requires)
// -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=file://DIR/oauth/jwks.json.
// STRAIT_KAFKA_OAUTH_SIGNING_KEY is the PEM (PKCS#8) RSA key whose public
// half the JWKS holds, with key id STRAIT_KAFKA_OAUTH_KID (default
// strait-test).
func oauthKafka(t *testing.T) oauthBroker {
	t.Helper()
	path := os.Getenv("STRAIT_KAFKA_OAUTH_SIGNING_KEY")
	if path == "" {
		t.Skip("no OAUTHBEARER on the test cluster: STRAIT_KAFKA_OAUTH_SIGNING_KEY is not set")
	}
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("%s: a %T, want an RSA key", path, k)
	}
	kid := os.Getenv("STRAIT_KAFKA_OAUTH_KID")
	if kid == "" {
		kid = "strait-test"
	}
	return oauthBroker{key: rk, kid: kid, issuer: os.Getenv("STRAIT_KAFKA_OAUTH_ISSUER"), audience: os.Getenv("STRAIT_KAFKA_OAUTH_AUDIENCE")}
}

// jwt signs an RS256 token for subject, valid for ttl.
func (o oauthBroker) jwt(t *testing.T, key *rsa.PrivateKey, subject string, ttl time.Duration) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	now := time.Now()
	claims := map[string]any{"sub": subject, "iat": now.Unix(), "exp": now.Add(ttl).Unix(), "scope": "kafka"}
	if o.issuer != "" {
		claims["iss"] = o.issuer
	}
	if o.audience != "" {
		claims["aud"] = o.audience
	}
	signed := enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": o.kid}) + "." + enc(claims)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// tokenEndpoint serves the client credentials grant for client
// strait/endpoint-secret with tokens from mint; it records the tokens it
// issued.
type tokenEndpoint struct {
	*httptest.Server
	requests atomic.Int32
	mu       sync.Mutex
	issued   []string
}

// secrets returns the tokens issued so far and the client secret.
func (te *tokenEndpoint) secrets() []string {
	te.mu.Lock()
	defer te.mu.Unlock()
	return append([]string{"endpoint-secret"}, te.issued...)
}

func newTokenEndpoint(t *testing.T, ttl time.Duration, mint func() string) *tokenEndpoint {
	te := &tokenEndpoint{}
	te.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		te.requests.Add(1)
		id, secret, _ := r.BasicAuth()
		if r.Method != http.MethodPost || id != "strait" || secret != "endpoint-secret" || r.PostFormValue("grant_type") != "client_credentials" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"client authentication failed"}`)
			return
		}
		tok := mint()
		te.mu.Lock()
		te.issued = append(te.issued, tok)
		te.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(ttl.Seconds())})
	}))
	t.Cleanup(te.Close)
	return te
}

// TestBackendSASLOAuthBearerRealKafka: the gateway gets tokens from a token
// endpoint and authenticates to Kafka with OAUTHBEARER; anonymous clients
// produce and consume through it. Tokens Kafka refuses and a token endpoint
// that refuses the gateway leave it unready with a clear log line.
func TestBackendSASLOAuthBearerRealKafka(t *testing.T) {
	k := realKafka(t)
	ob := oauthKafka(t)
	sasl := saslBootstrap(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	auth := func(te *tokenEndpoint, secret string) string {
		return fmt.Sprintf(`{type: sasl_oauthbearer, token_endpoint: "%s/oauth2/token", client_id: strait, client_secret: %s, scope: kafka}`, te.URL, secret)
	}

	t.Run("produce and consume", func(t *testing.T) {
		te := newTokenEndpoint(t, 5*time.Minute, func() string { return ob.jwt(t, ob.key, "strait-gateway", 5*time.Minute) })
		logs := &testenv.SyncBuffer{}
		base := testenv.FreePorts(t, 5)
		testenv.StartConfig(t, saslGatewayConfig(sasl, auth(te, "endpoint-secret"), base), logs)
		boot := net.JoinHostPort("127.0.0.1", strconv.Itoa(base))

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
		// One token serves every connection until it nears expiry.
		if n := te.requests.Load(); n != 1 {
			t.Errorf("%d token requests, want 1", n)
		}
		l := logs.String()
		for _, secret := range te.secrets() {
			if strings.Contains(l, secret) {
				t.Errorf("the log holds a secret or token")
			}
		}
	})

	for _, tc := range []struct {
		name, secret string
		mint         func() string
		want         string
	}{
		{
			name: "token signed by an unknown key", secret: "endpoint-secret",
			mint: func() string { return ob.jwt(t, other, "strait-gateway", 5*time.Minute) },
			want: `backend cluster \\"secured\\": SASL OAUTHBEARER authentication with 127.0.0.1:\d+: authentication failed: SASL_AUTHENTICATION_FAILED`,
		},
		{
			name: "token endpoint refuses the client", secret: "wrong-endpoint-secret",
			mint: func() string { return ob.jwt(t, ob.key, "strait-gateway", 5*time.Minute) },
			want: `backend cluster \\"secured\\": SASL OAUTHBEARER authentication with 127.0.0.1:\d+: authentication failed: the token endpoint answered 401 Unauthorized: invalid_client: client authentication failed`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te := newTokenEndpoint(t, 5*time.Minute, tc.mint)
			logs := &testenv.SyncBuffer{}
			base := testenv.FreePorts(t, 5)
			g := startUnready(t, saslGatewayConfig(sasl, auth(te, tc.secret), base), logs)
			testenv.WaitFor(t, 20*time.Second, "metadata refresh failure logged", func() bool {
				return strings.Contains(logs.String(), `msg="metadata refresh failed" backend_cluster=secured sasl_mechanism=OAUTHBEARER`)
			})
			if ok, _ := g.Ready(); ok {
				t.Error("gateway ready with a backend that refuses it")
			}
			cl := client(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(base)), kgo.RequestRetries(0))
			if err := cl.Ping(ctxFor(t, 10*time.Second)); err == nil {
				t.Fatal("a request through the gateway succeeded")
			}
			testenv.WaitFor(t, 10*time.Second, "disconnection logged", func() bool {
				return regexpMatch(`msg="closing client: backend unreachable" .* err="`+tc.want, logs.String())
			})
			l := logs.String()
			for _, secret := range append(te.secrets(), tc.secret) {
				if strings.Contains(l, secret) {
					t.Errorf("the log holds a secret or token")
				}
			}
		})
	}
}

type nopMetrics struct{}

func (nopMetrics) MetadataRefresh(string, bool) {}
func (nopMetrics) BackendDialError(string)      {}

// rawConn sends requests on a backend connection with its own correlation
// ids, as a session does.
type rawConn struct {
	conn net.Conn
	corr int32
}

func (r *rawConn) roundTrip(req kmsg.Request) (kmsg.Response, error) {
	r.corr++
	if _, err := r.conn.Write(kmsg.NewRequestFormatter().AppendRequest(nil, req, r.corr)); err != nil {
		return nil, err
	}
	_ = r.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(r.conn, size[:]); err != nil {
		return nil, err
	}
	frame := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(r.conn, frame); err != nil {
		return nil, err
	}
	if got := int32(binary.BigEndian.Uint32(frame)); got != r.corr {
		return nil, fmt.Errorf("correlation id %d, want %d", got, r.corr)
	}
	hl, err := protocol.ResponseHeaderLen(frame, req.Key(), req.GetVersion())
	if err != nil {
		return nil, err
	}
	resp := req.ResponseKind()
	return resp, resp.ReadFrom(frame[hl:])
}

func (r *rawConn) metadata() error {
	req := kmsg.NewPtrMetadataRequest()
	req.Version = 12
	_, err := r.roundTrip(req)
	return err
}

// reauthenticate runs the exchange as the session would.
func (r *rawConn) reauthenticate(ctx context.Context, c *backend.Cluster, a backend.Auth) (backend.Auth, error) {
	x, err := c.NewSASLExchange(ctx, a)
	if err != nil {
		return a, err
	}
	req, err := x.Next(nil)
	for err == nil && req != nil {
		var resp kmsg.Response
		if resp, err = r.roundTrip(req); err != nil {
			return a, err
		}
		req, err = x.Next(resp)
	}
	return x.Auth(), err
}

// TestBackendSASLReauthRealKafka re-authenticates backend connections with
// the exchange the session uses, against a listener with
// connections.max.reauth.ms: a connection re-authenticated in time lives on
// past its first session; one that is not is closed by Kafka. The metadata
// client re-authenticates by itself. Skipped unless the cluster has such a
// listener (test/kafka/cluster.sh's SASL_REAUTH): STRAIT_KAFKA_REAUTH_BOOTSTRAP
// names it (PLAIN admin/admin-secret, and OAUTHBEARER as in oauthKafka),
// STRAIT_KAFKA_REAUTH_MS its connections.max.reauth.ms.
func TestBackendSASLReauthRealKafka(t *testing.T) {
	realKafka(t)
	boot := os.Getenv("STRAIT_KAFKA_REAUTH_BOOTSTRAP")
	ms, _ := strconv.Atoi(os.Getenv("STRAIT_KAFKA_REAUTH_MS"))
	if boot == "" || ms <= 0 {
		t.Skip("no listener with connections.max.reauth.ms: STRAIT_KAFKA_REAUTH_BOOTSTRAP and STRAIT_KAFKA_REAUTH_MS are not set")
	}
	if ms > 20000 {
		t.Skipf("STRAIT_KAFKA_REAUTH_MS=%d: too long a wait", ms)
	}
	lifetime := time.Duration(ms) * time.Millisecond
	seeds := strings.Split(boot, ",")
	cases := []struct {
		name string
		auth config.BackendAuth
	}{
		{"sasl_plain", config.BackendAuth{Type: "sasl_plain", Username: "admin", Password: "admin-secret"}},
	}
	if os.Getenv("STRAIT_KAFKA_OAUTH_SIGNING_KEY") != "" {
		ob := oauthKafka(t)
		te := newTokenEndpoint(t, time.Hour, func() string { return ob.jwt(t, ob.key, "strait-gateway", time.Hour) })
		cases = append(cases, struct {
			name string
			auth config.BackendAuth
		}{"sasl_oauthbearer", config.BackendAuth{Type: "sasl_oauthbearer", TokenEndpoint: te.URL + "/token", ClientID: "strait", ClientSecret: "endpoint-secret"}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := backend.New(&config.BackendCluster{Name: "reauth", BootstrapServers: seeds, Authentication: tc.auth}, slog.New(slog.DiscardHandler), nopMetrics{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); c.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done })

			conn, a, err := c.Dial(ctxFor(t, 10*time.Second), seeds[0], backend.Authenticate)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			control, _, err := c.Dial(ctxFor(t, 10*time.Second), seeds[0], backend.Authenticate)
			if err != nil {
				t.Fatal(err)
			}
			defer control.Close()
			if a.Lifetime != lifetime || a.ReauthAt.IsZero() || !a.ReauthAt.Before(a.Expires) {
				t.Fatalf("auth = %+v, want a lifetime of %v", a, lifetime)
			}
			first := a.Expires
			r, rc := &rawConn{conn: conn}, &rawConn{conn: control}
			if err := r.metadata(); err != nil {
				t.Fatal(err)
			}
			if err := rc.metadata(); err != nil {
				t.Fatal(err)
			}

			time.Sleep(time.Until(a.ReauthAt))
			if !a.NeedsReauth(time.Now()) {
				t.Fatal("NeedsReauth false at ReauthAt")
			}
			if a, err = r.reauthenticate(ctxFor(t, 10*time.Second), c, a); err != nil {
				t.Fatalf("re-authentication: %v", err)
			}
			if !a.Expires.After(first) || a.Lifetime != lifetime {
				t.Errorf("after re-authentication: %+v", a)
			}
			time.Sleep(time.Until(first.Add(time.Second)))
			if err := r.metadata(); err != nil {
				t.Fatalf("re-authenticated connection, after its first session expired: %v", err)
			}
			if err := rc.metadata(); err == nil {
				t.Fatal("Kafka kept a connection whose session expired: the test proves nothing")
			}
			// The metadata client re-authenticates its own connections.
			if err := c.Refresh(ctxFor(t, 10*time.Second)); err != nil {
				t.Errorf("metadata after the session lifetime: %v", err)
			}
		})
	}
}
