// Package schema validates record keys and values for the
// schema_validation policy: plain JSON, or the Confluent wire format
// checked against a schema that a registry speaking Confluent's REST API
// serves (Avro, JSON Schema, Protobuf). It also decodes a payload into
// plain Go values (map[string]any, []any, scalars) for CEL conditions.
//
// The package holds no policy: it returns errors, classified by the
// sentinel values below, and the policy decides what a failure means for
// the request.
package schema

import (
	"errors"
	"fmt"
)

// The kinds of failure. Every error the package returns for a payload
// wraps exactly one of them; test with errors.Is.
var (
	// ErrNotWireFormat: the bytes do not start with the Confluent wire
	// format header (magic byte 0, 4-byte schema id, and for Protobuf
	// the message indexes).
	ErrNotWireFormat = errors.New("not in the confluent wire format")
	// ErrUnknownSchema: the registry answered that it has no schema with
	// the payload's id.
	ErrUnknownSchema = errors.New("unknown schema id")
	// ErrRegistryUnavailable: the registry could not be asked or gave no
	// usable answer (connection refused, timeout, 5xx, 401/403, a body
	// that is not the Confluent API's). Never cached.
	ErrRegistryUnavailable = errors.New("schema registry unavailable")
	// ErrInvalidPayload: the payload does not match its schema, or, for
	// the json type, is not valid JSON. The error text carries a short
	// reason.
	ErrInvalidPayload = errors.New("payload invalid")
	// ErrUnsupportedType: the registry's schema is of a type this package
	// cannot check.
	ErrUnsupportedType = errors.New("schema type unsupported")
	// ErrBadSchema: the registry's schema (or one it references) does not
	// compile. Like a compiled schema it is cached for the id, since a
	// registry never changes what an id stands for.
	ErrBadSchema = errors.New("schema does not compile")
)

// maxReason bounds the reason an ErrInvalidPayload error carries: it ends
// up in logs and client-visible error messages.
const maxReason = 200

// invalid wraps ErrInvalidPayload with a short reason.
func invalid(format string, args ...any) error {
	reason := fmt.Sprintf(format, args...)
	if len(reason) > maxReason {
		reason = reason[:maxReason] + "..."
	}
	return fmt.Errorf("%w: %s", ErrInvalidPayload, reason)
}

// Type is the type of a registry schema, spelled as the Confluent API's
// schemaType field spells it.
type Type string

// The schema types of the Confluent API. A schema without schemaType is
// Avro.
const (
	TypeAvro     Type = "AVRO"
	TypeJSON     Type = "JSON"
	TypeProtobuf Type = "PROTOBUF"
)

// Schema is a compiled schema, as a Registry returns it. It is immutable
// and safe for concurrent use.
type Schema struct {
	id  int
	typ Type
	// Exactly one of the following is set.
	avro  *avroSchema
	json  *jsonSchema
	proto *protoSchema
}

// ID is the schema's id in its registry.
func (s *Schema) ID() int { return s.id }

// Type is the schema's type.
func (s *Schema) Type() Type { return s.typ }

// decode validates a payload (the bytes after the wire header; indexes
// are the Protobuf message indexes, nil for the others) and, when want is
// set, returns its value as plain Go values.
func (s *Schema) decode(indexes []int, payload []byte, want bool) (any, error) {
	switch {
	case s.avro != nil:
		return s.avro.decode(payload, want)
	case s.json != nil:
		return s.json.decode(payload, want)
	case s.proto != nil:
		return s.proto.decode(indexes, payload, want)
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupportedType, s.typ)
}
