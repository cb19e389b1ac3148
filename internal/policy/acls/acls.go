// Package acls enforces a virtual cluster's access rules on the gateway
// (acl_mode: enforce_on_gateway), the way Kafka's own authorizer would.
//
// Every acls policy of a virtual cluster's cluster_policies holds rules; a
// policy applies to a connection when its condition (CEL over
// context.auth.*) holds. The virtual cluster combines all of them into one
// chain element, the enforcer (NewEnforcer), which runs before the
// namespace policy and so sees the names clients use. A request is denied
// unless a rule allows it, and a deny rule wins over any allow rule. Which
// operation each API key needs on which resource, and how a refusal is
// shaped, follows Kafka's KafkaApis and AuthHelper; README.md lists the
// decisions per API key.
//
// A rule's config, in YAML:
//
//	rules:
//	  - resource_type: topic            # topic | group | transactional_id | cluster
//	    action: allow                   # allow | deny
//	    operations: [{name: read}, {name: describe}]
//	    resource_names: [{match: "orders-*"}]
//	  - resource_type: group
//	    action: allow
//	    operations: [{name: read}]
//	    resource_names_expression: '[context.auth.principal.name + "-*"]'
package acls

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
)

// TypeName is the policy type's name in cluster_policies.
const TypeName = "acls"

// ClusterName is the only name of the cluster resource, as in Kafka.
const ClusterName = "kafka-cluster"

// Config is an acls policy's config.
type Config struct {
	// Rules allow or deny operations on resources. Order does not matter:
	// a request is allowed when an allow rule of an applicable policy
	// matches it and no deny rule of any applicable policy does.
	Rules []Rule `yaml:"rules"`
}

// Rule allows or denies operations on resources of one type.
type Rule struct {
	// ResourceType is topic, group, transactional_id or cluster.
	// Required.
	ResourceType string `yaml:"resource_type"`
	// Action is allow or deny. Required.
	Action string `yaml:"action"`
	// Operations the rule allows or denies. Required. Valid per resource
	// type as in Kafka: topic: read, write, create, delete, alter,
	// describe, alter_configs, describe_configs; group: read, describe,
	// delete, alter_configs, describe_configs; transactional_id: write,
	// describe; cluster: create, alter, describe, alter_configs,
	// describe_configs, idempotent_write, cluster_action. all is valid
	// for every type. Allowing read, write, delete or alter also allows
	// describe, and allowing alter_configs allows describe_configs; deny
	// rules deny exactly what they name.
	Operations []Operation `yaml:"operations"`
	// ResourceNames are globs over the names clients use ("*" any run of
	// characters, "?" one character). Topic, group and transactional_id
	// rules need them or ResourceNamesExpression. Cluster rules may leave
	// them out; if given, they must be "kafka-cluster".
	ResourceNames []ResourceName `yaml:"resource_names"`
	// ResourceNamesExpression is a CEL expression over the connection
	// (context.auth.type, context.auth.principal.name,
	// context.auth.token.claims, context.virtual_cluster.name) that
	// yields a list of globs, e.g. '[context.auth.principal.name + "-*"]'.
	// It is evaluated once per client identity. An alternative to
	// ResourceNames; not for cluster rules.
	ResourceNamesExpression string `yaml:"resource_names_expression"`
}

// Operation names one operation.
type Operation struct {
	// Name is the operation, e.g. read.
	Name string `yaml:"name"`
}

// ResourceName selects resources by name.
type ResourceName struct {
	// Match is a glob over resource names.
	Match string `yaml:"match"`
}

func init() {
	policy.Register(policy.Type{
		Name:      TypeName,
		Phases:    []policy.Phase{policy.PhaseCluster},
		NewConfig: func() any { return new(Config) },
		Validate: func(cfg any, report func(field, msg string)) {
			if c, ok := cfg.(*Config); ok {
				c.validate(report)
			}
		},
		New: func(policy.Spec, policy.Env) (policy.Policy, error) {
			return nil, errNotStandalone
		},
	})
}

// errNotStandalone is what the registry's New says: the virtual cluster
// combines its acls policies with NewEnforcer.
var errNotStandalone = errors.New("acls policies are combined by the virtual cluster into one enforcer (acls.NewEnforcer), not built one by one")

// Resource types.
type resource uint8

const (
	resTopic resource = iota
	resGroup
	resTxn
	resCluster
	numResources
)

var resourceNames = [numResources]string{"topic", "group", "transactional_id", "cluster"}

// aclType is the resource type's code in Kafka's ACL APIs.
var aclTypes = [numResources]kmsg.ACLResourceType{
	kmsg.ACLResourceTypeTopic, kmsg.ACLResourceTypeGroup, kmsg.ACLResourceTypeTransactionalId, kmsg.ACLResourceTypeCluster,
}

func (r resource) String() string { return resourceNames[r] }

func parseResource(s string) (resource, bool) {
	for i, n := range resourceNames {
		if n == s {
			return resource(i), true
		}
	}
	return 0, false
}

// opNames maps config names to Kafka's operations.
var opNames = map[string]kmsg.ACLOperation{
	"all":              kmsg.ACLOperationAll,
	"read":             kmsg.ACLOperationRead,
	"write":            kmsg.ACLOperationWrite,
	"create":           kmsg.ACLOperationCreate,
	"delete":           kmsg.ACLOperationDelete,
	"alter":            kmsg.ACLOperationAlter,
	"describe":         kmsg.ACLOperationDescribe,
	"cluster_action":   kmsg.ACLOperationClusterAction,
	"describe_configs": kmsg.ACLOperationDescribeConfigs,
	"alter_configs":    kmsg.ACLOperationAlterConfigs,
	"idempotent_write": kmsg.ACLOperationIdempotentWrite,
}

// supported lists the operations valid on each resource type, as Kafka's
// AclEntry.supportedOperations (all aside).
var supported = [numResources][]kmsg.ACLOperation{
	resTopic: {kmsg.ACLOperationRead, kmsg.ACLOperationWrite, kmsg.ACLOperationCreate, kmsg.ACLOperationDescribe,
		kmsg.ACLOperationDelete, kmsg.ACLOperationAlter, kmsg.ACLOperationDescribeConfigs, kmsg.ACLOperationAlterConfigs},
	resGroup: {kmsg.ACLOperationRead, kmsg.ACLOperationDescribe, kmsg.ACLOperationDelete,
		kmsg.ACLOperationDescribeConfigs, kmsg.ACLOperationAlterConfigs},
	resTxn: {kmsg.ACLOperationDescribe, kmsg.ACLOperationWrite},
	resCluster: {kmsg.ACLOperationCreate, kmsg.ACLOperationClusterAction, kmsg.ACLOperationDescribeConfigs,
		kmsg.ACLOperationAlterConfigs, kmsg.ACLOperationIdempotentWrite, kmsg.ACLOperationAlter, kmsg.ACLOperationDescribe},
}

// opName is the config name of op.
func opName(op kmsg.ACLOperation) string {
	for n, o := range opNames {
		if o == op {
			return n
		}
	}
	return op.String()
}

func opList(ops []kmsg.ACLOperation) string {
	names := make([]string, 0, len(ops)+1)
	for _, op := range ops {
		names = append(names, opName(op))
	}
	names = append(names, "all")
	return strings.Join(names, ", ")
}

// validate reports every problem of c, with the path of its field.
func (c *Config) validate(report func(field, msg string)) {
	if len(c.Rules) == 0 {
		report("rules", "at least one rule is required")
	}
	for i := range c.Rules {
		c.Rules[i].validate(fmt.Sprintf("rules[%d]", i), report)
	}
}

func (r *Rule) validate(p string, report func(field, msg string)) {
	res, resOK := parseResource(r.ResourceType)
	switch {
	case r.ResourceType == "":
		report(p+".resource_type", "required (topic, group, transactional_id or cluster)")
	case !resOK:
		report(p+".resource_type", fmt.Sprintf("unknown resource type %q (expected topic, group, transactional_id or cluster)", r.ResourceType))
	}
	switch r.Action {
	case "allow", "deny":
	case "":
		report(p+".action", "required (allow or deny)")
	default:
		report(p+".action", fmt.Sprintf("unknown action %q (expected allow or deny)", r.Action))
	}
	if len(r.Operations) == 0 {
		report(p+".operations", "at least one operation is required")
	}
	for j, o := range r.Operations {
		op, ok := opNames[o.Name]
		f := fmt.Sprintf("%s.operations[%d].name", p, j)
		switch {
		case o.Name == "":
			report(f, "required")
		case !ok:
			report(f, fmt.Sprintf("unknown operation %q", o.Name))
		case resOK && op != kmsg.ACLOperationAll && !slices.Contains(supported[res], op):
			report(f, fmt.Sprintf("%s is not an operation on %s resources (valid: %s)", o.Name, res, opList(supported[res])))
		}
	}
	if resOK && res == resCluster {
		if r.ResourceNamesExpression != "" {
			report(p+".resource_names_expression", "cluster rules name no resources (the cluster is \"kafka-cluster\")")
		}
		for j, n := range r.ResourceNames {
			if n.Match != ClusterName {
				report(fmt.Sprintf("%s.resource_names[%d].match", p, j), fmt.Sprintf("cluster rules match only %q, not %q", ClusterName, n.Match))
			}
		}
		return
	}
	switch {
	case len(r.ResourceNames) > 0 && r.ResourceNamesExpression != "":
		report(p+".resource_names_expression", "give resource_names or resource_names_expression, not both")
	case len(r.ResourceNames) == 0 && r.ResourceNamesExpression == "" && resOK:
		report(p+".resource_names", "required: at least one {match: <glob>}, or resource_names_expression")
	}
	for j, n := range r.ResourceNames {
		if _, err := policy.CompileGlob(n.Match); err != nil {
			report(fmt.Sprintf("%s.resource_names[%d].match", p, j), err.Error())
		}
	}
	if r.ResourceNamesExpression != "" {
		if _, err := policy.CompileStrings(r.ResourceNamesExpression); err != nil {
			report(p+".resource_names_expression", err.Error())
		}
	}
}
