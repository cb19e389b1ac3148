// The enforcer: the chain element that holds every acls policy of a virtual
// cluster, finds the rules that apply to a connection, and runs the check
// of each API key. Entries of a request that are refused are taken out of
// the forwarded request and put back, with their error, into the response,
// shaped by errresp as Kafka shapes them.

package acls

import (
	"context"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/policy/errresp"
)

// Enforcer enforces a virtual cluster's acls policies. It is built once per
// configuration and safe for concurrent use.
type Enforcer struct {
	vc      string
	log     *slog.Logger
	topics  policy.TopicCache
	metrics policy.PolicyMetrics
	// clientTopic, when set, maps a backend topic name, as the topic cache
	// knows it, to the name clients of the virtual cluster use, or reports
	// that the topic is not visible to them. Without it, ids the enforcer
	// has not learned resolve to backend names (see ids.go).
	clientTopic func(backend string) (string, bool)
	// learned maps topic ids to client names seen in responses.
	learned idNames

	keys     policy.KeySet
	policies []*compiledPolicy
	// static is the one rule set of every connection when no policy has a
	// condition or a names expression; nil otherwise.
	static *ruleSet
	cache  identityCache
}

var (
	_ policy.Policy        = (*Enforcer)(nil)
	_ policy.RequestHook   = (*Enforcer)(nil)
	_ policy.ResponseHook  = (*Enforcer)(nil)
	_ policy.VersionCapper = (*Enforcer)(nil)
)

// NewEnforcer builds the enforcer of a virtual cluster whose acl_mode is
// enforce_on_gateway from its enabled acls policies (specs may be empty:
// then every request that needs an ACL is refused).
//
// Topic ids are resolved to the names clients use as ids.go describes.
func NewEnforcer(specs []policy.Spec, env policy.Env) (policy.Policy, error) {
	e := &Enforcer{
		vc:     env.VirtualCluster,
		log:    env.Log,
		topics: env.Topics,
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.metrics, _ = env.Metrics.(policy.PolicyMetrics)
	for k := range hooks {
		e.keys.Add(k)
	}
	dynamic := false
	for _, s := range specs {
		cp, err := compilePolicy(s)
		if err != nil {
			return nil, err
		}
		dynamic = dynamic || cp.cond != nil
		for _, r := range cp.rules {
			dynamic = dynamic || r.expr != nil
		}
		e.policies = append(e.policies, cp)
	}
	if !dynamic {
		e.static = bind(e.policies, nil, "", e.log)
	}
	return e, nil
}

// Name implements policy.Policy.
func (e *Enforcer) Name() string { return TypeName }

// RequestKeys implements policy.Policy: every key the gateway serves that
// names a resource, or that only some principals may use.
func (e *Enforcer) RequestKeys() policy.KeySet { return e.keys }

// AnsweredKeys implements policy.Answerer: the ACL APIs are answered by the
// enforcer from its rules (DescribeAcls) or refused (CreateAcls,
// DeleteAcls), never forwarded, so later policies' caps on them do not
// apply.
func (e *Enforcer) AnsweredKeys() policy.KeySet {
	return policy.Keys(kmsg.DescribeACLs.Int16(), kmsg.CreateACLs.Int16(), kmsg.DeleteACLs.Int16())
}

// capped lists the keys not served under enforce_on_gateway:
//   - delegation tokens (38-41): a token the backend makes belongs to the
//     gateway's own backend principal, not to the client;
//   - streams groups (88, 89, 93): their topology names topics the broker
//     creates and reads for the group; those checks are not implemented.
var capped = []int16{38, 39, 40, 41, 88, 89, 93}

// Cap implements policy.VersionCapper.
func (e *Enforcer) Cap(caps map[int16]int16) {
	for _, k := range capped {
		caps[k] = -1
	}
}

// rules returns the rule set of the connection's client identity.
func (e *Enforcer) rules(conn *policy.Conn) *ruleSet {
	if e.static != nil {
		return e.static
	}
	if conn == nil {
		conn = &policy.Conn{VirtualCluster: e.vc}
	}
	key, ok := identityKey(conn.Auth)
	if ok {
		if s, hit := e.cache.get(key); hit {
			return s
		}
	}
	log := e.log
	if conn.Log != nil {
		log = conn.Log
	}
	s := bind(e.policies, conn.Vars(), conn.Auth.Principal, log)
	if ok {
		e.cache.put(key, s)
	}
	return s
}

// denied counts n refusals.
func (e *Enforcer) denied(n int) {
	if e.metrics == nil {
		return
	}
	for range n {
		e.metrics.Denied(e.vc, TypeName)
	}
}

// Request implements policy.RequestHook.
func (e *Enforcer) Request(ctx context.Context, x *policy.Exchange) error {
	h, ok := hooks[x.Key()]
	if !ok {
		return nil
	}
	c := &call{ctx: ctx, e: e, x: x, rs: e.rules(x.Conn)}
	if err := h(c); err != nil {
		return err
	}
	if x.Local() == nil && c.st != nil {
		x.SetState(c.st)
		x.WantResponse()
	}
	return nil
}

// Response implements policy.ResponseHook.
func (e *Enforcer) Response(ctx context.Context, x *policy.Exchange, resp kmsg.Response) error {
	st, _ := x.State().(*state)
	if st == nil {
		return nil
	}
	return st.apply(ctx, resp)
}

// call is one request's check.
type call struct {
	ctx context.Context
	e   *Enforcer
	x   *policy.Exchange
	rs  *ruleSet
	// st, when set, is kept for the response.
	st *state
}

// state is what a request's check leaves for its response: entries to put
// back with their errors, and work on the response itself.
type state struct {
	rs      *ruleSet
	refused []refusal
	post    []func(ctx context.Context, resp kmsg.Response)
}

// refusal is refused entries of a request, as a request of the same key
// and version holding only them, and their error.
type refusal struct {
	req  kmsg.Request
	code int16
	msg  *string
}

// apply runs the response work, then puts the refused entries back.
func (st *state) apply(ctx context.Context, resp kmsg.Response) error {
	for _, f := range st.post {
		f(ctx, resp)
	}
	for _, r := range st.refused {
		if err := mergeRefusal(resp, r); err != nil {
			return err
		}
	}
	return nil
}

// mergeRefusal adds the error entries of r to resp.
func mergeRefusal(resp kmsg.Response, r refusal) error {
	er, err := errresp.For(r.req, r.code, r.msg)
	if err != nil {
		return err
	}
	merge, ok := mergers[resp.Key()]
	if !ok {
		return errNoMerge
	}
	merge(resp, er)
	return nil
}

func (c *call) state() *state {
	if c.st == nil {
		c.st = &state{rs: c.rs}
	}
	return c.st
}

// can reports whether op on the named resource is allowed.
func (c *call) can(res resource, op kmsg.ACLOperation, name string) bool {
	return c.rs.can(res, op, name)
}

// fail answers the whole request with code.
func (c *call) fail(code int16, msg string) error {
	c.e.denied(1)
	c.st = nil
	return c.x.Fail(code, msg)
}

// needCluster fails the request with CLUSTER_AUTHORIZATION_FAILED unless
// op on the cluster is allowed.
func (c *call) needCluster(op kmsg.ACLOperation) error {
	if c.rs.canCluster(op) {
		return nil
	}
	return c.fail(codeCluster, "")
}

// refuse records refused entries (n of them, for the metrics), held by
// sub, a request of the same key and version, to be answered with code.
func (c *call) refuse(sub kmsg.Request, code int16, msg string, n int) {
	if n == 0 {
		return
	}
	c.e.denied(n)
	var m *string
	if msg != "" {
		m = &msg
	}
	st := c.state()
	st.refused = append(st.refused, refusal{req: sub, code: code, msg: m})
}

// later runs f on the response.
func (c *call) later(f func(ctx context.Context, resp kmsg.Response)) {
	st := c.state()
	st.post = append(st.post, f)
}

// answerRefused answers the request locally with the refused entries
// alone: nothing of it is left to forward. Response work registered with
// later is not run: it is for the backend's answer.
func (c *call) answerRefused() error {
	resp := c.x.Request.ResponseKind()
	resp.SetVersion(c.x.Version())
	if c.st != nil {
		for _, r := range c.st.refused {
			if err := mergeRefusal(resp, r); err != nil {
				return err
			}
		}
	}
	c.st = nil
	c.x.Answer(resp)
	return nil
}

// split moves the entries of s that keep rejects to out, keeping order;
// kept reuses s and is non-nil when s is, so that a nullable list ("all")
// never turns into null when every entry is taken out.
func split[E any](s []E, keep func(*E) bool) (kept, out []E) {
	if s == nil {
		return nil, nil
	}
	kept = s[:0]
	for i := range s {
		if keep(&s[i]) {
			kept = append(kept, s[i])
		} else {
			out = append(out, s[i])
		}
	}
	return kept, out
}

// splitBy is split with a refusal code per entry: 0 keeps it. The refused
// entries come back grouped by code, in order of first appearance.
func splitBy[E any](s []E, code func(*E) int16) (kept []E, out []coded[E]) {
	if s == nil {
		return nil, nil
	}
	kept = s[:0]
	for i := range s {
		e := s[i]
		k := code(&e)
		if k == 0 {
			kept = append(kept, e)
			continue
		}
		j := 0
		for j < len(out) && out[j].code != k {
			j++
		}
		if j == len(out) {
			out = append(out, coded[E]{code: k})
		}
		out[j].entries = append(out[j].entries, e)
	}
	return kept, out
}

// coded is refused entries sharing one error code.
type coded[E any] struct {
	code    int16
	entries []E
}
