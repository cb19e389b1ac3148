package schema

import (
	"bytes"
	"slices"
	"testing"
)

func TestSplitHeader(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     []byte
		wantID int
		rest   []byte
		err    error
	}{
		{"empty", nil, 0, nil, ErrNotWireFormat},
		{"short", []byte{0, 0, 0, 1}, 0, nil, ErrNotWireFormat},
		{"magic", []byte{1, 0, 0, 0, 1, 'x'}, 0, nil, ErrNotWireFormat},
		{"json text", []byte(`{"a":1}`), 0, nil, ErrNotWireFormat},
		{"negative id", []byte{0, 0x80, 0, 0, 0}, 0, nil, ErrNotWireFormat},
		{"header only", []byte{0, 0, 0, 0, 7}, 7, []byte{}, nil},
		{"payload", []byte{0, 0, 1, 0, 0, 'a', 'b'}, 65536, []byte("ab"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, rest, err := splitHeader(tc.in)
			wantErr(t, err, tc.err)
			if err == nil && (id != tc.wantID || !bytes.Equal(rest, tc.rest)) {
				t.Fatalf("got id %d rest %q, want %d %q", id, rest, tc.wantID, tc.rest)
			}
		})
	}
}

func TestMessageIndexes(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want []int
		rest []byte
		err  error
	}{
		{"short form", []byte{0, 'p'}, []int{0}, []byte("p"), nil},
		{"one", []byte{2, 2, 'p'}, []int{1}, []byte("p"), nil}, // zigzag: 2 is 1
		{"path", []byte{4, 2, 4}, []int{1, 2}, []byte{}, nil},
		{"empty", nil, nil, nil, ErrNotWireFormat},
		{"truncated", []byte{4, 2}, nil, nil, ErrNotWireFormat},
		{"negative count", []byte{1}, nil, nil, ErrNotWireFormat},
		{"negative index", []byte{2, 1}, nil, nil, ErrNotWireFormat},
		{"too many", []byte{0xfe, 0x03}, nil, nil, ErrNotWireFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rest, err := splitMessageIndexes(tc.in)
			wantErr(t, err, tc.err)
			if err == nil && (!slices.Equal(got, tc.want) || !bytes.Equal(rest, tc.rest)) {
				t.Fatalf("got %v rest %q, want %v %q", got, rest, tc.want, tc.rest)
			}
		})
	}
}

func TestAppendHeaderRoundTrip(t *testing.T) {
	for _, ix := range [][]int{nil, {0}, {3}, {1, 0, 2}} {
		b := wire(4242, ix, []byte("xyz"))
		id, rest, err := splitHeader(b)
		if err != nil || id != 4242 {
			t.Fatalf("%v: id %d, %v", ix, id, err)
		}
		if ix == nil {
			if string(rest) != "xyz" {
				t.Fatalf("rest %q", rest)
			}
			continue
		}
		got, rest, err := splitMessageIndexes(rest)
		if err != nil || !slices.Equal(got, ix) || string(rest) != "xyz" {
			t.Fatalf("%v: got %v %q %v", ix, got, rest, err)
		}
	}
}
