// This file tests that bad configuration files are reported in full.

package config

import (
	"errors"
	"strings"
	"testing"
)

// base is a small valid configuration; most bad configurations below are it
// with one thing changed.
const base = `backend_clusters:
  - name: local
    bootstrap_servers: ["127.0.0.1:9092"]
virtual_clusters:
  - name: team-a
    destination: local
listeners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`

func TestParseBase(t *testing.T) {
	if _, err := Parse([]byte(base), "testdata"); err != nil {
		t.Fatalf("Parse(base): %v", err)
	}
}

// Certificates for tls_server: teamACert covers team-a's per_cluster_suffix
// host names under .kafka.example.com; sharedCert covers the shared_suffix
// host names of every virtual cluster under .kafka.example.com or
// -kafka.example.com.
const (
	teamACert  = `[{certificate: "${file:server-team-a.crt}", key: "${file:server-team-a.key}"}]`
	sharedCert = `[{certificate: "${file:server-shared.crt}", key: "${file:server-shared.key}"}]`
)

// withTeamB is base with a second virtual cluster, team-b, on lines 7-8.
var withTeamB = strings.Replace(base, "listeners:\n", "  - name: team-b\n    destination: local\nlisteners:\n", 1)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []string
	}{
		{
			name: "unknown top-level key",
			yaml: base + "logging: {level: debug}\n",
			want: []string{
				"logging: unknown field (line 13)",
			},
		},
		{
			name: "unknown nested key",
			yaml: `backend_clusters:
  - name: local
    bootstrap_servers: ["127.0.0.1:9092"]
    colour: blue
virtual_clusters:
  - name: team-a
    destination: local
    tls: {enabled: true}
listeners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a, sni_suffix: .example.com}
`,
			want: []string{
				"backend_clusters[0].colour: unknown field (line 4)",
				"virtual_clusters[0].tls: unknown field (line 8)",
				"listeners[0].policies[0].config.sni_suffix: only for type sni (line 14)",
			},
		},
		{
			name: "typo hint",
			yaml: `admin:
  adress: 127.0.0.1:8080
backend_clusters:
  - name: local
    bootstrap_server: ["127.0.0.1:9092"]
virtual_clusters:
  - name: team-a
    destination: local
listeners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a, bootstrap-port: none}
`,
			want: []string{
				"admin.adress: unknown field; did you mean \"address\"? (line 2)",
				"backend_clusters[0].bootstrap_server: unknown field; did you mean \"bootstrap_servers\"? (line 5)",
				"listeners[0].policies[0].config.bootstrap-port: unknown field; did you mean \"bootstrap_port\"? (line 14)",
			},
		},
		{
			name: "wrong types",
			yaml: `runtime:
  max_frame_bytes: lots
backend_clusters:
  - name: local
    bootstrap_servers: {host: 127.0.0.1:9092}
    tls: [enabled]
    insecure_allow_anonymous_virtual_cluster_auth: "yes"
virtual_clusters: {name: team-a}
listeners:
  - name: plain
    ports: 19092
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a, min_broker_id: "0"}
`,
			want: []string{
				"runtime.max_frame_bytes: expected an integer, got string \"lots\" (line 2)",
				"backend_clusters[0].bootstrap_servers: expected a list, got a mapping (line 5)",
				"backend_clusters[0].tls: expected a mapping, got a list (line 6)",
				"backend_clusters[0].insecure_allow_anonymous_virtual_cluster_auth: expected true or false, got string \"yes\" (line 7)",
				"virtual_clusters: expected a list, got a mapping (line 8)",
				"listeners[0].ports: expected a list, got number 19092 (line 11)",
				"listeners[0].policies[0].config.min_broker_id: expected an integer, got string \"0\" (line 14)",
			},
		},
		{
			name: "bad port ranges",
			yaml: `backend_clusters:
  - name: local
    bootstrap_servers: ["127.0.0.1:9092"]
virtual_clusters:
  - name: team-a
    destination: local
listeners:
  - name: plain
    ports: ["19095-19092", 0, "abc", 70000, "1-70000", "19092-", {port: 1}]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`,
			want: []string{
				"listeners[0].ports[0]: invalid port range \"19095-19092\": 19095 is greater than 19092 (line 9)",
				"listeners[0].ports[1]: port 0 out of range 1-65535 (line 9)",
				"listeners[0].ports[2]: invalid port \"abc\" (expected a port or a \"first-last\" range) (line 9)",
				"listeners[0].ports[3]: port 70000 out of range 1-65535 (line 9)",
				"listeners[0].ports[4]: invalid port \"1-70000\": 70000 out of range 1-65535 (line 9)",
				"listeners[0].ports[5]: invalid port \"19092-\" (expected a port or a \"first-last\" range) (line 9)",
				"listeners[0].ports[6]: expected a port or a \"first-last\" range, got a mapping (line 9)",
			},
		},
		{
			name: "overlapping ports across listeners",
			yaml: base + `  - name: second
    ports: [19080, "19090-19092"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
  - name: other-address
    addresses: [127.0.0.2]
    ports: ["19092-19095"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
  - name: wildcard
    addresses: ["::"]
    ports: ["19095"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a, bootstrap_port: none}
`,
			want: []string{
				"listeners[1].ports[1]: 19090-19092 overlaps 19092-19095 of listener \"plain\" (listeners[0].ports[0]) on address 127.0.0.1 (line 14)",
				"listeners[3].ports[0]: 19095 overlaps 19092-19095 of listener \"plain\" (listeners[0].ports[0]) on addresses :: and 127.0.0.1 (line 26)",
				"listeners[3].ports[0]: 19095 overlaps 19092-19095 of listener \"other-address\" (listeners[2].ports[0]) on addresses :: and 127.0.0.2 (line 26)",
			},
		},
		{
			name: "overlapping ports and addresses within a listener",
			yaml: `backend_clusters:
  - name: local
    bootstrap_servers: ["127.0.0.1:9092"]
virtual_clusters:
  - name: team-a
    destination: local
listeners:
  - name: plain
    addresses: [0.0.0.0, 127.0.0.1, 0.0.0.0]
    ports: ["19092-19095", 19093, "19095-19099"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`,
			want: []string{
				"listeners[0].addresses[1]: \"127.0.0.1\" overlaps \"0.0.0.0\" (addresses[0]): a wildcard address covers every address (line 9)",
				"listeners[0].addresses[2]: duplicate address \"0.0.0.0\" (also addresses[0]) (line 9)",
				"listeners[0].ports[1]: 19093 overlaps 19092-19095 (ports[0]) (line 10)",
				"listeners[0].ports[2]: 19095-19099 overlaps 19092-19095 (ports[0]) (line 10)",
			},
		},
		{
			name: "duplicate backend cluster name",
			yaml: `backend_clusters:
  - name: local
    bootstrap_servers: ["127.0.0.1:9092"]
  - name: local
    bootstrap_servers: ["127.0.0.1:9093"]
  - bootstrap_servers: ["127.0.0.1:9094"]
virtual_clusters:
  - name: team-a
    destination: local
listeners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`,
			want: []string{
				"backend_clusters[1].name: duplicate backend cluster name \"local\" (also backend_clusters[0]) (line 4)",
				"backend_clusters[2].name: required (line 6)",
			},
		},
		{
			name: "duplicate virtual cluster name",
			yaml: `backend_clusters:
  - name: local
    bootstrap_servers: ["127.0.0.1:9092"]
virtual_clusters:
  - name: team-a
    destination: local
  - name: team-a
    destination: local
  - name: team-b
    destination: local
    dns_label: team-a
listeners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`,
			want: []string{
				"virtual_clusters[1].name: duplicate virtual cluster name \"team-a\" (also virtual_clusters[0]) (line 7)",
				"virtual_clusters[2].dns_label: duplicate dns_label \"team-a\" (also virtual_clusters[0]) (line 11)",
			},
		},
		{
			name: "unknown destination for virtual cluster",
			yaml: strings.Replace(base, "destination: local", "destination: prod", 1),
			want: []string{
				"virtual_clusters[0].destination: unknown backend cluster \"prod\" (line 6)",
			},
		},
		{
			name: "unknown destination for forward policy",
			yaml: strings.Replace(base, "destination: team-a}", "destination: team-b}", 1),
			want: []string{
				"listeners[0].policies[0].config.destination: unknown virtual cluster \"team-b\" (line 12)",
			},
		},
		{
			name: "missing env var",
			yaml: strings.Replace(base, `"127.0.0.1:9092"`, `"${env:STRAIT_TEST_UNSET}:9092", "${env:}:9092", "${vault:x}:9092", "${env:STRAIT_TEST_HOST"`, 1),
			want: []string{
				"backend_clusters[0].bootstrap_servers[0]: environment variable \"STRAIT_TEST_UNSET\" is not set (line 3)",
				"backend_clusters[0].bootstrap_servers[1]: empty variable name in ${env:} (line 3)",
				"backend_clusters[0].bootstrap_servers[2]: unknown reference ${vault:x} (expected ${env:NAME} or ${file:PATH}) (line 3)",
				"backend_clusters[0].bootstrap_servers[3]: unterminated reference \"${env:STRAIT_TEST_HOST\" (expected ${env:NAME} or ${file:PATH}) (line 3)",
			},
		},
		{
			name: "missing file",
			yaml: base + `admin:
  address: ${file:missing.txt}
`,
			want: []string{
				"admin.address: cannot read file \"missing.txt\": no such file or directory (line 14)",
			},
		},
		{
			name: "bad duration",
			yaml: base + `runtime:
  drain_duration: 5
  shutdown_timeout: ten seconds
`,
			want: []string{
				"runtime.drain_duration: invalid duration \"5\" (expected a Go duration such as \"30s\" or \"1m30s\") (line 14)",
				"runtime.shutdown_timeout: invalid duration \"ten seconds\" (expected a Go duration such as \"30s\" or \"1m30s\") (line 15)",
			},
		},
		{
			name: "bad log level and format",
			yaml: base + `observability:
  log_level: verbose
  log_format: text
`,
			want: []string{
				"observability.log_level: unknown log level \"verbose\" (expected debug, info, warn or error) (line 14)",
				"observability.log_format: unknown log format \"text\" (expected logfmt or json) (line 15)",
			},
		},
		{
			name: "unsupported policy type",
			yaml: base + `  - name: limited
    addresses: ["0.0.0.0"]
    ports: [9443]
    policies:
      - type: rate_limit
        config: {bytes_per_second: 1000}
`,
			want: []string{
				"listeners[1].policies[0].type: unsupported policy type \"rate_limit\" (supported: forward_to_virtual_cluster, tls_server) (line 17)",
				"listeners[1].policies: a forward_to_virtual_cluster policy is required (line 16)",
			},
		},
		{
			name: "unsupported forward type",
			yaml: base + `  - name: static
    addresses: ["0.0.0.0"]
    ports: [9443]
    policies:
      - type: forward_to_virtual_cluster
        config:
          type: static
          destination: team-a
`,
			want: []string{
				"listeners[1].policies[0].config.type: unsupported forward type \"static\" (supported: port_mapping, sni) (line 19)",
			},
		},
		{
			name: "bad dns labels",
			yaml: `backend_clusters:
  - name: local
    bootstrap_servers: ["127.0.0.1:9092"]
virtual_clusters:
  - name: team-a
    destination: local
    dns_label: Team_A
  - name: 1team
    destination: local
  - name: team-c
    destination: local
    dns_label: team-c-
  - name: team-d
    destination: local
    dns_label: team_d
listeners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`,
			want: []string{
				"virtual_clusters[0].dns_label: invalid DNS label \"Team_A\": must start with a lowercase letter (line 7)",
				"virtual_clusters[1].dns_label: name \"1team\" is not a valid DNS label (must start with a lowercase letter); set dns_label (line 8)",
				"virtual_clusters[2].dns_label: invalid DNS label \"team-c-\": must not end with a hyphen (line 12)",
				"virtual_clusters[3].dns_label: invalid DNS label \"team_d\": invalid character '_' (allowed: lowercase letters, digits and hyphens) (line 15)",
			},
		},
		{
			name: "empty bootstrap_servers",
			yaml: strings.Replace(base, `["127.0.0.1:9092"]`, `[]`, 1),
			want: []string{
				"backend_clusters[0].bootstrap_servers: at least one bootstrap server is required (line 3)",
			},
		},
		{
			name: "bad host:port",
			yaml: strings.Replace(base, `["127.0.0.1:9092"]`, `["localhost", ":9092", "kafka:http", "kafka:0", "bad host:9092", "[::1]:9092"]`, 1),
			want: []string{
				"backend_clusters[0].bootstrap_servers[0]: invalid address \"localhost\" (expected host:port) (line 3)",
				"backend_clusters[0].bootstrap_servers[1]: invalid address \":9092\": missing host (line 3)",
				"backend_clusters[0].bootstrap_servers[2]: invalid address \"kafka:http\": invalid port \"http\" (line 3)",
				"backend_clusters[0].bootstrap_servers[3]: invalid address \"kafka:0\": port 0 out of range 1-65535 (line 3)",
				"backend_clusters[0].bootstrap_servers[4]: invalid address \"bad host:9092\": \"bad host\" is not an IP address or host name (line 3)",
			},
		},
		{
			name: "sasl_scram without algorithm",
			yaml: strings.Replace(base, `["127.0.0.1:9092"]`, `["127.0.0.1:9092"]
    insecure_allow_anonymous_virtual_cluster_auth: true
    authentication: {type: sasl_scram, username: strait}`, 1),
			want: []string{
				"backend_clusters[0].authentication.algorithm: required for sasl_scram (sha256 or sha512) (line 5)",
				"backend_clusters[0].authentication.password: required for sasl_scram (line 5)",
			},
		},
		{
			name: "backend authentication",
			yaml: `backend_clusters:
  - name: plain
    bootstrap_servers: ["127.0.0.1:9092"]
    authentication: {type: sasl_plain, username: strait, algorithm: sha256}
  - name: scram
    bootstrap_servers: ["127.0.0.1:9092"]
    authentication: {type: sasl_scram, algorithm: md5, username: strait, password: x}
  - name: oauth
    bootstrap_servers: ["127.0.0.1:9092"]
    authentication: {type: sasl_oauthbearer}
  - name: kerberos
    bootstrap_servers: ["127.0.0.1:9092"]
    authentication: {type: gssapi}
  - name: anon
    bootstrap_servers: ["127.0.0.1:9092"]
    authentication: {password: x}
virtual_clusters:
  - name: team-a
    destination: plain
listeners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`,
			want: []string{
				"backend_clusters[0].authentication.password: required for sasl_plain (line 4)",
				"backend_clusters[0].authentication.algorithm: only used with sasl_scram (line 4)",
				"backend_clusters[1].authentication.algorithm: unknown SCRAM algorithm \"md5\" (expected sha256 or sha512) (line 7)",
				"backend_clusters[2].authentication.token_endpoint: required for sasl_oauthbearer (line 10)",
				"backend_clusters[2].authentication.client_id: required for sasl_oauthbearer (line 10)",
				"backend_clusters[2].authentication.client_secret: required for sasl_oauthbearer (line 10)",
				"backend_clusters[3].authentication.type: unknown backend authentication type \"gssapi\" (expected anonymous, sasl_plain, sasl_scram or sasl_oauthbearer) (line 13)",
				"backend_clusters[4].authentication.password: only used with sasl_plain and sasl_scram (line 16)",
				"virtual_clusters[0].authentication[0].type: anonymous clients would reach backend cluster \"plain\", which Strait authenticates to with sasl_plain; set insecure_allow_anonymous_virtual_cluster_auth on the backend cluster to allow this (line 18)",
			},
		},
		{
			name: "tls_versions bad values",
			yaml: strings.Replace(base, `["127.0.0.1:9092"]`, `["127.0.0.1:9092"]
    tls: {enabled: true, tls_versions: [tls12, tls11, tls12]}
  - name: empty-versions
    bootstrap_servers: ["127.0.0.1:9092"]
    tls: {enabled: true, tls_versions: []}`, 1),
			want: []string{
				"backend_clusters[0].tls.tls_versions[1]: unknown TLS version \"tls11\" (expected tls12 or tls13) (line 4)",
				"backend_clusters[0].tls.tls_versions[2]: duplicate TLS version \"tls12\" (line 4)",
				"backend_clusters[1].tls.tls_versions: at least one TLS version is required (tls12, tls13) (line 7)",
			},
		},
		{
			name: "bad PEM",
			yaml: strings.Replace(base, `["127.0.0.1:9092"]`, `["127.0.0.1:9092"]
    tls:
      enabled: true
      ca_bundle: ${file:bad.pem}
      client_identity:
        certificate: ${file:client.crt}
        key: ${file:bad.pem}
  - name: half-identity
    bootstrap_servers: ["127.0.0.1:9092"]
    tls:
      ca_bundle: ${file:client.key}
      client_identity: {certificate: "${file:client.crt}"}`, 1),
			want: []string{
				"backend_clusters[0].tls.ca_bundle: no PEM certificate found (line 6)",
				"backend_clusters[0].tls.client_identity: invalid certificate or key: tls: failed to find any PEM data in key input (line 7)",
				"backend_clusters[1].tls.ca_bundle: PEM block 1 is a \"PRIVATE KEY\", not a CERTIFICATE (line 13)",
				"backend_clusters[1].tls.client_identity.key: required (line 14)",
			},
		},
		{
			name: "max_frame_bytes too small",
			yaml: base + `runtime:
  max_frame_bytes: 512
`,
			want: []string{
				"runtime.max_frame_bytes: must be between 1024 (1 KiB) and 1073741824 (1 GiB), got 512 (line 14)",
			},
		},
		{
			name: "max_frame_bytes zero",
			yaml: base + `runtime:
  max_frame_bytes: 0
`,
			want: []string{
				"runtime.max_frame_bytes: must be between 1024 (1 KiB) and 1073741824 (1 GiB), got 0 (line 14)",
			},
		},
		{
			name: "max_frame_bytes too large",
			yaml: base + `runtime:
  max_frame_bytes: 1073741825
`,
			want: []string{
				"runtime.max_frame_bytes: must be between 1024 (1 KiB) and 1073741824 (1 GiB), got 1073741825 (line 14)",
			},
		},
		{
			name: "many errors at once",
			yaml: `observability:
  log_level: loud
backend_clusters:
  - name: local
    bootstrap_servers: ["127.0.0.1"]
    metadata_update_interval: 0s
virtual_clusters:
  - name: team-a
    destination: remote
    acl_mode: enforce
    authentication: [{type: mtls}]
listeners:
  - name: plain
    port: 19092
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-z, min_broker_id: -1}
`,
			want: []string{
				"listeners[0].port: unknown field; did you mean \"ports\"? (line 14)",
				"observability.log_level: unknown log level \"loud\" (expected debug, info, warn or error) (line 2)",
				"backend_clusters[0].bootstrap_servers[0]: invalid address \"127.0.0.1\" (expected host:port) (line 5)",
				"backend_clusters[0].metadata_update_interval: must be greater than 0, got 0s (line 6)",
				"virtual_clusters[0].destination: unknown backend cluster \"remote\" (line 9)",
				"virtual_clusters[0].acl_mode: unknown ACL mode \"enforce\" (expected passthrough or enforce_on_gateway) (line 10)",
				"virtual_clusters[0].authentication[0].type: unsupported client authentication type \"mtls\" (supported: anonymous, client_certificate, sasl_plain, sasl_scram, oauth_bearer) (line 11)",
				"listeners[0].policies[0].config.destination: unknown virtual cluster \"team-z\" (line 17)",
				"listeners[0].policies[0].config.min_broker_id: must not be negative, got -1 (line 17)",
			},
		},
		{
			name: "bootstrap at_start with a single port",
			yaml: strings.Replace(base, `["19092-19095"]`, `[19092]`, 1),
			want: []string{
				"listeners[0].policies[0].config.bootstrap_port: at_start needs at least 2 ports (the bootstrap port and a broker port); the listener has 1 (line 12)",
			},
		},
		{
			name: "no listeners",
			yaml: `backend_clusters:
  - name: local
    bootstrap_servers: ["127.0.0.1:9092"]
virtual_clusters:
  - name: team-a
    destination: local
`,
			want: []string{
				"listeners: at least one listener is required",
			},
		},
		{
			name: "min_broker_id too large",
			yaml: strings.Replace(base, "destination: team-a}", "destination: team-a, min_broker_id: 2147483646}", 1),
			want: []string{
				"listeners[0].policies[0].config.min_broker_id: too large: the last broker port would serve broker id 2147483648 (line 12)",
			},
		},
		{
			name: "not a mapping",
			yaml: "strait\n",
			want: []string{
				`expected a mapping, got string "strait" (line 1)`,
			},
		},
		{
			name: "merge cycle",
			yaml: base + "admin: &a\n  <<: *a\n",
			want: []string{
				"admin: merge keys nest too deeply (line 14)",
			},
		},
		{
			name: "empty file",
			yaml: "# nothing yet\n",
			want: []string{
				"listeners: at least one listener is required",
			},
		},
		{
			name: "syntax error",
			yaml: base + "admin: {address: 127.0.0.1:8080\n",
			want: []string{
				"syntax error: could not find flow mapping end token '}' (line 13)",
			},
		},
		{
			name: "two documents",
			yaml: base + "---\n" + base,
			want: []string{
				"expected one YAML document, found 2 (line 14)",
			},
		},
		{
			name: "policies",
			yaml: base + `  - name: none
    ports: [19100, 19101]
    policies: []
  - name: two
    ports: [19200, 19201]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
  - name: incomplete
    ports: [19300, 19301]
    policies:
      - config: {type: port_mapping, destination: team-a}
      - type: forward_to_virtual_cluster
      - type: forward_to_virtual_cluster
  - name: plain
    ports: [19400, 19401]
    policies:
      - type: forward_to_virtual_cluster
        config: {destination: team-a, bootstrap_port: first, advertised_host: "bad host"}
`,
			want: []string{
				"listeners[1].policies: a forward_to_virtual_cluster policy is required (line 15)",
				"listeners[2].policies[1].config.type: only one port_mapping policy is allowed per listener (the first is policies[0]) (line 22)",
				"listeners[3].policies[0].type: required (supported: forward_to_virtual_cluster, tls_server) (line 26)",
				"listeners[3].policies[1].config: required (line 27)",
				"listeners[3].policies[2].config: required (line 28)",
				"listeners[4].name: duplicate listener name \"plain\" (also listeners[0]) (line 29)",
				"listeners[4].policies[0].config.type: required (supported: port_mapping, sni) (line 33)",
				"listeners[4].policies[0].config.advertised_host: invalid host \"bad host\" (expected an IP address or host name) (line 33)",
				"listeners[4].policies[0].config.bootstrap_port: unknown bootstrap port mode \"first\" (expected at_start or none) (line 33)",
			},
		},
		{
			name: "anonymous clients in front of an authenticated backend",
			yaml: strings.Replace(base, `["127.0.0.1:9092"]`, `["127.0.0.1:9092"]
    authentication: {type: sasl_plain, username: strait, password: secret}`, 1),
			want: []string{
				"virtual_clusters[0].authentication[0].type: anonymous clients would reach backend cluster \"local\", which Strait authenticates to with sasl_plain; set insecure_allow_anonymous_virtual_cluster_auth on the backend cluster to allow this (line 6)",
			},
		},
		{
			name: "virtual cluster authentication",
			yaml: strings.Replace(base, "destination: local\n", `destination: local
    authentication: [{type: anonymous}, {type: sasl_plain}, {}]
  - name: team-b
    destination: local
    authentication: []
    acl_mode: strict
`, 1),
			want: []string{
				"virtual_clusters[0].authentication[1].mediation: required for sasl_plain (passthrough or terminate) (line 7)",
				"virtual_clusters[0].authentication[2].type: required (supported: anonymous, client_certificate, sasl_plain, sasl_scram, oauth_bearer) (line 7)",
				"virtual_clusters[1].acl_mode: unknown ACL mode \"strict\" (expected passthrough or enforce_on_gateway) (line 11)",
				"virtual_clusters[1].authentication: at least one authentication method is required (line 10)",
			},
		},
		{
			name: "admin and runtime",
			yaml: base + `admin:
  address: localhost
runtime:
  drain_duration: -1s
  shutdown_timeout: -5s
`,
			want: []string{
				"admin.address: invalid address \"localhost\" (expected host:port) (line 14)",
				"runtime.drain_duration: must not be negative, got -1s (line 16)",
				"runtime.shutdown_timeout: must not be negative, got -5s (line 17)",
			},
		},
		{
			name: "negative connection limits",
			yaml: strings.Replace(base, "    ports: [\"19092-19095\"]\n", "    ports: [\"19092-19095\"]\n    max_connections: -1\n", 1) + `runtime:
  max_connections: -10
`,
			want: []string{
				"runtime.max_connections: must not be negative (0 sets no limit), got -10 (line 15)",
				"listeners[0].max_connections: must not be negative (0 sets no limit), got -1 (line 10)",
			},
		},
		{
			name: "admin address out of range",
			yaml: base + `admin: {address: "127.0.0.1:65536"}
`,
			want: []string{
				"admin.address: invalid address \"127.0.0.1:65536\": port 65536 out of range 0-65535 (line 13)",
			},
		},
		{
			name: "listener names and addresses",
			yaml: base + `  - name: plain
    addresses: ["bad host", ""]
    ports: [20000, 20001]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
  - addresses: []
    ports: []
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`,
			want: []string{
				"listeners[1].name: duplicate listener name \"plain\" (also listeners[0]) (line 13)",
				"listeners[1].addresses[0]: invalid address \"bad host\" (expected an IP address or host name) (line 14)",
				"listeners[1].addresses[1]: invalid address \"\" (expected an IP address or host name) (line 14)",
				"listeners[2].name: required (line 19)",
				"listeners[2].addresses: at least one address is required (line 19)",
				"listeners[2].ports: at least one port is required (line 20)",
			},
		},
		{
			name: "unknown alias and bad merge",
			yaml: `x: &x 1
backend_clusters:
  - name: local
    bootstrap_servers: *servers
    <<: [*x]
virtual_clusters:
  - name: team-a
    destination: local
listeners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`,
			want: []string{
				"x: unknown field (line 1)",
				"backend_clusters[0]: merge key << expects a mapping or a list of mappings, got number 1 (line 5)",
				"backend_clusters[0].bootstrap_servers: unknown alias *servers (line 4)",
			},
		},
		{
			name: "integer out of range",
			yaml: strings.Replace(base, "destination: team-a}", "destination: team-a, min_broker_id: 3000000000}", 1) + `runtime:
  max_frame_bytes: 99999999999999999999
`,
			want: []string{
				"listeners[0].policies[0].config.min_broker_id: integer 3000000000 out of range (-2147483648 to 2147483647) (line 12)",
				"runtime.max_frame_bytes: integer 99999999999999999999 out of range (line 14)",
			},
		},
		{
			name: "reference to a bad value",
			yaml: strings.Replace(base, "destination: team-a}", "destination: team-a, min_broker_id: \"${env:STRAIT_TEST_MIN}\"}", 1) + `runtime:
  drain_duration: ${env:STRAIT_TEST_MIN}
`,
			env: map[string]string{"STRAIT_TEST_MIN": "one"},
			want: []string{
				"listeners[0].policies[0].config.min_broker_id: expected an integer, got \"one\" (line 12)",
				"runtime.drain_duration: invalid duration \"one\" (expected a Go duration such as \"30s\" or \"1m30s\") (line 14)",
			},
		},

		{
			name: "tls_server config missing, twice, and after forwarding",
			yaml: base + `  - name: tls
    ports: [9443]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com}
      - type: tls_server
        config:
          certificates: ` + teamACert + `
      - type: tls_server
`,
			want: []string{
				"listeners[1].policies[1].type: must come before the forward_to_virtual_cluster policies (policies[0] is one) (line 18)",
				"listeners[1].policies[2].type: only one tls_server policy is allowed per listener (the first is policies[1]) (line 21)",
				"listeners[1].policies[2].config: required (line 21)",
			},
		},
		{
			name: "tls_server certificates",
			yaml: base + `  - name: none
    ports: [9443, 9444]
    policies:
      - type: tls_server
        config: {certificates: []}
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
  - name: bad
    ports: [9543, 9544]
    policies:
      - type: tls_server
        config:
          certificates:
            - {certificate: "${file:server-team-a.crt}", key: "${file:server-shared.key}"}
            - {certificate: "${file:server-nonames.crt}", key: "${file:server-nonames.key}"}
            - {certificate: "${file:server-team-a.crt}"}
            - {certificate: "${file:bad.pem}", key: "${file:client.key}"}
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`,
			want: []string{
				"listeners[1].policies[0].config.certificates: at least one certificate is required (line 17)",
				"listeners[2].policies[0].config.certificates[0]: invalid certificate or key: tls: private key does not match public key (line 26)",
				"listeners[2].policies[0].config.certificates[1].certificate: names no host: it has neither a subject alternative name nor a common name (line 27)",
				"listeners[2].policies[0].config.certificates[2].key: required (line 28)",
				"listeners[2].policies[0].config.certificates[3]: invalid certificate or key: tls: failed to find any PEM data in certificate input (line 29)",
			},
		},
		{
			name: "tls versions",
			yaml: base + `  - name: old
    ports: [9443, 9444]
    policies:
      - type: tls_server
        config:
          certificates: ` + sharedCert + `
          versions: {min: TLSv1.1, max: tls13}
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
  - name: upside-down
    ports: [9543, 9544]
    policies:
      - type: tls_server
        config:
          certificates: ` + sharedCert + `
          versions: {min: TLSv1.3, max: TLSv1.2}
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
  - name: ancient
    ports: [9643, 9644]
    policies:
      - type: tls_server
        config:
          certificates: ` + sharedCert + `
          versions: {max: TLSv1.0}
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`,
			want: []string{
				"listeners[1].policies[0].config.versions.min: TLS versions below TLSv1.2 are not supported (line 19)",
				"listeners[1].policies[0].config.versions.max: unknown TLS version \"tls13\" (expected TLSv1.2 or TLSv1.3) (line 19)",
				"listeners[2].policies[0].config.versions: min TLSv1.3 is greater than max TLSv1.2 (line 28)",
				"listeners[3].policies[0].config.versions.max: TLS versions below TLSv1.2 are not supported (line 37)",
			},
		},
		{
			name: "client authentication",
			yaml: base + `  - name: empty
    ports: [9443, 9444]
    policies:
      - type: tls_server
        config:
          certificates: ` + sharedCert + `
          client_authentication: {principal_mapping: {type: cn}}
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
  - name: wrong
    ports: [9543, 9544]
    policies:
      - type: tls_server
        config:
          certificates: ` + sharedCert + `
          client_authentication:
            mode: optional
            tls_trust_bundles: ["${file:client.key}", "${file:bad.pem}", "${file:ca.pem}"]
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`,
			want: []string{
				"listeners[1].policies[0].config.client_authentication.mode: required (supported: required, requested) (line 19)",
				"listeners[1].policies[0].config.client_authentication.tls_trust_bundles: at least one trust bundle is required (line 19)",
				"listeners[2].policies[0].config.client_authentication.mode: unknown client authentication mode \"optional\" (expected required or requested) (line 29)",
				"listeners[2].policies[0].config.client_authentication.tls_trust_bundles[0]: PEM block 1 is a \"PRIVATE KEY\", not a CERTIFICATE (line 30)",
				"listeners[2].policies[0].config.client_authentication.tls_trust_bundles[1]: no PEM certificate found (line 30)",
			},
		},
		{
			name: "principal mapping",
			yaml: base + `  - name: tls
    ports: [9443, 9444]
    policies:
      - type: tls_server
        config:
          certificates: ` + sharedCert + `
          client_authentication:
            mode: requested
            tls_trust_bundles: ["${file:ca.pem}"]
            principal_mapping: {type: template, template: "User:{CN}/{EMAIL}/{cn}/{EMAIL}/{O"}
      - type: tls_server
        config:
          certificates: ` + sharedCert + `
          client_authentication:
            mode: requested
            tls_trust_bundles: ["${file:ca.pem}"]
            principal_mapping: {type: dn, template: "{CN}"}
      - type: tls_server
        config:
          certificates: ` + sharedCert + `
          client_authentication:
            mode: requested
            tls_trust_bundles: ["${file:ca.pem}"]
            principal_mapping: {type: template}
      - type: tls_server
        config:
          certificates: ` + sharedCert + `
          client_authentication:
            mode: requested
            tls_trust_bundles: ["${file:ca.pem}"]
            principal_mapping: {type: san_uri, template: "{CN}"}
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`,
			want: []string{
				"listeners[1].policies[0].config.client_authentication.principal_mapping.template: unknown placeholder {EMAIL} (expected {CN}, {O}, {OU}, {L}, {ST}, {C} or {SERIALNUMBER}) (line 22)",
				"listeners[1].policies[0].config.client_authentication.principal_mapping.template: unknown placeholder {cn} (expected {CN}, {O}, {OU}, {L}, {ST}, {C} or {SERIALNUMBER}) (line 22)",
				"listeners[1].policies[0].config.client_authentication.principal_mapping.template: unterminated placeholder \"{O\" (line 22)",
				"listeners[1].policies[1].type: only one tls_server policy is allowed per listener (the first is policies[0]) (line 23)",
				"listeners[1].policies[1].config.client_authentication.principal_mapping.type: unknown principal mapping type \"dn\" (expected subject_dn, cn, san_dns, san_uri or template) (line 29)",
				"listeners[1].policies[2].type: only one tls_server policy is allowed per listener (the first is policies[0]) (line 30)",
				"listeners[1].policies[2].config.client_authentication.principal_mapping.template: required for type template (line 36)",
				"listeners[1].policies[3].type: only one tls_server policy is allowed per listener (the first is policies[0]) (line 37)",
				"listeners[1].policies[3].config.client_authentication.principal_mapping.template: only used with type template (line 43)",
			},
		},
		{
			name: "plaintext next to required client certificates or sni",
			yaml: withTeamB + `  - name: mtls
    ports: [9443, 9444]
    policies:
      - type: tls_server
        config:
          certificates: ` + sharedCert + `
          allow_plaintext: true
          client_authentication: {mode: required, tls_trust_bundles: ["${file:ca.pem}"]}
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
  - name: sni
    ports: [9543]
    policies:
      - type: tls_server
        config:
          certificates: ` + sharedCert + `
          allow_plaintext: true
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com, broker_host_format: {type: shared_suffix}}
`,
			want: []string{
				"listeners[1].policies[0].config.allow_plaintext: plaintext clients have no certificate, which client_authentication mode required demands (line 21)",
				"listeners[2].policies[0].config.allow_plaintext: sni routing cannot serve plaintext connections: they have no server name to route by (line 31)",
			},
		},
		{
			name: "sni without tls_server",
			yaml: base + `  - name: tls
    addresses: ["0.0.0.0"]
    ports: [9443]
    policies:
      - type: forward_to_virtual_cluster
        config:
          type: sni
          sni_suffix: .kafka.example.com
          advertised_port: 9443
`,
			want: []string{
				"listeners[1].policies[0].config.type: sni routing needs a tls_server policy on the listener (line 19)",
			},
		},
		{
			name: "port_mapping and sni mixed",
			yaml: base + `  - name: tls
    ports: [9443, 9444]
    policies:
      - type: tls_server
        config: {certificates: ` + teamACert + `}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com}
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
  - name: tls2
    ports: [9543, 9544]
    policies:
      - type: tls_server
        config: {certificates: ` + teamACert + `}
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com}
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`,
			want: []string{
				"listeners[1].policies[2].config.type: cannot mix port_mapping and sni policies on one listener (policies[1] is sni) (line 21)",
				"listeners[2].policies[2].config.type: cannot mix port_mapping and sni policies on one listener (policies[1] is port_mapping) (line 30)",
				"listeners[2].policies[3].config.type: only one port_mapping policy is allowed per listener (the first is policies[1]) (line 32)",
			},
		},
		{
			name: "keys of the other forward type",
			yaml: base + `  - name: tls
    ports: [9443, 9444]
    policies:
      - type: tls_server
        config: {certificates: ` + teamACert + `}
      - type: forward_to_virtual_cluster
        config:
          sni_suffix: .kafka.example.com
          advertised_host: kafka.example.com
          bootstrap_port: none
          min_broker_id: 1
          type: sni
  - name: pm
    ports: [9543, 9544]
    policies:
      - type: forward_to_virtual_cluster
        config:
          type: port_mapping
          destination: team-a
          sni_suffix: .kafka.example.com
          advertised_port: 9543
          broker_host_format: {type: shared_suffix}
`,
			want: []string{
				"listeners[1].policies[1].config.advertised_host: only for type port_mapping (line 21)",
				"listeners[1].policies[1].config.bootstrap_port: only for type port_mapping (line 22)",
				"listeners[1].policies[1].config.min_broker_id: only for type port_mapping (line 23)",
				"listeners[2].policies[0].config.sni_suffix: only for type sni (line 32)",
				"listeners[2].policies[0].config.advertised_port: only for type sni (line 33)",
				"listeners[2].policies[0].config.broker_host_format: only for type sni (line 34)",
			},
		},
		{
			name: "bad sni suffixes",
			yaml: base + `  - name: tls
    ports: [9443]
    policies:
      - type: tls_server
        config: {certificates: ` + teamACert + `}
      - type: forward_to_virtual_cluster
        config: {type: sni, destination: team-a}
      - type: forward_to_virtual_cluster
        config: {type: sni, destination: team-a, sni_suffix: kafka.example.com}
      - type: forward_to_virtual_cluster
        config: {type: sni, destination: team-a, sni_suffix: .kafka..example.com}
      - type: forward_to_virtual_cluster
        config: {type: sni, destination: team-a, sni_suffix: .kafka.example.com.}
      - type: forward_to_virtual_cluster
        config: {type: sni, destination: team-a, sni_suffix: "-"}
      - type: forward_to_virtual_cluster
        config: {type: sni, destination: team-a, sni_suffix: .kafka_1.example.com}
      - type: forward_to_virtual_cluster
        config: {type: sni, destination: team-a, sni_suffix: .-kafka.example.com}
      - type: forward_to_virtual_cluster
        config: {type: sni, destination: team-a, sni_suffix: ""}
`,
			want: []string{
				"listeners[1].policies[1].config.sni_suffix: required (line 19)",
				"listeners[1].policies[2].config.sni_suffix: invalid sni_suffix \"kafka.example.com\": must start with \".\" or \"-\" (line 21)",
				"listeners[1].policies[3].config.sni_suffix: invalid sni_suffix \".kafka..example.com\": empty label (line 23)",
				"listeners[1].policies[4].config.sni_suffix: invalid sni_suffix \".kafka.example.com.\": empty label (line 25)",
				"listeners[1].policies[5].config.sni_suffix: invalid sni_suffix \"-\": nothing follows the leading '-' (line 27)",
				"listeners[1].policies[6].config.sni_suffix: invalid sni_suffix \".kafka_1.example.com\": invalid character '_' (allowed: letters, digits, \"-\" and \".\") (line 29)",
				"listeners[1].policies[7].config.sni_suffix: invalid sni_suffix \".-kafka.example.com\": label \"-kafka\" starts with a hyphen (line 31)",
				"listeners[1].policies[8].config.sni_suffix: required (line 33)",
			},
		},
		{
			name: "sni port, format and destination",
			yaml: base + `  - name: tls
    ports: [9443]
    policies:
      - type: tls_server
        config: {certificates: ` + teamACert + `}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com, destination: team-z, advertised_port: 0}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com, advertised_port: 70000, broker_host_format: {type: flat}}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com, broker_host_format: {tipe: shared_suffix}}
`,
			want: []string{
				"listeners[1].policies[3].config.broker_host_format.tipe: unknown field; did you mean \"type\"? (line 23)",
				"listeners[1].policies[1].config.destination: unknown virtual cluster \"team-z\" (line 19)",
				"listeners[1].policies[1].config.advertised_port: must be between 1 and 65535, got 0 (line 19)",
				"listeners[1].policies[2].config.advertised_port: must be between 1 and 65535, got 70000 (line 21)",
				"listeners[1].policies[2].config.broker_host_format.type: unknown broker host format \"flat\" (expected per_cluster_suffix or shared_suffix) (line 21)",
			},
		},
		{
			name: "unreachable sni policies",
			yaml: withTeamB + `  - name: tls
    ports: [9443]
    policies:
      - type: tls_server
        config: {certificates: ` + sharedCert + `}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com, broker_host_format: {type: shared_suffix}, destination: team-a}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com, broker_host_format: {type: shared_suffix}, destination: team-b}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .KAFKA.example.com, broker_host_format: {type: shared_suffix}, advertised_port: 443}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com, broker_host_format: {type: shared_suffix}, destination: team-a}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: -kafka.example.com, broker_host_format: {type: shared_suffix}}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: -kafka.example.com, broker_host_format: {type: shared_suffix}, destination: team-b}
`,
			want: []string{
				"listeners[1].policies[4].config.sni_suffix: unreachable: policies[1] has the same sni_suffix and broker_host_format and is tried first (line 27)",
				"listeners[1].policies[6].config.sni_suffix: unreachable: policies[5] has the same sni_suffix and broker_host_format and is tried first (line 31)",
			},
		},
		{
			name: "certificates do not cover sni host names",
			yaml: withTeamB + `  - name: tls
    ports: [9443]
    policies:
      - type: tls_server
        config: {certificates: ` + teamACert + `}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com, broker_host_format: {type: shared_suffix}, destination: team-a}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .team-a.kafka.example.com, broker_host_format: {type: shared_suffix}, destination: team-a}
`,
			want: []string{
				"listeners[1].policies[1].config: no certificate of listener \"tls\" covers \"bootstrap.team-b.kafka.example.com\" (line 21)",
				"listeners[1].policies[1].config: no certificate of listener \"tls\" covers \"broker-0.team-b.kafka.example.com\" (line 21)",
				"listeners[1].policies[2].config: no certificate of listener \"tls\" covers \"bootstrap-team-a.kafka.example.com\" (line 23)",
				"listeners[1].policies[2].config: no certificate of listener \"tls\" covers \"broker-0-team-a.kafka.example.com\" (line 23)",
			},
		},
		{
			name: "sni host names too long",
			yaml: strings.Replace(base, "    destination: local\n", "    destination: local\n    dns_label: a"+strings.Repeat("b", 61)+"c\n", 1) + `  - name: tls
    ports: [9443]
    policies:
      - type: tls_server
        config: {certificates: ` + sharedCert + `}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com, broker_host_format: {type: shared_suffix}}
`,
			want: []string{
				"listeners[1].policies[1].config: host name \"bootstrap-a" + strings.Repeat("b", 61) + "c.kafka.example.com\" of virtual cluster \"team-a\" is invalid: label \"bootstrap-a" + strings.Repeat("b", 61) + "c\" is longer than 63 characters (line 20)",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := Parse([]byte(tc.yaml), "testdata")
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want errors:\n%s", c, strings.Join(tc.want, "\n"))
			}
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
