// This file tests the decoding and validation of a backend cluster's
// authentication.

package config

import (
	"errors"
	"strings"
	"testing"
)

// withBackendAuth is base with backend_clusters[0].authentication set to
// the YAML flow mapping auth, on line 5, and anonymous clients allowed.
func withBackendAuth(auth string) string {
	return strings.Replace(base, `["127.0.0.1:9092"]`, `["127.0.0.1:9092"]
    insecure_allow_anonymous_virtual_cluster_auth: true
    authentication: `+auth, 1)
}

func TestBackendAuthValid(t *testing.T) {
	tests := []struct {
		name string
		auth string
		env  map[string]string
		want BackendAuth
	}{
		{
			name: "default",
			auth: "{}",
			want: BackendAuth{Type: "anonymous"},
		},
		{
			name: "sasl_plain",
			auth: "{type: sasl_plain, username: strait, password: s3cret}",
			want: BackendAuth{Type: "sasl_plain", Username: "strait", Password: "s3cret"},
		},
		{
			name: "sasl_scram sha512",
			auth: "{type: sasl_scram, algorithm: sha512, username: strait, password: s3cret}",
			want: BackendAuth{Type: "sasl_scram", Algorithm: "sha512", Username: "strait", Password: "s3cret"},
		},
		{
			name: "sasl_oauthbearer",
			auth: `{type: sasl_oauthbearer, token_endpoint: "https://idp.example.com:8443/oauth2/token?tenant=a", client_id: strait, client_secret: s3cret, scope: "kafka:read kafka:write"}`,
			want: BackendAuth{Type: "sasl_oauthbearer", TokenEndpoint: "https://idp.example.com:8443/oauth2/token?tenant=a", ClientID: "strait", ClientSecret: "s3cret", Scope: "kafka:read kafka:write"},
		},
		{
			name: "sasl_oauthbearer over http without scope, secret from the environment",
			auth: `{type: sasl_oauthbearer, token_endpoint: "http://127.0.0.1:9999/token", client_id: strait, client_secret: "${env:STRAIT_TEST_CLIENT_SECRET}"}`,
			env:  map[string]string{"STRAIT_TEST_CLIENT_SECRET": "from-env"},
			want: BackendAuth{Type: "sasl_oauthbearer", TokenEndpoint: "http://127.0.0.1:9999/token", ClientID: "strait", ClientSecret: "from-env"},
		},
		{
			name: "sasl_oauthbearer with an IPv6 endpoint",
			auth: `{type: sasl_oauthbearer, token_endpoint: "https://[::1]:8443/token", client_id: strait, client_secret: s3cret}`,
			want: BackendAuth{Type: "sasl_oauthbearer", TokenEndpoint: "https://[::1]:8443/token", ClientID: "strait", ClientSecret: "s3cret"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := Parse([]byte(withBackendAuth(tc.auth)), "testdata")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := c.BackendClusters[0].Authentication; got != tc.want {
				t.Errorf("authentication = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestBackendAuthErrors(t *testing.T) {
	const p = "backend_clusters[0].authentication."
	tests := []struct {
		name string
		auth string
		want []string
	}{
		{
			name: "sasl_oauthbearer without its settings",
			auth: "{type: sasl_oauthbearer}",
			want: []string{
				p + "token_endpoint: required for sasl_oauthbearer (line 5)",
				p + "client_id: required for sasl_oauthbearer (line 5)",
				p + "client_secret: required for sasl_oauthbearer (line 5)",
			},
		},
		{
			name: "sasl_oauthbearer with an empty secret",
			auth: `{type: sasl_oauthbearer, token_endpoint: "https://idp/token", client_id: strait, client_secret: ""}`,
			want: []string{p + "client_secret: required for sasl_oauthbearer (line 5)"},
		},
		{
			name: "token endpoint of another scheme",
			auth: `{type: sasl_oauthbearer, token_endpoint: "ftp://idp/token", client_id: a, client_secret: b}`,
			want: []string{p + `token_endpoint: must be an http or https URL, got scheme "ftp" (line 5)`},
		},
		{
			name: "relative token endpoint",
			auth: `{type: sasl_oauthbearer, token_endpoint: "/oauth2/token", client_id: a, client_secret: b}`,
			want: []string{p + `token_endpoint: must be an http or https URL, got scheme "" (line 5)`},
		},
		{
			name: "token endpoint without a host",
			auth: `{type: sasl_oauthbearer, token_endpoint: "https:///token", client_id: a, client_secret: b}`,
			want: []string{p + "token_endpoint: must be an http or https URL with a host (line 5)"},
		},
		{
			name: "token endpoint with a bad host",
			auth: `{type: sasl_oauthbearer, token_endpoint: "https://bad_host!/token", client_id: a, client_secret: b}`,
			want: []string{p + `token_endpoint: "bad_host!" is not an IP address or host name (line 5)`},
		},
		{
			name: "token endpoint with a port out of range",
			auth: `{type: sasl_oauthbearer, token_endpoint: "https://idp:70000/token", client_id: a, client_secret: b}`,
			want: []string{p + "token_endpoint: port 70000 out of range 1-65535 (line 5)"},
		},
		{
			name: "token endpoint with a fragment",
			auth: `{type: sasl_oauthbearer, token_endpoint: "https://idp/token#x", client_id: a, client_secret: b}`,
			want: []string{p + "token_endpoint: must not have a fragment (line 5)"},
		},
		{
			name: "token endpoint that does not parse",
			auth: `{type: sasl_oauthbearer, token_endpoint: "https://idp/%zz", client_id: a, client_secret: b}`,
			want: []string{p + `token_endpoint: invalid URL: invalid URL escape "%zz" (line 5)`},
		},
		{
			name: "bad scope",
			auth: `{type: sasl_oauthbearer, token_endpoint: "https://idp/token", client_id: a, client_secret: b, scope: "read\"write"}`,
			want: []string{p + `scope: invalid character '"' in scope (RFC 6749 allows printable ASCII except '"' and '\\', tokens separated by spaces) (line 5)`},
		},
		{
			name: "credentials of other types with sasl_oauthbearer",
			auth: `{type: sasl_oauthbearer, token_endpoint: "https://idp/token", client_id: a, client_secret: b, username: u, password: x, algorithm: sha256}`,
			want: []string{
				p + "username: only used with sasl_plain and sasl_scram (line 5)",
				p + "password: only used with sasl_plain and sasl_scram (line 5)",
				p + "algorithm: only used with sasl_scram (line 5)",
			},
		},
		{
			name: "oauthbearer settings with sasl_plain",
			auth: `{type: sasl_plain, username: u, password: x, token_endpoint: "https://idp/token", client_id: a, client_secret: b, scope: s}`,
			want: []string{
				p + "token_endpoint: only used with sasl_oauthbearer (line 5)",
				p + "client_id: only used with sasl_oauthbearer (line 5)",
				p + "client_secret: only used with sasl_oauthbearer (line 5)",
				p + "scope: only used with sasl_oauthbearer (line 5)",
			},
		},
		{
			name: "oauthbearer settings with anonymous",
			auth: `{client_secret: b}`,
			want: []string{p + "client_secret: only used with sasl_oauthbearer (line 5)"},
		},
		{
			name: "unknown field",
			auth: `{type: sasl_oauthbearer, token_endpoint: "https://idp/token", client_id: a, client_secret: b, audience: x}`,
			want: []string{p + "audience: unknown field (line 5)"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(withBackendAuth(tc.auth)), "testdata")
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse error is %T, want *Errors: %v", err, err)
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

// TestTokenEndpointCredentialsNotEchoed pins that a token endpoint with
// credentials in it is refused without repeating them: validation errors
// are printed and logged.
func TestTokenEndpointCredentialsNotEchoed(t *testing.T) {
	for _, endpoint := range []string{
		"https://strait:hunter2@idp.example.com/token",
		"https://strait:hunter2@idp.example.com/%zz",
		"https://strait:hunter2@[::1/token",
	} {
		_, err := Parse([]byte(withBackendAuth(`{type: sasl_oauthbearer, token_endpoint: "`+endpoint+`", client_id: a, client_secret: b}`)), "testdata")
		if err == nil {
			t.Fatalf("%s: Parse succeeded", endpoint)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error repeats the password: %v", endpoint, err)
		}
		if !strings.Contains(err.Error(), "backend_clusters[0].authentication.token_endpoint: ") {
			t.Errorf("%s: error does not name token_endpoint: %v", endpoint, err)
		}
	}
}
