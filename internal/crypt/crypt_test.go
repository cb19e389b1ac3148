// Tests of sealing and opening records: round trips, the byte layout,
// tampering, additional data and IsEncrypted.

package crypt

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	src := newStatic(t, "k1")
	e := newEncrypter(t, src, EncrypterOptions{})
	d := newDecrypter(t, DecrypterOptions{}, src)
	for _, tc := range []struct {
		name      string
		plaintext []byte
		aad       string
	}{
		{"empty", nil, "value"},
		{"one byte", []byte{0}, "key"},
		{"1KiB", bytes.Repeat([]byte("x"), 1024), "value"},
		{"1MiB", bytes.Repeat([]byte{0xFE}, 1<<20), "value"},
		{"no aad", []byte("hello"), ""},
		{"looks sealed", []byte("\xFESTR\x01\x01"), "value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("prefix")
			rec, err := e.Seal(context.Background(), prefix, tc.plaintext, []byte(tc.aad))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(rec, prefix) {
				t.Fatalf("Seal did not append to dst: %q", rec[:6])
			}
			rec = rec[len(prefix):]
			if want := len(tc.plaintext) + FixedOverhead + len("k1") + staticWrappedLen; len(rec) != want {
				t.Errorf("record is %d bytes, want %d", len(rec), want)
			}
			if !IsEncrypted(rec) {
				t.Error("IsEncrypted(record) = false")
			}
			if len(tc.plaintext) >= 8 && bytes.Contains(rec, tc.plaintext[:8]) {
				t.Error("record holds the plaintext")
			}
			got, err := d.Open(context.Background(), []byte("out:"), rec, []byte(tc.aad))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, append([]byte("out:"), tc.plaintext...)) {
				t.Fatalf("Open returned %d bytes, not the plaintext after dst", len(got))
			}
		})
	}
}

// TestFormatByHand opens a record following docs/encryption.md with the
// standard library alone, so that the document and the code agree.
func TestFormatByHand(t *testing.T) {
	kek := bytes.Repeat([]byte{7}, 32)
	src, err := NewStaticKeySource("k1", kek)
	if err != nil {
		t.Fatal(err)
	}
	rec := seal(t, newEncrypter(t, src, EncrypterOptions{}), "hello", "value")

	if got := rec[:7]; !bytes.Equal(got, []byte{0xFE, 'S', 'T', 'R', 1, 1, 2}) {
		t.Fatalf("magic, version, kind, ref length = % x", got)
	}
	if string(rec[7:9]) != "k1" {
		t.Fatalf("ref = %q", rec[7:9])
	}
	wlen := int(binary.BigEndian.Uint16(rec[9:11]))
	if wlen != 60 {
		t.Fatalf("wrapped key length = %d, want 60", wlen)
	}
	wrapped := rec[11 : 11+wlen]
	nonce := rec[11+wlen : 11+wlen+12]
	sealed := rec[11+wlen+12:]
	if len(sealed) != len("hello")+16 {
		t.Fatalf("ciphertext and tag = %d bytes", len(sealed))
	}

	gcm := func(key []byte) cipher.AEAD {
		b, err := aes.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		g, err := cipher.NewGCM(b)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	dataKey, err := gcm(kek).Open(nil, wrapped[:12], wrapped[12:], []byte("strait/crypt data key\x00k1"))
	if err != nil {
		t.Fatalf("unwrapping by hand: %v", err)
	}
	aad := append(append([]byte(nil), rec[:11+wlen]...), "value"...)
	plain, err := gcm(dataKey).Open(nil, nonce, sealed, aad)
	if err != nil {
		t.Fatalf("opening by hand: %v", err)
	}
	if string(plain) != "hello" {
		t.Fatalf("plaintext = %q", plain)
	}

	h, err := ParseHeader(rec)
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != Version1 || h.Kind != KindStatic || h.Ref != "k1" || !bytes.Equal(h.Wrapped, wrapped) {
		t.Fatalf("ParseHeader = %+v", h)
	}
}

// TestTamper changes one byte at the start, middle and end of each region
// of a record, and checks that Open fails with the error that region's
// change must give.
func TestTamper(t *testing.T) {
	src := newStatic(t, "key-a")
	d := newDecrypter(t, DecrypterOptions{}, src)
	rec := seal(t, newEncrypter(t, src, EncrypterOptions{}), strings.Repeat("secret ", 10), "value")

	r := len("key-a")
	w := staticWrappedLen
	wrapAt := 7 + r + 2
	nonceAt := wrapAt + w
	tagAt := len(rec) - tagSize
	for _, tc := range []struct {
		region     string
		start, end int
		want       error
	}{
		{"magic", 0, 4, ErrNotEncrypted},
		{"version", 4, 5, ErrUnsupportedVersion},
		{"kind", 5, 6, nil}, // unknown kind or aws: see below
		{"ref length", 6, 7, nil},
		{"ref", 7, 7 + r, ErrUnknownKey},
		{"wrapped length", 7 + r, wrapAt, ErrTampered},
		{"wrapped key", wrapAt, nonceAt, ErrTampered},
		{"nonce", nonceAt, nonceAt + nonceSize, ErrTampered},
		{"ciphertext", nonceAt + nonceSize, tagAt, ErrTampered},
		{"tag", tagAt, len(rec), ErrTampered},
	} {
		t.Run(tc.region, func(t *testing.T) {
			for _, at := range []int{tc.start, (tc.start + tc.end - 1) / 2, tc.end - 1} {
				for _, flip := range []byte{0x01, 0x80} {
					bad := bytes.Clone(rec)
					bad[at] ^= flip
					_, err := d.Open(context.Background(), nil, bad, []byte("value"))
					if err == nil {
						t.Fatalf("byte %d ^ %#x: Open succeeded", at, flip)
					}
					want := tc.want
					if want == nil {
						// A changed kind is either undefined (malformed)
						// or aws, which no source here holds; a changed
						// ref length moves every later field.
						if !errors.Is(err, ErrTampered) && !errors.Is(err, ErrUnknownKey) {
							t.Fatalf("byte %d ^ %#x: %v, want ErrTampered or ErrUnknownKey", at, flip, err)
						}
						continue
					}
					if !errors.Is(err, want) {
						t.Fatalf("byte %d ^ %#x: %v, want %v", at, flip, err, want)
					}
				}
			}
		})
	}

	t.Run("truncated", func(t *testing.T) {
		for n := range len(rec) {
			_, err := d.Open(context.Background(), nil, rec[:n], []byte("value"))
			if !errors.Is(err, ErrTampered) && !(n < 4 && errors.Is(err, ErrNotEncrypted)) {
				t.Fatalf("first %d bytes: %v", n, err)
			}
		}
	})
	t.Run("extended", func(t *testing.T) {
		_, err := d.Open(context.Background(), nil, append(bytes.Clone(rec), 0), []byte("value"))
		if !errors.Is(err, ErrTampered) {
			t.Fatalf("%v, want ErrTampered", err)
		}
	})
	t.Run("ref of another held key", func(t *testing.T) {
		other := newStatic(t, "key-b")
		d := newDecrypter(t, DecrypterOptions{}, other, src)
		bad := bytes.Clone(rec)
		copy(bad[7:], "key-b")
		_, err := d.Open(context.Background(), nil, bad, []byte("value"))
		if !errors.Is(err, ErrTampered) {
			t.Fatalf("%v, want ErrTampered", err)
		}
	})
	t.Run("wrapped key of another record", func(t *testing.T) {
		// The header is authenticated: a record's body under another
		// data key's header fails even though both keys unwrap.
		other := seal(t, newEncrypter(t, src, EncrypterOptions{}), strings.Repeat("secret ", 10), "value")
		bad := bytes.Clone(rec)
		copy(bad[wrapAt:nonceAt], other[wrapAt:nonceAt])
		_, err := d.Open(context.Background(), nil, bad, []byte("value"))
		if !errors.Is(err, ErrTampered) {
			t.Fatalf("%v, want ErrTampered", err)
		}
	})
	t.Run("header bytes the key source ignores", func(t *testing.T) {
		// A KMS may accept a ciphertext blob with a changed byte that it
		// does not authenticate (local-kms does): the record's own
		// authentication of its header still refuses it.
		lax := laxSource{src}
		e := newEncrypter(t, lax, EncrypterOptions{})
		d := newDecrypter(t, DecrypterOptions{}, lax)
		rec := seal(t, e, "x", "value")
		mustOpen(t, d, rec, "value", "x")
		bad := bytes.Clone(rec)
		bad[len(rec)-len("x")-tagSize-nonceSize-1] ^= 1 // the wrapped key's last byte
		if _, err := d.Open(context.Background(), nil, bad, []byte("value")); !errors.Is(err, ErrTampered) {
			t.Fatalf("%v, want ErrTampered", err)
		}
	})
	t.Run("untouched", func(t *testing.T) {
		mustOpen(t, d, rec, "value", strings.Repeat("secret ", 10))
	})
}

func TestAdditionalData(t *testing.T) {
	src := newStatic(t, "k")
	e := newEncrypter(t, src, EncrypterOptions{})
	d := newDecrypter(t, DecrypterOptions{}, src)
	rec := seal(t, e, "payload", "key")
	for _, aad := range []string{"value", "", "ke", "key\x00", "keys"} {
		t.Run(aad, func(t *testing.T) {
			_, err := d.Open(context.Background(), nil, rec, []byte(aad))
			if !errors.Is(err, ErrTampered) {
				t.Fatalf("sealed as key, opened as %q: %v, want ErrTampered", aad, err)
			}
		})
	}
	mustOpen(t, d, rec, "key", "payload")
}

func TestIsEncrypted(t *testing.T) {
	src := newStatic(t, "k")
	rec := seal(t, newEncrypter(t, src, EncrypterOptions{}), "", "")
	v2 := bytes.Clone(rec)
	v2[4] = 2
	kind9 := bytes.Clone(rec)
	kind9[5] = 9
	for _, tc := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"sealed", rec, true},
		{"nil", nil, false},
		{"json", []byte(`{"a":1}`), false},
		{"confluent schema registry", []byte("\x00\x00\x00\x00\x01rest of avro"), false},
		{"magic alone", []byte("\xFESTR"), false},
		{"header cut short", rec[:20], false},
		{"version 2", v2, false},
		{"unknown kind", kind9, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsEncrypted(tc.b); got != tc.want {
				t.Fatalf("IsEncrypted = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	src := newStatic(t, "k")
	d := newDecrypter(t, DecrypterOptions{}, src)
	rec := seal(t, newEncrypter(t, src, EncrypterOptions{}), "x", "")
	v2 := bytes.Clone(rec)
	v2[4] = 2
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"plaintext", []byte("hello"), ErrNotEncrypted},
		{"empty", nil, ErrNotEncrypted},
		{"newer version", v2, ErrUnsupportedVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.Open(context.Background(), nil, tc.b, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("%v, want %v", err, tc.want)
			}
		})
	}
}

func TestConstructors(t *testing.T) {
	src := newStatic(t, "k")
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"encrypter nil source", func() error { _, err := NewEncrypter(nil, EncrypterOptions{}); return err }, "nil key source"},
		{"encrypter too many records", func() error {
			_, err := NewEncrypter(src, EncrypterOptions{MaxRecords: MaxRecordsLimit + 1})
			return err
		}, "limit of GCM"},
		{"encrypter negative age", func() error { _, err := NewEncrypter(src, EncrypterOptions{MaxAge: -1}); return err }, "negative"},
		{"decrypter no sources", func() error { _, err := NewDecrypter(nil, DecrypterOptions{}); return err }, "no key sources"},
		{"decrypter nil source", func() error { _, err := NewDecrypter([]KeySource{src, nil}, DecrypterOptions{}); return err }, "key source 1 is nil"},
		{"decrypter negative cache", func() error { _, err := NewDecrypter([]KeySource{src}, DecrypterOptions{CacheSize: -1}); return err }, "negative cache size"},
		{"static empty name", func() error { _, err := NewStaticKeySource("", make([]byte, 32)); return err }, "want 1 to 255 bytes"},
		{"static long name", func() error { _, err := NewStaticKeySource(strings.Repeat("n", 256), make([]byte, 32)); return err }, "want 1 to 255 bytes"},
		{"static short key", func() error { _, err := NewStaticKeySource("k", make([]byte, 16)); return err }, "16 bytes, want 32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// laxSource wraps a data key with a trailing byte that Unwrap ignores.
type laxSource struct{ KeySource }

func (l laxSource) Wrap(ctx context.Context, dataKey []byte) (string, []byte, error) {
	ref, wrapped, err := l.KeySource.Wrap(ctx, dataKey)
	return ref, append(wrapped, 0), err
}

func (l laxSource) Unwrap(ctx context.Context, ref string, wrapped []byte) ([]byte, error) {
	return l.KeySource.Unwrap(ctx, ref, wrapped[:len(wrapped)-1])
}
