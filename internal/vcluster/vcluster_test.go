package vcluster

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/policy"
)

// noTopics is a topic cache that knows no topic.
type noTopics struct{}

func (noTopics) NameForID(context.Context, [16]byte) (string, bool) { return "", false }
func (noTopics) IDForName(context.Context, string) ([16]byte, bool) { return [16]byte{}, false }
func (noTopics) Learn(string, [16]byte)                             {}

func parseVC(t *testing.T, extra string) *config.VirtualCluster {
	t.Helper()
	text := `backend_clusters:
  - {name: local, bootstrap_servers: ["127.0.0.1:9092"]}
virtual_clusters:
  - name: vc
    destination: local
` + extra + `
listeners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - {type: forward_to_virtual_cluster, config: {type: port_mapping, destination: vc}}
`
	c, err := config.Parse([]byte(text), "")
	if err != nil {
		t.Fatal(err)
	}
	return &c.VirtualClusters[0]
}

func TestChainOrderAndCaps(t *testing.T) {
	env := policy.Env{VirtualCluster: "vc", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Topics: noTopics{}}
	describeACLs := kmsg.DescribeACLs.Int16()
	for _, tc := range []struct {
		name      string
		extra     string
		policies  []string
		aclServed bool
	}{
		{"none", "", nil, true},
		{"namespace", "    namespace: {prefix: a.}", []string{"namespace"}, false},
		{"acls and namespace", `    namespace: {prefix: a.}
    acl_mode: enforce_on_gateway
    topic_aliases: [{alias: o1, topic: orders}]
    cluster_policies:
      - {type: acls, config: {rules: [{resource_type: cluster, action: allow, operations: [{name: describe}]}]}}`,
			[]string{"topic_aliases", "acls", "namespace"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chain, err := Chain(parseVC(t, tc.extra), env)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range chain.Policies() {
				names = append(names, p.Name())
			}
			if len(names) != len(tc.policies) {
				t.Fatalf("chain %q, want %q", names, tc.policies)
			}
			for i := range names {
				if names[i] != tc.policies[i] {
					t.Fatalf("chain %q, want %q", names, tc.policies)
				}
			}
			v, capped := chain.Caps()[describeACLs]
			if served := !capped || v >= 0; served != tc.aclServed {
				t.Errorf("DescribeAcls served %v (caps %v), want %v", served, chain.Caps(), tc.aclServed)
			}
			if len(names) == 0 {
				for k := int16(0); k < policy.MaxKey; k++ {
					if chain.Wants(k) {
						t.Fatalf("a virtual cluster without policies decodes key %d", k)
					}
				}
			}
		})
	}
}
