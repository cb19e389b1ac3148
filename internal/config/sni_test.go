// This file tests SNI host names: building them and parsing them back.

package config

import (
	"fmt"
	"testing"
)

func TestSNIHosts(t *testing.T) {
	perCluster := &ForwardConfig{Type: "sni", SNISuffix: ".kafka.example.com", BrokerHostFormat: BrokerHostFormat{Type: "per_cluster_suffix"}}
	shared := &ForwardConfig{Type: "sni", SNISuffix: "-kafka.example.com", BrokerHostFormat: BrokerHostFormat{Type: "shared_suffix"}}
	// A config not from Parse: format unset means per_cluster_suffix, and
	// the suffix is not yet lowercase.
	raw := &ForwardConfig{Type: "sni", SNISuffix: ".Kafka.Example.COM"}
	tests := []struct {
		f             *ForwardConfig
		label         string
		id            int32
		wantBootstrap string
		wantBroker    string
	}{
		{perCluster, "team-a", 0, "bootstrap.team-a.kafka.example.com", "broker-0.team-a.kafka.example.com"},
		{perCluster, "b", 2147483647, "bootstrap.b.kafka.example.com", "broker-2147483647.b.kafka.example.com"},
		{shared, "team-a", 12, "bootstrap-team-a-kafka.example.com", "broker-12-team-a-kafka.example.com"},
		{raw, "team-a", 3, "bootstrap.team-a.kafka.example.com", "broker-3.team-a.kafka.example.com"},
	}
	for _, tc := range tests {
		if got := tc.f.BootstrapHost(tc.label); got != tc.wantBootstrap {
			t.Errorf("BootstrapHost(%q) = %q, want %q", tc.label, got, tc.wantBootstrap)
		}
		if got := tc.f.BrokerHost(tc.label, tc.id); got != tc.wantBroker {
			t.Errorf("BrokerHost(%q, %d) = %q, want %q", tc.label, tc.id, got, tc.wantBroker)
		}
		// Every name built parses back.
		if label, id, bootstrap, ok := tc.f.ParseSNI(tc.wantBootstrap); label != tc.label || id != 0 || !bootstrap || !ok {
			t.Errorf("ParseSNI(%q) = %q, %d, %v, %v; want %q, 0, true, true", tc.wantBootstrap, label, id, bootstrap, ok, tc.label)
		}
		if label, id, bootstrap, ok := tc.f.ParseSNI(tc.wantBroker); label != tc.label || id != tc.id || bootstrap || !ok {
			t.Errorf("ParseSNI(%q) = %q, %d, %v, %v; want %q, %d, false, true", tc.wantBroker, label, id, bootstrap, ok, tc.label, tc.id)
		}
	}
}

func TestParseSNI(t *testing.T) {
	perCluster := &ForwardConfig{Type: "sni", SNISuffix: ".kafka.example.com", BrokerHostFormat: BrokerHostFormat{Type: "per_cluster_suffix"}}
	shared := &ForwardConfig{Type: "sni", SNISuffix: ".kafka.example.com", BrokerHostFormat: BrokerHostFormat{Type: "shared_suffix"}}
	sharedDash := &ForwardConfig{Type: "sni", SNISuffix: "-kafka.example.com", BrokerHostFormat: BrokerHostFormat{Type: "shared_suffix"}}
	noSuffix := &ForwardConfig{Type: "sni"}
	const (
		no   = "no"
		boot = -1
	)
	tests := []struct {
		f    *ForwardConfig
		name string
		// label is the dns label wanted, or no for ok false; id is the
		// broker id, or boot for a bootstrap name.
		label string
		id    int32
	}{
		// per_cluster_suffix
		{perCluster, "bootstrap.team-a.kafka.example.com", "team-a", boot},
		{perCluster, "broker-0.team-a.kafka.example.com", "team-a", 0},
		{perCluster, "broker-7.b.kafka.example.com", "b", 7},
		{perCluster, "broker-2147483647.x.kafka.example.com", "x", 2147483647},
		{perCluster, "BOOTSTRAP.Team-A.Kafka.Example.Com", "team-a", boot},
		{perCluster, "Broker-3.TEAM-A.KAFKA.EXAMPLE.COM", "team-a", 3},
		{perCluster, "bootstrap.team-a.kafka.example.com.", "team-a", boot},
		{perCluster, "broker-1.team-a.kafka.example.com.", "team-a", 1},
		{perCluster, "bootstrap.team-a.kafka.example.com..", no, 0},
		{perCluster, "broker-01.team-a.kafka.example.com", no, 0},
		{perCluster, "broker-00.team-a.kafka.example.com", no, 0},
		{perCluster, "broker-+1.team-a.kafka.example.com", no, 0},
		{perCluster, "broker--1.team-a.kafka.example.com", no, 0},
		{perCluster, "broker-.team-a.kafka.example.com", no, 0},
		{perCluster, "broker-1a.team-a.kafka.example.com", no, 0},
		{perCluster, "broker-2147483648.x.kafka.example.com", no, 0},
		{perCluster, "broker-99999999999999999999.x.kafka.example.com", no, 0},
		{perCluster, "broker-1.kafka.example.com", no, 0},
		{perCluster, "broker.team-a.kafka.example.com", no, 0},
		{perCluster, "broker-1-team-a.kafka.example.com", no, 0},
		{perCluster, "bootstrap-team-a.kafka.example.com", no, 0},
		{perCluster, "bootstrap.kafka.example.com", no, 0},
		{perCluster, "bootstrap..kafka.example.com", no, 0},
		{perCluster, "bootstrap.a.b.kafka.example.com", no, 0},
		{perCluster, "bootstrap.team_a.kafka.example.com", no, 0},
		{perCluster, "bootstrap.1team.kafka.example.com", no, 0},
		{perCluster, "bootstrap.team-a-.kafka.example.com", no, 0},
		{perCluster, "x.bootstrap.team-a.kafka.example.com", no, 0},
		{perCluster, ".kafka.example.com", no, 0},
		{perCluster, "kafka.example.com", no, 0},
		{perCluster, "", no, 0},
		{perCluster, ".", no, 0},
		{perCluster, "bootstrap.team-a.kafka.example.org", no, 0},
		{perCluster, "bootstrap.team-a.kafkaXexample.com", no, 0},
		{perCluster, "bootstrap.team-a.notkafka.example.com", no, 0},
		// shared_suffix after "."
		{shared, "bootstrap-team-a.kafka.example.com", "team-a", boot},
		{shared, "broker-0-team-a.kafka.example.com", "team-a", 0},
		{shared, "broker-12-a-b-c.kafka.example.com", "a-b-c", 12},
		{shared, "broker-12-a-b-c.kafka.example.com.", "a-b-c", 12},
		{shared, "BROKER-5-TEAM-A.KAFKA.EXAMPLE.COM", "team-a", 5},
		{shared, "broker-01-team-a.kafka.example.com", no, 0},
		{shared, "broker--team-a.kafka.example.com", no, 0},
		{shared, "broker-1.team-a.kafka.example.com", no, 0},
		{shared, "broker-1-.kafka.example.com", no, 0},
		{shared, "broker-2147483648-x.kafka.example.com", no, 0},
		{shared, "bootstrap.team-a.kafka.example.com", no, 0},
		{shared, "bootstrap-.kafka.example.com", no, 0},
		{shared, "bootstrap-a.b.kafka.example.com", no, 0},
		{shared, "bootstrap-team-a-kafka.example.com", no, 0},
		// shared_suffix after "-"
		{sharedDash, "bootstrap-team-a-kafka.example.com", "team-a", boot},
		{sharedDash, "broker-4-team-a-kafka.example.com", "team-a", 4},
		{sharedDash, "bootstrap-team-a.kafka.example.com", no, 0},
		{sharedDash, "bootstrap--kafka.example.com", no, 0},
		{sharedDash, "-kafka.example.com", no, 0},
		// no suffix: nothing matches
		{noSuffix, "bootstrap.team-a", no, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%s", tc.f.BrokerHostFormat.Type+tc.f.SNISuffix, tc.name), func(t *testing.T) {
			label, id, bootstrap, ok := tc.f.ParseSNI(tc.name)
			switch {
			case tc.label == no:
				if ok {
					t.Errorf("ParseSNI(%q) = %q, %d, %v, true; want no match", tc.name, label, id, bootstrap)
				}
			case tc.id == boot:
				if label != tc.label || id != 0 || !bootstrap || !ok {
					t.Errorf("ParseSNI(%q) = %q, %d, %v, %v; want %q, bootstrap", tc.name, label, id, bootstrap, ok, tc.label)
				}
			default:
				if label != tc.label || id != tc.id || bootstrap || !ok {
					t.Errorf("ParseSNI(%q) = %q, %d, %v, %v; want %q, broker %d", tc.name, label, id, bootstrap, ok, tc.label, tc.id)
				}
			}
		})
	}
}

func TestSNISuffixProblem(t *testing.T) {
	tests := []struct{ in, want string }{
		{".kafka.example.com", ""},
		{"-kafka.example.com", ""},
		{".Kafka.Example.COM", ""},
		{".localhost", ""},
		{"-x", ""},
		{"", "empty"},
		{"kafka.example.com", `must start with "." or "-"`},
		{".", `nothing follows the leading '.'`},
		{"-", `nothing follows the leading '-'`},
		{".kafka..example.com", "empty label"},
		{".kafka.example.com.", "empty label"},
		{"..kafka.example.com", "empty label"},
		{".kafka_x.example.com", `invalid character '_' (allowed: letters, digits, "-" and ".")`},
		{".kafka.example.com:9092", `invalid character ':' (allowed: letters, digits, "-" and ".")`},
		{".kafka.exämple.com", `invalid character 'ä' (allowed: letters, digits, "-" and ".")`},
		{".-kafka.example.com", `label "-kafka" starts with a hyphen`},
		{"--kafka.example.com", ""},
		{"-kafka.-example.com", `label "-example" starts with a hyphen`},
		{"-kafka-.example.com", `label "kafka-" ends with a hyphen`},
		{".kafka.example-", `label "example-" ends with a hyphen`},
		{".a234567890123456789012345678901234567890123456789012345678901234.com", `label "a234567890123456789012345678901234567890123456789012345678901234" is longer than 63 characters`},
	}
	for _, tc := range tests {
		if got := sniSuffixProblem(tc.in); got != tc.want {
			t.Errorf("sniSuffixProblem(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
