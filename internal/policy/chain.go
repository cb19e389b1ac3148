// The chain: a virtual cluster's policies in order, with the set of API keys
// any of them asks for, so that a frame no policy wants is never decoded.

package policy

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy/errresp"
)

// maxPolicies bounds a chain's length: an exchange records which policies
// want its response in one word.
const maxPolicies = 64

// Chain is a virtual cluster's policies in order. It is immutable once
// built and shared by every connection of the virtual cluster.
type Chain struct {
	policies []Policy
	reqHooks []RequestHook
	resHooks []ResponseHook
	keys     KeySet
	caps     map[int16]int16
}

// NewChain builds the chain of ps, in order.
func NewChain(ps ...Policy) (*Chain, error) {
	if len(ps) > maxPolicies {
		return nil, fmt.Errorf("%d policies: a virtual cluster has at most %d", len(ps), maxPolicies)
	}
	c := &Chain{caps: map[int16]int16{}}
	var answered KeySet
	for _, p := range ps {
		c.policies = append(c.policies, p)
		rh, _ := p.(RequestHook)
		sh, _ := p.(ResponseHook)
		c.reqHooks = append(c.reqHooks, rh)
		c.resHooks = append(c.resHooks, sh)
		if rh != nil {
			c.keys.Union(p.RequestKeys())
		}
		if vc, ok := p.(VersionCapper); ok {
			own := map[int16]int16{}
			vc.Cap(own)
			for k, v := range own {
				if answered.Has(k) {
					continue
				}
				if old, ok := c.caps[k]; !ok || v < old {
					c.caps[k] = v
				}
			}
		}
		if a, ok := p.(Answerer); ok {
			answered.Union(a.AnsweredKeys())
		}
	}
	return c, nil
}

// Len is the number of policies.
func (c *Chain) Len() int {
	if c == nil {
		return 0
	}
	return len(c.policies)
}

// Policies returns the chain's policies in order; the slice must not be
// modified.
func (c *Chain) Policies() []Policy { return c.policies }

// Wants reports whether requests of key must be decoded and given to the
// chain. It is false for every key of an empty or nil chain.
func (c *Chain) Wants(key int16) bool {
	return c != nil && c.keys.Has(key)
}

// Caps are the version caps the policies ask for (key -> highest version,
// -1 for a key not served). The map must not be modified.
func (c *Chain) Caps() map[int16]int16 {
	if c == nil {
		return nil
	}
	return c.caps
}

// Exchange is one request on its way through the chain and, if a policy
// asked, its response on the way back. It is used by one goroutine at a
// time: the session's request loop, then its response loop.
type Exchange struct {
	// Conn is the connection the request came on.
	Conn *Conn
	// Request is the decoded request; hooks may change it in place. Byte
	// fields such as produce records alias the frame read from the
	// client and are valid until the request is forwarded.
	Request kmsg.Request

	chain *Chain
	// at is the index of the policy whose hook runs.
	at int
	// answered is the index of the policy that answered, or -1.
	answered int
	local    kmsg.Response
	state    []any
	want     uint64
	bufs     Buffers
}

// Key is the request's API key.
func (x *Exchange) Key() int16 { return x.Request.Key() }

// Version is the request's version.
func (x *Exchange) Version() int16 { return x.Request.GetVersion() }

// SetState keeps v for the running policy's response hook.
func (x *Exchange) SetState(v any) {
	if x.state == nil {
		x.state = make([]any, len(x.chain.policies))
	}
	x.state[x.at] = v
}

// State returns what the running policy kept with SetState, or nil.
func (x *Exchange) State() any {
	if x.state == nil {
		return nil
	}
	return x.state[x.at]
}

// WantResponse asks that the running policy's response hook see the
// response.
func (x *Exchange) WantResponse() { x.want |= 1 << x.at }

// Answer answers the request with resp instead of forwarding it. Later
// policies do not see the request; earlier ones that asked see resp.
func (x *Exchange) Answer(resp kmsg.Response) {
	resp.SetVersion(x.Request.GetVersion())
	x.local = resp
	x.answered = x.at
}

// Fail answers the request with the error response Kafka gives to it, with
// code in every entry the request names. msg may be empty.
func (x *Exchange) Fail(code int16, msg string) error {
	var m *string
	if msg != "" {
		m = &msg
	}
	resp, err := errresp.For(x.Request, code, m)
	if err != nil {
		return err
	}
	x.Answer(resp)
	return nil
}

// Local is the answer a policy gave, or nil when the request goes to the
// backend.
func (x *Exchange) Local() kmsg.Response { return x.local }

// NeedsResponse reports whether a policy must see the backend's response.
func (x *Exchange) NeedsResponse() bool { return x.local == nil && x.want != 0 }

// ErrNoHook is returned for a request whose key the chain does not want.
var ErrNoHook = errors.New("no policy wants this request")

// OnRequest runs the request hooks in order on req. When it returns, either
// x.Local() is an answer for the client, or x.Request is to be forwarded
// and, if x.NeedsResponse(), the response given to OnResponse.
func (c *Chain) OnRequest(ctx context.Context, conn *Conn, req kmsg.Request) (*Exchange, error) {
	x := &Exchange{Conn: conn, Request: req, chain: c, answered: -1}
	if !c.Wants(req.Key()) {
		return x, ErrNoHook
	}
	key := req.Key()
	for i, h := range c.reqHooks {
		if h == nil || !c.policies[i].RequestKeys().Has(key) {
			continue
		}
		x.at = i
		if err := h.Request(ctx, x); err != nil {
			return x, fmt.Errorf("policy %s: %w", c.policies[i].Name(), err)
		}
		if x.local != nil {
			break
		}
	}
	if x.local != nil {
		// Earlier policies see the answer as they would the backend's.
		if err := c.respond(ctx, x, x.local, x.answered); err != nil {
			return x, err
		}
	}
	return x, nil
}

// OnResponse runs the response hooks that asked, in reverse order, on the
// backend's response to x.
func (c *Chain) OnResponse(ctx context.Context, x *Exchange, resp kmsg.Response) error {
	return c.respond(ctx, x, resp, len(c.policies))
}

func (c *Chain) respond(ctx context.Context, x *Exchange, resp kmsg.Response, below int) error {
	for i := below - 1; i >= 0; i-- {
		if x.want&(1<<i) == 0 || c.resHooks[i] == nil {
			continue
		}
		x.at = i
		if err := c.resHooks[i].Response(ctx, x, resp); err != nil {
			return fmt.Errorf("policy %s: %w", c.policies[i].Name(), err)
		}
	}
	return nil
}
