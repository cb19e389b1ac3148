// The runtime of a schema_validation policy: the check of a record's key
// and value, and the decoding of a payload for CEL conditions.

package schema

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Validator checks records as one schema_validation policy's config asks.
// It is built once per configuration and safe for concurrent use.
type Validator struct {
	registry Registry // nil for the json type
	key      bool
	value    bool
}

// NewValidator returns the validator cfg describes; registries holds the
// configured schema_registries by name.
func NewValidator(cfg Config, registries map[string]Registry) (*Validator, error) {
	var problems []string
	cfg.Check(func(field, msg string) { problems = append(problems, field+": "+msg) })
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	v := &Validator{key: cfg.ValidateKey, value: cfg.ValidateValue}
	if cfg.Type == ValidationConfluent {
		r, ok := registries[cfg.SchemaRegistry]
		if !ok || r == nil {
			return nil, fmt.Errorf("schema_registry: no schema registry named %q", cfg.SchemaRegistry)
		}
		v.registry = r
	}
	return v, nil
}

// ValidateRecord checks a record's key and value, each if the config asks
// for it. A nil key or value (null in Kafka) passes; an empty one does
// not. The error says which of the two failed and wraps one of the
// package's sentinel errors.
func (v *Validator) ValidateRecord(ctx context.Context, key, value []byte) error {
	if v.key && key != nil {
		if err := v.Validate(ctx, key); err != nil {
			return fmt.Errorf("record key: %w", err)
		}
	}
	if v.value && value != nil {
		if err := v.Validate(ctx, value); err != nil {
			return fmt.Errorf("record value: %w", err)
		}
	}
	return nil
}

// Validate checks one payload, whatever validate_key and validate_value
// say.
func (v *Validator) Validate(ctx context.Context, b []byte) error {
	if v.registry == nil {
		return checkJSON(b)
	}
	_, err := v.decode(ctx, b, false)
	return err
}

// Decode checks one payload and returns its value as plain Go values for
// CEL conditions (record.value.content): map[string]any, []any, int64,
// uint64 (Protobuf unsigned), float64, string, bool, []byte, nil, and for
// Avro's date and time types time.Time and time.Duration. The value is
// the caller's.
func (v *Validator) Decode(ctx context.Context, b []byte) (any, error) {
	if v.registry == nil {
		return DecodeJSON(b)
	}
	return v.decode(ctx, b, true)
}

func (v *Validator) decode(ctx context.Context, b []byte, want bool) (any, error) {
	id, rest, err := splitHeader(b)
	if err != nil {
		return nil, err
	}
	s, err := v.registry.Schema(ctx, id)
	if err != nil {
		return nil, err
	}
	var indexes []int
	if s.typ == TypeProtobuf {
		if indexes, rest, err = splitMessageIndexes(rest); err != nil {
			return nil, err
		}
	}
	val, err := s.decode(indexes, rest, want)
	if err != nil {
		return nil, fmt.Errorf("schema %d: %w", id, err)
	}
	return val, nil
}
