// This file tests SASL/OAUTHBEARER: the client message, token validation
// against a JWKS the test serves, the key cache, and the mediations.

package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/strait-gw/strait/internal/config"
)

// issuer signs tokens and serves the public keys it publishes.
type issuer struct {
	t      *testing.T
	srv    *httptest.Server
	hits   atomic.Int32
	down   atomic.Bool
	mu     sync.Mutex
	keys   map[string]any // kid -> private key
	public []string       // kids published
}

// keyPool holds the signing keys of the test issuers, generated once:
// RSA keys are slow to make.
var keyPool struct {
	sync.Mutex
	sets []map[string]any
}

// signingKeys returns the i-th set of keys: rsa-1, ec-1 and rsa-2.
func signingKeys(t *testing.T, i int) map[string]any {
	t.Helper()
	keyPool.Lock()
	defer keyPool.Unlock()
	for len(keyPool.sets) <= i {
		rsa1, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		ec1, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		rsa2, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		keyPool.sets = append(keyPool.sets, map[string]any{"rsa-1": rsa1, "ec-1": ec1, "rsa-2": rsa2})
	}
	return keyPool.sets[i]
}

// newIssuer starts an issuer publishing rsa-1 and ec-1. Issuers share
// their keys; newOtherIssuer's keys have the same ids but differ.
func newIssuer(t *testing.T) *issuer { return startIssuer(t, 0) }

func newOtherIssuer(t *testing.T) *issuer { return startIssuer(t, 1) }

func startIssuer(t *testing.T, set int) *issuer {
	t.Helper()
	is := &issuer{t: t, keys: map[string]any{}}
	for kid, k := range signingKeys(t, set) {
		is.keys[kid] = k
	}
	is.public = []string{"rsa-1", "ec-1"}
	is.srv = httptest.NewServer(http.HandlerFunc(is.serve))
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) serve(w http.ResponseWriter, _ *http.Request) {
	is.hits.Add(1)
	if is.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	var set jose.JSONWebKeySet
	for _, kid := range is.public {
		var pub any
		alg := "RS256"
		switch k := is.keys[kid].(type) {
		case *rsa.PrivateKey:
			pub = &k.PublicKey
		case *ecdsa.PrivateKey:
			pub, alg = &k.PublicKey, "ES256"
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: alg, Use: "sig"})
	}
	// A key of a type go-jose does not know is skipped, not fatal.
	raw, _ := json.Marshal(set)
	doc := strings.Replace(string(raw), `"keys":[`, `"keys":[{"kty":"unknown","kid":"x"},`, 1)
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(doc))
}

func (is *issuer) publish(kid string) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.public = append(is.public, kid)
}

// sign makes a JWT signed by the key kid with claims.
func (is *issuer) sign(kid string, claims map[string]any) string {
	is.t.Helper()
	var alg jose.SignatureAlgorithm = jose.RS256
	if _, ok := is.keys[kid].(*ecdsa.PrivateKey); ok {
		alg = jose.ES256
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	key := is.keys[kid]
	if key == nil {
		key = is.keys["rsa-1"]
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		is.t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		is.t.Fatal(err)
	}
	return tok
}

func bearer(token string) []byte {
	return []byte("n,,\x01auth=Bearer " + token + "\x01\x01")
}

func oauthConfig(med, endpoint string) config.ClientAuth {
	a := config.ClientAuth{
		Type:      "oauth_bearer",
		Mediation: med,
		Validate: &config.TokenValidation{
			Issuer:    "https://idp.example.com",
			Audiences: []config.TokenAudience{{Name: "kafka"}, {Name: "other"}},
		},
	}
	if endpoint != "" {
		a.JWKS = &config.JWKS{Endpoint: endpoint, Timeout: config.Duration(2 * time.Second), CacheExpiration: config.Duration(time.Hour)}
	}
	return a
}

// claims are good claims at now, changed by set.
func claims(now time.Time, set map[string]any) map[string]any {
	c := map[string]any{
		"iss": "https://idp.example.com",
		"aud": []string{"kafka"},
		"sub": "svc-orders",
		"exp": now.Add(time.Hour).Unix(),
		"iat": now.Unix(),
		"nbf": now.Add(-time.Minute).Unix(),
	}
	for k, v := range set {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestOAuthBearerTerminate(t *testing.T) {
	is := newIssuer(t)
	e := newEnv(t, 0, oauthConfig("terminate", is.srv.URL))
	now := e.clock.now()
	other := newOtherIssuer(t) // same kids, other keys: a wrong signature
	for _, tc := range []struct {
		name     string
		token    string
		authzid  string
		wantFail bool
	}{
		{name: "RS256", token: is.sign("rsa-1", claims(now, nil))},
		{name: "ES256", token: is.sign("ec-1", claims(now, nil))},
		{name: "no kid", token: is.sign("", claims(now, nil))},
		{name: "audience string", token: is.sign("rsa-1", claims(now, map[string]any{"aud": "other"}))},
		{name: "authzid is the principal", token: is.sign("rsa-1", claims(now, nil)), authzid: "svc-orders"},
		{name: "expired", token: is.sign("rsa-1", claims(now, map[string]any{"exp": now.Add(-time.Second).Unix()})), wantFail: true},
		{name: "no exp", token: is.sign("rsa-1", claims(now, map[string]any{"exp": nil})), wantFail: true},
		{name: "nbf in the future", token: is.sign("rsa-1", claims(now, map[string]any{"nbf": now.Add(5 * time.Minute).Unix()})), wantFail: true},
		{name: "wrong issuer", token: is.sign("rsa-1", claims(now, map[string]any{"iss": "https://evil.example.com"})), wantFail: true},
		{name: "no issuer", token: is.sign("rsa-1", claims(now, map[string]any{"iss": nil})), wantFail: true},
		{name: "wrong audience", token: is.sign("rsa-1", claims(now, map[string]any{"aud": []string{"web"}})), wantFail: true},
		{name: "wrong signature", token: other.sign("rsa-1", claims(now, nil)), wantFail: true},
		{name: "wrong signature ES256", token: other.sign("ec-1", claims(now, nil)), wantFail: true},
		{name: "no principal", token: is.sign("rsa-1", claims(now, map[string]any{"sub": nil})), wantFail: true},
		{name: "unsigned", token: unsigned(claims(now, nil)), wantFail: true},
		{name: "not a JWT", token: "opaque-token-value", wantFail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := e.begin(t, "OAUTHBEARER")
			msg := bearer(tc.token)
			if tc.authzid != "" {
				msg = []byte("n,a=" + tc.authzid + ",\x01auth=Bearer " + tc.token + "\x01\x01")
			}
			reply, done, err := x.Step(ctx, msg)
			metrics := e.metrics.take()
			if !tc.wantFail {
				if err != nil || !done || len(reply) != 0 {
					t.Fatalf("Step = %q, %v, %v; want empty reply, done", reply, done, err)
				}
				r := x.Result()
				if r.Auth.Type != "oauth_bearer" || r.Auth.Principal != "svc-orders" || r.Auth.Claims["iss"] != "https://idp.example.com" {
					t.Errorf("result %+v", r)
				}
				if r.Lifetime != time.Hour {
					t.Errorf("lifetime %s, want the token's remaining hour", r.Lifetime)
				}
				if len(metrics) != 1 || metrics[0] != "vc/oauth_bearer/ok" {
					t.Errorf("metrics %v", metrics)
				}
				return
			}
			// As Kafka: an error challenge, then the failure once the
			// client acknowledges it.
			if err != nil || done || string(reply) != `{"status":"invalid_token"}` {
				t.Fatalf("Step = %q, %v, %v; want the invalid_token challenge", reply, done, err)
			}
			_, _, err = x.Step(ctx, []byte{0x01})
			if f := failure(t, err); f.ClientMessage() != `{"status":"invalid_token"}` {
				t.Errorf("message %q", f.ClientMessage())
			}
			if len(metrics) != 1 || metrics[0] != "vc/oauth_bearer/failed" {
				t.Errorf("metrics %v", metrics)
			}
			if m := e.metrics.take(); len(m) != 0 {
				t.Errorf("the acknowledgement was counted again: %v", m)
			}
		})
	}
	if n := is.hits.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times, want once", n)
	}
}

// unsigned is a JWT with alg none.
func unsigned(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "none", "typ": "JWT"}) + "." + enc(claims) + "."
}

func TestOAuthBearerMalformed(t *testing.T) {
	is := newIssuer(t)
	e := newEnv(t, 0, oauthConfig("terminate", is.srv.URL))
	tok := is.sign("rsa-1", claims(e.clock.now(), nil))
	generic := "Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER"
	for _, tc := range []struct {
		name, msg, want string
	}{
		{name: "no GS2 header", msg: "\x01auth=Bearer " + tok + "\x01\x01", want: generic},
		{name: "no auth", msg: "n,,\x01host=x\x01\x01", want: generic},
		{name: "not bearer", msg: "n,,\x01auth=Basic " + tok + "\x01\x01", want: generic},
		{name: "no final separator", msg: "n,,\x01auth=Bearer " + tok + "\x01", want: generic},
		{name: "huge", msg: "n,,\x01auth=Bearer " + strings.Repeat("a", MaxTokenBytes) + "\x01\x01", want: generic},
		{name: "other authzid", msg: "n,a=someone,\x01auth=Bearer " + tok + "\x01\x01",
			want: "Authentication failed: Client requested an authorization id that is different from the token's principal name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := e.begin(t, "OAUTHBEARER")
			_, _, err := x.Step(ctx, []byte(tc.msg))
			if f := failure(t, err); f.ClientMessage() != tc.want {
				t.Errorf("message %q, want %q", f.ClientMessage(), tc.want)
			}
		})
	}
	// A challenge answered with anything but 0x01 fails too.
	x := e.begin(t, "OAUTHBEARER")
	if reply, _, _ := x.Step(ctx, bearer("a.b.c")); string(reply) != oauthInvalidToken {
		t.Fatalf("reply %q", reply)
	}
	if _, _, err := x.Step(ctx, bearer(tok)); failure(t, err).ClientMessage() != generic {
		t.Errorf("a second token after the challenge: %v", err)
	}
}

func TestParseOAuthBearer(t *testing.T) {
	got, err := ParseOAuthBearer([]byte("n,a=us=2Cer,\x01host=kafka\x01auth=bearer  a-b_c.d\x01port=9092\x01\x01"))
	if err != nil {
		t.Fatal(err)
	}
	if got.AuthzID != "us,er" || got.Token != "a-b_c.d" || got.Extensions["host"] != "kafka" || got.Extensions["port"] != "9092" {
		t.Errorf("got %+v", got)
	}
	for _, bad := range []string{
		"", "n,", "n,,", "n,,\x01\x01", "n,,\x01auth=Bearer x\x01auth=Bearer y\x01\x01",
		"n,,\x01auth=Bearer a b\x01\x01", "n,,\x011x=y\x01auth=Bearer x\x01\x01", "y,,\x01auth=Bearer x\x01\x01",
		"n,b=x,\x01auth=Bearer x\x01\x01", "n,,\x01auth=Bearer x\x01rest",
	} {
		if got, err := ParseOAuthBearer([]byte(bad)); err == nil {
			t.Errorf("ParseOAuthBearer(%q) = %+v, want an error", bad, got)
		}
	}
}

func TestOAuthBearerLifetimeCapped(t *testing.T) {
	is := newIssuer(t)
	e := newEnv(t, 10*time.Minute, oauthConfig("terminate", is.srv.URL))
	now := e.clock.now()
	for _, tc := range []struct {
		exp  time.Duration
		want time.Duration
	}{
		{exp: time.Hour, want: 10 * time.Minute},
		{exp: 3 * time.Minute, want: 3 * time.Minute},
	} {
		x := e.begin(t, "OAUTHBEARER")
		if _, done, err := x.Step(ctx, bearer(is.sign("rsa-1", claims(now, map[string]any{"exp": now.Add(tc.exp).Unix()})))); !done || err != nil {
			t.Fatalf("Step: %v", err)
		}
		if got := x.Result().Lifetime; got != tc.want {
			t.Errorf("token for %s: lifetime %s, want %s", tc.exp, got, tc.want)
		}
	}
}

func TestOAuthBearerClaimsMapping(t *testing.T) {
	is := newIssuer(t)
	a := oauthConfig("terminate", is.srv.URL)
	a.ClaimsMapping = &config.ClaimsMapping{Sub: "client_id", Scope: "scp"}
	e := newEnv(t, 0, a)
	x := e.begin(t, "OAUTHBEARER")
	tok := is.sign("ec-1", claims(e.clock.now(), map[string]any{"client_id": "orders-app", "scp": []string{"kafka.read", "kafka.write"}, "scope": "ignored"}))
	if _, _, err := x.Step(ctx, bearer(tok)); err != nil {
		t.Fatal(err)
	}
	r := x.Result()
	if r.Auth.Principal != "orders-app" || strings.Join(r.Scopes, " ") != "kafka.read kafka.write" {
		t.Errorf("result %+v, want principal orders-app and scp's scopes", r)
	}
	// A token without the mapped claim has no principal.
	x = e.begin(t, "OAUTHBEARER")
	if reply, _, _ := x.Step(ctx, bearer(is.sign("rsa-1", claims(e.clock.now(), nil)))); string(reply) != oauthInvalidToken {
		t.Errorf("token without client_id: reply %q", reply)
	}
}

func TestJWKSRefetch(t *testing.T) {
	is := newIssuer(t)
	e := newEnv(t, 0, oauthConfig("terminate", is.srv.URL))
	step := func(kid string) bool {
		t.Helper()
		x := e.begin(t, "OAUTHBEARER")
		_, done, err := x.Step(ctx, bearer(is.sign(kid, claims(e.clock.now(), nil))))
		if err != nil {
			t.Fatal(err)
		}
		return done
	}
	if !step("rsa-1") || is.hits.Load() != 1 {
		t.Fatalf("first token: hits %d", is.hits.Load())
	}
	// A new key is published; tokens signed by it name a kid the cache
	// lacks. Right after a fetch, it is not fetched again.
	is.publish("rsa-2")
	if step("rsa-2") {
		t.Fatal("unknown kid accepted without a fetch")
	}
	if n := is.hits.Load(); n != 1 {
		t.Fatalf("fetched again within %s of the last fetch: %d hits", minRefetch, n)
	}
	e.clock.advance(minRefetch + time.Second)
	if !step("rsa-2") {
		t.Fatal("unknown kid not fetched")
	}
	if n := is.hits.Load(); n != 2 {
		t.Fatalf("hits %d, want 2", n)
	}
	// A kid no fetch brings does not fetch more than once per interval.
	e.clock.advance(minRefetch + time.Second)
	for range 5 {
		if step("nope") {
			t.Fatal("token signed by an unknown key accepted")
		}
	}
	if n := is.hits.Load(); n != 3 {
		t.Fatalf("hits %d, want 3", n)
	}
	// Cached keys serve until cache_expiration, then are fetched again.
	e.clock.advance(59 * time.Minute)
	step("rsa-1")
	if n := is.hits.Load(); n != 3 {
		t.Fatalf("hits %d before expiry, want 3", n)
	}
	e.clock.advance(2 * time.Minute)
	step("rsa-1")
	if n := is.hits.Load(); n != 4 {
		t.Fatalf("hits %d after expiry, want 4", n)
	}
}

func TestJWKSDownFailsClosed(t *testing.T) {
	is := newIssuer(t)
	e := newEnv(t, 0, oauthConfig("terminate", is.srv.URL))
	is.down.Store(true)
	good := func() string { return is.sign("rsa-1", claims(e.clock.now(), nil)) }
	x := e.begin(t, "OAUTHBEARER")
	if reply, done, err := x.Step(ctx, bearer(good())); err != nil || done || string(reply) != oauthInvalidToken {
		t.Fatalf("JWKS down: Step = %q, %v, %v; want the invalid_token challenge", reply, done, err)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "JWKS fetch failed") || !strings.Contains(logs, "503") {
		t.Errorf("no clear log line for the failed fetch:\n%s", logs)
	}
	// Failures are not retried at every token.
	e.begin(t, "OAUTHBEARER").Step(ctx, bearer(good()))
	if n := is.hits.Load(); n != 1 {
		t.Errorf("hits %d, want 1 within %s", n, minRefetch)
	}
	// Up again: served once the retry interval has passed.
	is.down.Store(false)
	e.clock.advance(minRefetch)
	if _, done, _ := e.begin(t, "OAUTHBEARER").Step(ctx, bearer(good())); !done {
		t.Fatal("not accepted once the JWKS is back")
	}
	// Down again after the keys expired: stale keys are not trusted.
	is.down.Store(true)
	e.clock.advance(time.Hour + time.Second)
	if _, done, _ := e.begin(t, "OAUTHBEARER").Step(ctx, bearer(good())); done {
		t.Fatal("accepted with expired keys while the JWKS is down")
	}
}

func TestJWKSConcurrentFetchOnce(t *testing.T) {
	is := newIssuer(t)
	e := newEnv(t, 0, oauthConfig("terminate", is.srv.URL))
	tok := bearer(is.sign("rsa-1", claims(e.clock.now(), nil)))
	var wg sync.WaitGroup
	var ok atomic.Int32
	for range 20 {
		wg.Go(func() {
			x, _ := e.s.Begin("OAUTHBEARER", TLSInfo{})
			if _, done, err := x.Step(ctx, tok); done && err == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 20 || is.hits.Load() != 1 {
		t.Errorf("%d of 20 accepted with %d fetches; want 20 with 1", ok.Load(), is.hits.Load())
	}
}

func TestOAuthBearerValidateForward(t *testing.T) {
	is := newIssuer(t)
	e := newEnv(t, 30*time.Minute, oauthConfig("validate_forward", is.srv.URL))
	now := e.clock.now()
	x := e.begin(t, "OAUTHBEARER")
	if x.Mediation() != ValidateForward {
		t.Fatalf("mediation %s", x.Mediation())
	}
	reply, done, err := x.Step(ctx, bearer(is.sign("rsa-1", claims(now, nil))))
	if err != nil || !done || reply != nil {
		t.Fatalf("Step = %q, %v, %v; want no reply (forwarded), done", reply, done, err)
	}
	if r := x.Result(); r.Auth.Principal != "svc-orders" || r.Lifetime != 30*time.Minute {
		t.Errorf("result %+v", r)
	}
	if m := e.metrics.take(); len(m) != 0 {
		t.Errorf("metrics %v before the backend's verdict", m)
	}
	e.s.PassthroughResult("OAUTHBEARER", true)
	if m := e.metrics.take(); len(m) != 1 || m[0] != "vc/oauth_bearer/ok" {
		t.Errorf("metrics %v", m)
	}

	// An invalid token never reaches the backend.
	x = e.begin(t, "OAUTHBEARER")
	_, _, err = x.Step(ctx, bearer(is.sign("rsa-1", claims(now, map[string]any{"exp": now.Add(-time.Minute).Unix()}))))
	if f := failure(t, err); f.ClientMessage() != oauthInvalidToken {
		t.Errorf("message %q", f.ClientMessage())
	}
	if m := e.metrics.take(); len(m) != 1 || m[0] != "vc/oauth_bearer/failed" {
		t.Errorf("metrics %v", m)
	}
}

func TestOAuthBearerPassthrough(t *testing.T) {
	e := newEnv(t, 0, config.ClientAuth{Type: "oauth_bearer", Mediation: "passthrough"})
	x := e.begin(t, "OAUTHBEARER")
	if x.Mediation() != Passthrough {
		t.Fatalf("mediation %s", x.Mediation())
	}
	// An unsecured token, as Kafka's unsecured validator takes: only
	// read, never checked, by the gateway.
	tok := unsigned(map[string]any{"sub": "dev-user", "exp": 1})
	reply, done, err := x.Step(ctx, bearer(tok))
	if err != nil || !done || reply != nil {
		t.Fatalf("Step = %q, %v, %v", reply, done, err)
	}
	if r := x.Result(); r.Auth.Principal != "dev-user" || r.Auth.Type != "oauth_bearer" || r.Lifetime != 0 {
		t.Errorf("result %+v", r)
	}
	// The broker's answer says: no bytes accept, an error challenge
	// refuses, and the client's 0x01 then goes to the broker too.
	v, ok := x.(BackendVerdict)
	if !ok || !v.Accepted(nil) || v.Accepted([]byte(oauthInvalidToken)) {
		t.Fatalf("BackendVerdict %v", ok)
	}
	if reply, done, err := x.Step(ctx, []byte{1}); err != nil || !done || reply != nil {
		t.Errorf("acknowledgement: Step = %q, %v, %v; want forwarded, done", reply, done, err)
	}
	if x.Result().Auth.Principal != "" {
		t.Errorf("result %+v after a refusal", x.Result())
	}
	if _, _, err := x.Step(ctx, []byte{1}); err == nil || errors.Is(err, ErrFailed) {
		t.Errorf("a second acknowledgement: %v, want a protocol error", err)
	}
	// An opaque token passes with no principal: the backend decides.
	x = e.begin(t, "OAUTHBEARER")
	if _, done, err := x.Step(ctx, bearer("opaque")); err != nil || !done || x.Result().Auth.Principal != "" {
		t.Errorf("opaque token: %v %v %+v", done, err, x.Result())
	}
	// A malformed message is refused at the gateway.
	x = e.begin(t, "OAUTHBEARER")
	if _, _, err := x.Step(ctx, []byte("auth=Bearer x")); !errors.Is(err, ErrFailed) {
		t.Errorf("malformed message: %v", err)
	}
}
