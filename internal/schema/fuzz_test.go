package schema

import "testing"

// FuzzAvro checks that the walk never panics, and that hamba decodes every
// payload the walk accepts: a payload validated but then undecodable
// would make record.value.content fail on valid records.
func FuzzAvro(f *testing.F) {
	s, err := compileAvro(userAvro, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{})
	f.Add([]byte{2, 0, 2, 0, 0, 0x80, 0xa8, 0xd6, 0xb9, 0x07})
	b, err := avroAPI.Marshal(s.schema, userValue())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, payload []byte) {
		if _, err := s.decode(payload, false); err != nil {
			return
		}
		if _, err := s.decode(payload, true); err != nil {
			t.Fatalf("walk accepted %x, decode failed: %v", payload, err)
		}
	})
}

// FuzzWire checks that the header and message-index parsers never panic.
func FuzzWire(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 0})
	f.Add([]byte{0, 0, 0, 0, 1, 4, 2, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, rest, err := splitHeader(b); err == nil {
			splitMessageIndexes(rest)
		}
	})
}
