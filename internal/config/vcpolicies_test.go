package config

import (
	"errors"
	"strings"
	"testing"
)

// vcConfig is a valid config whose virtual cluster gets extra keys.
func vcConfig(extra string) string {
	var b strings.Builder
	b.WriteString(`backend_clusters:
  - name: local
    bootstrap_servers: ["127.0.0.1:9092"]
virtual_clusters:
  - name: team-a
    destination: local
`)
	for _, l := range strings.Split(strings.TrimSpace(extra), "\n") {
		b.WriteString("    " + l + "\n")
	}
	b.WriteString(`listeners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`)
	return b.String()
}

func TestNamespaceConfig(t *testing.T) {
	c, err := Parse([]byte(vcConfig(`namespace:
  prefix: team-a.
  additional:
    topics:
      - {type: glob, glob: "shared.*"}
      - {type: exact_list, exact_list: [{backend: ref.countries}], conflict: ignore}
topic_aliases:
  - {alias: orders-v1, topic: orders, condition: "context.auth.type == 'anonymous'"}`)), "")
	if err != nil {
		t.Fatal(err)
	}
	ns := c.VirtualClusters[0].Namespace
	if ns.Mode != "hide_prefix" || ns.Prefix != "team-a." {
		t.Errorf("namespace %+v: want mode hide_prefix by default", ns)
	}
	if ns.Additional.Topics[0].Conflict != "warn" || ns.Additional.Topics[1].Conflict != "ignore" {
		t.Errorf("conflict defaults: %+v", ns.Additional.Topics)
	}
	if a := c.VirtualClusters[0].TopicAliases[0]; a.Alias != "orders-v1" || a.Conflict != "warn" {
		t.Errorf("alias %+v", a)
	}
}

func TestNamespaceConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, extra string
		want        []string
	}{
		{"bad prefix and mode", `namespace: {mode: hide, prefix: "team a/"}`, []string{
			`virtual_clusters[0].namespace.mode: unknown namespace mode "hide" (expected hide_prefix or enforce_prefix)`,
			`virtual_clusters[0].namespace.prefix: "team a/" is not a legal topic prefix`,
		}},
		{"missing prefix", `namespace: {mode: enforce_prefix}`, []string{
			`virtual_clusters[0].namespace.prefix: required`,
		}},
		{"internal prefix", `namespace: {prefix: __x}`, []string{
			`virtual_clusters[0].namespace.prefix: "__x" would name internal topics`,
		}},
		{"selectors", `namespace:
  prefix: a.
  additional:
    topics:
      - {type: regex, glob: "x"}
      - {type: glob}
      - {type: exact_list, exact_list: [{backend: __consumer_offsets}]}
      - {type: glob, glob: "_*"}
    consumer_groups:
      - {type: exact_list, conflict: loud}`, []string{
			`virtual_clusters[0].namespace.additional.topics[0].type: unknown selector type "regex"`,
			`virtual_clusters[0].namespace.additional.topics[1].glob: empty glob`,
			`virtual_clusters[0].namespace.additional.topics[2].exact_list[0].backend: "__consumer_offsets" is an internal topic`,
			`virtual_clusters[0].namespace.additional.topics[3].glob: "_*" would expose internal topics`,
			`virtual_clusters[0].namespace.additional.consumer_groups[0].exact_list: at least one name is required`,
			`virtual_clusters[0].namespace.additional.consumer_groups[0].conflict: unknown conflict handling "loud"`,
		}},
		{"aliases", `namespace: {mode: enforce_prefix, prefix: a.}
topic_aliases:
  - {alias: x, topic: b.orders}
  - {alias: x, topic: a.orders, condition: "context.auth.type =="}
  - {alias: "bad name", topic: a.y, conflict: shout}
  - {topic: a.z}
  - {alias: y, topic: x}`, []string{
			`virtual_clusters[0].topic_aliases[0].topic: "b.orders" is outside the namespace (prefix "a.")`,
			`virtual_clusters[0].topic_aliases[1].alias: duplicate alias "x" (also topic_aliases[0])`,
			`virtual_clusters[0].topic_aliases[1].condition: invalid CEL expression`,
			`virtual_clusters[0].topic_aliases[2].alias: "bad name" is not a legal topic name`,
			`virtual_clusters[0].topic_aliases[2].conflict: unknown conflict handling "shout"`,
			`virtual_clusters[0].topic_aliases[3].alias: required`,
			`virtual_clusters[0].topic_aliases[4].topic: "x" is an alias itself`,
		}},
		{"unknown policy type", `cluster_policies:
  - {type: rate_limit, config: {}}
produce_policies:
  - {name: x}`, []string{
			`virtual_clusters[0].cluster_policies[0].type: unsupported policy type "rate_limit" here`,
			`virtual_clusters[0].produce_policies[0].type: required`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(vcConfig(tc.extra)), "")
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse: %v; want field errors", err)
			}
			got := errs.Error()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing error %q in:\n%s", w, got)
				}
			}
			if n := len(*errs); n != len(tc.want) {
				t.Errorf("%d errors, want %d:\n%s", n, len(tc.want), got)
			}
		})
	}
}

func TestEnforceOnGatewayWithoutACLsWarns(t *testing.T) {
	c, err := Parse([]byte(vcConfig(`acl_mode: enforce_on_gateway`)), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || c.Warnings[0].Path != "virtual_clusters[0].acl_mode" {
		t.Fatalf("warnings %v; want one on virtual_clusters[0].acl_mode", c.Warnings)
	}
}

// TestPassthroughBehindAuthenticatedBackend: clients' own exchanges may go
// to a backend that Strait itself logs in to, as long as every method of
// the virtual cluster forwards.
func TestPassthroughBehindAuthenticatedBackend(t *testing.T) {
	text := strings.Replace(vcConfig(`authentication:
  - {type: sasl_plain, mediation: passthrough}
  - {type: sasl_scram, algorithm: sha256, mediation: passthrough}`), `bootstrap_servers: ["127.0.0.1:9092"]`,
		`bootstrap_servers: ["127.0.0.1:9092"]
    authentication: {type: sasl_plain, username: gw, password: gw}`, 1)
	if _, err := Parse([]byte(text), ""); err != nil {
		t.Fatal(err)
	}
}
