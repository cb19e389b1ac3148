// The registry of virtual-cluster policy types. Each policy package
// registers its type in an init function; the config decoder decodes a
// policy's config into the value its type makes, and the gateway builds the
// policy from it.

package policy

import (
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sort"
	"sync"
)

var reflectStrings = reflect.TypeOf([]string(nil))

// Phase is where in a virtual cluster's config a policy may appear.
type Phase string

// The phases.
const (
	PhaseCluster Phase = "cluster" // cluster_policies
	PhaseProduce Phase = "produce" // produce_policies
	PhaseConsume Phase = "consume" // consume_policies
)

// Type is a policy type.
type Type struct {
	// Name is the type's name in the config (acls, modify_headers, ...).
	Name string
	// Phases are the lists the type may appear in.
	Phases []Phase
	// NewConfig returns a pointer to a new, empty config value: a struct
	// with yaml tags, decoded strictly from the policy's config key.
	NewConfig func() any
	// Validate checks a decoded config and reports each problem with the
	// path of its field relative to the config (e.g. "rules[2].operations").
	// It may be nil.
	Validate func(cfg any, report func(field, msg string))
	// New builds the policy from a valid config.
	New func(spec Spec, env Env) (Policy, error)
	// PhaseValidate is Validate for checks that depend on the list the
	// policy is in (produce or consume failure modes). May be nil.
	PhaseValidate func(cfg any, phase Phase, report func(field, msg string))
	// Refs lists the top-level resources (static keys, schema
	// registries) a config names, for the config to check. May be nil.
	Refs func(cfg any) []Ref
	// Parent tells whether policies may be nested under this type
	// (policies:).
	Parent bool
	// ValidateChildren checks the types of the policies nested under
	// one of this type. May be nil.
	ValidateChildren func(cfg any, childTypes []string, report func(field, msg string))
	// Nested tells that the type may appear only nested under a parent.
	Nested bool
}

// Ref is a config's reference to a top-level resource.
type Ref struct {
	// Field is the path of the field that names it, relative to the
	// policy's config.
	Field string
	// Kind is static_key or schema_registry.
	Kind string
	Name string
}

// Spec is one policy of a virtual cluster's config, decoded.
type Spec struct {
	Type string
	// Name is the policy's name; the type's name when the config gives
	// none.
	Name      string
	Condition *Condition
	// Config is the value NewConfig returned, decoded.
	Config any
	// Children are nested policies (for the types that have any).
	Children []Spec
}

// Env is what a policy may use when it is built.
type Env struct {
	// VirtualCluster is the name of the virtual cluster.
	VirtualCluster string
	Log            *slog.Logger
	// Topics answers for the backend cluster's topic names and ids.
	Topics TopicCache
	// Metrics is the gateway's metrics; a policy finds what it reports
	// through by type assertion (e.g. NamespaceMetrics). May be nil.
	Metrics any
	// Resource returns a top-level resource by kind and name: a static
	// key's 32 bytes (static_key) or a schema registry (schema_registry).
	// May be nil.
	Resource func(kind, name string) (any, bool)
}

// NamespaceMetrics is implemented by the gateway's metrics.
type NamespaceMetrics interface {
	// NamespaceConflicts sets strait_namespace_conflicts for a virtual
	// cluster: 1 when two backend names map to one client name, else 0.
	NamespaceConflicts(virtualCluster string, conflict bool)
}

// PolicyMetrics is implemented by the gateway's metrics.
type PolicyMetrics interface {
	// Denied counts a request (or an entry of one) a policy refused.
	Denied(virtualCluster, policy string)
}

var (
	regMu sync.RWMutex
	types = map[string]Type{}
)

// Register adds a policy type. It panics on a duplicate name: types are
// registered from init functions.
func Register(t Type) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := types[t.Name]; dup {
		panic(fmt.Sprintf("policy type %q registered twice", t.Name))
	}
	types[t.Name] = t
}

// Lookup returns the policy type called name.
func Lookup(name string) (Type, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	t, ok := types[name]
	return t, ok
}

// TypeNames lists the names of the types allowed in phase, sorted.
func TypeNames(phase Phase) []string {
	regMu.RLock()
	defer regMu.RUnlock()
	var names []string
	for n, t := range types {
		if slices.Contains(t.Phases, phase) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
