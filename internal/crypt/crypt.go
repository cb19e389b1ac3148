// Package crypt seals Kafka record keys and values for the gateway's
// encrypt (produce) and decrypt (consume) record policies, with envelope
// encryption: each record is sealed with AES-256-GCM under a data key, and
// the data key travels in the record wrapped by a key encryption key (KEK)
// that a KeySource holds (a static key from the config, or an AWS KMS key).
//
// An Encrypter belongs to one producer connection: it makes a data key on
// its first Seal and makes a new one well before GCM's limits for random
// nonces. A Decrypter is shared: it tries its key sources in order for the
// KEK a record names, and caches the unwrapped data keys so that a KMS is
// asked once per data key, not once per record.
//
// Every sealed record stands alone (consumers seek): it carries the KEK's
// kind and reference, the wrapped data key, the nonce and the ciphertext,
// in the versioned format docs/encryption.md lays out byte by byte. The
// format's header is authenticated as GCM additional data, with the
// caller's own additional data after it (the policies bind "key" or
// "value", so a sealed key cannot be passed off as a value).
package crypt

import (
	"context"
	"errors"
	"fmt"
)

// The errors Open, Seal and the key sources return, for errors.Is. A policy
// follows its failure_mode on them; the returned error wraps one of these
// and, for a KMS, the KMS's own error.
var (
	// ErrNotEncrypted reports bytes that do not start with the record
	// magic: plaintext, or something sealed by another tool.
	ErrNotEncrypted = errors.New("crypt: not an encrypted record")
	// ErrUnsupportedVersion reports a record with the magic but a format
	// version this build does not read (written by a newer gateway).
	ErrUnsupportedVersion = errors.New("crypt: unsupported record format version")
	// ErrTampered reports a record that fails to parse or to authenticate:
	// a byte of it was changed, it was cut short, it was sealed with other
	// additional data (a key opened as a value), or its wrapped data key
	// does not open under the KEK its reference names.
	ErrTampered = errors.New("crypt: record tampered with or corrupt")
	// ErrUnknownKey reports a record whose KEK no key source holds: its
	// static key name or KMS key ARN is missing from every key source.
	ErrUnknownKey = errors.New("crypt: unknown key encryption key")
	// ErrKMSUnavailable reports a KMS that could not be reached or failed
	// on its side (network error, timeout, throttling, internal error):
	// the same call may succeed later.
	ErrKMSUnavailable = errors.New("crypt: KMS unavailable")
	// ErrKMSRefused reports a KMS that answered and refused: access
	// denied, key disabled, pending deletion or not found. Retrying does
	// not help until its configuration changes.
	ErrKMSRefused = errors.New("crypt: KMS refused the request")
)

// Kind is the kind of a key encryption key; a record stores it so that a
// Decrypter asks only the key sources of that kind.
type Kind uint8

// The kinds of KEK. The values are part of the record format: never
// renumber them.
const (
	// KindStatic is a 32-byte key named in the config (static_keys).
	KindStatic Kind = 1
	// KindAWS is an AWS KMS symmetric key, named by its ARN.
	KindAWS Kind = 2
)

// String returns the kind's name in the config: static or aws.
func (k Kind) String() string {
	switch k {
	case KindStatic:
		return "static"
	case KindAWS:
		return "aws"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

func (k Kind) valid() bool { return k == KindStatic || k == KindAWS }

// DataKeySize is the size of a data key and of a static KEK: AES-256.
const DataKeySize = 32

// KeySource holds one key encryption key. Implementations must be safe for
// concurrent use: one source serves every connection of a policy.
type KeySource interface {
	// Kind is the kind of KEK the source holds.
	Kind() Kind
	// Wrap encrypts dataKey under the source's KEK. It returns the wrapped
	// key and the reference that names the KEK in records (a static key's
	// name, a KMS key's ARN), at most MaxRefLen bytes. It must not keep
	// dataKey.
	Wrap(ctx context.Context, dataKey []byte) (ref string, wrapped []byte, err error)
	// Unwrap returns the data key that wrapped holds. It returns an error
	// wrapping ErrUnknownKey, without asking anyone, when ref names a KEK
	// other than the source's; ErrTampered when wrapped does not open
	// under it; ErrKMSUnavailable or ErrKMSRefused when a KMS fails.
	Unwrap(ctx context.Context, ref string, wrapped []byte) (dataKey []byte, err error)
}
