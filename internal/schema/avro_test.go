package schema

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const userAvro = `{"type":"record","name":"User","namespace":"ex","fields":[
	{"name":"id","type":"long"},
	{"name":"name","type":"string"},
	{"name":"age","type":"int"},
	{"name":"admin","type":"boolean"},
	{"name":"email","type":["null","string"],"default":null},
	{"name":"tags","type":{"type":"array","items":"string"}},
	{"name":"attrs","type":{"type":"map","values":"double"}},
	{"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B"]}},
	{"name":"hash","type":{"type":"fixed","name":"H","size":2}},
	{"name":"born","type":{"type":"long","logicalType":"timestamp-millis"}}]}`

func userValue() map[string]any {
	return map[string]any{
		"id": int64(7), "name": "ada", "age": 36, "admin": true,
		"email": "ada@example.com", "tags": []string{"x", "y"},
		"attrs": map[string]float64{"w": 1.5}, "kind": "B", "hash": [2]byte{1, 2},
		"born": time.UnixMilli(1700000000000).UTC(),
	}
}

func TestAvroValidate(t *testing.T) {
	s, err := compileAvro(userAvro, nil)
	if err != nil {
		t.Fatal(err)
	}
	good := mustAvro(t, userAvro, userValue())
	for _, tc := range []struct {
		name    string
		payload []byte
		err     error
		reason  string
	}{
		{"good", good, nil, ""},
		{"trailing byte", append(append([]byte{}, good...), 0), ErrInvalidPayload, "bytes left"},
		{"truncated", good[:len(good)-3], ErrInvalidPayload, "truncated"},
		{"empty", []byte{}, ErrInvalidPayload, "truncated"},
		// id 1, name with a negative length.
		{"negative length", []byte{2, 1}, ErrInvalidPayload, "negative"},
		// id 1, name of 100 bytes that are not there.
		{"length past end", []byte{2, 200, 1}, ErrInvalidPayload, "truncated"},
		// id, name "", age, admin = 2.
		{"bad boolean", []byte{2, 0, 2, 2}, ErrInvalidPayload, "boolean"},
		// age as a long out of int range.
		{"int overflow", []byte{2, 0, 0xfe, 0xff, 0xff, 0xff, 0x1f}, ErrInvalidPayload, "out of range"},
		// email union index 5.
		{"union index", []byte{2, 0, 2, 0, 10}, ErrInvalidPayload, "union index"},
		// tags: a block claiming a billion items.
		{"huge array", []byte{2, 0, 2, 0, 0, 0x80, 0xa8, 0xd6, 0xb9, 0x07}, ErrInvalidPayload, "count larger"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.decode(tc.payload, false)
			wantErr(t, err, tc.err)
			if err != nil && !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("error %q does not say %q", err, tc.reason)
			}
		})
	}
}

func TestAvroZeroWidthItems(t *testing.T) {
	const nulls = `{"type":"array","items":"null"}`
	s, err := compileAvro(nulls, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 3 nulls, then the end of the array.
	if _, err := s.decode([]byte{6, 0}, true); err != nil {
		t.Fatal(err)
	}
	// A billion nulls in six bytes.
	_, err = s.decode([]byte{0x80, 0xa8, 0xd6, 0xb9, 0x07, 0}, false)
	wantErr(t, err, ErrInvalidPayload)
}

func TestAvroDecodeValue(t *testing.T) {
	s, err := compileAvro(userAvro, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.decode(mustAvro(t, userAvro, userValue()), true)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": int64(7), "name": "ada", "age": int64(36), "admin": true,
		"email": "ada@example.com", "tags": []any{"x", "y"},
		"attrs": map[string]any{"w": 1.5}, "kind": "B", "hash": []byte{1, 2},
		"born": time.UnixMilli(1700000000000).UTC(),
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("decoded\n%#v\nwant\n%#v", v, want)
	}
}

func TestAvroReferences(t *testing.T) {
	refs := []referenced{{name: "ex.Address", typ: TypeAvro, schema: `{"type":"record","name":"Address","namespace":"ex","fields":[{"name":"city","type":"string"}]}`}}
	const person = `{"type":"record","name":"Person","namespace":"ex","fields":[{"name":"home","type":"ex.Address"}]}`
	s, err := compileAvro(person, refs)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.decode([]byte{6, 'r', 'i', 'o'}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.(map[string]any)["home"].(map[string]any)["city"]; got != "rio" {
		t.Fatalf("city %v", got)
	}
	// Without the reference the schema does not compile.
	if _, err := compileAvro(person, nil); !errors.Is(err, ErrBadSchema) {
		t.Fatalf("compile without reference: %v", err)
	}
}
