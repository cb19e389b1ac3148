// Client authentication in a session: SaslHandshake and SaslAuthenticate
// are answered by the gateway (terminate) or forwarded to the backend while
// the gateway watches who the client becomes (passthrough), and no other
// request but ApiVersions passes before the client has an identity.

package session

import (
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/auth"
	"github.com/strait-gw/strait/internal/policy"
	"github.com/strait-gw/strait/internal/protocol"
)

// Authenticator authenticates a virtual cluster's clients; *auth.Server
// implements it.
type Authenticator interface {
	// Mechanisms lists the SASL mechanisms clients may use.
	Mechanisms() []string
	// Implicit is the identity of a client that sends a request other
	// than SASL's before authenticating (anonymous, or its certificate),
	// if the virtual cluster allows one.
	Implicit(tls auth.TLSInfo) (policy.Auth, bool)
	// Begin starts a SASL exchange, or fails with
	// auth.ErrUnsupportedMechanism.
	Begin(mechanism string, tls auth.TLSInfo) (auth.Exchange, error)
	// FailureDelay is how long a failed authentication waits before it is
	// answered.
	FailureDelay() time.Duration
}

// PassthroughObserver is implemented by an Authenticator that counts the
// backend's verdicts on passthrough exchanges.
type PassthroughObserver interface {
	PassthroughResult(mechanism string, ok bool)
}

// errAuthClosed ends a session after an answer that, as on a broker, closes
// the connection (a failed authentication, an unsupported mechanism).
var errAuthClosed = errors.New("connection closed after a failed authentication")

// authState is the session's authentication. It belongs to the request
// loop, except passed, which the response loop fills in when the backend
// accepts a passthrough exchange.
type authState struct {
	authed    bool
	principal string
	// expires is when the client must have re-authenticated; zero for
	// never.
	expires time.Time
	// mech and exch are the exchange in progress after a handshake.
	mech string
	exch auth.Exchange
	// passed is an identity the backend accepted, for the request loop
	// to take on.
	passed chan auth.Result
}

// tlsInfo is what the session knows of the client's TLS.
func (s *session) tlsInfo() auth.TLSInfo { return auth.TLSInfo{Principal: s.cfg.Principal} }

// setAuth gives the connection an identity.
func (s *session) setAuth(r auth.Result) error {
	a := &s.auth
	if a.authed && r.Auth.Principal != a.principal {
		// KIP-368: re-authentication may not change who the client is.
		return fmt.Errorf("re-authentication as %q, was %q", r.Auth.Principal, a.principal)
	}
	a.authed, a.principal = true, r.Auth.Principal
	a.expires = time.Time{}
	if r.Lifetime > 0 {
		a.expires = time.Now().Add(r.Lifetime)
	}
	s.conn.SetAuth(r.Auth)
	return nil
}

// authenticate handles a request for authentication: SASL requests are
// answered or forwarded (handled is true), and any other request passes
// only once the client has an identity. An error ends the session.
func (s *session) authenticate(h protocol.RequestHeader, e inflight, p []byte, size int) (handled bool, err error) {
	a := &s.auth
	select {
	case r := <-a.passed:
		a.exch = nil
		if err := s.setAuth(r); err != nil {
			return false, err
		}
	default:
	}
	switch h.Key {
	case kmsg.ApiVersions.Int16():
		return false, nil
	case kmsg.SASLHandshake.Int16():
		return true, s.saslHandshake(h, e, p, size)
	case kmsg.SASLAuthenticate.Int16():
		return true, s.saslAuthenticate(h, e, p, size)
	}
	if a.exch != nil {
		// Kafka reads nothing but SASL between a handshake and the end
		// of its exchange.
		return false, fmt.Errorf("%s request during a SASL exchange", kmsg.NameForKey(h.Key))
	}
	if !a.authed {
		id, ok := s.cfg.Auth.Implicit(s.tlsInfo())
		if !ok {
			return false, fmt.Errorf("%s request before authentication", kmsg.NameForKey(h.Key))
		}
		if err := s.setAuth(auth.Result{Auth: id}); err != nil {
			return false, err
		}
	}
	if !a.expires.IsZero() && time.Now().After(a.expires) {
		// As Kafka: a session whose lifetime ended without
		// re-authentication is closed at its next request.
		return false, fmt.Errorf("SASL session of %q expired", a.principal)
	}
	return false, nil
}

// decodeRequest reads a whole request frame and decodes its body.
func (s *session) decodeRequest(h protocol.RequestHeader, p []byte, size int, req kmsg.Request) (frame []byte, pooled *[]byte, err error) {
	frame, pooled, err = readFrame(s.cr, p, size)
	if err != nil {
		return nil, pooled, err
	}
	return frame, pooled, decodeBody(h, frame, req)
}

// decodeBody decodes the body of the request frame into req.
func decodeBody(h protocol.RequestHeader, frame []byte, req kmsg.Request) error {
	req.SetVersion(h.Version)
	if err := req.ReadFrom(frame[4+h.Len:]); err != nil {
		return fmt.Errorf("%w: decoding %s v%d request: %v", protocol.ErrMalformed, kmsg.NameForKey(h.Key), h.Version, err)
	}
	return nil
}

// answer queues a response the gateway makes for the request in p; with
// closeAfter the session ends once it is written.
func (s *session) answer(h protocol.RequestHeader, e inflight, p []byte, size int, resp kmsg.Response, closeAfter bool) error {
	resp.SetVersion(h.Version)
	e.local = s.localResponse(h, resp.AppendTo(nil))
	e.closeAfter = closeAfter
	if len(p) == size {
		if _, err := s.cr.Discard(size); err != nil {
			return err
		}
	}
	return s.push(e)
}

func (s *session) saslHandshake(h protocol.RequestHeader, e inflight, p []byte, size int) error {
	req := kmsg.NewPtrSASLHandshakeRequest()
	_, pooled, err := s.decodeRequest(h, p, size, req)
	defer putFrameBuf(pooled)
	if err != nil {
		return err
	}
	resp := kmsg.NewPtrSASLHandshakeResponse()
	if h.Version == 0 {
		// v0 is followed by raw tokens outside Kafka framing, which only
		// clients older than Kafka 1.0 send: refused.
		resp.ErrorCode = kerr.UnsupportedVersion.Code
		resp.SupportedMechanisms = s.cfg.Auth.Mechanisms()
		return s.answer(h, e, p, size, resp, true)
	}
	if s.auth.exch != nil {
		resp.ErrorCode = kerr.IllegalSaslState.Code
		return s.answer(h, e, p, size, resp, true)
	}
	exch, err := s.cfg.Auth.Begin(req.Mechanism, s.tlsInfo())
	if err != nil {
		if !errors.Is(err, auth.ErrUnsupportedMechanism) {
			return err
		}
		resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
		resp.SupportedMechanisms = s.cfg.Auth.Mechanisms()
		return s.answer(h, e, p, size, resp, true)
	}
	s.auth.mech, s.auth.exch = req.Mechanism, exch
	if exch.Mediation() != auth.Terminate {
		// The backend runs the exchange: it sees the handshake too.
		return s.forwardRaw(e, p, size)
	}
	resp.SupportedMechanisms = s.cfg.Auth.Mechanisms()
	return s.answer(h, e, p, size, resp, false)
}

func (s *session) saslAuthenticate(h protocol.RequestHeader, e inflight, p []byte, size int) error {
	req := kmsg.NewPtrSASLAuthenticateRequest()
	frame, pooled, err := s.decodeRequest(h, p, size, req)
	defer putFrameBuf(pooled)
	if err != nil {
		return err
	}
	resp := kmsg.NewPtrSASLAuthenticateResponse()
	exch := s.auth.exch
	if exch == nil {
		resp.ErrorCode = kerr.IllegalSaslState.Code
		resp.ErrorMessage = kmsg.StringPtr("SaslAuthenticate before SaslHandshake")
		return s.answer(h, e, p, size, resp, true)
	}
	reply, done, err := exch.Step(s.ctx, req.SASLAuthBytes)
	if err != nil {
		if !errors.Is(err, auth.ErrFailed) {
			return err
		}
		reason := err.Error()
		var f *auth.Failure
		if errors.As(err, &f) {
			reason = f.Reason
		}
		s.log.Debug("authentication failed", "mechanism", s.auth.mech, "reason", reason)
		s.auth.exch = nil
		// As Kafka's connection.failed.authentication.delay.ms: a
		// client guessing passwords waits for each answer.
		if d := s.cfg.Auth.FailureDelay(); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
			}
		}
		resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
		resp.ErrorMessage = kmsg.StringPtr(authFailureMessage(s.auth.mech, err))
		return s.answer(h, e, p, size, resp, true)
	}
	if exch.Mediation() != auth.Terminate {
		// The exchange stays open until the backend's answer to its last
		// token says it succeeded (an OAUTHBEARER refusal comes as a
		// challenge, after which the client sends one more token).
		e.pass, e.final = exch, done
		e.mech = s.auth.mech
		if err := s.ensureBackend(); err != nil {
			return err
		}
		if err := s.push(e); err != nil {
			return err
		}
		if _, err := s.backend.Write(frame); err != nil {
			return err
		}
		if len(p) == size {
			_, err = s.cr.Discard(size)
		}
		return err
	}
	resp.SASLAuthBytes = reply
	if done {
		s.auth.exch = nil
		r := exch.Result()
		if err := s.setAuth(r); err != nil {
			resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
			resp.ErrorMessage = kmsg.StringPtr("re-authentication may not change the principal")
			return s.answer(h, e, p, size, resp, true)
		}
		resp.SessionLifetimeMillis = r.Lifetime.Milliseconds()
		s.log.Debug("client authenticated", "mechanism", s.auth.mech, "principal", r.Auth.Principal)
	}
	return s.answer(h, e, p, size, resp, false)
}

// authFailureMessage is what the client reads: the mechanism and, for
// token problems, why; never whether a user exists.
func authFailureMessage(mech string, err error) string {
	var f interface{ ClientMessage() string }
	if errors.As(err, &f) {
		return f.ClientMessage()
	}
	return "Authentication failed during authentication due to invalid credentials with SASL mechanism " + mech
}

// forwardRaw forwards the request in p as is.
func (s *session) forwardRaw(e inflight, p []byte, size int) error {
	if err := s.ensureBackend(); err != nil {
		return err
	}
	if err := s.push(e); err != nil {
		return err
	}
	return forward(s.backend, s.cr, s.client, p, size)
}

// passthroughResponse forwards the backend's answer to a passthrough
// SaslAuthenticate, and when it ends the exchange successfully, hands the
// identity to the request loop.
func (s *session) passthroughResponse(e inflight, p []byte, size int) error {
	frame, pooled, err := readFrame(s.br, p, size)
	defer putFrameBuf(pooled)
	if err != nil {
		return err
	}
	hl, err := protocol.ResponseHeaderLen(frame[4:], e.key, e.version)
	if err != nil {
		return err
	}
	resp := kmsg.NewPtrSASLAuthenticateResponse()
	resp.SetVersion(e.version)
	if err := resp.ReadFrom(frame[4+hl:]); err != nil {
		return fmt.Errorf("%w: decoding SaslAuthenticate response: %v", protocol.ErrMalformed, err)
	}
	ok := resp.ErrorCode == 0
	if ok && e.final {
		if v, isV := e.pass.(auth.BackendVerdict); isV {
			ok = v.Accepted(resp.SASLAuthBytes)
		}
	}
	obs, isObs := s.cfg.Auth.(PassthroughObserver)
	if isObs && (!ok || e.final) {
		obs.PassthroughResult(e.mech, ok)
	}
	if ok && e.final {
		r := e.pass.Result()
		backendLife := time.Duration(resp.SessionLifetimeMillis) * time.Millisecond
		switch {
		case e.pass.Mediation() == auth.ValidateForward && r.Lifetime > 0 && (backendLife <= 0 || r.Lifetime < backendLife):
			// The token ends before the backend's session: the client
			// must re-authenticate by then, so it is told.
			resp.SessionLifetimeMillis = r.Lifetime.Milliseconds()
			if e.version >= 1 {
				frame = withSize(resp.AppendTo(append([]byte(nil), frame[:4+hl]...)))
			}
		case backendLife > 0:
			r.Lifetime = backendLife
		}
		select {
		case s.auth.passed <- r:
		default:
		}
	}
	if _, err := s.client.Write(frame); err != nil {
		return err
	}
	if len(p) == size {
		_, err = s.br.Discard(size)
	}
	return err
}
