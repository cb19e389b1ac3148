// SASL to backend brokers: the mechanism a cluster authenticates with, the
// exchange that runs it as Kafka requests (SaslHandshake v1, then
// SaslAuthenticate until the mechanism is done), and the authentication of
// a freshly dialed connection.
//
// Behavior notes:
//   - SaslHandshake v0 (raw tokens after the handshake) is never used: the
//     exchange needs v1 so that every token is a SaslAuthenticate request
//     with its own response, and re-authentication (KIP-368) needs v1.
//   - SaslAuthenticate is sent at the broker's highest version that kmsg
//     knows (v2, flexible, since Kafka 2.5). v1+ answers carry the session
//     lifetime, which a broker sets when connections.max.reauth.ms is set
//     (capped by an OAUTHBEARER token's expiry); v0 answers have none.
//   - The broker closes a connection after a failed authentication, so a
//     failed exchange leaves nothing to reuse.

package backend

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/protocol"
)

// Mode says how Dial, DialBroker and DialAny prepare a connection.
type Mode uint8

const (
	// Authenticate authenticates the connection with the backend
	// cluster's own credentials right after TCP and TLS, as clients of an
	// anonymous or terminate-mediated virtual cluster need. With an
	// anonymous backend cluster it adds nothing.
	Authenticate Mode = iota
	// Passthrough leaves the connection unauthenticated (TCP and TLS
	// only): the client's own SASL exchange goes to the broker
	// (passthrough and validate_forward mediation).
	Passthrough
)

// ErrAuthentication is wrapped by the errors of a SASL exchange that the
// broker or the mechanism refused (a wrong password, an unknown user, a
// mechanism the broker does not enable, a token endpoint that fails):
// another broker of the same cluster would refuse it too.
var ErrAuthentication = errors.New("authentication failed")

// saslTimeout bounds the authentication of a new connection when the
// caller's context has no earlier deadline.
const saslTimeout = 10 * time.Second

// maxSASLResponse caps the response frames read while authenticating a
// new connection: ApiVersions answers are a few KiB, SASL answers less.
const maxSASLResponse = 1 << 20

// Auth is the SASL state of one backend connection: what its owner needs
// to keep it authenticated. The zero Auth is an unauthenticated connection
// (an anonymous backend cluster, or Passthrough).
type Auth struct {
	// Mechanism is the SASL mechanism the connection authenticated with
	// (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER); empty when it
	// is not authenticated.
	Mechanism string
	// Lifetime is the session lifetime the broker granted
	// (SessionLifetimeMs, KIP-368); zero when the session does not
	// expire, and then the connection never needs re-authenticating.
	Lifetime time.Duration
	// Expires is when the broker ends the session, counted from when the
	// last SaslAuthenticate request was made (the broker counts from a
	// little later); zero when Lifetime is zero. A broker closes a
	// connection whose session expired at its next request.
	Expires time.Time
	// ReauthAt is when to re-authenticate: 2 to 5% of Lifetime before
	// Expires, and at least a second (or 1.1 times the exchange's
	// latency) before; never before the exchange ended. Zero when
	// Lifetime is zero.
	ReauthAt time.Time

	// What re-authentication needs to reproduce the exchange.
	addr             string
	handshakeVersion int16
	authVersion      int16
}

// NeedsReauth reports whether the session should be re-authenticated
// before a request is sent at now.
func (a Auth) NeedsReauth(now time.Time) bool {
	return !a.ReauthAt.IsZero() && !now.Before(a.ReauthAt)
}

// newMechanism returns the SASL mechanism of a backend cluster's
// authentication, nil for anonymous.
func newMechanism(cfg *config.BackendAuth, ts *tokenSource) (sasl.Mechanism, error) {
	switch cfg.Type {
	case "", "anonymous":
		return nil, nil
	case "sasl_plain":
		return plain.Auth{User: cfg.Username, Pass: cfg.Password}.AsMechanism(), nil
	case "sasl_scram":
		a := scram.Auth{User: cfg.Username, Pass: cfg.Password}
		switch cfg.Algorithm {
		case "sha256":
			return a.AsSha256Mechanism(), nil
		case "sha512":
			return a.AsSha512Mechanism(), nil
		}
		return nil, fmt.Errorf("authentication.algorithm: unknown SCRAM algorithm %q", cfg.Algorithm)
	case "sasl_oauthbearer":
		return oauth.Oauth(func(ctx context.Context) (oauth.Auth, error) {
			tok, err := ts.Token(ctx)
			return oauth.Auth{Token: tok}, err
		}), nil
	}
	return nil, fmt.Errorf("authentication.type: unknown type %q", cfg.Type)
}

// SASLExchange is one SASL authentication with the backend cluster's
// credentials, as a sequence of Kafka requests the caller writes and
// responses it reads, so that it can run on a connection the caller owns
// and reads in order: the session re-authenticates its backend connection
// with it between a client's requests (KIP-368). The loop is:
//
//	x, err := cluster.NewSASLExchange(ctx, auth) // auth from Dial
//	req, err := x.Next(nil)                      // a SaslHandshake request
//	for err == nil && req != nil {
//		// Write req with a correlation id of the caller's (it must not
//		// collide with those of requests still in flight); read its
//		// response frame, after the responses to earlier requests:
//		//	resp := req.ResponseKind() // at req's version
//		//	hl, _ := protocol.ResponseHeaderLen(frame, req.Key(), req.GetVersion())
//		//	err = resp.ReadFrom(frame[hl:])
//		req, err = x.Next(resp)
//	}
//	// err == nil: the connection is authenticated again; keep x.Auth().
//
// No other request may be written to the connection from the first
// request of the exchange until its last response is read: the broker is
// in the middle of a SASL exchange and would close the connection. An
// error from Next ends the exchange; the broker closes the connection
// after a failed authentication, so the caller should close it too.
//
// A SASLExchange is used by one goroutine.
type SASLExchange struct {
	cluster string
	mech    sasl.Mechanism
	prev    Auth

	sess     sasl.Session
	write    []byte // the client's next token
	mechDone bool
	state    exchangeState
	// sent is when the last SaslAuthenticate request was made; begun
	// when the exchange's first request was.
	sent, begun time.Time
	auth        Auth
}

type exchangeState uint8

const (
	exchangeStart exchangeState = iota
	exchangeHandshake
	exchangeAuthenticate
	exchangeDone
	exchangeFailed
)

// NewSASLExchange starts a re-authentication, with the cluster's
// credentials, of the connection that a describes (as Dial returned it, or
// the previous exchange's Auth). It first gets what the mechanism needs (an
// OAUTHBEARER token, from the cache or the token endpoint), so an error
// here leaves the connection untouched: it is still authenticated until
// a.Expires. It fails for a connection that is not authenticated.
func (c *Cluster) NewSASLExchange(ctx context.Context, a Auth) (*SASLExchange, error) {
	if a.Mechanism == "" || c.mech == nil {
		return nil, fmt.Errorf("backend cluster %q: the connection is not authenticated by the gateway", c.name)
	}
	if a.Mechanism != c.mech.Name() {
		// Kafka refuses a change of mechanism on re-authentication.
		return nil, fmt.Errorf("backend cluster %q: the connection authenticated with %s, the cluster now uses %s", c.name, a.Mechanism, c.mech.Name())
	}
	return c.newExchange(ctx, a)
}

// newExchange begins an exchange on the connection a describes.
func (c *Cluster) newExchange(ctx context.Context, a Auth) (*SASLExchange, error) {
	x := &SASLExchange{cluster: c.name, mech: c.mech, prev: a}
	host, _, err := net.SplitHostPort(a.addr)
	if err != nil {
		host = a.addr
	}
	sess, first, err := c.mech.Authenticate(ctx, host)
	if err == nil && len(first) == 0 {
		err = errors.New("the mechanism has no first message")
	}
	if err != nil {
		return nil, x.fail(fmt.Errorf("%w: %w", ErrAuthentication, err))
	}
	x.sess, x.write = sess, first
	return x, nil
}

// Next takes the response to the request it returned last (nil on the
// first call) and returns the next request to write, or nil once the
// connection is authenticated. The requests are a SaslHandshake, then
// SaslAuthenticate requests; a response must be of the request's kind and
// version. An error ends the exchange; it names the cluster, the broker
// and the mechanism, never a credential, and wraps ErrAuthentication when
// the broker or the mechanism refused the credentials.
func (x *SASLExchange) Next(resp kmsg.Response) (kmsg.Request, error) {
	switch x.state {
	case exchangeStart:
		if resp != nil {
			return nil, x.fail(fmt.Errorf("got a %T before any request", resp))
		}
		req := kmsg.NewPtrSASLHandshakeRequest()
		req.Version = x.prev.handshakeVersion
		req.Mechanism = x.mech.Name()
		x.state = exchangeHandshake
		x.begun = time.Now()
		return req, nil

	case exchangeHandshake:
		hr, ok := resp.(*kmsg.SASLHandshakeResponse)
		if !ok {
			return nil, x.fail(fmt.Errorf("got a %T, want a SaslHandshake response", resp))
		}
		if err := kerr.ErrorForCode(hr.ErrorCode); err != nil {
			switch {
			case errors.Is(err, kerr.UnsupportedSaslMechanism):
				err = fmt.Errorf("%w: the broker enables %v: %w", ErrAuthentication, hr.SupportedMechanisms, err)
			case errors.Is(err, kerr.IllegalSaslState) && x.prev.Mechanism == "":
				// What a listener without SASL answers.
				err = fmt.Errorf("%w: %w (is the listener a SASL_PLAINTEXT or SASL_SSL one?)", ErrAuthentication, err)
			}
			return nil, x.fail(err)
		}
		x.state = exchangeAuthenticate
		return x.authenticate(), nil

	case exchangeAuthenticate:
		ar, ok := resp.(*kmsg.SASLAuthenticateResponse)
		if !ok {
			return nil, x.fail(fmt.Errorf("got a %T, want a SaslAuthenticate response", resp))
		}
		if err := kerr.ErrorForCode(ar.ErrorCode); err != nil {
			if ar.ErrorMessage != nil && *ar.ErrorMessage != "" {
				err = fmt.Errorf("%w: %s", err, *ar.ErrorMessage)
			}
			if errors.Is(err, kerr.SaslAuthenticationFailed) {
				err = fmt.Errorf("%w: %w", ErrAuthentication, err)
			}
			return nil, x.fail(err)
		}
		if !x.mechDone {
			done, write, err := x.sess.Challenge(ar.SASLAuthBytes)
			if err != nil {
				return nil, x.fail(fmt.Errorf("%w: %w", ErrAuthentication, err))
			}
			x.mechDone, x.write = done, write
		}
		if len(x.write) > 0 {
			return x.authenticate(), nil
		}
		if !x.mechDone {
			return nil, x.fail(errors.New("the mechanism stopped before it was done"))
		}
		x.finish(ar.SessionLifetimeMillis)
		return nil, nil
	}
	return nil, fmt.Errorf("backend cluster %q: SASL exchange already ended", x.cluster)
}

// Auth is the connection's new SASL state once Next has returned nil, nil.
func (x *SASLExchange) Auth() Auth { return x.auth }

func (x *SASLExchange) authenticate() kmsg.Request {
	req := kmsg.NewPtrSASLAuthenticateRequest()
	req.Version = x.prev.authVersion
	req.SASLAuthBytes = x.write
	x.write = nil
	x.sent = time.Now()
	return req
}

// finish records the session the broker granted. Like franz-go, it
// re-authenticates a little early: clocks and latency differ, and the
// broker counts the lifetime from its own receipt of the request.
func (x *SASLExchange) finish(lifetimeMillis int64) {
	x.state = exchangeDone
	a := x.prev
	a.Mechanism = x.mech.Name()
	a.Lifetime, a.Expires, a.ReauthAt = 0, time.Time{}, time.Time{}
	if lifetimeMillis > 0 {
		// A year is as good as forever, and avoids overflows.
		lifetime := time.Duration(min(lifetimeMillis, int64(365*24*time.Hour/time.Millisecond))) * time.Millisecond
		now := time.Now()
		early := max(time.Second, 11*now.Sub(x.begun)/10, time.Duration(float64(lifetime)*(0.02+0.03*rand.Float64())))
		a.Lifetime = lifetime
		a.Expires = x.sent.Add(lifetime)
		a.ReauthAt = a.Expires.Add(-early)
		if a.ReauthAt.Before(now) {
			// A lifetime this short is re-authenticated before every
			// request.
			a.ReauthAt = now
		}
	}
	x.auth = a
}

func (x *SASLExchange) fail(err error) error {
	x.state = exchangeFailed
	return fmt.Errorf("backend cluster %q: SASL %s authentication with %s: %w", x.cluster, x.mech.Name(), x.prev.addr, err)
}

// authenticate runs ApiVersions and then the SASL exchange on a connection
// just dialed to addr, bounded by ctx.
func (c *Cluster) authenticate(ctx context.Context, conn net.Conn, addr string) (Auth, error) {
	ctx, cancel := context.WithTimeout(ctx, saslTimeout)
	defer cancel()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Cancellation interrupts the reads and writes; the deadline is reset
	// only once the interrupting function can no longer run.
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(interrupted)
		_ = conn.SetDeadline(time.Now())
	})
	a, err := c.runExchange(ctx, conn, addr)
	if !stop() {
		<-interrupted
		if err == nil {
			err = ctx.Err()
		}
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%w)", err, ctxErr)
		}
		return Auth{}, err
	}
	_ = conn.SetDeadline(time.Time{})
	return a, nil
}

func (c *Cluster) runExchange(ctx context.Context, conn net.Conn, addr string) (Auth, error) {
	rt := &roundTripper{conn: conn, f: kmsg.NewRequestFormatter(kmsg.FormatterClientID("strait"))}
	hv, av, err := saslVersions(rt)
	if err != nil {
		return Auth{}, fmt.Errorf("backend cluster %q: SASL %s authentication with %s: %w", c.name, c.mech.Name(), addr, err)
	}
	x, err := c.newExchange(ctx, Auth{addr: addr, handshakeVersion: hv, authVersion: av})
	if err != nil {
		return Auth{}, err
	}
	req, err := x.Next(nil)
	for err == nil && req != nil {
		var resp kmsg.Response
		if resp, err = rt.roundTrip(req); err != nil {
			if _, ok := req.(*kmsg.SASLAuthenticateRequest); ok && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
				// Brokers before KIP-152, and some others, refuse
				// credentials by closing the connection.
				err = fmt.Errorf("%w: the broker closed the connection: %w", ErrAuthentication, err)
			}
			return Auth{}, x.fail(err)
		}
		req, err = x.Next(resp)
	}
	if err != nil {
		return Auth{}, err
	}
	return x.Auth(), nil
}

// saslVersions asks the broker for its ApiVersions and returns the
// SaslHandshake and SaslAuthenticate versions to use.
func saslVersions(rt *roundTripper) (handshake, authenticate int16, err error) {
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	req.ClientSoftwareName = "strait"
	req.ClientSoftwareVersion = "unknown"
	body, err := rt.raw(req)
	if errors.Is(err, io.EOF) {
		err = fmt.Errorf("the broker closed the connection (is it a Kafka listener, with TLS if it needs it?): %w", err)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("ApiVersions: %w", err)
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = req.Version
	if len(body) >= 2 && int16(binary.BigEndian.Uint16(body)) == kerr.UnsupportedVersion.Code {
		// A broker older than our request answers in v0 (KIP-511); v0
		// lists every key, which is all that is needed here.
		resp.Version = 0
	}
	if err := resp.ReadFrom(body); err != nil {
		return 0, 0, fmt.Errorf("ApiVersions response: %w", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil && resp.Version != 0 {
		return 0, 0, fmt.Errorf("ApiVersions: %w", err)
	}
	handshake, authenticate = -1, -1
	for _, k := range resp.ApiKeys {
		switch k.ApiKey {
		case 17:
			handshake = min(k.MaxVersion, 1)
		case 36:
			authenticate = min(k.MaxVersion, kmsg.NewPtrSASLAuthenticateRequest().MaxVersion())
		}
	}
	if handshake < 1 || authenticate < 0 {
		return 0, 0, errors.New("the broker does not support SaslHandshake v1 and SaslAuthenticate (Kafka 1.0 or later is needed)")
	}
	return handshake, authenticate, nil
}

// roundTripper writes requests on a connection and reads their responses,
// one at a time. It reads exactly the response frames, so that the caller
// can hand the connection on.
type roundTripper struct {
	conn net.Conn
	f    *kmsg.RequestFormatter
	corr int32
	buf  []byte
}

// raw sends req and returns its response body, after the header.
func (rt *roundTripper) raw(req kmsg.Request) ([]byte, error) {
	rt.corr++
	rt.buf = rt.f.AppendRequest(rt.buf[:0], req, rt.corr)
	if _, err := rt.conn.Write(rt.buf); err != nil {
		return nil, err
	}
	var size [4]byte
	if _, err := io.ReadFull(rt.conn, size[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(size[:]))
	if n < 4 || n > maxSASLResponse {
		return nil, fmt.Errorf("response of %d bytes to %s (is it a Kafka listener, with TLS if it needs it?)", n, kmsg.NameForKey(req.Key()))
	}
	frame := make([]byte, n)
	if _, err := io.ReadFull(rt.conn, frame); err != nil {
		return nil, err
	}
	if corr := int32(binary.BigEndian.Uint32(frame)); corr != rt.corr {
		return nil, fmt.Errorf("response correlation id %d, want %d", corr, rt.corr)
	}
	hl, err := protocol.ResponseHeaderLen(frame, req.Key(), req.GetVersion())
	if err != nil {
		return nil, err
	}
	return frame[hl:], nil
}

// roundTrip sends req and decodes its response.
func (rt *roundTripper) roundTrip(req kmsg.Request) (kmsg.Response, error) {
	body, err := rt.raw(req)
	if err != nil {
		return nil, err
	}
	resp := req.ResponseKind()
	if err := resp.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("%s response: %w", kmsg.NameForKey(req.Key()), err)
	}
	return resp, nil
}
