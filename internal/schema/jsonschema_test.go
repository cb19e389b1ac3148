package schema

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const orderJSONSchema = `{
	"type": "object",
	"properties": {
		"qty": {"type": "integer", "minimum": 1},
		"sku": {"type": "string"},
		"ship": {"$ref": "address.json"}
	},
	"required": ["qty", "sku"]
}`

const addressJSONSchema = `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`

func TestJSONSchemaValidate(t *testing.T) {
	refs := []referenced{{name: "address.json", typ: TypeJSON, schema: addressJSONSchema}}
	s, err := compileJSONSchema(orderJSONSchema, refs)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, payload string
		err           error
		reason        string
	}{
		{"good", `{"qty":2,"sku":"a"}`, nil, ""},
		{"good with reference", `{"qty":2,"sku":"a","ship":{"city":"rio"}}`, nil, ""},
		{"minimum", `{"qty":0,"sku":"a"}`, ErrInvalidPayload, "at /qty"},
		{"required", `{"qty":1}`, ErrInvalidPayload, "sku"},
		{"reference violated", `{"qty":1,"sku":"a","ship":{}}`, ErrInvalidPayload, "at /ship"},
		{"not json", `{"qty":`, ErrInvalidPayload, "not valid JSON"},
		{"two values", `{} {}`, ErrInvalidPayload, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.decode([]byte(tc.payload), false)
			wantErr(t, err, tc.err)
			if err != nil && !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("error %q does not say %q", err, tc.reason)
			}
		})
	}
}

func TestJSONSchemaCompileErrors(t *testing.T) {
	for _, tc := range []struct{ name, schema string }{
		{"not json", `{"type":`},
		{"bad keyword value", `{"type": 12}`},
		{"missing reference", `{"$ref": "address.json"}`},
		// The compiler must not read files or fetch URLs for a schema.
		{"file ref", `{"$ref": "file:///etc/passwd"}`},
		{"http ref", `{"$ref": "http://127.0.0.1:1/x.json"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := compileJSONSchema(tc.schema, nil); !errors.Is(err, ErrBadSchema) {
				t.Fatalf("got %v, want ErrBadSchema", err)
			}
		})
	}
}

func TestJSONSchemaReferenceUnderRootID(t *testing.T) {
	const root = `{"$id":"http://example.com/schemas/order.json","properties":{"ship":{"$ref":"address.json"}}}`
	refs := []referenced{{name: "address.json", typ: TypeJSON, schema: addressJSONSchema}}
	s, err := compileJSONSchema(root, refs)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.decode([]byte(`{"ship":{}}`), false)
	wantErr(t, err, ErrInvalidPayload)
}

func TestDecodeJSON(t *testing.T) {
	v, err := DecodeJSON([]byte(`{"n":3,"f":1.5,"e":1e3,"big":123456789012345678901,"s":"x","a":[1,null,true]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"n": int64(3), "f": 1.5, "e": 1000.0, "big": 123456789012345678901.0, "s": "x",
		"a": []any{int64(1), nil, true},
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("got %#v", v)
	}
	_, err = DecodeJSON([]byte(`nope`))
	wantErr(t, err, ErrInvalidPayload)
}

func TestCheckJSON(t *testing.T) {
	for _, tc := range []struct {
		in  string
		err error
	}{
		{`{"a":1}`, nil},
		{`[1,2]`, nil},
		{`"s"`, nil},
		{`null`, nil},
		{``, ErrInvalidPayload},
		{`{"a":}`, ErrInvalidPayload},
		{`{} x`, ErrInvalidPayload},
		{"\x00\x00\x00\x00\x01{}", ErrInvalidPayload},
	} {
		t.Run(tc.in, func(t *testing.T) { wantErr(t, checkJSON([]byte(tc.in)), tc.err) })
	}
}
