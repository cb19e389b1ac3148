// The static key source: a named 32-byte KEK given in the config.

package crypt

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// ParseStaticKey decodes a static key's config value: 32 bytes in standard
// base64 with padding (what `openssl rand -base64 32` prints). White space
// around the value is ignored, so that a file written by that command can
// be the value (${file:PATH}) with its newline. Its errors name the problem
// and never quote the value, which is a secret.
func ParseStaticKey(value string) ([]byte, error) {
	const want = "want 32 random bytes in standard base64, as `openssl rand -base64 32` prints"
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, fmt.Errorf("empty: %s", want)
	}
	if strings.ContainsAny(value, " \t\r\n") {
		return nil, fmt.Errorf("has white space inside: %s", want)
	}
	key, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		hint := ""
		switch {
		case strings.ContainsAny(value, "-_"):
			hint = " (it has - or _, from URL-safe base64; use the standard alphabet with + and /)"
		case len(value)%4 != 0:
			hint = " (its length is not a multiple of 4: is the = padding missing?)"
		}
		// err only gives an offset: it does not leak the value.
		return nil, fmt.Errorf("not valid base64: %v%s; %s", err, hint, want)
	}
	if len(key) != DataKeySize {
		hint := ""
		if len(value) == 2*DataKeySize && isHex(value) {
			hint = " (it looks like hex; give the same bytes in base64)"
		}
		return nil, fmt.Errorf("decodes to %d bytes%s: %s", len(key), hint, want)
	}
	if allZero(key) {
		return nil, fmt.Errorf("is all zero bytes: %s", want)
	}
	return key, nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

func allZero(b []byte) bool {
	var or byte
	for _, c := range b {
		or |= c
	}
	return or == 0
}

// StaticKeySource is a KeySource holding one named static KEK. It wraps a
// data key with AES-256-GCM under the KEK, a random nonce, and the key's
// name as additional data. Its reference is the name: records sealed under
// it stay readable for as long as some decrypt policy lists a static key
// of that name and value.
type StaticKeySource struct {
	name string
	aead cipher.AEAD
	aad  []byte
}

var _ KeySource = (*StaticKeySource)(nil)

// staticWrapAAD starts the additional data of a wrapped data key; the key's
// name follows.
const staticWrapAAD = "strait/crypt data key\x00"

// staticWrappedLen is the length of a data key wrapped by a static source:
// nonce, key, tag.
const staticWrappedLen = nonceSize + DataKeySize + tagSize

// NewStaticKeySource returns the source of the static key called name,
// whose 32 bytes are key (see ParseStaticKey). It copies key.
func NewStaticKeySource(name string, key []byte) (*StaticKeySource, error) {
	if name == "" || len(name) > MaxRefLen {
		return nil, fmt.Errorf("static key name %q: want 1 to %d bytes", name, MaxRefLen)
	}
	if len(key) != DataKeySize {
		return nil, fmt.Errorf("static key %q: %d bytes, want %d", name, len(key), DataKeySize)
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, fmt.Errorf("static key %q: %w", name, err)
	}
	return &StaticKeySource{name: name, aead: aead, aad: []byte(staticWrapAAD + name)}, nil
}

// Name returns the key's name, its reference in records.
func (s *StaticKeySource) Name() string { return s.name }

// Kind returns KindStatic.
func (s *StaticKeySource) Kind() Kind { return KindStatic }

// Wrap seals dataKey under the static key.
func (s *StaticKeySource) Wrap(_ context.Context, dataKey []byte) (string, []byte, error) {
	if len(dataKey) != DataKeySize {
		return "", nil, fmt.Errorf("crypt: data key of %d bytes, want %d", len(dataKey), DataKeySize)
	}
	out := make([]byte, nonceSize, staticWrappedLen)
	if _, err := rand.Read(out); err != nil {
		return "", nil, fmt.Errorf("crypt: nonce: %w", err)
	}
	sealed := s.aead.Seal(out[nonceSize:nonceSize], out, dataKey, s.aad)
	return s.name, out[:nonceSize+len(sealed)], nil
}

// Unwrap opens a data key wrapped by Wrap under the key called ref.
func (s *StaticKeySource) Unwrap(_ context.Context, ref string, wrapped []byte) ([]byte, error) {
	if ref != s.name {
		return nil, fmt.Errorf("%w: static key %q", ErrUnknownKey, ref)
	}
	if len(wrapped) != staticWrappedLen {
		return nil, fmt.Errorf("%w: data key wrapped by static key %q is %d bytes, want %d", ErrTampered, ref, len(wrapped), staticWrappedLen)
	}
	key, err := s.aead.Open(nil, wrapped[:nonceSize], wrapped[nonceSize:], s.aad)
	if err != nil {
		return nil, fmt.Errorf("%w: data key does not open under static key %q (was the key's value changed?)", ErrTampered, ref)
	}
	return key, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
