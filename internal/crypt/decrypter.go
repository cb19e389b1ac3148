// The Decrypter: opening sealed records with the data keys its key sources
// unwrap, cached.

package crypt

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Defaults of the data key cache.
const (
	DefaultCacheSize = 1024
	DefaultCacheTTL  = time.Hour
)

// DecrypterOptions configure a Decrypter's cache of unwrapped data keys.
type DecrypterOptions struct {
	// CacheSize is how many data keys the Decrypter keeps, the least
	// recently used leaving first; 0 means DefaultCacheSize. Each costs
	// about a kilobyte. One producer connection uses one data key at a
	// time, so the size bounds how many producers' records a consumer
	// reads without asking a KMS again.
	CacheSize int
	// CacheTTL is how long an unwrapped data key is kept, so that a KEK
	// revoked in a KMS stops opening records within it; 0 means
	// DefaultCacheTTL, a negative value keeps keys until they are evicted.
	CacheTTL time.Duration
}

// Decrypter opens sealed records. It is safe for concurrent use, and meant
// to be shared by every connection of a decrypt policy so that its cache
// serves them all.
type Decrypter struct {
	sources []KeySource
	cache   *keyCache
}

// NewDecrypter returns a Decrypter that looks for a record's KEK in sources,
// in order.
func NewDecrypter(sources []KeySource, opts DecrypterOptions) (*Decrypter, error) {
	if len(sources) == 0 {
		return nil, fmt.Errorf("crypt: no key sources")
	}
	for i, s := range sources {
		if s == nil {
			return nil, fmt.Errorf("crypt: key source %d is nil", i)
		}
	}
	if opts.CacheSize < 0 {
		return nil, fmt.Errorf("crypt: negative cache size %d", opts.CacheSize)
	}
	size := opts.CacheSize
	if size == 0 {
		size = DefaultCacheSize
	}
	ttl := opts.CacheTTL
	if ttl == 0 {
		ttl = DefaultCacheTTL
	}
	return &Decrypter{sources: append([]KeySource(nil), sources...), cache: newKeyCache(size, ttl)}, nil
}

// Open appends to dst the plaintext of record, a record Seal made with the
// same aad, and returns the extended slice. Its errors wrap ErrNotEncrypted,
// ErrUnsupportedVersion, ErrTampered, ErrUnknownKey, ErrKMSUnavailable or
// ErrKMSRefused. On a data key it has not seen (or has evicted), Open asks
// the key sources, and concurrent Opens of records under that key wait for
// the one that asks. dst and record may not overlap.
func (d *Decrypter) Open(ctx context.Context, dst, record, aad []byte) ([]byte, error) {
	h, n, err := parseHeader(record)
	if err != nil {
		return nil, err
	}
	aead, err := d.cache.get(ctx, h.cacheKey, func() ([]byte, error) { return d.unwrap(ctx, h) })
	if err != nil {
		return nil, err
	}
	out, err := aead.Open(dst, record[n:n+nonceSize], record[n+nonceSize:], recordAAD(record[:n], aad))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed (changed bytes, or sealed with other additional data)", ErrTampered)
	}
	return out, nil
}

// Close drops the cached data keys and stops their expiry timers. A
// Decrypter a reload replaced is closed once no connection uses it; Open
// still works after Close, with an empty cache.
func (d *Decrypter) Close() { d.cache.clear() }

// unwrap asks the sources of the record's kind for its data key, in order.
// A source that does not hold the KEK says so without a call; the first
// other answer, success or failure, ends the search, unless a later source
// succeeds after a failure (two sources that name one KEK).
func (d *Decrypter) unwrap(ctx context.Context, h header) ([]byte, error) {
	ref := string(h.ref)
	var first error
	for _, s := range d.sources {
		if s.Kind() != h.kind {
			continue
		}
		key, err := s.Unwrap(ctx, ref, h.wrapped)
		if err == nil {
			if len(key) != DataKeySize {
				return nil, fmt.Errorf("%w: %s key %q unwrapped a data key of %d bytes", ErrTampered, h.kind, ref, len(key))
			}
			return key, nil
		}
		if errors.Is(err, ErrUnknownKey) {
			continue
		}
		if first == nil {
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	return nil, fmt.Errorf("%w: the record's %s key %q is in none of the %d key sources", ErrUnknownKey, h.kind, ref, len(d.sources))
}
