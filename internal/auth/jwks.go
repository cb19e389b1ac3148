// This file holds the JSON Web Key Set of an oauth_bearer method: fetched
// when a token first needs it, trusted for cache_expiration, fetched again
// early when a token names a key it does not hold (at most every
// minRefetch), and never trusted stale: when the endpoint is down, tokens
// are refused (fail closed).

package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// minRefetch is the least time between two fetches of a key set, whether
// the first failed or a token named an unknown key.
const minRefetch = 5 * time.Second

// maxJWKSBytes caps a key set document.
const maxJWKSBytes = 1 << 20

// errNoKeys is a key set that could not be had.
var errNoKeys = errors.New("no key set")

// keySet is a cached JWKS. It is safe for concurrent use.
type keySet struct {
	endpoint string
	// logURL is endpoint without its query, which may hold a secret.
	logURL   string
	client   *http.Client
	cacheFor time.Duration
	log      *slog.Logger
	now      func() time.Time

	mu      sync.Mutex
	keys    []jose.JSONWebKey
	fetched time.Time // of the keys; zero before the first success
	tried   time.Time // of the last fetch, successful or not
	lastErr error     // of the last fetch
	// fetching is closed when the fetch in progress ends; nil when none
	// is.
	fetching chan struct{}
}

func newKeySet(endpoint string, timeout, cacheFor time.Duration, log *slog.Logger, now func() time.Time) *keySet {
	logURL := endpoint
	if u, err := url.Parse(endpoint); err == nil {
		u.RawQuery, u.Fragment, u.User = "", "", nil
		logURL = u.String()
	}
	return &keySet{
		endpoint: endpoint,
		logURL:   logURL,
		client:   &http.Client{Timeout: timeout},
		cacheFor: cacheFor,
		log:      log,
		now:      now,
	}
}

// lookup returns the keys with key id kid, or every key for an empty kid.
// It fetches the set when it has none, when it has expired, or when it
// holds no key kid, unless a fetch was tried less than minRefetch ago. An
// error means no trusted key set is at hand; an empty result with no error
// means the set does not hold kid.
func (k *keySet) lookup(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	for {
		k.mu.Lock()
		now := k.now()
		fresh := !k.fetched.IsZero() && now.Sub(k.fetched) < k.cacheFor
		recent := !k.tried.IsZero() && now.Sub(k.tried) < minRefetch
		var found []jose.JSONWebKey
		if fresh || (recent && k.lastErr == nil && !k.fetched.IsZero()) {
			found = k.match(kid)
			if len(found) > 0 || recent {
				k.mu.Unlock()
				return found, nil
			}
		} else if recent && k.lastErr != nil {
			err := k.lastErr
			k.mu.Unlock()
			return nil, err
		}
		if ch := k.fetching; ch != nil {
			k.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		ch := make(chan struct{})
		k.fetching = ch
		k.tried = now
		k.mu.Unlock()

		// The fetch serves every waiting connection: it outlives the
		// context of the one that started it, bounded by the timeout.
		keys, err := k.fetch(context.WithoutCancel(ctx))

		k.mu.Lock()
		if err == nil {
			k.keys, k.fetched, k.lastErr = keys, k.now(), nil
			k.log.Debug("fetched JWKS", "endpoint", k.logURL, "keys", len(keys))
		} else {
			k.lastErr = fmt.Errorf("%w: %v", errNoKeys, err)
			k.log.Error("JWKS fetch failed: OAUTHBEARER tokens are refused until it succeeds",
				"endpoint", k.logURL, "error", err, "retry_after", minRefetch)
		}
		k.fetching = nil
		close(ch)
		k.mu.Unlock()
	}
}

// match returns the keys with id kid, or all keys for an empty kid. The
// caller holds k.mu.
func (k *keySet) match(kid string) []jose.JSONWebKey {
	if kid == "" {
		return k.keys
	}
	var out []jose.JSONWebKey
	for _, key := range k.keys {
		if key.KeyID == kid {
			out = append(out, key)
		}
	}
	return out
}

// fetch gets the key set and keeps its public signing keys; keys of a type
// go-jose does not know are skipped rather than failing the set.
func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(ctx, k.client.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.endpoint, nil)
	if err != nil {
		return nil, errors.New("invalid endpoint")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			// url.Error repeats the URL, query included.
			err = uerr.Err
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("key set larger than %d bytes", maxJWKSBytes)
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, errors.New("not a JSON key set")
	}
	var keys []jose.JSONWebKey
	skipped := 0
	for _, raw := range doc.Keys {
		var key jose.JSONWebKey
		if err := key.UnmarshalJSON(raw); err != nil || !usableKey(key) {
			skipped++
			continue
		}
		keys = append(keys, key)
	}
	if skipped > 0 {
		k.log.Debug("JWKS keys skipped (unknown type, private, symmetric or not for signatures)", "endpoint", k.logURL, "skipped", skipped)
	}
	if len(keys) == 0 {
		return nil, errors.New("the key set holds no public signing key")
	}
	return keys, nil
}

// usableKey reports whether key is a public key for signatures: RSA, EC
// or Ed25519. Symmetric keys are refused, so that a token signed with HMAC
// and a published key can never pass.
func usableKey(key jose.JSONWebKey) bool {
	if key.Use != "" && key.Use != "sig" {
		return false
	}
	switch key.Key.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return true
	}
	return false
}
