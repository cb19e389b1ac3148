// This file tests the client authentication of virtual clusters: the
// methods' shapes, defaults, references, and every bad combination.

package config

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// authConfig is a config whose virtual cluster team-a (line 8 on) has the
// given lines, indented under it, in front of the backend cluster "local"
// with backendAuth (anonymous when empty), served by a plaintext
// port-mapping listener and, with mtls, also by an SNI listener asking
// for client certificates.
func authConfig(backendAuth, vcLines string, mtls bool) string {
	var b strings.Builder
	b.WriteString("backend_clusters:\n  - name: local\n    bootstrap_servers: [\"127.0.0.1:9092\"]\n")
	if backendAuth == "" {
		backendAuth = "{type: anonymous}"
	}
	b.WriteString("    authentication: " + backendAuth + "\n")
	b.WriteString("virtual_clusters:\n  - name: team-a\n    destination: local\n")
	for l := range strings.SplitSeq(strings.TrimRight(vcLines, "\n"), "\n") {
		b.WriteString("    " + l + "\n")
	}
	b.WriteString(`listeners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`)
	if mtls {
		b.WriteString(`  - name: tls
    ports: [9443]
    policies:
      - type: tls_server
        config:
          certificates: ` + teamACert + `
          client_authentication: {mode: requested, tls_trust_bundles: ["${file:ca.pem}"]}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com}
`)
	}
	return b.String()
}

// b64 is n bytes of base64.
func b64(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }

func TestClientAuthGood(t *testing.T) {
	t.Setenv("STRAIT_TEST_ALICE", "alice-secret")
	dir := t.TempDir()
	for _, name := range []string{"ca.pem", "server-team-a.crt", "server-team-a.key"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bob.pw"), []byte("bob-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := authConfig("", `max_session_lifetime: 1h
authentication:
  - type: client_certificate
  - type: sasl_plain
    mediation: terminate
    principals:
      - {username: alice, password: "${env:STRAIT_TEST_ALICE}"}
      - {username: bob, password: "${file:bob.pw}"}
  - type: sasl_scram
    algorithm: sha256
    mediation: terminate
    principals:
      - {username: alice, password: x}
      - {username: carol, salt: "`+b64(16)+`", iterations: 8192, stored_key: "`+b64(32)+`", server_key: "`+b64(32)+`"}
  - type: sasl_scram
    algorithm: sha512
    mediation: passthrough
  - type: oauth_bearer
    mediation: validate_forward
    jwks: {endpoint: "https://idp.example.com/jwks.json"}
    validate: {issuer: "https://idp.example.com", audiences: [{name: kafka}]}
  - type: anonymous`, true)
	c, err := Parse([]byte(yaml), dir)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	v := c.VirtualClusters[0]
	if v.MaxSessionLifetime.D() != time.Hour {
		t.Errorf("max_session_lifetime = %s", v.MaxSessionLifetime)
	}
	if c.Runtime.FailedAuthenticationDelay.D() != 100*time.Millisecond {
		t.Errorf("failed_authentication_delay = %s, want the 100ms default", c.Runtime.FailedAuthenticationDelay)
	}
	want := []ClientAuth{
		{Type: "client_certificate"},
		{Type: "sasl_plain", Mediation: "terminate", Principals: []AuthPrincipal{
			{Username: "alice", Password: "alice-secret"}, {Username: "bob", Password: "bob-secret"}}},
		{Type: "sasl_scram", Algorithm: "sha256", Mediation: "terminate", Principals: []AuthPrincipal{
			{Username: "alice", Password: "x"},
			{Username: "carol", Salt: b64(16), Iterations: 8192, StoredKey: b64(32), ServerKey: b64(32)}}},
		{Type: "sasl_scram", Algorithm: "sha512", Mediation: "passthrough"},
		{Type: "oauth_bearer", Mediation: "validate_forward",
			JWKS:          &JWKS{Endpoint: "https://idp.example.com/jwks.json", Timeout: Duration(10 * time.Second), CacheExpiration: Duration(time.Hour)},
			Validate:      &TokenValidation{Issuer: "https://idp.example.com", Audiences: []TokenAudience{{Name: "kafka"}}},
			ClaimsMapping: &ClaimsMapping{Sub: "sub", Scope: "scope"}},
		{Type: "anonymous"},
	}
	if !reflect.DeepEqual(v.Authentication, want) {
		for i := range max(len(want), len(v.Authentication)) {
			if i >= len(want) || i >= len(v.Authentication) || !reflect.DeepEqual(v.Authentication[i], want[i]) {
				t.Errorf("authentication[%d]:\n got %+v\nwant %+v", i, v.Authentication[i], want[i])
			}
		}
	}
	// anonymous after client_certificate is fine; PLAIN on a plaintext
	// listener is worth a warning.
	var warns []string
	for _, w := range c.Warnings {
		warns = append(warns, w.Error())
	}
	wantWarns := []string{
		`virtual_clusters[0].authentication[1].type: PLAIN sends passwords in clear, and listener "plain" (listeners[0]) serves this virtual cluster without TLS (line 11)`,
		`virtual_clusters[0].authentication[4].type: OAUTHBEARER sends tokens in clear, and listener "plain" (listeners[0]) serves this virtual cluster without TLS (line 25)`,
	}
	if strings.Join(warns, "\n") != strings.Join(wantWarns, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warns, "\n"), strings.Join(wantWarns, "\n"))
	}
}

func TestClientAuthDefaults(t *testing.T) {
	c, err := Parse([]byte(authConfig("", `authentication:
  - type: oauth_bearer
    mediation: terminate
    jwks: {endpoint: "http://127.0.0.1:8080/jwks", timeout: 3s}
    claims_mapping: {sub: client_id}`, false)+"runtime: {failed_authentication_delay: 0s}\n"), "testdata")
	if err != nil {
		t.Fatal(err)
	}
	a := c.VirtualClusters[0].Authentication[0]
	if *a.JWKS != (JWKS{Endpoint: "http://127.0.0.1:8080/jwks", Timeout: Duration(3 * time.Second), CacheExpiration: Duration(time.Hour)}) {
		t.Errorf("jwks = %+v", *a.JWKS)
	}
	if *a.ClaimsMapping != (ClaimsMapping{Sub: "client_id", Scope: "scope"}) {
		t.Errorf("claims_mapping = %+v", *a.ClaimsMapping)
	}
	if a.Validate != nil {
		t.Errorf("validate = %+v, want none", a.Validate)
	}
	if c.Runtime.FailedAuthenticationDelay != 0 {
		t.Errorf("failed_authentication_delay = %s, want 0 as written", c.Runtime.FailedAuthenticationDelay)
	}
	if c.VirtualClusters[0].MaxSessionLifetime != 0 {
		t.Errorf("max_session_lifetime = %s, want 0", c.VirtualClusters[0].MaxSessionLifetime)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Msg, "OAUTHBEARER sends tokens in clear") {
		t.Errorf("warnings %v; want only the plaintext one (a loopback http JWKS is fine)", c.Warnings)
	}
}

func TestClientAuthErrors(t *testing.T) {
	const vc = "virtual_clusters[0]"
	for _, tc := range []struct {
		name        string
		backendAuth string
		vc          string
		mtls        bool
		raw         string // the whole file, instead of vc
		want        []string
	}{
		{
			name: "terminate without principals, passthrough with principals",
			vc: `authentication:
  - {type: sasl_plain, mediation: terminate}
  - {type: sasl_scram, algorithm: sha256, mediation: terminate, principals: []}
  - {type: sasl_scram, algorithm: sha512, mediation: passthrough, principals: [{username: a, password: b}]}`,
			want: []string{
				vc + ".authentication[0].principals: at least one principal is required with mediation terminate (line 9)",
				vc + ".authentication[1].principals: at least one principal is required with mediation terminate (line 10)",
				vc + ".authentication[2].principals: only used with mediation terminate: with passthrough the backend checks the credentials (line 11)",
			},
		},
		{
			name:        "passthrough in front of an authenticating backend",
			backendAuth: "{type: sasl_scram, algorithm: sha512, username: gw, password: gw}",
			vc: `authentication:
  - {type: sasl_plain, mediation: passthrough}
  - {type: oauth_bearer, mediation: validate_forward, jwks: {endpoint: "https://idp/jwks"}}
  - {type: sasl_scram, algorithm: sha256, mediation: terminate, principals: [{username: a, password: b}]}`,
			want: []string{
				vc + `.authentication[0].mediation: passthrough forwards the client's own SASL exchange to backend cluster "local", while virtual_clusters[0].authentication[2] (sasl_scram) reaches it with the credentials Strait has for it (sasl_scram); a virtual cluster in front of an authenticated backend uses one kind: make every method forward (passthrough, validate_forward) or none (line 9)`,
			},
		},

		{
			name: "oauth_bearer without jwks",
			vc: `authentication:
  - {type: oauth_bearer, mediation: validate_forward}
  - {type: oauth_bearer, mediation: terminate}`,
			want: []string{
				vc + ".authentication[0].jwks: required with mediation validate_forward: tokens are validated against its keys (line 9)",
				vc + ".authentication[1].jwks: required with mediation terminate: tokens are validated against its keys (line 10)",
				vc + ".authentication[1].type: a second method for SASL mechanism OAUTHBEARER (also virtual_clusters[0].authentication[0]): a client's exchange can use only one (line 10)",
			},
		},
		{
			name: "principals",
			vc: `authentication:
  - type: sasl_plain
    mediation: terminate
    principals:
      - {username: alice, password: a}
      - {username: alice, password: b}
      - {password: c}
      - {username: bob}
      - {username: "nul\0", password: x, salt: AAAA}`,
			want: []string{
				vc + `.authentication[0].principals[1].username: duplicate principal "alice" (also virtual_clusters[0].authentication[0].principals[0]) (line 13)`,
				vc + ".authentication[0].principals[2].username: required (line 14)",
				vc + ".authentication[0].principals[3].password: required (line 15)",
				vc + ".authentication[0].principals[4].username: must not contain a NUL character (line 16)",
				vc + ".authentication[0].principals[4].salt: only used with sasl_scram (line 16)",
			},
		},
		{
			name: "salted credentials",
			vc: `authentication:
  - type: sasl_scram
    algorithm: sha512
    mediation: terminate
    principals:
      - {username: a, salt: "` + b64(16) + `", iterations: 4096, stored_key: "` + b64(64) + `", server_key: "` + b64(64) + `"}
      - {username: b, salt: "` + b64(16) + `"}
      - {username: c, salt: "not base64!", iterations: 100, stored_key: "` + b64(32) + `", server_key: ""}
      - {username: d, password: pw, iterations: 4096}
      - {username: e}`,
			want: []string{
				vc + ".authentication[0].principals[1].iterations: required with salted credentials (line 14)",
				vc + ".authentication[0].principals[1].stored_key: required with salted credentials (line 14)",
				vc + ".authentication[0].principals[1].server_key: required with salted credentials (line 14)",
				vc + ".authentication[0].principals[2].salt: invalid base64: illegal base64 data at input byte 3 (line 15)",
				vc + ".authentication[0].principals[2].iterations: must be between 4096 and 16384, as Kafka's, got 100 (line 15)",
				vc + ".authentication[0].principals[2].stored_key: must decode to 64 bytes for this algorithm, got 32 (line 15)",
				vc + ".authentication[0].principals[2].server_key: required with salted credentials (line 15)",
				vc + ".authentication[0].principals[3]: give either password or salted credentials (salt, iterations, stored_key, server_key), not both (line 16)",
				vc + ".authentication[0].principals[4].password: required (or salted credentials: salt, iterations, stored_key, server_key) (line 17)",
			},
		},
		{
			name: "two methods for one mechanism",
			vc: `authentication:
  - {type: anonymous}
  - {type: sasl_plain, mediation: passthrough}
  - {type: sasl_scram, algorithm: sha256, mediation: passthrough}
  - {type: sasl_scram, algorithm: sha512, mediation: passthrough}
  - {type: sasl_plain, mediation: passthrough}
  - {type: sasl_scram, algorithm: sha256, mediation: passthrough}
  - {type: anonymous}`,
			want: []string{
				vc + ".authentication[4].type: a second method for SASL mechanism PLAIN (also virtual_clusters[0].authentication[1]): a client's exchange can use only one (line 13)",
				vc + ".authentication[5].type: a second method for SASL mechanism SCRAM-SHA-256 (also virtual_clusters[0].authentication[2]): a client's exchange can use only one (line 14)",
				vc + ".authentication[6].type: duplicate anonymous method (also virtual_clusters[0].authentication[0]) (line 15)",
			},
		},
		{
			name: "keys of other types and bad enums",
			vc: `authentication:
  - {type: anonymous, mediation: terminate}
  - {type: sasl_plain, mediation: validate_forward, algorithm: sha256, jwks: {endpoint: "https://x"}}
  - {type: sasl_scram, mediation: terminate, principals: [{username: a, password: b}]}
  - {type: sasl_scram, algorithm: md5, mediation: both}
  - {type: oauth_bearer, mediation: passthrough, principals: [{username: a}], jwks: {endpoint: "https://x"}, validate: {issuer: x}}
  - {type: client_certificate, claims_mapping: {sub: x}}`,
			mtls: true,
			want: []string{
				vc + ".authentication[0].mediation: not used with type anonymous (only with sasl_plain, sasl_scram, oauth_bearer) (line 9)",
				vc + ".authentication[1].algorithm: not used with type sasl_plain (only with sasl_scram) (line 10)",
				vc + ".authentication[1].jwks: not used with type sasl_plain (only with oauth_bearer) (line 10)",
				vc + ".authentication[1].mediation: validate_forward is only for oauth_bearer (expected passthrough or terminate) (line 10)",
				vc + ".authentication[2].algorithm: required for sasl_scram (sha256 or sha512) (line 11)",
				vc + `.authentication[3].algorithm: unknown SCRAM algorithm "md5" (expected sha256 or sha512) (line 12)`,
				vc + `.authentication[3].mediation: unknown mediation "both" (expected passthrough or terminate) (line 12)`,
				vc + ".authentication[4].principals: not used with type oauth_bearer (only with sasl_plain, sasl_scram) (line 13)",
				vc + ".authentication[4].jwks: only used with mediation validate_forward and terminate: with passthrough the backend validates tokens (line 13)",
				vc + ".authentication[4].validate: only used with mediation validate_forward and terminate: with passthrough the backend validates tokens (line 13)",
				vc + ".authentication[5].claims_mapping: not used with type client_certificate (only with oauth_bearer) (line 14)",
			},
		},
		{
			name: "token settings",
			vc: `authentication:
  - type: oauth_bearer
    mediation: terminate
    jwks: {endpoint: "ftp://idp/keys", timeout: 0s, cache_expiration: -1m}
    validate: {issuer: "", audiences: [{name: a}, {name: a}, {}]}
    claims_mapping: {sub: "", scope: ""}
  - type: sasl_plain
    mediation: passthrough`,
			want: []string{
				vc + `.authentication[0].jwks.endpoint: invalid URL "ftp://idp/keys" (expected http:// or https:// and a host) (line 11)`,
				vc + ".authentication[0].jwks.timeout: must be greater than 0, got 0s (line 11)",
				vc + ".authentication[0].jwks.cache_expiration: must be greater than 0, got -1m0s (line 11)",
				vc + ".authentication[0].validate.issuer: must not be empty (line 12)",
				vc + `.authentication[0].validate.audiences[1].name: duplicate audience "a" (also audiences[0]) (line 12)`,
				vc + ".authentication[0].validate.audiences[2].name: required (line 12)",
				vc + ".authentication[0].claims_mapping.sub: must not be empty (line 13)",
				vc + ".authentication[0].claims_mapping.scope: must not be empty (line 13)",
			},
		},
		{
			name:        "anonymous needs the backend's permission",
			backendAuth: "{type: sasl_plain, username: gw, password: gw}",
			vc: `authentication:
  - {type: client_certificate}
  - {type: anonymous}`,
			mtls: true,
			want: []string{
				vc + `.authentication[1].type: anonymous clients would reach backend cluster "local", which Strait authenticates to with sasl_plain; set insecure_allow_anonymous_virtual_cluster_auth on the backend cluster to allow this (line 10)`,
			},
		},
		{
			name: "session lifetime and failure delay",
			raw: `runtime:
  failed_authentication_delay: -1s
backend_clusters:
  - name: local
    bootstrap_servers: ["127.0.0.1:9092"]
virtual_clusters:
  - name: team-a
    destination: local
    max_session_lifetime: 500ms
  - name: team-b
    destination: local
    max_session_lifetime: -1s
listeners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`,
			want: []string{
				"runtime.failed_authentication_delay: must not be negative, got -1s (line 2)",
				vc + ".max_session_lifetime: must be 0 (no cap) or at least 1s, got 500ms (line 9)",
				"virtual_clusters[1].max_session_lifetime: must not be negative, got -1s (line 12)",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := tc.raw
			if yaml == "" {
				yaml = authConfig(tc.backendAuth, tc.vc, tc.mtls)
			}
			_, err := Parse([]byte(yaml), "testdata")
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse = %v, want *Errors", err)
			}
			var got []string
			for _, e := range *errs {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestClientAuthWarnings(t *testing.T) {
	for _, tc := range []struct {
		name, vc string
		mtls     bool
		want     []string
	}{
		{
			name: "client_certificate without a listener asking for certificates",
			vc:   "authentication: [{type: client_certificate}]",
			want: []string{`virtual_clusters[0].authentication[0].type: no listener serving virtual cluster "team-a" has a tls_server with client_authentication: no client has a verified certificate, so this method never matches (line 8)`},
		},
		{
			name: "client_certificate after anonymous",
			vc:   "authentication: [{type: anonymous}, {type: client_certificate}]",
			mtls: true,
			want: []string{"virtual_clusters[0].authentication[1].type: never matches: virtual_clusters[0].authentication[0] (anonymous) comes first and gives every client that does not use SASL an identity (line 8)"},
		},
		{
			name: "JWKS over http",
			vc: `authentication:
  - {type: oauth_bearer, mediation: terminate, jwks: {endpoint: "http://idp.example.com/jwks"}}`,
			mtls: true,
			want: []string{
				"virtual_clusters[0].authentication[0].jwks.endpoint: keys fetched over plain http can be replaced in transit; use https (line 9)",
				`virtual_clusters[0].authentication[0].type: OAUTHBEARER sends tokens in clear, and listener "plain" (listeners[0]) serves this virtual cluster without TLS (line 9)`,
			},
		},
		{
			name: "SCRAM on plaintext is fine",
			vc: `authentication:
  - {type: sasl_scram, algorithm: sha256, mediation: passthrough}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(authConfig("", tc.vc, tc.mtls)), "testdata")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range c.Warnings {
				got = append(got, w.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
