// The sealed record format, version 1. docs/encryption.md is its
// reference; the offsets below must stay in step with it.
//
//	magic      4  0xFE 'S' 'T' 'R'
//	version    1  0x01
//	kind       1  Kind of the KEK
//	ref len    1  R, 1..255
//	ref        R  the KEK's reference (static key name, KMS key ARN)
//	wrap len   2  W, big endian, 1..65535
//	wrapped    W  the data key wrapped by the KEK
//	nonce     12  GCM nonce, random
//	sealed     n  ciphertext (as long as the plaintext) then the 16-byte tag
//
// Everything before the nonce is the header, authenticated as additional
// data ahead of the caller's. The magic starts with 0xFE, which no UTF-8
// text, JSON document or Confluent schema registry payload (0x00) starts
// with.

package crypt

import (
	"encoding/binary"
	"fmt"
)

const (
	magic0, magic1, magic2, magic3 = 0xFE, 'S', 'T', 'R'
	// Version1 is the record format version this build writes and reads.
	Version1 = 1

	nonceSize = 12
	// nonceFieldSize is the random part of a nonce, drawn with its data
	// key; a 64-bit record counter follows.
	nonceFieldSize = nonceSize - 8
	tagSize        = 16
	// MaxRefLen is the longest KEK reference a record can carry.
	MaxRefLen = 255
	// maxWrappedLen is the longest wrapped data key a record can carry.
	maxWrappedLen = 1<<16 - 1

	// minHeader is the header of a record with empty ref and wrapped key.
	minHeader = 4 + 1 + 1 + 1 + 2
)

// FixedOverhead is how many bytes a sealed record adds to its plaintext
// besides the KEK reference and the wrapped data key: magic, version,
// kind, the two lengths, nonce and tag. A record's total overhead is
// FixedOverhead + len(reference) + len(wrapped key).
const FixedOverhead = minHeader + nonceSize + tagSize

// IsEncrypted reports whether b starts like a sealed record of a version
// this build reads: the magic, a known version and a known kind. It does
// not authenticate anything; Open does.
func IsEncrypted(b []byte) bool {
	return len(b) >= minHeader+2+nonceSize+tagSize &&
		b[0] == magic0 && b[1] == magic1 && b[2] == magic2 && b[3] == magic3 &&
		b[4] == Version1 && Kind(b[5]).valid()
}

// Header is the self-describing part of a sealed record.
type Header struct {
	Version uint8
	Kind    Kind
	// Ref names the KEK the data key is wrapped with.
	Ref string
	// Wrapped is the wrapped data key. It aliases the record.
	Wrapped []byte
}

// ParseHeader reads the header of a sealed record, without opening it: for
// logs and tools that want to know which KEK a record needs.
func ParseHeader(b []byte) (Header, error) {
	h, _, err := parseHeader(b)
	if err != nil {
		return Header{}, err
	}
	return Header{Version: Version1, Kind: h.kind, Ref: string(h.ref), Wrapped: h.wrapped}, nil
}

// header is a parsed header; its slices alias the record.
type header struct {
	kind    Kind
	ref     []byte
	wrapped []byte
	// cacheKey is kind through wrapped: the bytes that name one data key,
	// self-delimiting.
	cacheKey []byte
}

// parseHeader returns the header of b and its length.
func parseHeader(b []byte) (header, int, error) {
	if len(b) < 4 || b[0] != magic0 || b[1] != magic1 || b[2] != magic2 || b[3] != magic3 {
		return header{}, 0, ErrNotEncrypted
	}
	if len(b) < 5 {
		return header{}, 0, fmt.Errorf("%w: cut short after the magic", ErrTampered)
	}
	if b[4] != Version1 {
		return header{}, 0, fmt.Errorf("%w %d (this build reads %d)", ErrUnsupportedVersion, b[4], Version1)
	}
	if len(b) < minHeader {
		return header{}, 0, fmt.Errorf("%w: %d bytes, shorter than a header", ErrTampered, len(b))
	}
	kind := Kind(b[5])
	if !kind.valid() {
		return header{}, 0, fmt.Errorf("%w: unknown key kind %d", ErrTampered, b[5])
	}
	refLen := int(b[6])
	if refLen == 0 {
		return header{}, 0, fmt.Errorf("%w: empty key reference", ErrTampered)
	}
	off := 7
	if len(b) < off+refLen+2 {
		return header{}, 0, fmt.Errorf("%w: key reference runs past the record", ErrTampered)
	}
	ref := b[off : off+refLen]
	off += refLen
	wrapLen := int(binary.BigEndian.Uint16(b[off:]))
	off += 2
	if wrapLen == 0 {
		return header{}, 0, fmt.Errorf("%w: empty wrapped key", ErrTampered)
	}
	if len(b) < off+wrapLen+nonceSize+tagSize {
		return header{}, 0, fmt.Errorf("%w: %d bytes, too short for its wrapped key, nonce and tag", ErrTampered, len(b))
	}
	wrapped := b[off : off+wrapLen]
	off += wrapLen
	return header{kind: kind, ref: ref, wrapped: wrapped, cacheKey: b[5:off]}, off, nil
}

// appendHeader appends the header for a data key to dst.
func appendHeader(dst []byte, kind Kind, ref string, wrapped []byte) ([]byte, error) {
	if len(ref) == 0 || len(ref) > MaxRefLen {
		return nil, fmt.Errorf("crypt: key reference of %d bytes (want 1 to %d)", len(ref), MaxRefLen)
	}
	if len(wrapped) == 0 || len(wrapped) > maxWrappedLen {
		return nil, fmt.Errorf("crypt: wrapped data key of %d bytes (want 1 to %d)", len(wrapped), maxWrappedLen)
	}
	dst = append(dst, magic0, magic1, magic2, magic3, Version1, byte(kind), byte(len(ref)))
	dst = append(dst, ref...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(wrapped)))
	return append(dst, wrapped...), nil
}
