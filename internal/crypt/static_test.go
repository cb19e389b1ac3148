// Tests of static key values and the static source.

package crypt

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestParseStaticKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xFB, 0xEF, 0x01, 0x02}, 8) // base64 has + and /
	std := base64.StdEncoding.EncodeToString(key)
	for _, tc := range []struct {
		name  string
		value string
		want  string // substring of the error; "" for success
	}{
		{"valid", std, ""},
		{"empty", "", "empty"},
		{"short", base64.StdEncoding.EncodeToString(key[:16]), "decodes to 16 bytes"},
		{"long", base64.StdEncoding.EncodeToString(append(key, 1)), "decodes to 33 bytes"},
		{"hex", hex.EncodeToString(key), "looks like hex"},
		{"url-safe", base64.URLEncoding.EncodeToString(key), "URL-safe"},
		{"no padding", base64.RawStdEncoding.EncodeToString(key), "padding"},
		{"file with newline", std + "\n", ""},
		{"white space around", " \t" + std + "\r\n", ""},
		{"white space inside", std[:20] + " " + std[20:], "white space inside"},
		{"only white space", " \n", "empty"},
		{"all zero", base64.StdEncoding.EncodeToString(make([]byte, 32)), "all zero"},
		{"garbage", "notakey!", "not valid base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseStaticKey(tc.value)
			if tc.want == "" {
				if err != nil || !bytes.Equal(got, key) {
					t.Fatalf("ParseStaticKey = %x, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if v := strings.TrimSpace(tc.value); v != "" && strings.Contains(err.Error(), v) {
				t.Fatalf("error %q quotes the secret", err)
			}
		})
	}
}

func TestStaticUnwrap(t *testing.T) {
	s := newStatic(t, "k")
	dataKey := bytes.Repeat([]byte{3}, 32)
	ref, wrapped, err := s.Wrap(context.Background(), dataKey)
	if err != nil {
		t.Fatal(err)
	}
	if ref != "k" || len(wrapped) != staticWrappedLen {
		t.Fatalf("Wrap = %q, %d bytes", ref, len(wrapped))
	}
	_, again, _ := s.Wrap(context.Background(), dataKey)
	if bytes.Equal(wrapped, again) {
		t.Fatal("two wraps of one key are equal: the nonce is not random")
	}
	for _, tc := range []struct {
		name    string
		ref     string
		wrapped []byte
		want    error
	}{
		{"other name", "j", wrapped, ErrUnknownKey},
		{"short", "k", wrapped[:59], ErrTampered},
		{"changed", "k", append(bytes.Clone(wrapped[:59]), wrapped[59]^1), ErrTampered},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Unwrap(context.Background(), tc.ref, tc.wrapped); !errors.Is(err, tc.want) {
				t.Fatalf("%v, want %v", err, tc.want)
			}
		})
	}
	got, err := s.Unwrap(context.Background(), "k", wrapped)
	if err != nil || !bytes.Equal(got, dataKey) {
		t.Fatalf("Unwrap = %x, %v", got, err)
	}
	if _, _, err := s.Wrap(context.Background(), dataKey[:16]); err == nil {
		t.Fatal("Wrap took a 16-byte data key")
	}
}
