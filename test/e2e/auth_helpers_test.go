// Helpers for the authentication tests: a gateway config with
// authenticated virtual clusters, SASL options for franz-go, hand-made SASL
// requests on raw connections, SCRAM salted credentials, a JWKS endpoint
// with the tokens it signs, and the gateway's counters.

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/strait-gw/strait/internal/gateway"
	"github.com/strait-gw/strait/internal/testenv"
)

// authVC is one virtual cluster of an authentication test gateway.
type authVC struct {
	name string
	// yaml is added under the virtual cluster, one key per line without
	// indentation (authentication, max_session_lifetime, policies).
	yaml string
	// listener, when set, is the whole YAML list entry of the listener
	// serving the virtual cluster (TLS, SNI), in which {base} and {last}
	// stand for the first and last of the 4 free ports reserved for it.
	// Else a plaintext port-mapping listener serves it on those ports.
	listener string
}

// authGateway is a running gateway whose virtual clusters authenticate.
type authGateway struct {
	*gateway.Gateway
	// boot maps each virtual cluster to its bootstrap address
	// (127.0.0.1:first port).
	boot map[string]string
	logs *testenv.SyncBuffer
}

// startAuthGateway serves the virtual clusters vcs in front of k, whose
// backend cluster "kafka" Strait reaches with backendAuth (a YAML flow
// mapping, e.g. "{type: anonymous}"). Failed authentications wait delay.
// The gateway logs at debug into the returned buffer, so that a secret
// logged at any level shows.
func startAuthGateway(t *testing.T, k *testenv.Kafka, backendAuth string, delay time.Duration, vcs ...authVC) *authGateway {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `admin: {address: "127.0.0.1:0"}
observability: {log_level: debug}
runtime: {drain_duration: 1s, shutdown_timeout: 5s, failed_authentication_delay: %s}
backend_clusters:
  - name: kafka
    bootstrap_servers: [%s]
    metadata_update_interval: 1s
    authentication: %s
virtual_clusters:
`, delay, quoteAll(k.Bootstrap), backendAuth)
	for _, vc := range vcs {
		fmt.Fprintf(&b, "  - name: %s\n    destination: kafka\n", vc.name)
		for l := range strings.SplitSeq(strings.TrimRight(vc.yaml, "\n"), "\n") {
			if l != "" {
				b.WriteString("    " + l + "\n")
			}
		}
	}
	b.WriteString("listeners:\n")
	gw := &authGateway{boot: map[string]string{}, logs: &testenv.SyncBuffer{}}
	for _, vc := range vcs {
		base := testenv.FreePorts(t, 4)
		gw.boot[vc.name] = net.JoinHostPort("127.0.0.1", strconv.Itoa(base))
		if vc.listener != "" {
			b.WriteString(strings.NewReplacer("{base}", strconv.Itoa(base), "{last}", strconv.Itoa(base+3)).Replace(vc.listener))
			continue
		}
		fmt.Fprintf(&b, `  - name: %[1]s
    ports: ["%[2]d-%[3]d"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: %[1]s, advertised_host: 127.0.0.1}
`, vc.name, base, base+3)
	}
	gw.Gateway, _ = testenv.StartConfig(t, b.String(), gw.logs)
	t.Cleanup(func() {
		if t.Failed() {
			lines := strings.Split(gw.logs.String(), "\n")
			t.Logf("gateway log (last %d lines):\n%s", min(len(lines), 200), strings.Join(lines[max(0, len(lines)-200):], "\n"))
		}
	})
	return gw
}

// noSecrets fails the test when the gateway's log holds any of secrets.
func (g *authGateway) noSecrets(t *testing.T, secrets ...string) {
	t.Helper()
	logs := g.logs.String()
	if logs == "" {
		t.Fatal("the gateway logged nothing: the log capture is broken")
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("the gateway log holds the secret %q", s)
		}
	}
}

// counter returns the value of the counter name with exactly the labels
// given (pairs of name and value), 0 when the series does not exist.
func counter(t *testing.T, g *gateway.Gateway, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := g.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(want) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if want[lp.GetName()] != lp.GetValue() {
					continue series
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// authCount is strait_authentications_total for a virtual cluster,
// method and result.
func authCount(t *testing.T, g *gateway.Gateway, vc, method, result string) float64 {
	t.Helper()
	return counter(t, g, "strait_authentications_total", "virtual_cluster", vc, "method", method, "result", result)
}

// plainSASL and scramSASL are franz-go's SASL options.
func plainSASL(user, pass string) kgo.Opt {
	return kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism())
}

func scramSASL(mech, user, pass string) kgo.Opt {
	a := scram.Auth{User: user, Pass: pass}
	if mech == "SCRAM-SHA-512" {
		return kgo.SASL(a.AsSha512Mechanism())
	}
	return kgo.SASL(a.AsSha256Mechanism())
}

// saslOpt is the option for mech (PLAIN, SCRAM-SHA-256 or -512).
func saslOpt(mech, user, pass string) kgo.Opt {
	if mech == "PLAIN" {
		return plainSASL(user, pass)
	}
	return scramSASL(mech, user, pass)
}

// firstError makes a client with opts and returns the error of one
// Metadata request through it: the authentication's outcome, without
// retries.
func firstError(t *testing.T, boot string, opts ...kgo.Opt) error {
	t.Helper()
	cl := newClient(t, boot, append([]kgo.Opt{kgo.RequestRetries(0), kgo.RetryTimeout(3 * time.Second)}, opts...)...)
	_, err := kmsg.NewPtrMetadataRequest().RequestWith(ctxT(t, 15*time.Second), cl)
	return err
}

// raw is a connection on which a test writes requests by hand.
type raw struct {
	t    *testing.T
	c    net.Conn
	corr int32
}

// dialRaw connects to addr.
func dialRaw(t *testing.T, addr string) *raw {
	t.Helper()
	return &raw{t: t, c: rawConn(t, addr)}
}

// send writes req at its version with the next correlation id.
func (r *raw) send(req kmsg.Request) {
	r.t.Helper()
	r.corr++
	b := kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw")).AppendRequest(nil, req, r.corr)
	if _, err := r.c.Write(b); err != nil {
		r.t.Fatalf("write %s: %v", kmsg.NameForKey(req.Key()), err)
	}
}

// roundTrip sends req and reads its response, failing the test when the
// connection closes instead.
func (r *raw) roundTrip(req kmsg.Request) kmsg.Response {
	r.t.Helper()
	r.send(req)
	name := fmt.Sprintf("%s v%d", kmsg.NameForKey(req.Key()), req.GetVersion())
	var size [4]byte
	if _, err := io.ReadFull(r.c, size[:]); err != nil {
		r.t.Fatalf("%s: %v", name, err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(r.c, body); err != nil {
		r.t.Fatalf("%s: %v", name, err)
	}
	if got := int32(binary.BigEndian.Uint32(body)); got != r.corr {
		r.t.Fatalf("%s: correlation id %d, want %d", name, got, r.corr)
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	body = body[4:]
	if resp.IsFlexible() && resp.Key() != kmsg.ApiVersions.Int16() {
		body = body[1:] // no tagged fields in the response header
	}
	if err := resp.ReadFrom(body); err != nil {
		r.t.Fatalf("%s: decoding the response: %v", name, err)
	}
	return resp
}

// expectClosed checks that the gateway closes the connection without
// another answer.
func (r *raw) expectClosed() {
	r.t.Helper()
	expectClosed(r.t, r.c)
}

// handshake sends SaslHandshake v1 for mech.
func (r *raw) handshake(mech string) *kmsg.SASLHandshakeResponse {
	r.t.Helper()
	req := kmsg.NewPtrSASLHandshakeRequest()
	req.Version, req.Mechanism = 1, mech
	return r.roundTrip(req).(*kmsg.SASLHandshakeResponse)
}

// authenticate sends SaslAuthenticate v2 with token.
func (r *raw) authenticate(token []byte) *kmsg.SASLAuthenticateResponse {
	r.t.Helper()
	req := kmsg.NewPtrSASLAuthenticateRequest()
	req.Version, req.SASLAuthBytes = 2, token
	return r.roundTrip(req).(*kmsg.SASLAuthenticateResponse)
}

// plainToken is a PLAIN client message.
func plainToken(user, pass string) []byte { return []byte("\x00" + user + "\x00" + pass) }

// str returns *s, or "<nil>".
func str(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// scramSalted is a principal's SCRAM salted credentials in the config's
// base64 form, derived from password as Kafka's ScramFormatter does.
type scramSalted struct {
	salt, storedKey, serverKey string
	iterations                 int
}

func saltSCRAM(t *testing.T, algorithm, password string, iterations int) scramSalted {
	t.Helper()
	newHash := sha256.New
	if algorithm == "sha512" {
		newHash = sha512.New
	}
	salt := make([]byte, 20)
	rand.Read(salt)
	salted, err := pbkdf2.Key(newHash, password, salt, iterations, newHash().Size())
	if err != nil {
		t.Fatal(err)
	}
	mac := func(label string) []byte {
		h := hmac.New(newHash, salted)
		h.Write([]byte(label))
		return h.Sum(nil)
	}
	var stored hash.Hash = newHash()
	stored.Write(mac("Client Key"))
	enc := base64.StdEncoding.EncodeToString
	return scramSalted{salt: enc(salt), storedKey: enc(stored.Sum(nil)), serverKey: enc(mac("Server Key")), iterations: iterations}
}

// yaml is the principal's config entry.
func (s scramSalted) yaml(user string) string {
	return fmt.Sprintf("{username: %s, salt: %q, iterations: %d, stored_key: %q, server_key: %q}", user, s.salt, s.iterations, s.storedKey, s.serverKey)
}

// idp is an identity provider for tests: a JWKS endpoint serving an RSA
// key (kid rsa-1, RS256) and an EC P-256 key (kid ec-1, ES256), and the
// tokens they sign.
type idp struct {
	url     string
	issuer  string
	rsa     *rsa.PrivateKey
	ec      *ecdsa.PrivateKey
	fetches atomic.Int32
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{issuer: "https://idp.strait.test", rsa: rk, ec: ek}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &rk.PublicKey, KeyID: "rsa-1", Algorithm: string(jose.RS256), Use: "sig"},
		{Key: &ek.PublicKey, KeyID: "ec-1", Algorithm: string(jose.ES256), Use: "sig"},
	}}
	doc, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		p.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	t.Cleanup(srv.Close)
	p.url = srv.URL + "/jwks.json"
	return p
}

// claims are what a test token says.
type claims struct {
	sub, iss, aud string
	exp           time.Time
	extra         map[string]any
}

// sign returns a JWS compact token with c, signed with alg (RS256 or
// ES256) by the provider's key, or by key instead when not nil (with the
// provider's key id, so that the signature is what is wrong).
func (p *idp) sign(t *testing.T, alg jose.SignatureAlgorithm, c claims, key any) string {
	t.Helper()
	kid, k := "rsa-1", any(p.rsa)
	if alg == jose.ES256 {
		kid, k = "ec-1", p.ec
	}
	if key != nil {
		k = key
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: k},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), kid))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	std := jwt.Claims{Subject: c.sub, Issuer: c.iss, Audience: jwt.Audience{c.aud}, Expiry: jwt.NewNumericDate(c.exp),
		IssuedAt: jwt.NewNumericDate(now.Add(-time.Second)), NotBefore: jwt.NewNumericDate(now.Add(-time.Second))}
	b := jwt.Signed(sig).Claims(std)
	if c.extra != nil {
		b = b.Claims(c.extra)
	}
	tok, err := b.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// good is a token for sub that the oauth_bearer methods of these tests
// accept, valid for d.
func (p *idp) good(t *testing.T, alg jose.SignatureAlgorithm, sub string, d time.Duration) string {
	t.Helper()
	return p.sign(t, alg, claims{sub: sub, iss: p.issuer, aud: "kafka", exp: time.Now().Add(d)}, nil)
}

// oauthYAML is an oauth_bearer method with mediation against the
// provider, requiring its issuer and the audience kafka.
func (p *idp) oauthYAML(mediation string) string {
	return fmt.Sprintf(`  - type: oauth_bearer
    mediation: %s
    jwks: {endpoint: %q, timeout: 5s, cache_expiration: 1h}
    validate: {issuer: %q, audiences: [{name: kafka}]}`, mediation, p.url, p.issuer)
}

// oauthToken is an OAUTHBEARER client initial response.
func oauthToken(tok string) []byte { return []byte("n,,\x01auth=Bearer " + tok + "\x01\x01") }
