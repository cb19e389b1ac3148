// This file holds a virtual cluster's namespace, topic aliases and typed
// policies (cluster_policies, produce_policies, consume_policies): their
// types, the decoding of a policy's config according to the type
// registered under its name, and their validation.

package config

import (
	"reflect"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/strait-gw/strait/internal/policy"
)

// Namespace gives a virtual cluster its own part of the backend's topics,
// consumer groups and transactional ids: those whose names start with
// Prefix, plus the additional ones listed.
type Namespace struct {
	// Mode is hide_prefix (clients see and create "orders" for the backend's
	// "team-a.orders") or enforce_prefix (clients see full names and may
	// only create names that carry the prefix). Default hide_prefix.
	Mode string `yaml:"mode"`
	// Prefix starts every backend topic, group and transactional id name of
	// the namespace, e.g. "team-a.". Required.
	Prefix string `yaml:"prefix"`
	// Additional exposes backend topics and consumer groups outside the
	// prefix, under their own names. They cannot be created or deleted
	// through the virtual cluster.
	Additional NamespaceAdditional `yaml:"additional"`
}

// NamespaceAdditional lists backend names exposed beside the prefix.
type NamespaceAdditional struct {
	// Topics are backend topics exposed unprefixed.
	Topics []NameSelector `yaml:"topics"`
	// ConsumerGroups are backend consumer groups exposed unprefixed.
	ConsumerGroups []NameSelector `yaml:"consumer_groups"`
}

// NameSelector selects backend names.
type NameSelector struct {
	// Type is glob or exact_list.
	Type string `yaml:"type"`
	// Glob, for type glob: "*" matches any characters, "?" one.
	Glob string `yaml:"glob"`
	// ExactList, for type exact_list, names the backend resources.
	ExactList []ExactName `yaml:"exact_list"`
	// Conflict is what to do when a selected name is also a name the
	// prefix gives to another backend resource: warn (log it and set
	// strait_namespace_conflicts) or ignore. Default warn.
	Conflict string `yaml:"conflict"`
}

// ExactName is one backend name.
type ExactName struct {
	// Backend is the name in the backend cluster.
	Backend string `yaml:"backend"`
}

// TopicAlias is a second name for a topic of the namespace.
type TopicAlias struct {
	// Alias is the name clients may use.
	Alias string `yaml:"alias"`
	// Topic is the namespace-visible topic it stands for.
	Topic string `yaml:"topic"`
	// Condition is a CEL expression over context.auth.*; the alias exists
	// for a connection only when it holds. Empty: always.
	Condition string `yaml:"condition"`
	// Conflict is what to do when the alias is also the name of a visible
	// topic: warn (the alias wins, and the gateway logs it) or ignore (the
	// alias wins silently). Default warn.
	Conflict string `yaml:"conflict"`
}

// VCPolicy is one typed policy of a virtual cluster.
type VCPolicy struct {
	// Type is the policy type; its config is decoded according to it.
	Type string `yaml:"type"`
	// Name names the policy in logs and metrics. Default: the type.
	Name string `yaml:"name"`
	// Enabled turns the policy off when false. Default true.
	Enabled *bool `yaml:"enabled"`
	// Condition is a CEL expression; the policy applies only when it
	// holds. Empty: always.
	Condition string `yaml:"condition"`
	// Config is the type's config, as made by its registered NewConfig.
	Config any `yaml:"-"`
	// Policies are nested policies, for the types that have any.
	Policies []VCPolicy `yaml:"policies"`
}

// IsEnabled reports whether the policy is on.
func (p *VCPolicy) IsEnabled() bool { return p.Enabled == nil || *p.Enabled }

// Spec returns the policy as the policy registry builds it. The config
// must be valid.
func (p *VCPolicy) Spec() policy.Spec {
	cond, _ := policy.CompileCondition(p.Condition)
	s := policy.Spec{Type: p.Type, Name: p.Name, Condition: cond, Config: p.Config}
	if s.Name == "" {
		s.Name = p.Type
	}
	for i := range p.Policies {
		if p.Policies[i].IsEnabled() {
			s.Children = append(s.Children, p.Policies[i].Spec())
		}
	}
	return s
}

var vcPolicyType = reflect.TypeOf(VCPolicy{})

// vcPolicyPhases maps the virtual cluster keys that hold policies to the
// phase of their policies.
var vcPolicyPhases = map[string]policy.Phase{
	"cluster_policies": policy.PhaseCluster,
	"produce_policies": policy.PhaseProduce,
	"consume_policies": policy.PhaseConsume,
}

// phaseOf returns the phase of the policy at path, from the name of the
// list it is in ("virtual_clusters[0].cluster_policies[2]").
func phaseOf(path string) policy.Phase {
	list := parentPath(path)
	name := list
	if i := strings.LastIndex(list, "."); i >= 0 {
		name = list[i+1:]
	}
	if ph, ok := vcPolicyPhases[name]; ok {
		return ph
	}
	if i := strings.LastIndex(list, "."); i >= 0 && name == "policies" {
		// Nested policies take the phase of the list their parent is in.
		return phaseOf(list[:i])
	}
	return ""
}

// decodeVCPolicy decodes a virtual cluster policy; its config is decoded
// into the value its registered type makes.
func (d *decoder) decodeVCPolicy(n ast.Node, p *VCPolicy, path string) {
	kvs, ok := d.entries(n, path)
	if !ok {
		return
	}
	var configKV *ast.MappingValueNode
	rest := make([]*ast.MappingValueNode, 0, len(kvs))
	for _, kv := range kvs {
		if keyString(kv.Key) == "config" {
			configKV = kv
			continue
		}
		rest = append(rest, kv)
	}
	d.decodeFields(rest, reflect.ValueOf(p).Elem(), path)
	typePath, configPath := joinPath(path, "type"), joinPath(path, "config")
	if configKV != nil {
		d.lines[configPath] = line(configKV.Key)
	}
	if p.Type == "" {
		return
	}
	phase := phaseOf(path)
	t, ok := policy.Lookup(p.Type)
	if !ok || !containsPhase(t.Phases, phase) {
		d.fail(typePath, d.lineOf(typePath), "unsupported policy type %q here (supported: %s)", p.Type, orNone(policy.TypeNames(phase)))
		return
	}
	p.Config = t.NewConfig()
	if configKV != nil {
		d.decode(configKV.Value, reflect.ValueOf(p.Config).Elem(), configPath)
	}
}

func containsPhase(ps []policy.Phase, p policy.Phase) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none yet"
	}
	return strings.Join(names, ", ")
}

// validateVCPolicies validates a list of virtual cluster policies.
func (d *decoder) validateVCPolicies(ps []VCPolicy, path string) {
	d.validatePolicyList(ps, path, false)
}

// validatePolicyList validates a list of policies, nested under a parent
// policy or not.
func (d *decoder) validatePolicyList(ps []VCPolicy, path string, nested bool) {
	names := map[string]int{}
	for i := range ps {
		p := &ps[i]
		pp := indexPath(path, i)
		if p.Type == "" {
			d.report(pp+".type", "required")
			continue
		}
		name := p.Name
		if name == "" {
			name = p.Type
		}
		if j, dup := names[name]; dup {
			d.report(pp+".name", "duplicate policy name %q (also %s); give each policy of a type its own name", name, indexPath(path, j))
		} else {
			names[name] = i
		}
		if _, err := policy.CompileCondition(p.Condition); err != nil {
			d.report(pp+".condition", "%v", err)
		}
		d.checkContentCondition(p, pp, nested)
		t, ok := policy.Lookup(p.Type)
		if !ok || p.Config == nil {
			continue
		}
		if t.Validate != nil {
			t.Validate(p.Config, func(field, msg string) {
				fp := pp + ".config"
				if field != "" {
					if strings.HasPrefix(field, "[") {
						fp += field
					} else {
						fp += "." + field
					}
				}
				d.report(fp, "%s", msg)
			})
		}
		if t.PhaseValidate != nil {
			t.PhaseValidate(p.Config, phaseOf(pp), func(field, msg string) { d.report(pp+".config."+field, "%s", msg) })
		}
		d.checkRefs(t, p.Config, pp)
		if t.Nested && !nested {
			d.report(pp+".type", "%s is only allowed nested under a parent policy (policies:)", p.Type)
		}
		if len(p.Policies) > 0 && t.ValidateChildren != nil {
			var types []string
			for _, c := range p.Policies {
				types = append(types, c.Type)
			}
			t.ValidateChildren(p.Config, types, func(field, msg string) { d.report(pp+".config."+field, "%s", msg) })
		}
		if len(p.Policies) > 0 {
			if t.Parent {
				d.validatePolicyList(p.Policies, pp+".policies", true)
			} else {
				d.report(pp+".policies", "type %s has no nested policies", p.Type)
			}
		}
	}
}

// Namespace modes, selector types and conflict handling.
const (
	nsHidePrefix    = "hide_prefix"
	nsEnforcePrefix = "enforce_prefix"
	selGlob         = "glob"
	selExactList    = "exact_list"
	conflictWarn    = "warn"
	conflictIgnore  = "ignore"
)

// validateNamespace validates a namespace and the topic aliases.
func (d *decoder) validateNamespace(v *VirtualCluster, p string) {
	if ns := v.Namespace; ns != nil {
		np := p + ".namespace"
		switch ns.Mode {
		case nsHidePrefix, nsEnforcePrefix:
		default:
			d.report(np+".mode", "unknown namespace mode %q (expected hide_prefix or enforce_prefix)", ns.Mode)
		}
		switch {
		case ns.Prefix == "":
			d.report(np+".prefix", "required")
		case len(ns.Prefix) > 200:
			d.report(np+".prefix", "too long (%d characters; a topic name has at most 249)", len(ns.Prefix))
		case !legalTopicChars(ns.Prefix):
			d.report(np+".prefix", "%q is not a legal topic prefix (only ASCII letters, digits, '.', '_' and '-')", ns.Prefix)
		case strings.HasPrefix(ns.Prefix, "__"):
			d.report(np+".prefix", "%q would name internal topics (\"__\")", ns.Prefix)
		}
		d.validateSelectors(ns.Additional.Topics, np+".additional.topics", true)
		d.validateSelectors(ns.Additional.ConsumerGroups, np+".additional.consumer_groups", false)
	}
	seen := map[string]int{}
	isAlias := map[string]bool{}
	for _, a := range v.TopicAliases {
		isAlias[a.Alias] = true
	}
	for i, a := range v.TopicAliases {
		ap := indexPath(p+".topic_aliases", i)
		if a.Alias == "" {
			d.report(ap+".alias", "required")
		} else if !legalTopicChars(a.Alias) || len(a.Alias) > 249 {
			d.report(ap+".alias", "%q is not a legal topic name", a.Alias)
		} else if j, dup := seen[a.Alias]; dup {
			d.report(ap+".alias", "duplicate alias %q (also topic_aliases[%d])", a.Alias, j)
		} else {
			seen[a.Alias] = i
		}
		if a.Topic == "" {
			d.report(ap+".topic", "required")
		} else if a.Topic == a.Alias {
			d.report(ap+".topic", "an alias cannot name itself")
		} else if isAlias[a.Topic] {
			d.report(ap+".topic", "%q is an alias itself; name the topic it stands for", a.Topic)
		} else if ns := v.Namespace; ns != nil && ns.Mode == nsEnforcePrefix && !strings.HasPrefix(a.Topic, ns.Prefix) && !d.additionalTopic(ns, a.Topic) {
			d.report(ap+".topic", "%q is outside the namespace (prefix %q)", a.Topic, ns.Prefix)
		} else if ns != nil && ns.Mode == nsHidePrefix && strings.HasPrefix(a.Topic, ns.Prefix) {
			d.report(ap+".topic", "%q: with hide_prefix, name the topic as clients see it (without %q)", a.Topic, ns.Prefix)
		}
		if _, err := policy.CompileCondition(a.Condition); err != nil {
			d.report(ap+".condition", "%v", err)
		}
		switch a.Conflict {
		case conflictWarn, conflictIgnore:
		default:
			d.report(ap+".conflict", "unknown conflict handling %q (expected warn or ignore)", a.Conflict)
		}
	}
}

// additionalTopic reports whether an additional topic selector of ns
// selects name.
func (d *decoder) additionalTopic(ns *Namespace, name string) bool {
	for _, s := range ns.Additional.Topics {
		switch s.Type {
		case selGlob:
			if g, err := policy.CompileGlob(s.Glob); err == nil && g.Match(name) {
				return true
			}
		case selExactList:
			for _, e := range s.ExactList {
				if e.Backend == name {
					return true
				}
			}
		}
	}
	return false
}

func (d *decoder) validateSelectors(sels []NameSelector, path string, topics bool) {
	for i, s := range sels {
		sp := indexPath(path, i)
		switch s.Type {
		case selGlob:
			if len(s.ExactList) > 0 {
				d.report(sp+".exact_list", "only for type exact_list")
			}
			if _, err := policy.CompileGlob(s.Glob); err != nil {
				d.report(sp+".glob", "%v", err)
			} else if topics && strings.HasPrefix(s.Glob, "_") {
				d.report(sp+".glob", "%q would expose internal topics", s.Glob)
			}
		case selExactList:
			if s.Glob != "" {
				d.report(sp+".glob", "only for type glob")
			}
			if len(s.ExactList) == 0 {
				d.report(sp+".exact_list", "at least one name is required")
			}
			for j, e := range s.ExactList {
				if e.Backend == "" {
					d.report(indexPath(sp+".exact_list", j)+".backend", "required")
				} else if topics && strings.HasPrefix(e.Backend, "__") {
					d.report(indexPath(sp+".exact_list", j)+".backend", "%q is an internal topic", e.Backend)
				}
			}
		case "":
			d.report(sp+".type", "required (glob or exact_list)")
		default:
			d.report(sp+".type", "unknown selector type %q (expected glob or exact_list)", s.Type)
		}
		switch s.Conflict {
		case conflictWarn, conflictIgnore:
		default:
			d.report(sp+".conflict", "unknown conflict handling %q (expected warn or ignore)", s.Conflict)
		}
	}
}

// legalTopicChars reports whether s has only the characters Kafka allows
// in topic names.
func legalTopicChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
