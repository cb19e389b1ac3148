// Tests of acls configs as the config file decodes and validates them.

package acls_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/policy/acls"
)

// withRules is a config file whose virtual cluster has one acls policy
// holding rules (YAML list items indented by 10 spaces), starting on
// line 12.
func withRules(rules string) string {
	return fmt.Sprintf(`backend_clusters:
  - name: local
    bootstrap_servers: ["127.0.0.1:9092"]
virtual_clusters:
  - name: team-a
    destination: local
    acl_mode: enforce_on_gateway
    cluster_policies:
      - type: acls
        config:
          rules:
%slisteners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: team-a}
`, rules)
}

func TestConfigGood(t *testing.T) {
	cfg, err := config.Parse([]byte(withRules(`            - resource_type: topic
              action: allow
              operations: [{name: read}, {name: describe}]
              resource_names: [{match: "orders-*"}, {match: audit}]
            - resource_type: group
              action: deny
              operations: [{name: all}]
              resource_names_expression: '[context.auth.principal.name + "-*"]'
            - resource_type: cluster
              action: allow
              operations: [{name: idempotent_write}, {name: cluster_action}]
            - resource_type: cluster
              action: allow
              operations: [{name: describe}]
              resource_names: [{match: kafka-cluster}]
            - resource_type: transactional_id
              action: allow
              operations: [{name: write}]
              resource_names: [{match: "*"}]
            - resource_type: group
              action: allow
              operations: [{name: describe_configs}]
              resource_names: [{match: "*"}]
`)), "")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	p := cfg.VirtualClusters[0].ClusterPolicies[0]
	c, ok := p.Config.(*acls.Config)
	if !ok {
		t.Fatalf("config is %T", p.Config)
	}
	if len(c.Rules) != 6 || c.Rules[0].ResourceNames[0].Match != "orders-*" || c.Rules[1].ResourceNamesExpression == "" {
		t.Errorf("decoded %+v", c.Rules)
	}
	s := p.Spec()
	if s.Name != acls.TypeName {
		t.Errorf("default name %q", s.Name)
	}
	if _, err := acls.NewEnforcer([]policy.Spec{s}, env(&denials{})); err != nil {
		t.Errorf("NewEnforcer: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	const p = "virtual_clusters[0].cluster_policies[0].config."
	for _, tc := range []struct {
		name  string
		rules string
		want  []string
	}{
		{
			name: "unknown field",
			rules: `            - resource_type: topic
              action: allow
              operation: [{name: read}]
`,
			want: []string{
				p + "rules[0].operation: unknown field; did you mean \"operations\"? (line 14)",
				p + "rules[0].resource_names: required: at least one {match: <glob>}, or resource_names_expression",
			},
		},
		{
			name:  "no rules",
			rules: "            []\n",
			want:  []string{p + "rules: at least one rule is required"},
		},
		{
			name: "required fields",
			rules: `            - operations: []
`,
			want: []string{
				p + "rules[0].resource_type: required (topic, group, transactional_id or cluster)",
				p + "rules[0].action: required (allow or deny)",
				p + "rules[0].operations: at least one operation is required",
			},
		},
		{
			name: "unknown values",
			rules: `            - resource_type: user
              action: permit
              operations: [{name: fly}, {}]
              resource_names: [{match: x}]
`,
			want: []string{
				p + "rules[0].resource_type: unknown resource type \"user\" (expected topic, group, transactional_id or cluster)",
				p + "rules[0].action: unknown action \"permit\" (expected allow or deny)",
				p + "rules[0].operations[0].name: unknown operation \"fly\"",
				p + "rules[0].operations[1].name: required",
			},
		},
		{
			name: "operations invalid for the resource type",
			rules: `            - resource_type: group
              action: allow
              operations: [{name: write}]
              resource_names: [{match: g}]
            - resource_type: transactional_id
              action: allow
              operations: [{name: read}]
              resource_names: [{match: t}]
            - resource_type: topic
              action: allow
              operations: [{name: idempotent_write}]
              resource_names: [{match: t}]
            - resource_type: cluster
              action: allow
              operations: [{name: read}]
`,
			want: []string{
				p + "rules[0].operations[0].name: write is not an operation on group resources (valid: read, describe, delete, describe_configs, alter_configs, all)",
				p + "rules[1].operations[0].name: read is not an operation on transactional_id resources (valid: describe, write, all)",
				p + "rules[2].operations[0].name: idempotent_write is not an operation on topic resources (valid: read, write, create, describe, delete, alter, describe_configs, alter_configs, all)",
				p + "rules[3].operations[0].name: read is not an operation on cluster resources (valid: create, cluster_action, describe_configs, alter_configs, idempotent_write, alter, describe, all)",
			},
		},
		{
			name: "names",
			rules: `            - resource_type: topic
              action: allow
              operations: [{name: read}]
            - resource_type: topic
              action: allow
              operations: [{name: read}]
              resource_names: [{match: a}]
              resource_names_expression: '["b"]'
            - resource_type: topic
              action: allow
              operations: [{name: read}]
              resource_names: [{match: ""}]
            - resource_type: group
              action: allow
              operations: [{name: read}]
              resource_names_expression: 'context.auth.type == "x"'
            - resource_type: cluster
              action: allow
              operations: [{name: alter}]
              resource_names: [{match: "*"}]
              resource_names_expression: '["kafka-cluster"]'
`,
			want: []string{
				p + "rules[0].resource_names: required: at least one {match: <glob>}, or resource_names_expression",
				p + "rules[1].resource_names_expression: give resource_names or resource_names_expression, not both",
				p + "rules[2].resource_names[0].match: empty glob",
				p + "rules[3].resource_names_expression: CEL expression yields bool, not list(string)",
				p + "rules[4].resource_names_expression: cluster rules name no resources (the cluster is \"kafka-cluster\")",
				p + "rules[4].resource_names[0].match: cluster rules match only \"kafka-cluster\", not \"*\"",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(withRules(tc.rules)), "")
			var errs *config.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse: %v, want config errors", err)
			}
			var got []string
			for _, fe := range *errs {
				if strings.HasPrefix(fe.Path, p[:len(p)-1]) {
					// Lines are checked where the decoder knows them.
					if fe.Line > 0 && !strings.Contains(fe.Msg, "unknown field") {
						fe.Line = 0
					}
					got = append(got, fe.Error())
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestConfigOnlyInClusterPolicies(t *testing.T) {
	text := strings.Replace(withRules(`            - resource_type: topic
              action: allow
              operations: [{name: read}]
              resource_names: [{match: a}]
`), "cluster_policies:", "produce_policies:", 1)
	_, err := config.Parse([]byte(text), "")
	if err == nil || !strings.Contains(err.Error(), `virtual_clusters[0].produce_policies[0].type: unsupported policy type "acls" here`) {
		t.Errorf("Parse: %v", err)
	}
}
