// The Encrypter: one producer connection's data keys and the records it
// seals with them.

package crypt

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults and limits of the data key rotation. A record's nonce is a
// random 32-bit field drawn with its data key followed by the key's 64-bit
// record counter (NIST SP 800-38D, 8.2.1), so nonces never repeat under a
// data key; the bounds are kept where random nonces would need them (8.3),
// a margin that costs one more wrap every 2^24 records.
const (
	// DefaultMaxRecords stays far below the limit of random nonces: the
	// chance of a collision among 2^24 of them is under 2^-48.
	DefaultMaxRecords = 1 << 24
	// MaxRecordsLimit is 2^32, the most MaxRecords may be.
	MaxRecordsLimit = 1 << 32
	// DefaultMaxBytes, 64 GiB per key, keeps the confidentiality bound of
	// AES-GCM below 2^-60.
	DefaultMaxBytes = 1 << 36
	// DefaultMaxAge bounds what one leaked data key exposes, and how long
	// a connection seals under a KEK a reload has replaced.
	DefaultMaxAge = time.Hour
)

// EncrypterOptions bound the use of one data key. The Encrypter makes a
// new data key, wrapping it again, when any bound is reached.
type EncrypterOptions struct {
	// MaxRecords is how many records one data key seals; 0 means
	// DefaultMaxRecords. It may not exceed MaxRecordsLimit.
	MaxRecords uint64
	// MaxBytes is how many plaintext bytes one data key seals; 0 means
	// DefaultMaxBytes.
	MaxBytes uint64
	// MaxAge is how long one data key is used after it was made; 0 means
	// DefaultMaxAge.
	MaxAge time.Duration
}

// Encrypter seals records for one producer connection. Its methods are
// safe for concurrent use. It makes its first data key on its first Seal,
// so an idle connection costs no KMS call; Close drops the key when the
// connection ends.
type Encrypter struct {
	src        KeySource
	maxRecords uint64
	maxBytes   uint64
	maxAge     time.Duration
	after      afterFunc // time.AfterFunc; tests replace it

	mu     sync.Mutex
	cur    *dataKey // nil before the first Seal and after Close
	closed bool
}

// dataKey is a data key in use by an Encrypter. aead and header do not
// change; the counts are guarded by the Encrypter's mu.
type dataKey struct {
	aead   cipher.AEAD
	header []byte // the record header: magic through wrapped key
	// nonceField is the random first part of every nonce under the key;
	// the record counter makes up the rest.
	nonceField [nonceFieldSize]byte
	// old is set by a timer MaxAge after the key was made: Seal reads no
	// clock per record.
	old     atomic.Bool
	stop    func() bool // stops the timer
	records uint64
	bytes   uint64
}

// afterFunc is time.AfterFunc, returning the timer's Stop.
type afterFunc func(d time.Duration, f func()) (stop func() bool)

func timeAfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// NewEncrypter returns an Encrypter that wraps its data keys with src.
func NewEncrypter(src KeySource, opts EncrypterOptions) (*Encrypter, error) {
	if src == nil {
		return nil, fmt.Errorf("crypt: nil key source")
	}
	e := &Encrypter{
		src:        src,
		maxRecords: opts.MaxRecords,
		maxBytes:   opts.MaxBytes,
		maxAge:     opts.MaxAge,
		after:      timeAfterFunc,
	}
	if e.maxRecords == 0 {
		e.maxRecords = DefaultMaxRecords
	}
	if e.maxRecords > MaxRecordsLimit {
		return nil, fmt.Errorf("crypt: max records per data key %d exceeds %d, the limit of GCM with random nonces", e.maxRecords, uint64(MaxRecordsLimit))
	}
	if e.maxBytes == 0 {
		e.maxBytes = DefaultMaxBytes
	}
	if e.maxAge < 0 {
		return nil, fmt.Errorf("crypt: negative max data key age %v", e.maxAge)
	}
	if e.maxAge == 0 {
		e.maxAge = DefaultMaxAge
	}
	return e, nil
}

// Seal appends to dst the sealed record of plaintext and returns the
// extended slice. aad is additional data the record is bound to and that
// Open must be given again ("key" or "value"); it is not stored. When the
// current data key has reached a bound, Seal first makes and wraps a new
// one, which may call a KMS: its failure is returned (wrapping
// ErrKMSUnavailable or ErrKMSRefused) and nothing is sealed. dst and
// plaintext may not overlap.
func (e *Encrypter) Seal(ctx context.Context, dst, plaintext, aad []byte) ([]byte, error) {
	dk, seq, err := e.take(ctx, len(plaintext))
	if err != nil {
		return nil, err
	}
	need := len(dk.header) + nonceSize + len(plaintext) + tagSize
	out := slices.Grow(dst, need)
	start := len(out)
	out = append(out, dk.header...)
	nonceAt := len(out)
	out = append(out, dk.nonceField[:]...)
	out = binary.BigEndian.AppendUint64(out, seq)
	// Seal into the capacity after the nonce: the header it authenticates
	// and the nonce stay out of its dst.
	sealed := dk.aead.Seal(out[len(out):len(out)], out[nonceAt:], plaintext, recordAAD(out[start:nonceAt], aad))
	return out[:len(out)+len(sealed)], nil
}

// Overhead is how many bytes Seal adds to a plaintext under the current
// data key (header, nonce and tag); a new data key may differ by a few
// bytes, and Seal grows dst when it must.
func (e *Encrypter) Overhead() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := nonceSize + tagSize + 64
	if e.cur != nil {
		n = len(e.cur.header) + nonceSize + tagSize
	}
	return n
}

// take returns the data key to seal n bytes with, making a new one when the
// current one has reached a bound, and counts the record against it.
func (e *Encrypter) take(ctx context.Context, n int) (*dataKey, uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, 0, errEncrypterClosed
	}
	dk := e.cur
	if dk == nil || dk.records >= e.maxRecords || dk.records > 0 && dk.bytes+uint64(n) > e.maxBytes || dk.old.Load() {
		next, err := e.newDataKey(ctx)
		if err != nil {
			return nil, 0, err
		}
		if dk != nil {
			dk.stop()
		}
		dk, e.cur = next, next
	}
	seq := dk.records
	dk.records++
	dk.bytes += uint64(n)
	return dk, seq, nil
}

// newDataKey makes a random data key and wraps it. It is called with mu
// held: other Seals on the connection wait for the key they need anyway.
func (e *Encrypter) newDataKey(ctx context.Context) (*dataKey, error) {
	key := make([]byte, DataKeySize+nonceFieldSize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("crypt: data key: %w", err)
	}
	var field [nonceFieldSize]byte
	copy(field[:], key[DataKeySize:])
	key = key[:DataKeySize]
	ref, wrapped, err := e.src.Wrap(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("wrapping a new data key with %s key: %w", e.src.Kind(), err)
	}
	header, err := appendHeader(nil, e.src.Kind(), ref, wrapped)
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(key)
	clear(key)
	if err != nil {
		return nil, err
	}
	dk := &dataKey{aead: aead, header: header, nonceField: field}
	dk.stop = e.after(e.maxAge, func() { dk.old.Store(true) })
	return dk, nil
}

var errEncrypterClosed = errors.New("crypt: encrypter closed")

// Close drops the Encrypter's data key; a later Seal fails. The policy
// calls it when the producer connection ends, so that the key does not
// stay in memory until its MaxAge timer fires.
func (e *Encrypter) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cur != nil {
		e.cur.stop()
		e.cur = nil
	}
	e.closed = true
}

// recordAAD returns the GCM additional data of a record: its header, which
// is self-delimiting, then the caller's additional data.
func recordAAD(header, aad []byte) []byte {
	if len(aad) == 0 {
		return header
	}
	ad := make([]byte, 0, len(header)+len(aad))
	return append(append(ad, header...), aad...)
}
