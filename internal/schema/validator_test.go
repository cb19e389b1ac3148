package schema

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestNewValidatorConfig(t *testing.T) {
	regs := map[string]Registry{"main": newFakeRegistry(t).client(nil)}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // part of the error; "" for none
	}{
		{"json", Config{Type: "json", ValidateValue: true}, ""},
		{"confluent", Config{Type: "confluent_schema_registry", SchemaRegistry: "main", ValidateKey: true}, ""},
		{"no type", Config{ValidateValue: true}, "type: required"},
		{"unknown type", Config{Type: "xml", ValidateValue: true}, "type: unknown"},
		{"json with registry", Config{Type: "json", SchemaRegistry: "main", ValidateValue: true}, "schema_registry"},
		{"confluent without registry", Config{Type: "confluent_schema_registry", ValidateValue: true}, "schema_registry: required"},
		{"unknown registry", Config{Type: "confluent_schema_registry", SchemaRegistry: "other", ValidateValue: true}, `no schema registry named "other"`},
		{"checks nothing", Config{Type: "json"}, "neither validate_key nor validate_value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewValidator(tc.cfg, regs)
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestValidateRecordJSON(t *testing.T) {
	v, err := NewValidator(Config{Type: "json", ValidateValue: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		key, value []byte
		err        error
	}{
		{"good", []byte("not json, not checked"), []byte(`{"a":1}`), nil},
		{"tombstone", nil, nil, nil},
		{"bad", nil, []byte(`{"a":`), ErrInvalidPayload},
		{"empty is not null", nil, []byte{}, ErrInvalidPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := v.ValidateRecord(t.Context(), tc.key, tc.value)
			wantErr(t, err, tc.err)
			if err != nil && !strings.HasPrefix(err.Error(), "record value: ") {
				t.Fatalf("error %q does not say it is the value", err)
			}
		})
	}
}

func TestValidateRecordConfluent(t *testing.T) {
	f := newFakeRegistry(t)
	f.add(1, fakeSchema{Schema: tinyAvro})
	f.add(2, fakeSchema{SchemaType: "JSON", Schema: `{"type":"object","required":["n"]}`})
	f.add(3, fakeSchema{SchemaType: "PROTOBUF", Schema: `syntax = "proto3"; message M { int64 n = 1; }`})
	regs := map[string]Registry{"main": f.client(nil)}
	v, err := NewValidator(Config{Type: "confluent_schema_registry", SchemaRegistry: "main", ValidateKey: true, ValidateValue: true}, regs)
	if err != nil {
		t.Fatal(err)
	}
	avroGood := wire(1, nil, mustAvro(t, tinyAvro, map[string]any{"n": int64(3)}))
	for _, tc := range []struct {
		name       string
		key, value []byte
		err        error
		part       string
	}{
		{"avro", avroGood, avroGood, nil, ""},
		{"json schema", nil, wire(2, nil, []byte(`{"n":1}`)), nil, ""},
		{"protobuf", nil, wire(3, []int{0}, []byte{8, 3}), nil, ""},
		{"protobuf index path", nil, wire(3, []int{0}, nil), nil, ""},
		{"plain json value", nil, []byte(`{"n":1}`), ErrNotWireFormat, "value"},
		{"bad key", []byte("k"), avroGood, ErrNotWireFormat, "key"},
		{"avro trailing bytes", nil, append(append([]byte{}, avroGood...), 1), ErrInvalidPayload, "value"},
		{"json schema violated", nil, wire(2, nil, []byte(`{}`)), ErrInvalidPayload, "value"},
		{"protobuf bad bytes", nil, wire(3, []int{0}, []byte{8}), ErrInvalidPayload, "value"},
		{"protobuf no indexes", nil, wire(3, nil, nil), ErrNotWireFormat, "value"},
		{"unknown id", nil, wire(99, nil, []byte{6}), ErrUnknownSchema, "value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := v.ValidateRecord(t.Context(), tc.key, tc.value)
			wantErr(t, err, tc.err)
			if err != nil && !strings.HasPrefix(err.Error(), "record "+tc.part+": ") {
				t.Fatalf("error %q does not name the %s", err, tc.part)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	f := newFakeRegistry(t)
	f.add(1, fakeSchema{Schema: tinyAvro})
	f.add(2, fakeSchema{SchemaType: "JSON", Schema: `{"type":"object"}`})
	f.add(3, fakeSchema{SchemaType: "PROTOBUF", Schema: `syntax = "proto3"; message M { int64 n = 1; string s = 2; }`})
	conf, err := NewValidator(Config{Type: "confluent_schema_registry", SchemaRegistry: "main", ValidateValue: true}, map[string]Registry{"main": f.client(nil)})
	if err != nil {
		t.Fatal(err)
	}
	js, err := NewValidator(Config{Type: "json", ValidateValue: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		v    *Validator
		in   []byte
		want any
	}{
		{"avro", conf, wire(1, nil, []byte{6}), map[string]any{"n": int64(3)}},
		{"json schema", conf, wire(2, nil, []byte(`{"n":3,"x":[1.5]}`)), map[string]any{"n": int64(3), "x": []any{1.5}}},
		{"protobuf", conf, wire(3, []int{0}, []byte{8, 3}), map[string]any{"n": int64(3), "s": ""}},
		{"json", js, []byte(`{"n":3}`), map[string]any{"n": int64(3)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.v.Decode(t.Context(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
	if _, err := conf.Decode(t.Context(), wire(1, nil, []byte{6, 0})); !errors.Is(err, ErrInvalidPayload) {
		t.Fatalf("decode of a bad payload: %v", err)
	}
}
