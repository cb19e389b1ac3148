// This file holds Server, the authentication of one virtual cluster built
// from its config, the metrics hook it reports attempts to, and Failure, the
// error a failed attempt is.

package auth

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/policy"
)

// SASL mechanism names, as clients send them in SaslHandshake.
const (
	MechanismPlain       = "PLAIN"
	MechanismSCRAMSHA256 = "SCRAM-SHA-256"
	MechanismSCRAMSHA512 = "SCRAM-SHA-512"
	MechanismOAuthBearer = "OAUTHBEARER"
)

// Method types: the config's authentication types, what policies see as
// context.auth.type and the method label of the metrics.
const (
	MethodAnonymous         = "anonymous"
	MethodClientCertificate = "client_certificate"
	MethodPlain             = "sasl_plain"
	MethodSCRAM             = "sasl_scram"
	MethodOAuthBearer       = "oauth_bearer"
	// MethodNone labels a client that sent a request before
	// authenticating to a virtual cluster with no method that lets it.
	MethodNone = "none"
	// MethodUnknown labels a SASL mechanism Strait does not know.
	MethodUnknown = "unknown"
)

// Results of an authentication attempt, as Metrics sees them.
const (
	ResultOK                   = "ok"
	ResultFailed               = "failed"
	ResultUnsupportedMechanism = "unsupported_mechanism"
)

// MaxTokenBytes caps one SASL token from a client; a larger one fails the
// authentication.
const MaxTokenBytes = 64 << 10

// Metrics counts authentication attempts. The admin server implements it;
// it must be safe for concurrent use. Labels never hold user names.
type Metrics interface {
	// Authentication records one attempt on virtualCluster with method
	// (a Method constant) and result (a Result constant).
	Authentication(virtualCluster, method, result string)
}

// Failure is a failed authentication. It wraps ErrFailed. Neither its
// message for the client nor its error text says whether a user exists, or
// holds a password or token.
type Failure struct {
	// Mechanism is the SASL mechanism of the exchange.
	Mechanism string
	// Message is what the client is answered with, as a Kafka broker
	// would answer it.
	Message string
	// Reason says why, for logs.
	Reason string
}

// Error describes the failure for logs.
func (f *Failure) Error() string {
	return "authentication with " + f.Mechanism + " failed: " + f.Reason
}

// Unwrap returns ErrFailed.
func (f *Failure) Unwrap() error { return ErrFailed }

// ClientMessage is the error message of the SaslAuthenticate answer.
func (f *Failure) ClientMessage() string { return f.Message }

// genericMessage is Kafka's answer to a mechanism failure it does not
// explain (SaslServerAuthenticator names only the mechanism, so that
// nothing tells whether a user exists).
func genericMessage(mechanism string) string {
	return "Authentication failed during authentication due to invalid credentials with SASL mechanism " + mechanism
}

// fail builds a Failure with Kafka's generic message.
func fail(mechanism, reason string) *Failure {
	return &Failure{Mechanism: mechanism, Message: genericMessage(mechanism), Reason: reason}
}

// mechanism is one SASL method of a Server.
type mechanism interface {
	begin() Exchange
}

// Server authenticates the clients of one virtual cluster. It is built
// once per configuration and is safe for concurrent use by every
// connection of the virtual cluster.
type Server struct {
	vc       string
	delay    time.Duration
	lifetime time.Duration
	log      *slog.Logger
	metrics  Metrics
	now      func() time.Time

	// implicit lists the anonymous and client_certificate methods, in
	// config order.
	implicit []string
	mechs    []string
	byMech   map[string]mechanism
}

// NewServer builds the authentication of vc from its validated config.
// failureDelay is how long failed attempts wait before they are answered
// (runtime.failed_authentication_delay); log and m may be nil. It fetches
// nothing: JWKS are fetched when the first token needs them.
func NewServer(vc *config.VirtualCluster, failureDelay time.Duration, log *slog.Logger, m Metrics) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = noMetrics{}
	}
	s := &Server{
		vc:       vc.Name,
		delay:    failureDelay,
		lifetime: vc.MaxSessionLifetime.D(),
		log:      log.With("virtual_cluster", vc.Name),
		metrics:  m,
		now:      time.Now,
		byMech:   map[string]mechanism{},
	}
	for i := range vc.Authentication {
		a := &vc.Authentication[i]
		if err := s.add(a); err != nil {
			return nil, fmt.Errorf("authentication[%d]: %w", i, err)
		}
	}
	return s, nil
}

// add adds the method a.
func (s *Server) add(a *config.ClientAuth) error {
	var (
		name string
		m    mechanism
		err  error
	)
	switch a.Type {
	case MethodAnonymous, MethodClientCertificate:
		for _, t := range s.implicit {
			if t == a.Type {
				return fmt.Errorf("duplicate %s method", a.Type)
			}
		}
		s.implicit = append(s.implicit, a.Type)
		return nil
	case MethodPlain:
		name = MechanismPlain
		m, err = newPlain(s, a)
	case MethodSCRAM:
		m, name, err = newSCRAM(s, a)
	case MethodOAuthBearer:
		name = MechanismOAuthBearer
		m, err = newOAuthBearer(s, a)
	default:
		return fmt.Errorf("unsupported authentication type %q", a.Type)
	}
	if err != nil {
		return err
	}
	if _, dup := s.byMech[name]; dup {
		return fmt.Errorf("a second method for SASL mechanism %s", name)
	}
	s.byMech[name] = m
	s.mechs = append(s.mechs, name)
	return nil
}

// mediation parses a configured mediation, which must be one of allowed.
func mediation(a *config.ClientAuth, allowed ...Mediation) (Mediation, error) {
	for _, m := range allowed {
		if Mediation(a.Mediation) == m {
			return m, nil
		}
	}
	return "", fmt.Errorf("unsupported mediation %q for %s", a.Mediation, a.Type)
}

// Mechanisms lists the SASL mechanisms the virtual cluster enables, in
// config order.
func (s *Server) Mechanisms() []string { return slices.Clone(s.mechs) }

// FailureDelay is how long a failed authentication waits before it is
// answered.
func (s *Server) FailureDelay() time.Duration { return s.delay }

// MaxSessionLifetime is the virtual cluster's max_session_lifetime; 0 for
// no cap.
func (s *Server) MaxSessionLifetime() time.Duration { return s.lifetime }

// Implicit is the identity of a client that sends a request other than
// ApiVersions or SASL's before authenticating: that of the first anonymous
// or client_certificate method, in config order, that matches it (a
// client_certificate method matches only a connection with a verified
// certificate principal). It records the attempt.
func (s *Server) Implicit(tls TLSInfo) (policy.Auth, bool) {
	method := MethodNone
	for _, t := range s.implicit {
		method = t
		switch t {
		case MethodAnonymous:
			s.record(t, ResultOK)
			return policy.Auth{Type: MethodAnonymous}, true
		case MethodClientCertificate:
			if tls.Principal != "" {
				s.record(t, ResultOK)
				return policy.Auth{Type: MethodClientCertificate, Principal: tls.Principal}, true
			}
		}
	}
	s.record(method, ResultFailed)
	return policy.Auth{}, false
}

// Begin starts a SASL exchange with mechanism. A mechanism the virtual
// cluster does not enable fails with ErrUnsupportedMechanism, recorded.
func (s *Server) Begin(mech string, tls TLSInfo) (Exchange, error) {
	m, ok := s.byMech[mech]
	if !ok {
		s.record(methodOf(mech), ResultUnsupportedMechanism)
		return nil, ErrUnsupportedMechanism
	}
	return m.begin(), nil
}

// PassthroughResult records the backend's verdict on a passthrough or
// validate_forward exchange of mechanism. The session calls it once per
// exchange, with the backend's answer to the client's last token.
func (s *Server) PassthroughResult(mech string, ok bool) {
	r := ResultOK
	if !ok {
		r = ResultFailed
	}
	s.record(methodOf(mech), r)
}

func (s *Server) record(method, result string) {
	s.metrics.Authentication(s.vc, method, result)
}

// failed records a failed exchange and returns its Failure; the session,
// which knows the connection, logs it.
func (s *Server) failed(method string, f *Failure) *Failure {
	s.record(method, ResultFailed)
	return f
}

// succeeded records a successful terminated exchange; the session logs it.
func (s *Server) succeeded(method, mech, principal string) {
	s.record(method, ResultOK)
}

// methodOf is the method label of a SASL mechanism name from a client,
// from a bounded set.
func methodOf(mech string) string {
	switch mech {
	case MechanismPlain:
		return MethodPlain
	case MechanismSCRAMSHA256, MechanismSCRAMSHA512:
		return MethodSCRAM
	case MechanismOAuthBearer:
		return MethodOAuthBearer
	}
	return MethodUnknown
}

type noMetrics struct{}

func (noMetrics) Authentication(string, string, string) {}
