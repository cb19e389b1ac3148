// Building the alias policy from a virtual cluster's topic_aliases.

package alias

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/policy"
)

// TypeName names the policy in logs and metrics.
const TypeName = "topic_aliases"

// New builds the policy of a virtual cluster's topic aliases. ns is the
// virtual cluster's namespace, nil when it has none; targets are names as
// clients see them through it. New checks what config validation checks,
// so that a chain is never built from aliases it would refuse, and also
// refuses an alias whose topic is itself an alias: the policy resolves a
// name once.
func New(aliases []config.TopicAlias, ns *config.Namespace, env policy.Env) (policy.Policy, error) {
	log := env.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Policy{
		vc:      env.VirtualCluster,
		log:     log,
		aliases: make(map[string]*entry, len(aliases)),
	}
	p.denied, _ = env.Metrics.(policy.PolicyMetrics)
	for i, a := range aliases {
		if a.Alias == "" || a.Topic == "" {
			return nil, fmt.Errorf("topic_aliases[%d]: alias and topic are required", i)
		}
		if a.Alias == a.Topic {
			return nil, fmt.Errorf("topic_aliases[%d]: alias %q names itself", i, a.Alias)
		}
		if _, dup := p.aliases[a.Alias]; dup {
			return nil, fmt.Errorf("topic_aliases[%d]: duplicate alias %q", i, a.Alias)
		}
		if ns != nil && ns.Mode != "enforce_prefix" && ns.Prefix != "" && strings.HasPrefix(a.Topic, ns.Prefix) {
			return nil, fmt.Errorf("topic_aliases[%d]: topic %q: name the topic as clients see it, without the namespace prefix %q", i, a.Topic, ns.Prefix)
		}
		cond, err := policy.CompileCondition(a.Condition)
		if err != nil {
			return nil, fmt.Errorf("topic_aliases[%d].condition: %w", i, err)
		}
		var warn bool
		switch a.Conflict {
		case "", "warn":
			warn = true
		case "ignore":
		default:
			return nil, fmt.Errorf("topic_aliases[%d].conflict: unknown conflict handling %q (expected warn or ignore)", i, a.Conflict)
		}
		e := &entry{alias: a.Alias, target: a.Topic, cond: cond, warn: warn}
		p.aliases[a.Alias] = e
		p.order = append(p.order, e)
	}
	for _, e := range p.aliases {
		if _, chained := p.aliases[e.target]; chained {
			return nil, fmt.Errorf("alias %q: its topic %q is itself an alias; name the topic directly", e.alias, e.target)
		}
	}
	return p, nil
}
