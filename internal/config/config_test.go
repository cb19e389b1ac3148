// This file tests loading good configuration files, defaults, references
// and the port mapping helpers.

package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testdataPath returns the absolute path of a file in testdata.
func testdataPath(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// diffConfig fails t with the first differing field of got and want.
func diffConfig(t *testing.T, got, want *Config) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	var walk func(path string, g, w reflect.Value) bool
	walk = func(path string, g, w reflect.Value) bool {
		if reflect.DeepEqual(g.Interface(), w.Interface()) {
			return false
		}
		switch g.Kind() {
		case reflect.Pointer:
			if !g.IsNil() && !w.IsNil() {
				return walk(path, g.Elem(), w.Elem())
			}
		case reflect.Struct:
			for i := range g.NumField() {
				if walk(path+"."+g.Type().Field(i).Name, g.Field(i), w.Field(i)) {
					return true
				}
			}
		case reflect.Slice:
			if g.Len() == w.Len() {
				for i := range g.Len() {
					if walk(fmt.Sprintf("%s[%d]", path, i), g.Index(i), w.Index(i)) {
						return true
					}
				}
			}
		}
		t.Errorf("%s = %#v, want %#v", path, g.Interface(), w.Interface())
		return true
	}
	walk("Config", reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem())
}

func TestLoadGood(t *testing.T) {
	t.Setenv("STRAIT_TEST_BROKER_HOST", "kafka-2.internal")
	t.Setenv("STRAIT_TEST_USER", "strait")
	got, err := Load(filepath.Join("testdata", "good.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &Config{
		Admin:         Admin{Address: "127.0.0.1:9644"},
		Observability: Observability{LogLevel: "debug", LogFormat: "json"},
		Runtime: Runtime{
			DrainDuration:             Duration(2 * time.Second),
			ShutdownTimeout:           Duration(90 * time.Second),
			MaxFrameBytes:             50 << 20,
			FailedAuthenticationDelay: Duration(100 * time.Millisecond),
			FirstRequestTimeout:       Duration(10 * time.Second),
		},
		BackendClusters: []BackendCluster{
			{
				Name:                   "local",
				BootstrapServers:       []string{"127.0.0.1:9092"},
				MetadataUpdateInterval: Duration(time.Minute),
				Authentication:         BackendAuth{Type: "anonymous"},
			},
			{
				Name:                   "secure",
				BootstrapServers:       []string{"kafka-1.internal:9093", "kafka-2.internal:9093"},
				MetadataUpdateInterval: Duration(30 * time.Second),
				TLS: BackendTLS{
					Enabled:     true,
					CABundle:    readTestdata(t, "ca.pem"),
					TLSVersions: []string{"tls12", "tls13"},
					ClientIdentity: &CertKey{
						Certificate:     readTestdata(t, "client.crt"),
						Key:             readTestdata(t, "client.key"),
						CertificateFile: testdataPath(t, "client.crt"),
						KeyFile:         testdataPath(t, "client.key"),
					},
				},
				Authentication: BackendAuth{
					Type:      "sasl_scram",
					Username:  "strait",
					Password:  "s3cret",
					Algorithm: "sha512",
				},
				InsecureAllowAnonymousVirtualClusterAuth: true,
			},
		},
		VirtualClusters: []VirtualCluster{
			{
				Name:           "team-a",
				Destination:    "local",
				DNSLabel:       "team-a",
				ACLMode:        "passthrough",
				Authentication: []ClientAuth{{Type: "anonymous"}},
			},
			{
				Name:           "team-b",
				Destination:    "secure",
				DNSLabel:       "b",
				ACLMode:        "passthrough",
				Authentication: []ClientAuth{{Type: "anonymous"}},
			},
		},
		Listeners: []Listener{
			{
				Name:      "plain",
				Addresses: []string{"127.0.0.1"},
				Ports:     []PortRange{{19092, 19095}},
				Policies: []ListenerPolicy{{
					Type: "forward_to_virtual_cluster",
					Forward: &ForwardConfig{
						Type:           "port_mapping",
						Destination:    "team-a",
						AdvertisedHost: "127.0.0.1",
						BootstrapPort:  "at_start",
					},
				}},
			},
			{
				Name:      "public",
				Addresses: []string{"0.0.0.0"},
				Ports:     []PortRange{{29092, 29092}, {29093, 29094}, {29100, 29100}},
				Policies: []ListenerPolicy{{
					Type: "forward_to_virtual_cluster",
					Forward: &ForwardConfig{
						Type:           "port_mapping",
						Destination:    "team-b",
						AdvertisedHost: "localhost",
						BootstrapPort:  "none",
						MinBrokerID:    1,
					},
				}},
			},
			{
				Name:      "advertised",
				Addresses: []string{"127.0.0.2", "127.0.0.3"},
				Ports:     []PortRange{{39092, 39092}, {39093, 39093}},
				Policies: []ListenerPolicy{{
					Type: "forward_to_virtual_cluster",
					Forward: &ForwardConfig{
						Type:           "port_mapping",
						Destination:    "team-a",
						AdvertisedHost: "kafka.example.com",
						BootstrapPort:  "at_start",
					},
				}},
			},
		},
	}
	diffConfig(t, got, want)

	if b := got.Backend("secure"); b != &got.BackendClusters[1] {
		t.Errorf("Backend(secure) = %p, want %p", b, &got.BackendClusters[1])
	}
	if b := got.Backend("nope"); b != nil {
		t.Errorf("Backend(nope) = %+v, want nil", b)
	}
	if v := got.VirtualCluster("team-b"); v != &got.VirtualClusters[1] {
		t.Errorf("VirtualCluster(team-b) = %p, want %p", v, &got.VirtualClusters[1])
	}
	if v := got.VirtualCluster("nope"); v != nil {
		t.Errorf("VirtualCluster(nope) = %+v, want nil", v)
	}
	if d := got.Runtime.ShutdownTimeout.D(); d != 90*time.Second {
		t.Errorf("ShutdownTimeout.D() = %v, want 1m30s", d)
	}
}

func TestLoadPortMapping(t *testing.T) {
	got, err := Load(filepath.Join("testdata", "port-mapping.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &Config{
		Admin:         Admin{Address: "127.0.0.1:8080"},
		Observability: Observability{LogLevel: "info", LogFormat: "logfmt"},
		Runtime: Runtime{
			DrainDuration:             Duration(5 * time.Second),
			ShutdownTimeout:           Duration(10 * time.Second),
			MaxFrameBytes:             104857600,
			FailedAuthenticationDelay: Duration(100 * time.Millisecond),
			FirstRequestTimeout:       Duration(10 * time.Second),
		},
		BackendClusters: []BackendCluster{{
			Name:                   "local",
			BootstrapServers:       []string{"127.0.0.1:9092"},
			MetadataUpdateInterval: Duration(60 * time.Second),
			Authentication:         BackendAuth{Type: "anonymous"},
		}},
		VirtualClusters: []VirtualCluster{{
			Name:           "team-a",
			Destination:    "local",
			DNSLabel:       "team-a",
			ACLMode:        "passthrough",
			Authentication: []ClientAuth{{Type: "anonymous"}},
		}},
		Listeners: []Listener{{
			Name:      "plain",
			Addresses: []string{"127.0.0.1"},
			Ports:     []PortRange{{19092, 19095}},
			Policies: []ListenerPolicy{{
				Type: "forward_to_virtual_cluster",
				Forward: &ForwardConfig{
					Type:           "port_mapping",
					Destination:    "team-a",
					AdvertisedHost: "localhost",
					BootstrapPort:  "at_start",
				},
			}},
		}},
	}
	diffConfig(t, got, want)

	l := &got.Listeners[0]
	f := l.Policies[0].Forward
	if got, want := l.PortList(), []int{19092, 19093, 19094, 19095}; !slices.Equal(got, want) {
		t.Errorf("PortList() = %v, want %v", got, want)
	}
	bootstrap, brokers := f.BrokerPorts(l)
	if bootstrap != 19092 || !slices.Equal(brokers, []int{19093, 19094, 19095}) {
		t.Errorf("BrokerPorts() = %d, %v; want 19092, [19093 19094 19095]", bootstrap, brokers)
	}
	if msgs := f.CheckBrokerIDs(l, []int32{0, 1, 2}); msgs != nil {
		t.Errorf("CheckBrokerIDs(0, 1, 2) = %q, want none", msgs)
	}
	wantMsgs := []string{`broker id 5 has no port: listener "plain" maps broker ids 0-2 to ports 19093-19095 (min_broker_id 0)`}
	if msgs := f.CheckBrokerIDs(l, []int32{2, 5, 0, 5}); !slices.Equal(msgs, wantMsgs) {
		t.Errorf("CheckBrokerIDs(2, 5, 0, 5) = %q, want %q", msgs, wantMsgs)
	}
}

func TestPortMapping(t *testing.T) {
	ranges := func(rs ...PortRange) *Listener { return &Listener{Name: "l", Ports: rs} }
	tests := []struct {
		name          string
		listener      *Listener
		forward       ForwardConfig
		wantBootstrap int
		wantBrokers   []int
		// ids maps broker ids to their port, 0 for none.
		ids      map[int32]int
		wantMsgs []string
	}{
		{
			name:          "at_start",
			listener:      ranges(PortRange{19092, 19095}),
			forward:       ForwardConfig{BootstrapPort: "at_start"},
			wantBootstrap: 19092,
			wantBrokers:   []int{19093, 19094, 19095},
			ids:           map[int32]int{-1: 0, 0: 19093, 2: 19095, 3: 0},
			wantMsgs: []string{
				`broker id 3 has no port: listener "l" maps broker ids 0-2 to ports 19093-19095 (min_broker_id 0)`,
				`broker id -1 has no port: listener "l" maps broker ids 0-2 to ports 19093-19095 (min_broker_id 0)`,
			},
		},
		{
			name:          "bootstrap none with min_broker_id",
			listener:      ranges(PortRange{19092, 19094}),
			forward:       ForwardConfig{BootstrapPort: "none", MinBrokerID: 1},
			wantBootstrap: 0,
			wantBrokers:   []int{19092, 19093, 19094},
			ids:           map[int32]int{0: 0, 1: 19092, 3: 19094, 4: 0},
			wantMsgs: []string{
				`broker id 4 has no port: listener "l" maps broker ids 1-3 to ports 19092-19094 (min_broker_id 1)`,
				`broker id 0 has no port: listener "l" maps broker ids 1-3 to ports 19092-19094 (min_broker_id 1)`,
			},
		},
		{
			name:          "non-contiguous ranges",
			listener:      ranges(PortRange{9000, 9000}, PortRange{9101, 9102}, PortRange{9200, 9200}),
			forward:       ForwardConfig{BootstrapPort: "at_start", MinBrokerID: 100},
			wantBootstrap: 9000,
			wantBrokers:   []int{9101, 9102, 9200},
			ids:           map[int32]int{100: 9101, 101: 9102, 102: 9200, 103: 0},
			wantMsgs: []string{
				`broker id 103 has no port: listener "l" maps broker ids 100-102 to ports 9101-9102, 9200 (min_broker_id 100)`,
			},
		},
		{
			name:          "one broker port",
			listener:      ranges(PortRange{9000, 9001}),
			forward:       ForwardConfig{},
			wantBootstrap: 9000,
			wantBrokers:   []int{9001},
			ids:           map[int32]int{0: 9001, 1: 0},
			wantMsgs: []string{
				`broker id 1 has no port: listener "l" maps broker id 0 to port 9001 (min_broker_id 0)`,
			},
		},
		{
			name:          "no broker ports",
			listener:      ranges(PortRange{9000, 9000}),
			forward:       ForwardConfig{BootstrapPort: "at_start"},
			wantBootstrap: 9000,
			wantBrokers:   []int{},
			ids:           map[int32]int{0: 0},
			wantMsgs:      []string{`broker id 0 has no port: listener "l" has no broker ports`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &tc.forward
			bootstrap, brokers := f.BrokerPorts(tc.listener)
			if bootstrap != tc.wantBootstrap || !slices.Equal(brokers, tc.wantBrokers) {
				t.Errorf("BrokerPorts() = %d, %v; want %d, %v", bootstrap, brokers, tc.wantBootstrap, tc.wantBrokers)
			}
			var outside []int32
			for id, want := range tc.ids {
				port, ok := f.PortForBroker(tc.listener, id)
				if port != want || ok != (want != 0) {
					t.Errorf("PortForBroker(%d) = %d, %v; want %d, %v", id, port, ok, want, want != 0)
				}
				if want == 0 {
					outside = append(outside, id)
					continue
				}
				if got, ok := f.BrokerForPort(tc.listener, want); got != id || !ok {
					t.Errorf("BrokerForPort(%d) = %d, %v; want %d, true", want, got, ok, id)
				}
			}
			if _, ok := f.BrokerForPort(tc.listener, tc.wantBootstrap); ok && tc.wantBootstrap != 0 {
				t.Errorf("BrokerForPort(bootstrap %d) is a broker", tc.wantBootstrap)
			}
			slices.Sort(outside)
			slices.Reverse(outside)
			if msgs := f.CheckBrokerIDs(tc.listener, outside); !slices.Equal(msgs, tc.wantMsgs) {
				t.Errorf("CheckBrokerIDs(%v) =\n%s\nwant\n%s", outside, strings.Join(msgs, "\n"), strings.Join(tc.wantMsgs, "\n"))
			}
		})
	}
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in      string
		want    PortRange
		wantErr string
	}{
		{in: "19092", want: PortRange{19092, 19092}},
		{in: " 19092 - 19095 ", want: PortRange{19092, 19095}},
		{in: "1-65535", want: PortRange{1, 65535}},
		{in: "9092-9092", want: PortRange{9092, 9092}},
		{in: "9095-9092", wantErr: `invalid port range "9095-9092": 9095 is greater than 9092`},
		{in: "0", wantErr: `invalid port "0": 0 out of range 1-65535`},
		{in: "65536", wantErr: `invalid port "65536": 65536 out of range 1-65535`},
		{in: "", wantErr: `invalid port "" (expected a port or a "first-last" range)`},
		{in: "-9092", wantErr: `invalid port "-9092" (expected a port or a "first-last" range)`},
		{in: "+9092", wantErr: `invalid port "+9092" (expected a port or a "first-last" range)`},
		{in: "1-2-3", wantErr: `invalid port "1-2-3" (expected a port or a "first-last" range)`},
		{in: "http", wantErr: `invalid port "http" (expected a port or a "first-last" range)`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parsePortRange(tc.in)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if got != tc.want || gotErr != tc.wantErr {
				t.Errorf("parsePortRange(%q) = %v, %q; want %v, %q", tc.in, got, gotErr, tc.want, tc.wantErr)
			}
		})
	}
}

// parseBase parses base with extra appended and fails t on error.
func parseBase(t *testing.T, extra string) *Config {
	t.Helper()
	c, err := Parse([]byte(base+extra), "testdata")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func TestDefaults(t *testing.T) {
	t.Run("admin absent", func(t *testing.T) {
		if got := parseBase(t, "").Admin.Address; got != "127.0.0.1:8080" {
			t.Errorf("admin.address = %q, want the default", got)
		}
	})
	t.Run("admin without address", func(t *testing.T) {
		if got := parseBase(t, "admin: {}\n").Admin.Address; got != "127.0.0.1:8080" {
			t.Errorf("admin.address = %q, want the default", got)
		}
	})
	t.Run("admin disabled", func(t *testing.T) {
		if got := parseBase(t, "admin: {address: \"\"}\n").Admin.Address; got != "" {
			t.Errorf("admin.address = %q, want empty", got)
		}
	})
	t.Run("zero durations kept", func(t *testing.T) {
		c := parseBase(t, "runtime: {drain_duration: 0s, shutdown_timeout: 0}\n")
		if c.Runtime.DrainDuration != 0 || c.Runtime.ShutdownTimeout != 0 {
			t.Errorf("runtime = %+v, want zero durations", c.Runtime)
		}
	})
	t.Run("connection limits", func(t *testing.T) {
		c := parseBase(t, "")
		if c.Runtime.MaxConnections != 0 || c.Listeners[0].MaxConnections != 0 {
			t.Errorf("max_connections = %d, %d; want 0 (no limit)", c.Runtime.MaxConnections, c.Listeners[0].MaxConnections)
		}
		c = parseBase(t, "runtime: {max_connections: 5000}\n")
		if c.Runtime.MaxConnections != 5000 {
			t.Errorf("runtime.max_connections = %d, want 5000", c.Runtime.MaxConnections)
		}
	})
	t.Run("tls versions only when enabled", func(t *testing.T) {
		c := parseBase(t, "")
		if v := c.BackendClusters[0].TLS.TLSVersions; v != nil {
			t.Errorf("tls_versions = %v with TLS disabled, want none", v)
		}
	})
	t.Run("advertised host for a wildcard address", func(t *testing.T) {
		c := parseBase(t, `  - name: any
    addresses: ["::"]
    ports: [20000, 20001]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`)
		if h := c.Listeners[1].Policies[0].Forward.AdvertisedHost; h != "localhost" {
			t.Errorf("advertised_host = %q, want localhost", h)
		}
	})
	t.Run("tls_server and sni", func(t *testing.T) {
		c := parseBase(t, `  - name: tls
    ports: ["9443-9444", 9500]
    policies:
      - type: tls_server
        config:
          certificates: [{certificate: "${file:server-team-a.crt}", key: "${file:server-team-a.key}"}]
          client_authentication: {mode: required, tls_trust_bundles: ["${file:ca.pem}"]}
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com}
`)
		ts := c.Listeners[1].Policies[0].TLSServer
		if want := (TLSVersions{Min: "TLSv1.2", Max: "TLSv1.3"}); ts.Versions != want {
			t.Errorf("versions = %+v, want %+v", ts.Versions, want)
		}
		if ts.AllowPlaintext {
			t.Error("allow_plaintext = true, want false")
		}
		if got := ts.ClientAuthentication.PrincipalMapping; got != (PrincipalMapping{Type: "subject_dn"}) {
			t.Errorf("principal_mapping = %+v, want subject_dn", got)
		}
		want := &ForwardConfig{
			Type:             "sni",
			SNISuffix:        ".kafka.example.com",
			AdvertisedPort:   9443,
			BrokerHostFormat: BrokerHostFormat{Type: "per_cluster_suffix"},
		}
		if f := c.Listeners[1].Policies[1].Forward; !reflect.DeepEqual(f, want) {
			t.Errorf("forward = %+v, want %+v (no port_mapping defaults)", f, want)
		}
	})
}

func TestReferences(t *testing.T) {
	t.Setenv("STRAIT_TEST_HOST", "kafka")
	t.Setenv("STRAIT_TEST_PORT", "9093")
	t.Setenv("STRAIT_TEST_EMPTY", "")
	t.Setenv("STRAIT_TEST_MIN", "3")
	t.Setenv("STRAIT_TEST_TRUE", "true")
	t.Setenv("STRAIT_TEST_PORTS", "19100-19103")
	t.Setenv("STRAIT_TEST_INTERVAL", "45s")
	yaml := strings.Replace(base, `["127.0.0.1:9092"]`, `["${env:STRAIT_TEST_HOST}-${env:STRAIT_TEST_PORT}:${env:STRAIT_TEST_PORT}"]
    metadata_update_interval: ${env:STRAIT_TEST_INTERVAL}
    insecure_allow_anonymous_virtual_cluster_auth: ${env:STRAIT_TEST_TRUE}
    tls: {ca_bundle: "${file:ca.pem}"}
    authentication: {type: sasl_plain, username: "${env:STRAIT_TEST_HOST}${env:STRAIT_TEST_EMPTY}-$${env:X}", password: "${file:scram-password.txt}"}`, 1) +
		`  - name: refs
    addresses: ["${env:STRAIT_TEST_HOST}"]
    ports: ["${env:STRAIT_TEST_PORTS}", "${env:STRAIT_TEST_PORT}"]
    policies:
      - type: forward_to_virtual_cluster
        config:
          type: port_mapping
          destination: team-a
          min_broker_id: ${env:STRAIT_TEST_MIN}
`
	c, err := Parse([]byte(yaml), "testdata")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	b := c.BackendClusters[0]
	if want := []string{"kafka-9093:9093"}; !slices.Equal(b.BootstrapServers, want) {
		t.Errorf("bootstrap_servers = %q, want %q", b.BootstrapServers, want)
	}
	if b.MetadataUpdateInterval.D() != 45*time.Second {
		t.Errorf("metadata_update_interval = %v, want 45s", b.MetadataUpdateInterval)
	}
	if !b.InsecureAllowAnonymousVirtualClusterAuth {
		t.Error("insecure_allow_anonymous_virtual_cluster_auth = false, want true")
	}
	if want := readTestdata(t, "ca.pem"); b.TLS.CABundle != want {
		t.Errorf("ca_bundle = %q, want the file verbatim %q", b.TLS.CABundle, want)
	}
	if b.Authentication.Username != "kafka-${env:X}" || b.Authentication.Password != "s3cret" {
		t.Errorf("authentication = %+v, want username kafka-${env:X}, password s3cret (trailing newline trimmed)", b.Authentication)
	}
	l := c.Listeners[1]
	if want := []PortRange{{19100, 19103}, {9093, 9093}}; !slices.Equal(l.Ports, want) {
		t.Errorf("ports = %v, want %v", l.Ports, want)
	}
	if f := l.Policies[0].Forward; f.MinBrokerID != 3 || f.AdvertisedHost != "kafka" {
		t.Errorf("forward = %+v, want min_broker_id 3, advertised_host kafka", f)
	}
}

func TestFileValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"s3cret\n", "s3cret"},
		{"s3cret \r\n\n", "s3cret"},
		{"s3cret", "s3cret"},
		{"", ""},
		{"line one\nline two\n", "line one\nline two\n"},
		{"-----BEGIN X-----\nabc\n-----END X-----\n", "-----BEGIN X-----\nabc\n-----END X-----\n"},
	}
	for _, tc := range tests {
		if got := fileValue([]byte(tc.in)); got != tc.want {
			t.Errorf("fileValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLoadRelativeFiles(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "conf")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "label.txt"), []byte("from-file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(base, "destination: local\n", "destination: local\n    dns_label: ${file:label.txt}\n", 1)
	path := filepath.Join(sub, "strait.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := c.VirtualClusters[0].DNSLabel; got != "from-file" {
		t.Errorf("dns_label = %q, want from-file", got)
	}

	_, err = Load(filepath.Join(dir, "missing.yaml"))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want a not-exist error", err)
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	c, err := Parse([]byte(`backend_clusters:
  - &backend
    name: local
    bootstrap_servers: ["127.0.0.1:9092"]
    metadata_update_interval: 10s
  - <<: *backend
    name: other
virtual_clusters:
  - name: team-a
    destination: local
listeners:
  - name: plain
    addresses: &addresses ["127.0.0.1"]
    ports: [19092, 19093]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`), "")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	other := c.Backend("other")
	if other == nil || other.MetadataUpdateInterval.D() != 10*time.Second || !slices.Equal(other.BootstrapServers, []string{"127.0.0.1:9092"}) {
		t.Errorf("merged backend = %+v", other)
	}
}

func TestErrorsFormat(t *testing.T) {
	errs := &Errors{
		{Path: "listeners[0].policies[1].config.destination", Msg: `unknown virtual cluster "team-b"`},
		{Path: "backend_clusters[0].bootstrap_server", Msg: "unknown field", Line: 7},
		{Msg: "syntax error: x", Line: 2},
	}
	want := `listeners[0].policies[1].config.destination: unknown virtual cluster "team-b"
backend_clusters[0].bootstrap_server: unknown field (line 7)
syntax error: x (line 2)`
	if got := errs.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	var err error = errs
	var target *Errors
	if !errors.As(err, &target) || len(*target) != 3 {
		t.Errorf("errors.As(*Errors) = %v", target)
	}
}

func TestLoadTLS(t *testing.T) {
	t.Setenv("STRAIT_TEST_CA", readTestdata(t, "ca.pem"))
	got, err := Load(filepath.Join("testdata", "tls.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	certKey := func(name string) CertKey {
		return CertKey{
			Certificate:     readTestdata(t, name+".crt"),
			Key:             readTestdata(t, name+".key"),
			CertificateFile: testdataPath(t, name+".crt"),
			KeyFile:         testdataPath(t, name+".key"),
		}
	}
	ca := readTestdata(t, "ca.pem")
	anonymous := []ClientAuth{{Type: "anonymous"}}
	want := &Config{
		Admin:         Admin{Address: "127.0.0.1:8080"},
		Observability: Observability{LogLevel: "info", LogFormat: "logfmt"},
		Runtime: Runtime{
			DrainDuration:             Duration(5 * time.Second),
			ShutdownTimeout:           Duration(10 * time.Second),
			MaxFrameBytes:             104857600,
			FailedAuthenticationDelay: Duration(100 * time.Millisecond),
			FirstRequestTimeout:       Duration(10 * time.Second),
		},
		BackendClusters: []BackendCluster{{
			Name:                   "local",
			BootstrapServers:       []string{"127.0.0.1:9092"},
			MetadataUpdateInterval: Duration(60 * time.Second),
			Authentication:         BackendAuth{Type: "anonymous"},
		}},
		VirtualClusters: []VirtualCluster{
			{Name: "team-a", Destination: "local", DNSLabel: "team-a", ACLMode: "passthrough", Authentication: anonymous},
			{Name: "team-b", Destination: "local", DNSLabel: "b", ACLMode: "passthrough", Authentication: anonymous},
		},
		Listeners: []Listener{
			{
				Name:      "sni",
				Addresses: []string{"0.0.0.0"},
				Ports:     []PortRange{{9443, 9443}, {9444, 9444}},
				Policies: []ListenerPolicy{
					{
						Type: "tls_server",
						TLSServer: &TLSServerConfig{
							Certificates: []CertKey{certKey("server-team-a"), certKey("server-shared")},
							Versions:     TLSVersions{Min: "TLSv1.2", Max: "TLSv1.3"},
						},
					},
					{
						Type: "forward_to_virtual_cluster",
						Forward: &ForwardConfig{
							Type:             "sni",
							Destination:      "team-a",
							SNISuffix:        ".kafka.example.com",
							AdvertisedPort:   9443,
							BrokerHostFormat: BrokerHostFormat{Type: "per_cluster_suffix"},
						},
					},
					{
						Type: "forward_to_virtual_cluster",
						Forward: &ForwardConfig{
							Type:             "sni",
							SNISuffix:        ".kafka.example.com",
							AdvertisedPort:   443,
							BrokerHostFormat: BrokerHostFormat{Type: "shared_suffix"},
						},
					},
				},
			},
			{
				Name:      "pm-tls",
				Addresses: []string{"127.0.0.1"},
				Ports:     []PortRange{{19092, 19094}},
				Policies: []ListenerPolicy{
					{
						Type: "tls_server",
						TLSServer: &TLSServerConfig{
							Certificates:   []CertKey{certKey("server-shared")},
							Versions:       TLSVersions{Min: "TLSv1.3", Max: "TLSv1.3"},
							AllowPlaintext: true,
							ClientAuthentication: &ClientTLSAuth{
								Mode:             "requested",
								TLSTrustBundles:  []string{ca, ca},
								TrustBundleFiles: []string{testdataPath(t, "ca.pem"), ""},
								PrincipalMapping: PrincipalMapping{Type: "template", Template: "User:{CN}@{O}"},
							},
						},
					},
					{
						Type: "forward_to_virtual_cluster",
						Forward: &ForwardConfig{
							Type:           "port_mapping",
							Destination:    "team-b",
							AdvertisedHost: "kafka.example.com",
							BootstrapPort:  "at_start",
						},
					},
				},
			},
			{
				Name:      "mtls",
				Addresses: []string{"127.0.0.1"},
				Ports:     []PortRange{{9543, 9543}},
				Policies: []ListenerPolicy{
					{
						Type: "tls_server",
						TLSServer: &TLSServerConfig{
							Certificates: []CertKey{certKey("server-shared")},
							Versions:     TLSVersions{Min: "TLSv1.2", Max: "TLSv1.2"},
							ClientAuthentication: &ClientTLSAuth{
								Mode:             "required",
								TLSTrustBundles:  []string{ca},
								TrustBundleFiles: []string{testdataPath(t, "ca.pem")},
								PrincipalMapping: PrincipalMapping{Type: "subject_dn"},
							},
						},
					},
					{
						Type: "forward_to_virtual_cluster",
						Forward: &ForwardConfig{
							Type:             "sni",
							SNISuffix:        "-kafka.example.com",
							AdvertisedPort:   9543,
							BrokerHostFormat: BrokerHostFormat{Type: "shared_suffix"},
						},
					},
				},
			},
		},
	}
	diffConfig(t, got, want)
}

// TestFileTracking pins which values record the file they were read from:
// only TLS material given as exactly one ${file:PATH} reference, relative
// paths made absolute against the configuration file's directory.
func TestFileTracking(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "conf")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"server-shared.crt", "server-shared.key", "ca.pem"} {
		if err := os.WriteFile(filepath.Join(sub, name), []byte(readTestdata(t, name)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	absCA := filepath.Join(dir, "ca-elsewhere.pem")
	if err := os.WriteFile(absCA, []byte(readTestdata(t, "ca.pem")), 0o644); err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(base, `["127.0.0.1:9092"]`, `["127.0.0.1:9092"]
    tls:
      enabled: true
      client_identity: {certificate: "${file:server-shared.crt}", key: "${file:./server-shared.key}"}`, 1) +
		`  - name: tls
    ports: [9443]
    policies:
      - type: tls_server
        config:
          certificates:
            - {certificate: "${file:../conf/server-shared.crt}", key: "${file:` + filepath.Join(sub, "server-shared.key") + `}"}
            - {certificate: "${file:server-shared.crt}", key: "${env:STRAIT_TEST_KEY}"}
          client_authentication:
            mode: required
            tls_trust_bundles:
              - ${file:ca.pem}
              - ${file:` + absCA + `}
              - "${file:ca.pem}${file:ca.pem}"
              - "$${file:ca.pem}"
      - type: forward_to_virtual_cluster
        config: {type: sni, sni_suffix: .kafka.example.com, broker_host_format: {type: shared_suffix}}
`
	t.Setenv("STRAIT_TEST_KEY", readTestdata(t, "server-shared.key"))
	path := filepath.Join(sub, "strait.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err == nil {
		t.Fatalf("Load succeeded, want the literal $${file:ca.pem} bundle refused")
	}
	want := `listeners[1].policies[0].config.client_authentication.tls_trust_bundles[3]: no PEM certificate found (line 30)`
	if err.Error() != want {
		t.Fatalf("Load: %v\nwant %s", err, want)
	}
	yaml = strings.Replace(yaml, `              - "$${file:ca.pem}"`+"\n", "", 1)
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err = Load(path); err != nil {
		t.Fatalf("Load: %v", err)
	}
	id := c.BackendClusters[0].TLS.ClientIdentity
	if id.CertificateFile != filepath.Join(sub, "server-shared.crt") || id.KeyFile != filepath.Join(sub, "server-shared.key") {
		t.Errorf("client_identity files = %q, %q; want both in %s", id.CertificateFile, id.KeyFile, sub)
	}
	ts := c.Listeners[1].Policies[0].TLSServer
	if got := ts.Certificates[0]; got.CertificateFile != filepath.Join(sub, "server-shared.crt") || got.KeyFile != filepath.Join(sub, "server-shared.key") {
		t.Errorf("certificates[0] files = %q, %q; want both in %s, cleaned", got.CertificateFile, got.KeyFile, sub)
	}
	if got := ts.Certificates[1]; got.CertificateFile != filepath.Join(sub, "server-shared.crt") || got.KeyFile != "" {
		t.Errorf("certificates[1] files = %q, %q; want %s and none (an env value)", got.CertificateFile, got.KeyFile, filepath.Join(sub, "server-shared.crt"))
	}
	wantFiles := []string{filepath.Join(sub, "ca.pem"), absCA, ""}
	if got := ts.ClientAuthentication.TrustBundleFiles; !slices.Equal(got, wantFiles) {
		t.Errorf("TrustBundleFiles = %q, want %q", got, wantFiles)
	}
}
