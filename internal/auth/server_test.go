// This file tests the Server: its mechanisms, implicit identities, the
// metrics of attempts, a server built from a configuration file, and that
// no secret ever reaches a log line.

package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/policy"
)

func TestMechanismsAndBegin(t *testing.T) {
	e := newEnv(t, 0,
		config.ClientAuth{Type: "client_certificate"},
		config.ClientAuth{Type: "oauth_bearer", Mediation: "passthrough"},
		plainConfig("passthrough"),
		config.ClientAuth{Type: "sasl_scram", Algorithm: "sha512", Mediation: "passthrough"},
		config.ClientAuth{Type: "sasl_scram", Algorithm: "sha256", Mediation: "passthrough"},
		config.ClientAuth{Type: "anonymous"},
	)
	if got := strings.Join(e.s.Mechanisms(), " "); got != "OAUTHBEARER PLAIN SCRAM-SHA-512 SCRAM-SHA-256" {
		t.Errorf("Mechanisms = %s", got)
	}
	for _, mech := range []string{"GSSAPI", "plain", "SCRAM-SHA-1", ""} {
		if x, err := e.s.Begin(mech, TLSInfo{}); !errors.Is(err, ErrUnsupportedMechanism) || x != nil {
			t.Errorf("Begin(%q) = %v, %v; want ErrUnsupportedMechanism", mech, x, err)
		}
	}
	want := "vc/unknown/unsupported_mechanism vc/unknown/unsupported_mechanism vc/unknown/unsupported_mechanism vc/unknown/unsupported_mechanism"
	if got := strings.Join(e.metrics.take(), " "); got != want {
		t.Errorf("metrics %s, want %s", got, want)
	}
	if e.s.FailureDelay() != 100*time.Millisecond {
		t.Errorf("FailureDelay = %s", e.s.FailureDelay())
	}

	// Unsupported, but known, mechanisms are labelled by their method.
	e = newEnv(t, 0, config.ClientAuth{Type: "anonymous"})
	e.s.Begin("PLAIN", TLSInfo{})
	e.s.Begin("SCRAM-SHA-256", TLSInfo{})
	if got := strings.Join(e.metrics.take(), " "); got != "vc/sasl_plain/unsupported_mechanism vc/sasl_scram/unsupported_mechanism" {
		t.Errorf("metrics %s", got)
	}
	if len(e.s.Mechanisms()) != 0 {
		t.Errorf("Mechanisms = %v, want none", e.s.Mechanisms())
	}
}

func TestImplicit(t *testing.T) {
	anon := config.ClientAuth{Type: "anonymous"}
	cert := config.ClientAuth{Type: "client_certificate"}
	plain := plainConfig("passthrough")
	for _, tc := range []struct {
		name    string
		methods []config.ClientAuth
		tls     TLSInfo
		want    policy.Auth
		ok      bool
		metric  string
	}{
		{name: "anonymous", methods: []config.ClientAuth{plain, anon}, want: policy.Auth{Type: "anonymous"}, ok: true, metric: "vc/anonymous/ok"},
		{name: "certificate", methods: []config.ClientAuth{cert}, tls: TLSInfo{Principal: "CN=app"},
			want: policy.Auth{Type: "client_certificate", Principal: "CN=app"}, ok: true, metric: "vc/client_certificate/ok"},
		{name: "no certificate", methods: []config.ClientAuth{cert, plain}, metric: "vc/client_certificate/failed"},
		{name: "certificate first", methods: []config.ClientAuth{cert, anon}, tls: TLSInfo{Principal: "CN=app"},
			want: policy.Auth{Type: "client_certificate", Principal: "CN=app"}, ok: true, metric: "vc/client_certificate/ok"},
		{name: "no certificate falls to anonymous", methods: []config.ClientAuth{cert, anon},
			want: policy.Auth{Type: "anonymous"}, ok: true, metric: "vc/anonymous/ok"},
		{name: "anonymous first", methods: []config.ClientAuth{anon, cert}, tls: TLSInfo{Principal: "CN=app"},
			want: policy.Auth{Type: "anonymous"}, ok: true, metric: "vc/anonymous/ok"},
		{name: "SASL only", methods: []config.ClientAuth{plain}, metric: "vc/none/failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 0, tc.methods...)
			got, ok := e.s.Implicit(tc.tls)
			if ok != tc.ok || got.Type != tc.want.Type || got.Principal != tc.want.Principal {
				t.Errorf("Implicit = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
			if m := e.metrics.take(); len(m) != 1 || m[0] != tc.metric {
				t.Errorf("metrics %v, want [%s]", m, tc.metric)
			}
		})
	}
}

func TestNewServerRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    []config.ClientAuth
		want string
	}{
		{"unknown type", []config.ClientAuth{{Type: "gssapi"}}, "unsupported authentication type"},
		{"no mediation", []config.ClientAuth{{Type: "sasl_plain"}}, "unsupported mediation"},
		{"validate_forward plain", []config.ClientAuth{plainConfig("validate_forward")}, "unsupported mediation"},
		{"terminate without principals", []config.ClientAuth{plainConfig("terminate")}, "needs principals"},
		{"two PLAIN", []config.ClientAuth{plainConfig("passthrough"), plainConfig("passthrough")}, "second method for SASL mechanism PLAIN"},
		{"bad salt", []config.ClientAuth{{Type: "sasl_scram", Algorithm: "sha256", Mediation: "terminate",
			Principals: []config.AuthPrincipal{{Username: "u", Salt: "%%%", Iterations: 4096, StoredKey: "AA==", ServerKey: "AA=="}}}}, "salt"},
		{"short stored key", []config.ClientAuth{{Type: "sasl_scram", Algorithm: "sha512", Mediation: "terminate",
			Principals: []config.AuthPrincipal{salted(t, "sha256", "u", "pw", 4096)}}}, "stored_key"},
		{"oauth terminate without jwks", []config.ClientAuth{{Type: "oauth_bearer", Mediation: "terminate"}}, "needs jwks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewServer(&config.VirtualCluster{Name: "vc", Authentication: tc.a}, 0, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewServer: %v, want an error about %q", err, tc.want)
			}
		})
	}
}

// TestFromConfigFile builds a server from a parsed configuration file
// whose secrets come from references, with the decoder's defaults.
func TestFromConfigFile(t *testing.T) {
	is := newIssuer(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bob.pw"), []byte("bob-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STRAIT_TEST_ALICE_PW", "alice-secret")
	yaml := `runtime:
  failed_authentication_delay: 250ms
backend_clusters:
  - name: kafka
    bootstrap_servers: ["127.0.0.1:9092"]
    authentication: {type: sasl_plain, username: gateway, password: gw}
virtual_clusters:
  - name: team-a
    destination: kafka
    max_session_lifetime: 15m
    authentication:
      - type: sasl_scram
        algorithm: sha256
        mediation: terminate
        principals:
          - {username: alice, password: "${env:STRAIT_TEST_ALICE_PW}"}
      - type: sasl_plain
        mediation: terminate
        principals:
          - {username: bob, password: "${file:bob.pw}"}
      - type: oauth_bearer
        mediation: terminate
        jwks: {endpoint: "` + is.srv.URL + `"}
        validate: {issuer: "https://idp.example.com", audiences: [{name: kafka}]}
listeners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`
	c, err := config.Parse([]byte(yaml), dir)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	s, err := NewServer(&c.VirtualClusters[0], c.Runtime.FailedAuthenticationDelay.D(), nil, rec)
	if err != nil {
		t.Fatal(err)
	}
	if s.FailureDelay() != 250*time.Millisecond || s.MaxSessionLifetime() != 15*time.Minute {
		t.Errorf("FailureDelay %s, MaxSessionLifetime %s", s.FailureDelay(), s.MaxSessionLifetime())
	}
	if got := strings.Join(s.Mechanisms(), " "); got != "SCRAM-SHA-256 PLAIN OAUTHBEARER" {
		t.Errorf("Mechanisms = %s", got)
	}
	x, _ := s.Begin("PLAIN", TLSInfo{})
	if _, done, err := x.Step(ctx, plainToken("", "bob", "bob-secret")); !done || err != nil {
		t.Fatalf("bob with the password from a file: %v", err)
	}
	x, _ = s.Begin("OAUTHBEARER", TLSInfo{})
	if _, done, err := x.Step(ctx, bearer(is.sign("rsa-1", claims(time.Now(), nil)))); !done || err != nil {
		t.Fatalf("token: %v", err)
	}
	if got := x.Result().Lifetime; got != 15*time.Minute {
		t.Errorf("lifetime %s, want 15m", got)
	}
	if got := strings.Join(rec.take(), " "); got != "team-a/sasl_plain/ok team-a/oauth_bearer/ok" {
		t.Errorf("metrics %s", got)
	}
}

// TestNoSecretsInLogs runs failing and succeeding exchanges of every
// mechanism with every log line at debug captured, and checks that no
// password or token, nor a part of one, appears in the logs or in the
// errors' texts.
func TestNoSecretsInLogs(t *testing.T) {
	is := newIssuer(t)
	const (
		alicePW = "Alice-Pa55word-XYZZY"
		bobPW   = "Bob-Pa55word-PLUGH"
		wrongPW = "Wr0ng-Guess-FROTZ"
	)
	e := newEnv(t, 0,
		plainConfig("terminate", config.AuthPrincipal{Username: "alice", Password: alicePW}),
		config.ClientAuth{Type: "sasl_scram", Algorithm: "sha256", Mediation: "terminate",
			Principals: []config.AuthPrincipal{{Username: "bob", Password: bobPW}}},
		oauthConfig("terminate", is.srv.URL),
	)
	now := e.clock.now()
	good := is.sign("rsa-1", claims(now, nil))
	expired := is.sign("rsa-1", claims(now, map[string]any{"exp": now.Add(-time.Hour).Unix()}))
	forged := newOtherIssuer(t).sign("rsa-1", claims(now, nil))
	var errs []error
	step := func(mech string, tokens ...[]byte) {
		x := e.begin(t, mech)
		for _, tok := range tokens {
			if _, _, err := x.Step(ctx, tok); err != nil {
				errs = append(errs, err)
				return
			}
		}
	}
	step("PLAIN", plainToken("", "alice", alicePW))
	step("PLAIN", plainToken("", "alice", wrongPW))
	step("PLAIN", plainToken("", "nobody", alicePW))
	step("PLAIN", plainToken("alice", "alice", wrongPW+"\x00extra"))
	step("PLAIN", []byte(alicePW))
	step("OAUTHBEARER", bearer(good))
	step("OAUTHBEARER", bearer(expired), []byte{1})
	step("OAUTHBEARER", bearer(forged), []byte{1})
	step("OAUTHBEARER", []byte("n,,\x01auth=Bearer "+good+"\x01"))
	step("OAUTHBEARER", []byte("n,a=x,\x01auth=Bearer "+good+"\x01\x01"))
	step("OAUTHBEARER", []byte("n,,\x01auth=Basic "+good+"\x01\x01"))
	is.down.Store(true)
	e.clock.advance(2 * time.Hour)
	step("OAUTHBEARER", bearer(is.sign("rsa-1", claims(e.clock.now(), nil))), []byte{1})
	for _, pw := range []string{bobPW, wrongPW} {
		x := e.begin(t, "SCRAM-SHA-256")
		runSCRAM(t, x, scramClient("bob", pw), nil)
	}

	// Failures are logged by the session, with their Reason, which the
	// texts below cover; the server logs only its JWKS fetches.
	logs := e.logs.String()
	if !strings.Contains(logs, "JWKS") {
		t.Fatalf("nothing was logged at debug; the test sees nothing:\n%s", logs)
	}
	var texts []string
	for _, err := range errs {
		texts = append(texts, err.Error())
		var f *Failure
		if errors.As(err, &f) {
			texts = append(texts, f.ClientMessage())
		}
	}
	all := logs + "\n" + strings.Join(texts, "\n")
	secrets := []string{alicePW, bobPW, wrongPW, "Pa55word"}
	for _, tok := range []string{good, expired, forged} {
		parts := strings.Split(tok, ".")
		secrets = append(secrets, tok, parts[1], parts[2])
	}
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("a secret %.12s... is in the logs or errors:\n%s", s, all)
		}
	}
}

func TestNilLoggerAndMetrics(t *testing.T) {
	s, err := NewServer(&config.VirtualCluster{Name: "vc", Authentication: []config.ClientAuth{plainConfig("terminate", config.AuthPrincipal{Username: "u", Password: "p"})}}, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := s.Begin("PLAIN", TLSInfo{})
	if _, _, err := x.Step(ctx, plainToken("", "u", "x")); !errors.Is(err, ErrFailed) {
		t.Fatal(err)
	}
}
