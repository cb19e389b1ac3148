// Compiled rules, the rule set that applies to one client identity, and
// the authorization decision itself, which follows Kafka's
// StandardAuthorizer: a matching deny rule (on the operation or all) wins;
// otherwise an allow rule must match the operation, all, or an operation
// that implies it.

package acls

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
)

// opMask is a set of operations, bit i for kmsg.ACLOperation i.
type opMask uint32

func maskOf(ops ...kmsg.ACLOperation) opMask {
	var m opMask
	for _, op := range ops {
		m |= 1 << op
	}
	return m
}

// implied is, per operation, the operations whose allowance allows it:
// READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies
// DESCRIBE_CONFIGS; ALL implies everything.
func implied(op kmsg.ACLOperation) opMask {
	m := maskOf(op, kmsg.ACLOperationAll)
	switch op {
	case kmsg.ACLOperationDescribe:
		m |= maskOf(kmsg.ACLOperationRead, kmsg.ACLOperationWrite, kmsg.ACLOperationDelete, kmsg.ACLOperationAlter)
	case kmsg.ACLOperationDescribeConfigs:
		m |= maskOf(kmsg.ACLOperationAlterConfigs)
	}
	return m
}

// compiledPolicy is one acls policy, compiled.
type compiledPolicy struct {
	name  string
	cond  *policy.Condition
	rules []compiledRule
}

// compiledRule is one rule; its names are globs or an expression that
// yields them.
type compiledRule struct {
	res   resource
	allow bool
	ops   opMask
	globs []*policy.Glob // nil for cluster rules
	expr  *policy.StringsExpr
	// opsList keeps the configured operations in order, for DescribeAcls.
	opsList []kmsg.ACLOperation
}

func compilePolicy(spec policy.Spec) (*compiledPolicy, error) {
	cfg, ok := spec.Config.(*Config)
	if !ok || cfg == nil {
		return nil, fmt.Errorf("policy %s: config is %T, not an acls config", spec.Name, spec.Config)
	}
	var errs []string
	cfg.validate(func(field, msg string) { errs = append(errs, field+": "+msg) })
	if len(errs) > 0 {
		return nil, fmt.Errorf("policy %s: %s", spec.Name, errs[0])
	}
	cp := &compiledPolicy{name: spec.Name, cond: spec.Condition}
	for _, r := range cfg.Rules {
		res, _ := parseResource(r.ResourceType)
		cr := compiledRule{res: res, allow: r.Action == "allow"}
		for _, o := range r.Operations {
			op := opNames[o.Name]
			cr.ops |= maskOf(op)
			cr.opsList = append(cr.opsList, op)
		}
		if res != resCluster {
			for _, n := range r.ResourceNames {
				g, err := policy.CompileGlob(n.Match)
				if err != nil {
					return nil, err
				}
				cr.globs = append(cr.globs, g)
			}
			if r.ResourceNamesExpression != "" {
				e, err := policy.CompileStrings(r.ResourceNamesExpression)
				if err != nil {
					return nil, err
				}
				cr.expr = e
			}
		}
		cp.rules = append(cp.rules, cr)
	}
	return cp, nil
}

// boundRule is a rule as it applies to one client identity: its names
// are known globs.
type boundRule struct {
	res   resource
	allow bool
	ops   opMask
	// any matches every name: cluster rules, and deny rules whose names
	// could not be evaluated (a deny must not fail open).
	any   bool
	globs []*policy.Glob
	// prefixes[i] is the prefix of globs[i] when it is "prefix*" with no
	// other wildcard, matched without a regexp; hasPrefix[i] says so.
	prefixes  []string
	hasPrefix []bool
	// conditional is set for rules of a policy with a condition: they
	// apply to this identity only, which DescribeAcls says.
	conditional bool
	opsList     []kmsg.ACLOperation
}

// setGlobs sets the rule's globs and their fast prefixes.
func (b *boundRule) setGlobs(globs []*policy.Glob) {
	b.globs = globs
	b.prefixes = make([]string, len(globs))
	b.hasPrefix = make([]bool, len(globs))
	for i, g := range globs {
		b.prefixes[i], b.hasPrefix[i] = globPrefix(g)
	}
}

func (b *boundRule) matches(name string) bool {
	if b.any {
		return true
	}
	for i, g := range b.globs {
		if b.hasPrefix[i] {
			if strings.HasPrefix(name, b.prefixes[i]) {
				return true
			}
		} else if g.Match(name) {
			return true
		}
	}
	return false
}

// ruleSet is every rule that applies to one client identity. It is
// immutable and shared by that identity's connections.
type ruleSet struct {
	// principal is the identity's principal name, for DescribeAcls.
	principal string
	allow     [numResources][]*boundRule
	deny      [numResources][]*boundRule
	// all keeps every rule in configuration order, for DescribeAcls.
	all []*boundRule
}

// can reports whether op on the resource of type res called name is
// allowed.
func (s *ruleSet) can(res resource, op kmsg.ACLOperation, name string) bool {
	deny := maskOf(op, kmsg.ACLOperationAll)
	for _, r := range s.deny[res] {
		if r.ops&deny != 0 && r.matches(name) {
			return false
		}
	}
	allow := implied(op)
	for _, r := range s.allow[res] {
		if r.ops&allow != 0 && r.matches(name) {
			return true
		}
	}
	return false
}

// canCluster reports whether op on the cluster is allowed.
func (s *ruleSet) canCluster(op kmsg.ACLOperation) bool {
	return s.can(resCluster, op, ClusterName)
}

// canAny reports whether op is allowed on some resource of type res, as
// Kafka's authorizeByResourceType: some name matched by an allow rule (on
// op or all) is not taken back by a deny rule (on op or all).
func (s *ruleSet) canAny(res resource, op kmsg.ACLOperation) bool {
	m := maskOf(op, kmsg.ACLOperationAll)
	for _, a := range s.allow[res] {
		if a.ops&m == 0 {
			continue
		}
		if a.any {
			return !s.denies(res, m, nil)
		}
		for _, g := range a.globs {
			if !s.denies(res, m, g) {
				return true
			}
		}
	}
	return false
}

// denies reports whether a deny rule on the operations m takes back every
// name g matches (every name at all when g is nil). Only what can be told
// for sure counts: a deny on every name, a deny matching a literal, and a
// prefix under a shorter deny prefix.
func (s *ruleSet) denies(res resource, m opMask, g *policy.Glob) bool {
	for _, d := range s.deny[res] {
		if d.ops&m == 0 {
			continue
		}
		if d.any || matchesEverything(d.globs) {
			return true
		}
		if g == nil {
			continue
		}
		if g.Literal() && d.matches(g.String()) {
			return true
		}
		if p, ok := globPrefix(g); ok {
			for _, dg := range d.globs {
				if q, ok := globPrefix(dg); ok && strings.HasPrefix(p, q) {
					return true
				}
			}
		}
	}
	return false
}

// globPrefix returns p for a glob "p*" whose p has no wildcard.
func globPrefix(g *policy.Glob) (string, bool) {
	p, ok := strings.CutSuffix(g.String(), "*")
	return p, ok && !strings.ContainsAny(p, "*?")
}

// canAll reports whether op is allowed on every resource of type res
// whatever its name: an allow rule matching every name, and no deny rule
// on the operation at all.
func (s *ruleSet) canAll(res resource, op kmsg.ACLOperation) bool {
	deny := maskOf(op, kmsg.ACLOperationAll)
	for _, r := range s.deny[res] {
		if r.ops&deny != 0 {
			return false
		}
	}
	allow := implied(op)
	for _, r := range s.allow[res] {
		if r.ops&allow != 0 && (r.any || matchesEverything(r.globs)) {
			return true
		}
	}
	return false
}

func matchesEverything(globs []*policy.Glob) bool {
	for _, g := range globs {
		if g.String() == "*" {
			return true
		}
	}
	return false
}

// authorizedOps is the bit field Kafka puts in AuthorizedOperations
// fields: bit i set for each operation i supported on res that is
// allowed on the resource called name.
func (s *ruleSet) authorizedOps(res resource, name string) int32 {
	var bits int32
	for _, op := range supported[res] {
		if s.can(res, op, name) {
			bits |= 1 << op
		}
	}
	return bits
}

// bind evaluates the policies for a client identity: the rules of the
// policies whose condition holds, with their name expressions evaluated.
// A policy whose condition cannot be evaluated contributes its deny rules
// and not its allow rules, and a deny rule whose names cannot be evaluated
// denies every name: errors never widen access.
func bind(policies []*compiledPolicy, vars map[string]any, principal string, log *slog.Logger) *ruleSet {
	s := &ruleSet{principal: principal}
	for _, p := range policies {
		holds, err := p.cond.Holds(vars)
		if err != nil {
			log.Warn("acls policy condition failed to evaluate; only its deny rules apply", "policy", p.name, "principal", principal, "error", err)
		}
		for i := range p.rules {
			r := &p.rules[i]
			if !holds && (err == nil || r.allow) {
				continue
			}
			b := &boundRule{res: r.res, allow: r.allow, ops: r.ops, conditional: p.cond != nil, opsList: r.opsList}
			switch {
			case r.res == resCluster:
				b.any = true
			case r.expr != nil:
				globs, err := evalGlobs(r.expr, vars)
				if err != nil {
					log.Warn("acls rule resource_names_expression failed to evaluate", "policy", p.name, "rule", i, "principal", principal, "error", err)
					if r.allow {
						continue
					}
					b.any = true
				}
				b.setGlobs(globs)
			default:
				b.setGlobs(r.globs)
			}
			if b.allow {
				s.allow[b.res] = append(s.allow[b.res], b)
			} else {
				s.deny[b.res] = append(s.deny[b.res], b)
			}
			s.all = append(s.all, b)
		}
	}
	return s
}

// evalGlobs evaluates a names expression into globs. An empty list is
// fine (the rule matches nothing); an invalid glob is an error.
func evalGlobs(e *policy.StringsExpr, vars map[string]any) ([]*policy.Glob, error) {
	names, err := e.Eval(vars)
	if err != nil {
		return nil, err
	}
	globs := make([]*policy.Glob, 0, len(names))
	for _, n := range names {
		g, err := policy.CompileGlob(n)
		if err != nil {
			return nil, fmt.Errorf("expression yields %q: %w", n, err)
		}
		globs = append(globs, g)
	}
	return globs, nil
}

// maxCachedIdentities bounds the rule sets kept per enforcer. A rule set
// depends only on the client's identity (auth type, principal and token
// claims), so connections of one identity share one; when the cache is
// full an arbitrary entry makes room, and is evaluated again when needed.
const maxCachedIdentities = 4096

// identityCache memoizes rule sets by client identity. It holds no
// reference to connections, so closed connections leave nothing behind
// but their identity's entry, which the bound evicts.
type identityCache struct {
	mu sync.Mutex
	m  map[string]*ruleSet
}

func (c *identityCache) get(key string) (*ruleSet, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[key]
	return s, ok
}

func (c *identityCache) put(key string, s *ruleSet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*ruleSet{}
	}
	if len(c.m) >= maxCachedIdentities {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[key] = s
}

// identityKey is the cache key of a client identity: everything a
// condition or expression can see of it. ok is false when the claims
// cannot be encoded; the rule set is then not cached.
func identityKey(a policy.Auth) (key string, ok bool) {
	claims := ""
	if len(a.Claims) > 0 {
		b, err := json.Marshal(a.Claims) // map keys are sorted: stable
		if err != nil {
			return "", false
		}
		claims = string(b)
	}
	return a.Type + "\x00" + a.Principal + "\x00" + claims, true
}
