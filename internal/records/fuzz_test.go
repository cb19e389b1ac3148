// Fuzzing: whatever the bytes, Parse, Decode and the Encoder do not panic,
// an unchanged set is copied exactly, and a re-encoded one reads back the
// same.

package records

import (
	"errors"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func FuzzParse(f *testing.F) {
	for _, tc := range codecCases {
		raw := encodeTest(f, testHeader(tc.codec, 3), testRecords(3), tc.rawSnappy)
		f.Add(raw)
		f.Add(raw[:len(raw)-5])
	}
	f.Add(concat(legacyMessage(0, 0, "v0"), legacyMessage(1, 1, "v1")))
	var empty Batch
	var e Encoder
	raw, _ := e.AppendBatch(nil, &empty)
	f.Add(raw)

	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := Parse(in)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("parse error %v is not ErrCorrupt", err)
			}
			return
		}
		var e Encoder
		out, err := e.AppendSet(nil, s)
		if err != nil || string(out) != string(in) {
			t.Fatalf("unchanged set not copied as read (err %v)", err)
		}
		want := make([][]kmsg.Record, len(s.Batches))
		for i := range s.Batches {
			b := &s.Batches[i]
			recs, err := b.Decode(1 << 20)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrLegacy) {
					t.Fatalf("decode error %v of no known kind", err)
				}
				continue
			}
			for _, r := range recs {
				r.Length = 0
				want[i] = append(want[i], r)
			}
			b.MarkModified()
		}
		out, err = e.AppendSet(nil, s)
		if err != nil {
			t.Fatalf("decoded set does not encode: %v", err)
		}
		s2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-encoded set does not parse: %v", err)
		}
		if len(s2.Batches) != len(s.Batches) || string(s2.Partial) != string(s.Partial) {
			t.Fatalf("re-encoded set has %d batches, want %d", len(s2.Batches), len(s.Batches))
		}
		for i := range s2.Batches {
			if want[i] == nil {
				continue
			}
			recs, err := s2.Batches[i].Decode(1 << 20)
			if err != nil {
				t.Fatalf("batch %d re-encoded does not decode: %v", i, err)
			}
			if len(recs) != len(want[i]) {
				t.Fatalf("batch %d: %d records, want %d", i, len(recs), len(want[i]))
			}
			for j, r := range recs {
				r.Length = 0
				if fmt.Sprintf("%#v", r) != fmt.Sprintf("%#v", want[i][j]) {
					t.Fatalf("batch %d record %d changed:\n got %#v\nwant %#v", i, j, r, want[i][j])
				}
			}
		}
	})
}
