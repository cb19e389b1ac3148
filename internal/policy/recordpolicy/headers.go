package recordpolicy

import (
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
)

// OwnHeaderPrefix starts the header keys the gateway itself writes
// (strait/policy-failure-<name>); policies cannot set or remove them.
const OwnHeaderPrefix = "strait/"

// HeadersConfig is the config of modify_headers.
type HeadersConfig struct {
	// Actions run in order on each record.
	Actions []HeaderAction `yaml:"actions"`
}

// HeaderAction is one change to a record's headers.
type HeaderAction struct {
	// Op is set (replace every value of Key with Value, or add it) or
	// remove (drop every value of Key).
	Op    string `yaml:"op"`
	Key   string `yaml:"key"`
	Value string `yaml:"value"`
}

func (c *HeadersConfig) validate(report func(field, msg string)) {
	if len(c.Actions) == 0 {
		report("actions", "at least one action is required")
	}
	for i, a := range c.Actions {
		p := fmt.Sprintf("actions[%d]", i)
		switch a.Op {
		case "set":
		case "remove":
			if a.Value != "" {
				report(p+".value", "only for op set")
			}
		case "":
			report(p+".op", "required (set or remove)")
		default:
			report(p+".op", fmt.Sprintf("unknown op %q (expected set or remove)", a.Op))
		}
		switch {
		case a.Key == "":
			report(p+".key", "required")
		case strings.HasPrefix(a.Key, OwnHeaderPrefix):
			report(p+".key", fmt.Sprintf("%q: header keys under %q are the gateway's own", a.Key, OwnHeaderPrefix))
		}
	}
}

// headers is a modify_headers policy.
type headers struct {
	name    string
	actions []headerAction
}

// headerAction is a HeaderAction with its value as the bytes every record
// shares: encoding reads a header's value and never writes it.
type headerAction struct {
	set   bool
	key   string
	value []byte
}

func (h *headers) Name() string               { return h.name }
func (h *headers) RequestKeys() policy.KeySet { return policy.KeySet{} }

// Process applies the actions in order. Values of other keys, and the
// order and multiplicity of headers no action names, are kept.
func (h *headers) Process(r *Record) (Verdict, error) {
	for _, a := range h.actions {
		if a.set {
			r.R.Headers = setHeader(r.R.Headers, a.key, a.value)
		} else {
			r.R.Headers = removeHeader(r.R.Headers, a.key)
		}
	}
	r.Changed()
	return Pass, nil
}

// setHeader replaces the first value of key with value and drops the
// others, or appends key when it is absent. hs is changed in place: a
// decoded record owns its headers.
func setHeader(hs []kmsg.Header, key string, value []byte) []kmsg.Header {
	found := false
	out := hs[:0]
	for _, h := range hs {
		if h.Key == key {
			if found {
				continue
			}
			found = true
			h.Value = value
		}
		out = append(out, h)
	}
	if !found {
		out = append(out, kmsg.Header{Key: key, Value: value})
	}
	return out
}

// removeHeader drops every value of key, in place.
func removeHeader(hs []kmsg.Header, key string) []kmsg.Header {
	out := hs[:0]
	for _, h := range hs {
		if h.Key != key {
			out = append(out, h)
		}
	}
	return out
}

// skip is a skip_record policy: the records its condition selects are
// left out of fetch responses.
type skip struct{ name string }

func (s *skip) Name() string                     { return s.name }
func (s *skip) RequestKeys() policy.KeySet       { return policy.KeySet{} }
func (s *skip) Process(*Record) (Verdict, error) { return Skip, nil }

// NoConfig is the config of types that have none.
type NoConfig struct{}

func init() {
	policy.Register(policy.Type{
		Name:      "modify_headers",
		Phases:    []policy.Phase{policy.PhaseProduce, policy.PhaseConsume},
		NewConfig: func() any { return new(HeadersConfig) },
		Validate: func(cfg any, report func(field, msg string)) {
			if c, ok := cfg.(*HeadersConfig); ok {
				c.validate(report)
			}
		},
		New: func(s policy.Spec, _ policy.Env) (policy.Policy, error) {
			c, _ := s.Config.(*HeadersConfig)
			if c == nil {
				return nil, fmt.Errorf("no config")
			}
			h := &headers{name: s.Name}
			for _, a := range c.Actions {
				h.actions = append(h.actions, headerAction{set: a.Op == "set", key: a.Key, value: []byte(a.Value)})
			}
			return h, nil
		},
	})
	policy.Register(policy.Type{
		Name:      "skip_record",
		Phases:    []policy.Phase{policy.PhaseConsume},
		NewConfig: func() any { return new(NoConfig) },
		New: func(s policy.Spec, _ policy.Env) (policy.Policy, error) {
			return &skip{name: s.Name}, nil
		},
	})
}
