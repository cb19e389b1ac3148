// The Decrypter's cache of unwrapped data keys: bounded, least recently
// used first out, one load at a time per key, errors never kept.

package crypt

import (
	"container/list"
	"context"
	"crypto/cipher"
	"errors"
	"sync"
	"time"
)

// keyCache maps a record's key bytes (kind, reference and wrapped data key)
// to the AEAD of its data key.
type keyCache struct {
	size  int
	ttl   time.Duration // <0: no expiry
	after afterFunc     // time.AfterFunc; tests replace it

	mu      sync.Mutex
	entries map[string]*cacheEntry
	lru     list.List // of *cacheEntry, loaded ones only, most recent first

	// waiting counts callers waiting for another's load; for tests.
	waiting int
}

// cacheEntry is a loaded data key, or one being loaded.
type cacheEntry struct {
	key string
	// done is closed when the load ends; aead and err are set before and
	// not changed after.
	done chan struct{}
	aead cipher.AEAD
	err  error
	elem *list.Element // in lru once loaded
	// stop stops the timer that removes the entry after the TTL: a hit
	// reads no clock.
	stop func() bool
}

func newKeyCache(size int, ttl time.Duration) *keyCache {
	return &keyCache{size: size, ttl: ttl, after: timeAfterFunc, entries: make(map[string]*cacheEntry)}
}

// get returns the AEAD of the data key named by key, calling load for the
// data key when no entry holds it. A caller that finds a load in progress
// waits for it; a load that fails is forgotten, so the next get loads
// again, and its error goes to the callers that waited for it, except a
// context error from the loader's context, after which a waiter whose own
// context is live loads again.
func (c *keyCache) get(ctx context.Context, key []byte, load func() ([]byte, error)) (cipher.AEAD, error) {
	for {
		c.mu.Lock()
		e := c.entries[string(key)] // no allocation for the lookup
		if e == nil {
			break // with mu held
		}
		select {
		case <-e.done:
			c.lru.MoveToFront(e.elem)
			c.mu.Unlock()
			return e.aead, nil
		default:
		}
		c.waiting++
		c.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			c.mu.Lock()
			c.waiting--
			c.mu.Unlock()
			return nil, ctx.Err()
		}
		c.mu.Lock()
		c.waiting--
		c.mu.Unlock()
		if e.err == nil {
			return e.aead, nil
		}
		if isContextErr(e.err) && ctx.Err() == nil {
			continue // the loader gave up, not the KMS: try again
		}
		return nil, e.err
	}

	e := &cacheEntry{key: string(key), done: make(chan struct{})}
	c.entries[e.key] = e
	c.mu.Unlock()

	var aead cipher.AEAD
	err := errLoadPanicked
	defer func() {
		if err == errLoadPanicked { // release the waiters, then panic on
			c.mu.Lock()
			delete(c.entries, e.key)
			e.err = err
			close(e.done)
			c.mu.Unlock()
		}
	}()
	aead, err = c.build(load)

	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		delete(c.entries, e.key)
		e.err = err
		close(e.done)
		return nil, err
	}
	e.aead = aead
	if c.ttl >= 0 {
		e.stop = c.after(c.ttl, func() { c.expire(e) })
	}
	e.elem = c.lru.PushFront(e)
	for c.lru.Len() > c.size {
		c.remove(c.lru.Back().Value.(*cacheEntry))
	}
	close(e.done)
	return aead, nil
}

func (c *keyCache) build(load func() ([]byte, error)) (cipher.AEAD, error) {
	dataKey, err := load()
	if err != nil {
		return nil, err
	}
	defer clear(dataKey)
	return newAEAD(dataKey)
}

// remove drops a loaded entry that is in the cache. c.mu must be held.
func (c *keyCache) remove(e *cacheEntry) {
	c.lru.Remove(e.elem)
	delete(c.entries, e.key)
	if e.stop != nil {
		e.stop()
	}
}

// expire removes e when its TTL has passed, unless it has left already.
func (c *keyCache) expire(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[e.key] == e && e.elem != nil {
		c.remove(e)
	}
}

// clear drops every loaded entry and stops their timers.
func (c *keyCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.lru.Len() > 0 {
		c.remove(c.lru.Back().Value.(*cacheEntry))
	}
}

// len returns the number of loaded entries.
func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

var errLoadPanicked = errors.New("crypt: key source panicked")

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
