// Package auth authenticates the clients of a virtual cluster: its ordered
// authentication methods (anonymous, client_certificate, sasl_plain,
// sasl_scram, oauth_bearer), each with a mediation (terminate: the gateway
// decides; passthrough: the backend decides, the gateway learns who the
// client is; validate_forward: the gateway validates an OAUTHBEARER token,
// then the backend sees it too).
//
// The session drives it: before the first request that is not ApiVersions,
// SaslHandshake or SaslAuthenticate, a client must have authenticated
// unless Server.Implicit gives it an identity (anonymous, or a verified
// client certificate).
package auth

import (
	"context"
	"errors"
	"time"

	"github.com/strait-gw/strait/internal/policy"
)

// Mediation says who decides whether a client's credentials are good.
type Mediation string

// The mediations.
const (
	Terminate       Mediation = "terminate"
	Passthrough     Mediation = "passthrough"
	ValidateForward Mediation = "validate_forward"
)

// ErrUnsupportedMechanism is returned by Begin for a mechanism the virtual
// cluster does not enable; the session answers
// UNSUPPORTED_SASL_MECHANISM with Server.Mechanisms.
var ErrUnsupportedMechanism = errors.New("unsupported SASL mechanism")

// ErrFailed is wrapped by every authentication failure; the session answers
// SASL_AUTHENTICATION_FAILED with Failure.Message (which never says whether
// a user exists) after the configured delay.
var ErrFailed = errors.New("authentication failed")

// TLSInfo is what the TLS layer learnt about the connection.
type TLSInfo struct {
	// Principal is the mapped principal of a verified client certificate;
	// empty when the client presented none.
	Principal string
}

// Exchange is one SASL authentication in progress on a connection. It is
// used by one goroutine.
type Exchange interface {
	// Mediation is how this exchange is decided. With Passthrough and
	// ValidateForward the session forwards every token to the backend
	// (after Step, which for passthrough only observes it) and the
	// backend's answer decides; with Terminate the session answers with
	// Step's reply.
	Mediation() Mediation
	// Step takes the client's next token (the SaslAuthenticate bytes, or
	// a raw token after a v0 SaslHandshake) and returns the reply token
	// for Terminate. With Terminate, done is true once the exchange has
	// succeeded; with Passthrough and ValidateForward, done is true for the
	// client's last token of the exchange, whose backend answer decides.
	// An error wrapping ErrFailed (a *Failure) is a failed authentication;
	// any other error is a protocol violation or the end of ctx.
	Step(ctx context.Context, token []byte) (reply []byte, done bool, err error)
	// Result is who the client is once done (for Passthrough: who it
	// claims to be, once the backend has accepted it; for ValidateForward:
	// who the validated token says, once the backend has accepted it too).
	Result() Result
}

// BackendVerdict is implemented by Passthrough and ValidateForward
// exchanges whose backend answer accepts or refuses the client by its
// content, not only by its error code: an OAUTHBEARER broker refuses a
// token with an error challenge under error code 0, which the client
// answers with 0x01 (a token the exchange's Step then takes, done again)
// to get the SASL_AUTHENTICATION_FAILED. The session asks it before it
// takes an answer with error code 0 to the client's last token as success.
type BackendVerdict interface {
	// Accepted reports whether the backend's SaslAuthenticate answer,
	// with error code 0 and these auth bytes, accepted the client.
	Accepted(authBytes []byte) bool
}

// Result is an authenticated identity.
type Result struct {
	Auth policy.Auth
	// Lifetime is how long the session may last before the client must
	// re-authenticate (KIP-368): the token's expiry for OAUTHBEARER, capped
	// by the virtual cluster's max_session_lifetime; 0 for no limit.
	// PLAIN and SCRAM with terminate last max_session_lifetime.
	// Passthrough exchanges have 0: the backend's answer says.
	Lifetime time.Duration
	// Scopes are the scopes of a validated OAUTHBEARER token, read from
	// its claims_mapping.scope claim; nil otherwise.
	Scopes []string
}
