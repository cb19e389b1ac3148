package recordpolicy

import (
	"encoding/json"
	"fmt"

	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/schema"
)

// SchemaConfig is the config of schema_validation.
type SchemaConfig struct {
	// Type is json (syntax only) or confluent_schema_registry.
	Type string `yaml:"type"`
	// SchemaRegistry names an entry of schema_registries, for
	// confluent_schema_registry.
	SchemaRegistry string `yaml:"schema_registry"`
	ValidateKey    bool   `yaml:"validate_key"`
	ValidateValue  bool   `yaml:"validate_value"`
	// FailureMode is, on produce, reject (default; the batch is refused
	// with INVALID_RECORD), passthrough or mark; on consume, error
	// (default; the partition fails with INVALID_RECORD), skip,
	// passthrough or mark. mark adds the header
	// strait/policy-failure-<name> and lets the record through.
	FailureMode string `yaml:"failure_mode"`
}

func (c *SchemaConfig) schemaConfig() schema.Config {
	return schema.Config{Type: c.Type, SchemaRegistry: c.SchemaRegistry, ValidateKey: c.ValidateKey, ValidateValue: c.ValidateValue}
}

func (c *SchemaConfig) validate(phase policy.Phase, report func(field, msg string)) {
	sc := c.schemaConfig()
	sc.Check(report)
	modes := map[policy.Phase][]string{
		policy.PhaseProduce: {"reject", "passthrough", "mark"},
		policy.PhaseConsume: {"error", "skip", "passthrough", "mark"},
	}[phase]
	if c.FailureMode == "" {
		return
	}
	for _, m := range modes {
		if c.FailureMode == m {
			return
		}
	}
	report("failure_mode", fmt.Sprintf("unknown failure mode %q for %s policies (expected one of %v)", c.FailureMode, phase, modes))
}

// validation is a schema_validation policy. Policies nested under it see
// the parsed value as record.value.content.
type validation struct {
	name     string
	mode     string
	json     bool
	v        *schema.Validator
	children bool
}

func (s *validation) Name() string               { return s.name }
func (s *validation) RequestKeys() policy.KeySet { return policy.KeySet{} }

// Process validates the record's key and value and, for the children,
// parses the value.
func (s *validation) Process(r *Record) (Verdict, error) {
	var err error
	if s.children && r.R.Value != nil {
		// The children see the parsed value; parsing validates it.
		if err = s.v.ValidateRecord(r.Ctx, r.R.Key, nil); err == nil {
			if r.Content, err = s.v.Decode(r.Ctx, r.R.Value); err != nil {
				err = fmt.Errorf("record value: %w", err)
			}
		}
	} else {
		err = s.v.ValidateRecord(r.Ctx, r.R.Key, r.R.Value)
	}
	if err == nil {
		return Pass, nil
	}
	reason := "schema validation failed: " + err.Error()
	if r.Produce {
		switch s.mode {
		case "passthrough":
			r.Failed()
			return Pass, nil
		case "mark":
			return failRecord(r, s.name, "mark", reason)
		}
		r.Failed()
		r.Reason = reason
		return Reject, nil
	}
	return failRecord(r, s.name, s.mode, reason)
}

// After writes back a JSON value the children changed.
func (s *validation) After(r *Record) error {
	if !r.ContentChanged || !s.json {
		return nil
	}
	b, err := json.Marshal(r.Content)
	if err != nil {
		return err
	}
	r.R.Value = b
	r.ContentChanged = false
	r.Changed()
	return nil
}

// checkFieldChildren refuses field encryption under a parent whose value
// the gateway cannot write back: only JSON documents are re-encoded.
func checkFieldChildren(c *SchemaConfig, childTypes []string) error {
	for _, t := range childTypes {
		if fieldTypes[t] && c.Type != schema.ValidationJSON {
			return fmt.Errorf("%s needs type json: the gateway writes back only JSON documents", t)
		}
	}
	return nil
}

func init() {
	policy.Register(policy.Type{
		Name:      "schema_validation",
		Phases:    []policy.Phase{policy.PhaseProduce, policy.PhaseConsume},
		Parent:    true,
		NewConfig: func() any { return new(SchemaConfig) },
		ValidateChildren: func(cfg any, childTypes []string, report func(field, msg string)) {
			if c, ok := cfg.(*SchemaConfig); ok {
				if err := checkFieldChildren(c, childTypes); err != nil {
					report("type", err.Error())
				}
			}
		},
		PhaseValidate: func(cfg any, phase policy.Phase, report func(field, msg string)) {
			if c, ok := cfg.(*SchemaConfig); ok {
				c.validate(phase, report)
			}
		},
		Refs: func(cfg any) []policy.Ref {
			if c, ok := cfg.(*SchemaConfig); ok && c.SchemaRegistry != "" {
				return []policy.Ref{{Field: "schema_registry", Kind: "schema_registry", Name: c.SchemaRegistry}}
			}
			return nil
		},
		New: func(sp policy.Spec, env policy.Env) (policy.Policy, error) {
			c, _ := sp.Config.(*SchemaConfig)
			if c == nil {
				return nil, errNoConfig
			}
			regs := map[string]schema.Registry{}
			if c.SchemaRegistry != "" && env.Resource != nil {
				if r, ok := env.Resource("schema_registry", c.SchemaRegistry); ok {
					if reg, ok := r.(schema.Registry); ok {
						regs[c.SchemaRegistry] = reg
					}
				}
			}
			var childTypes []string
			for _, ch := range sp.Children {
				childTypes = append(childTypes, ch.Type)
			}
			if err := checkFieldChildren(c, childTypes); err != nil {
				return nil, err
			}
			v, err := schema.NewValidator(c.schemaConfig(), regs)
			if err != nil {
				return nil, err
			}
			return &validation{name: sp.Name, mode: c.FailureMode, json: c.Type == schema.ValidationJSON, v: v,
				children: len(sp.Children) > 0}, nil
		},
	})
}
