// Package policy holds the per-virtual-cluster policy chain: the Policy
// interface and its optional hooks, the chain that runs them for the API
// keys they ask for, the per-connection state they read, CEL conditions,
// and the registry of policy types that the config decoder and the gateway
// look policies up in.
package policy

import (
	"context"
	"log/slog"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// MaxKey is one above the largest API key a chain can be asked about.
const MaxKey = 128

// KeySet is a set of API keys.
type KeySet [MaxKey / 64]uint64

// Keys returns the set of the given keys.
func Keys(keys ...int16) KeySet {
	var s KeySet
	for _, k := range keys {
		s.Add(k)
	}
	return s
}

// Add puts key in the set.
func (s *KeySet) Add(key int16) {
	if key >= 0 && key < MaxKey {
		s[key/64] |= 1 << (key % 64)
	}
}

// Has reports whether key is in the set.
func (s KeySet) Has(key int16) bool {
	return key >= 0 && key < MaxKey && s[key/64]&(1<<(key%64)) != 0
}

// Union adds every key of o to s.
func (s *KeySet) Union(o KeySet) {
	for i := range s {
		s[i] |= o[i]
	}
}

// Empty reports whether the set has no key.
func (s KeySet) Empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

// Policy is one rule of a virtual cluster's chain. A policy sees the
// requests of the keys it names, decoded; it acts through the optional
// interfaces RequestHook, ResponseHook and VersionCapper. Policies are
// built once per configuration and shared by every connection: they must
// be safe for concurrent use and keep per-request state in the Exchange.
type Policy interface {
	// Name names the policy in logs and metrics.
	Name() string
	// RequestKeys are the API keys whose requests the policy must see.
	RequestKeys() KeySet
}

// RequestHook is implemented by a policy that acts on requests. It may
// change x.Request in place, answer it with x.Answer or x.Fail (the
// request then goes no further and the backend never sees it), keep state
// for its response hook with x.SetState, and ask to see the response with
// x.WantResponse. An error is a protocol violation: the connection closes.
type RequestHook interface {
	Request(ctx context.Context, x *Exchange) error
}

// ResponseHook is implemented by a policy that acts on responses. It runs
// for an exchange only if the policy's request hook called WantResponse,
// in the reverse order of the request hooks, on the backend's response or
// on the answer of a later policy. It may change resp in place.
type ResponseHook interface {
	Response(ctx context.Context, x *Exchange, resp kmsg.Response) error
}

// VersionCapper is implemented by a policy that cannot handle every
// version of some API keys. Cap lowers caps[key] to the highest version it
// handles, or to -1 for a key that must not be served at all; a key absent
// from caps is not limited.
type VersionCapper interface {
	Cap(caps map[int16]int16)
}

// Answerer is implemented by a policy that answers every request of some
// API keys itself (at every version it lets through), so that no later
// policy ever sees them: the caps of later policies on those keys do not
// apply.
type Answerer interface {
	AnsweredKeys() KeySet
}

// Auth is who the client of a connection is. It is what conditions see as
// context.auth.
type Auth struct {
	// Type is the method the client authenticated with: anonymous,
	// client_certificate, sasl_plain, sasl_scram, oauth_bearer.
	Type string
	// Principal is the client's name; empty for anonymous clients.
	Principal string
	// Claims are the token's claims for oauth_bearer, else nil.
	Claims map[string]any
}

// Conn is the state of one client connection that policies read. The
// session owns it; policies must not keep it beyond an exchange.
type Conn struct {
	// VirtualCluster is the name of the virtual cluster the connection is
	// bound to.
	VirtualCluster string
	// Auth is the client's identity. It is set before the first request
	// that reaches the chain and changes only on re-authentication.
	Auth Auth
	Log  *slog.Logger

	vars map[string]any

	mu     sync.Mutex
	states map[any]any
}

// Close releases the state policies kept for the connection: each that
// has a Close method is closed. The session calls it when the connection
// ends.
func (c *Conn) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.states {
		if cl, ok := v.(interface{ Close() }); ok {
			cl.Close()
		}
	}
	c.states = nil
}

// PolicyState returns the state a policy keeps for this connection (a
// data key, say), made by mk on first use. key identifies the policy.
func (c *Conn) PolicyState(key any, mk func() any) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.states[key]; ok {
		return v
	}
	if c.states == nil {
		c.states = map[any]any{}
	}
	v := mk()
	c.states[key] = v
	return v
}

// SetAuth sets the client's identity.
func (c *Conn) SetAuth(a Auth) {
	c.Auth = a
	c.vars = nil
}

// Vars returns the CEL variables that describe the connection: context
// with auth filled in. The map is cached and must not be modified.
func (c *Conn) Vars() map[string]any {
	if c.vars == nil {
		claims := c.Auth.Claims
		if claims == nil {
			claims = map[string]any{}
		}
		c.vars = map[string]any{
			"context": map[string]any{
				"auth": map[string]any{
					"type":      c.Auth.Type,
					"principal": map[string]any{"name": c.Auth.Principal},
					"token":     map[string]any{"claims": claims},
				},
				"virtual_cluster": map[string]any{"name": c.VirtualCluster},
			},
		}
	}
	return c.vars
}
