// JSON: syntax checks for the json type, JSON Schema validation with
// santhosh-tekuri/jsonschema for registry schemas, and the decoding of
// JSON into the values CEL reads.

package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// jsonRoot is where a registry's JSON schema lives for the compiler when it
// has no $id of its own: references named by relative URLs ("address.json")
// resolve against it, as Confluent's serializers resolve them.
const jsonRoot = "https://schema-registry.strait.invalid/schemas/root.json"

var englishPrinter = message.NewPrinter(language.English)

type jsonSchema struct {
	schema *jsonschema.Schema
}

// noLoader refuses every URL the compiler has not been given: a schema
// from the registry must not make the gateway read files or fetch URLs.
type noLoader struct{}

func (noLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("%s is neither a reference of the schema nor a JSON Schema meta-schema", u)
}

// compileJSONSchema compiles a JSON Schema; refs are the schemas it
// references, each added under its name (resolved against the root
// schema's $id, or jsonRoot when it has none). Schemas without $schema are
// draft-07, Confluent's default.
func compileJSONSchema(text string, refs []referenced) (*jsonSchema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSchema, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.UseLoader(noLoader{})

	rootURL := jsonRoot
	base, _ := url.Parse(jsonRoot)
	if m, ok := doc.(map[string]any); ok {
		if id, ok := m["$id"].(string); ok && id != "" {
			if u, err := url.Parse(id); err == nil && u.IsAbs() {
				rootURL, base = id, u
			}
		}
	}
	added := map[string]bool{}
	for _, r := range refs {
		if r.typ != TypeJSON {
			return nil, fmt.Errorf("%w: json schema references %s schema %q", ErrBadSchema, r.typ, r.name)
		}
		ref, err := url.Parse(r.name)
		if err != nil {
			return nil, fmt.Errorf("%w: reference name %q: %w", ErrBadSchema, r.name, err)
		}
		loc := base.ResolveReference(ref).String()
		if added[loc] {
			continue
		}
		added[loc] = true
		rdoc, err := jsonschema.UnmarshalJSON(strings.NewReader(r.schema))
		if err != nil {
			return nil, fmt.Errorf("%w: reference %q: %w", ErrBadSchema, r.name, err)
		}
		if err := c.AddResource(loc, rdoc); err != nil {
			return nil, fmt.Errorf("%w: reference %q: %w", ErrBadSchema, r.name, err)
		}
	}
	if err := c.AddResource(rootURL, doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSchema, err)
	}
	s, err := c.Compile(rootURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSchema, err)
	}
	return &jsonSchema{schema: s}, nil
}

func (j *jsonSchema) decode(payload []byte, want bool) (any, error) {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return nil, invalid("not valid JSON: %v", err)
	}
	if err := j.schema.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return nil, invalid("%s", jsonReason(ve))
		}
		return nil, invalid("%v", err)
	}
	if !want {
		return nil, nil
	}
	return jsonValue(inst), nil
}

// jsonReason is the first innermost failure of a validation: where in the
// instance, and what.
func jsonReason(e *jsonschema.ValidationError) string {
	for len(e.Causes) > 0 {
		e = e.Causes[0]
	}
	at := "/" + strings.Join(e.InstanceLocation, "/")
	return fmt.Sprintf("at %s: %s", at, e.ErrorKind.LocalizedString(englishPrinter))
}

// checkJSON checks that b is one syntactically valid JSON value.
func checkJSON(b []byte) error {
	if !json.Valid(b) {
		// Valid says no more than that; a decode says where.
		var v any
		err := json.Unmarshal(b, &v)
		if err == nil {
			err = errors.New("not a JSON value")
		}
		return invalid("not valid JSON: %v", err)
	}
	return nil
}

// DecodeJSON decodes one JSON value into the values CEL reads: objects as
// map[string]any, arrays as []any, numbers as int64 when they are integers
// that fit and float64 otherwise, strings, bools and nil. An error wraps
// ErrInvalidPayload.
func DecodeJSON(b []byte) (any, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, invalid("not valid JSON: %v", err)
	}
	return jsonValue(v), nil
}

// jsonValue replaces the json.Numbers of a decoded value, in place.
func jsonValue(v any) any {
	switch v := v.(type) {
	case json.Number:
		if !strings.ContainsAny(string(v), ".eE") {
			if i, err := v.Int64(); err == nil {
				return i
			}
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = jsonValue(e)
		}
	case []any:
		for i, e := range v {
			v[i] = jsonValue(e)
		}
	}
	return v
}
