// Tests of key rotation: data keys after their bounds, KEKs by listing the
// new key first and the old one after it.

package crypt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestKEKRotation(t *testing.T) {
	a := newStatic(t, "key-a")
	b := newStatic(t, "key-b")

	old := seal(t, newEncrypter(t, a, EncrypterOptions{}), "sealed under a", "value")
	cur := seal(t, newEncrypter(t, b, EncrypterOptions{}), "sealed under b", "value")
	for rec, want := range map[*[]byte]string{&old: "key-a", &cur: "key-b"} {
		h, err := ParseHeader(*rec)
		if err != nil {
			t.Fatal(err)
		}
		if h.Kind != KindStatic || h.Ref != want {
			t.Fatalf("header names %s %q, want static %q", h.Kind, h.Ref, want)
		}
	}

	t.Run("new and old listed", func(t *testing.T) {
		d := newDecrypter(t, DecrypterOptions{}, b, a)
		mustOpen(t, d, old, "value", "sealed under a")
		mustOpen(t, d, cur, "value", "sealed under b")
	})
	t.Run("old dropped", func(t *testing.T) {
		d := newDecrypter(t, DecrypterOptions{}, b)
		mustOpen(t, d, cur, "value", "sealed under b")
		_, err := d.Open(context.Background(), nil, old, []byte("value"))
		if !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("%v, want ErrUnknownKey", err)
		}
		if !strings.Contains(err.Error(), `"key-a"`) {
			t.Fatalf("error %q does not name the missing key", err)
		}
	})
	t.Run("same name, other value", func(t *testing.T) {
		d := newDecrypter(t, DecrypterOptions{}, newStatic(t, "key-a"))
		_, err := d.Open(context.Background(), nil, old, []byte("value"))
		if !errors.Is(err, ErrTampered) {
			t.Fatalf("%v, want ErrTampered", err)
		}
	})
	t.Run("only sources of the record's kind are asked", func(t *testing.T) {
		aws := &countingSource{KeySource: &AWSKeySource{arn: "arn:aws:kms:eu-west-2:111122223333:key/x"}}
		d := newDecrypter(t, DecrypterOptions{}, aws, a)
		mustOpen(t, d, old, "value", "sealed under a")
		if n := aws.unwraps.Load(); n != 0 {
			t.Fatalf("the aws source was asked %d times for a static key", n)
		}
	})
}

func TestDataKeyRotation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    EncrypterOptions
		sizes   []int           // plaintext sizes, one record each
		advance []time.Duration // clock step before each record
		// keys is the data key of each record: records with the same
		// number share one.
		keys []int
	}{
		{
			name:  "after max records",
			opts:  EncrypterOptions{MaxRecords: 3},
			sizes: []int{1, 1, 1, 1, 1, 1, 1},
			keys:  []int{0, 0, 0, 1, 1, 1, 2},
		},
		{
			name:  "after max bytes",
			opts:  EncrypterOptions{MaxBytes: 100},
			sizes: []int{60, 40, 1, 99, 2, 500, 1},
			keys:  []int{0, 0, 1, 1, 2, 3, 4},
		},
		{
			name:    "after max age",
			opts:    EncrypterOptions{MaxAge: time.Minute},
			sizes:   []int{1, 1, 1, 1},
			advance: []time.Duration{0, 59 * time.Second, time.Second, 30 * time.Second},
			keys:    []int{0, 0, 1, 1},
		},
		{
			name:  "defaults",
			sizes: []int{1, 1000, 1 << 20},
			keys:  []int{0, 0, 0},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &countingSource{KeySource: newStatic(t, "k")}
			clock := &fakeClock{}
			e := newEncrypter(t, src, tc.opts)
			e.after = clock.AfterFunc
			d := newDecrypter(t, DecrypterOptions{}, src)

			var wrapped [][]byte
			for i, n := range tc.sizes {
				if tc.advance != nil {
					clock.Advance(tc.advance[i])
				}
				plain := bytes.Repeat([]byte{byte(i)}, n)
				rec, err := e.Seal(context.Background(), nil, plain, []byte("value"))
				if err != nil {
					t.Fatal(err)
				}
				h, err := ParseHeader(rec)
				if err != nil {
					t.Fatal(err)
				}
				k := tc.keys[i]
				switch {
				case k == len(wrapped):
					wrapped = append(wrapped, h.Wrapped)
				case k < len(wrapped):
					if !bytes.Equal(h.Wrapped, wrapped[k]) {
						t.Fatalf("record %d: a new data key, want data key %d", i, k)
					}
				}
				for j, w := range wrapped[:k] {
					if bytes.Equal(h.Wrapped, w) {
						t.Fatalf("record %d: data key %d again, want data key %d", i, j, k)
					}
				}
				got, err := d.Open(context.Background(), nil, rec, []byte("value"))
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("record %d: Open: %v", i, err)
				}
			}
			if got, want := src.wraps.Load(), int64(len(wrapped)); got != want {
				t.Fatalf("%d wraps, want %d (one per data key)", got, want)
			}
			if got, want := src.unwraps.Load(), int64(len(wrapped)); got != want {
				t.Fatalf("%d unwraps, want %d (one per data key)", got, want)
			}
			if n := clock.pending(); n != 1 {
				t.Fatalf("%d age timers running, want 1: the current key's", n)
			}
			e.Close()
			if n := clock.pending(); n != 0 {
				t.Fatalf("%d age timers running after Close", n)
			}
			if _, err := e.Seal(context.Background(), nil, nil, nil); err == nil {
				t.Fatal("Seal after Close succeeded")
			}
		})
	}
}

func TestSealFailsWhenWrapFails(t *testing.T) {
	src := &failingWrap{KeySource: newStatic(t, "k"), err: ErrKMSUnavailable}
	e := newEncrypter(t, src, EncrypterOptions{MaxRecords: 1})
	_, err := e.Seal(context.Background(), nil, []byte("x"), nil)
	if !errors.Is(err, ErrKMSUnavailable) {
		t.Fatalf("first seal: %v, want ErrKMSUnavailable", err)
	}
	src.err = nil
	seal(t, e, "x", "")
	src.err = ErrKMSRefused
	// The data key has sealed its one record: no record may be sealed
	// until a new one is wrapped.
	if _, err := e.Seal(context.Background(), nil, []byte("x"), nil); !errors.Is(err, ErrKMSRefused) {
		t.Fatalf("seal past the bound: %v, want ErrKMSRefused", err)
	}
}

type failingWrap struct {
	KeySource
	err error
}

func (f *failingWrap) Wrap(ctx context.Context, dataKey []byte) (string, []byte, error) {
	if f.err != nil {
		return "", nil, f.err
	}
	return f.KeySource.Wrap(ctx, dataKey)
}

// TestNoncesNeverRepeat seals across a data key rotation and reads each
// record's nonce: under one data key it is the key's random field and the
// record's counter, so no two records share one; a new data key draws a
// new field and counts from zero again.
func TestNoncesNeverRepeat(t *testing.T) {
	e := newEncrypter(t, newStatic(t, "k"), EncrypterOptions{MaxRecords: 4})
	seen := map[string]bool{}
	var fields [][]byte
	for i := range 8 {
		rec, err := e.Seal(context.Background(), nil, []byte("same plaintext"), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, n, err := parseHeader(rec)
		if err != nil {
			t.Fatal(err)
		}
		nonce := rec[n : n+nonceSize]
		if seen[string(nonce)] {
			t.Fatalf("record %d repeats nonce %x", i, nonce)
		}
		seen[string(nonce)] = true
		if got, want := binary.BigEndian.Uint64(nonce[nonceFieldSize:]), uint64(i%4); got != want {
			t.Errorf("record %d: counter %d, want %d", i, got, want)
		}
		if i%4 == 0 {
			fields = append(fields, nonce[:nonceFieldSize])
		} else if !bytes.Equal(nonce[:nonceFieldSize], fields[len(fields)-1]) {
			t.Errorf("record %d: nonce field %x changed under one data key", i, nonce[:nonceFieldSize])
		}
	}
	if bytes.Equal(fields[0], fields[1]) {
		t.Errorf("two data keys drew the same nonce field %x", fields[0])
	}
}
