// This file holds SASL/OAUTHBEARER (RFC 7628) with JWT bearer tokens: the
// client message's parsing, token validation against a JWKS (terminate and
// validate_forward), and the reading of an unverified token's subject on
// the way to the backend (passthrough).

package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/policy"
)

// Kafka's answers to OAUTHBEARER failures: an invalid token gets this
// error challenge, the client answers it with a lone 0x01, and the
// exchange then fails with the challenge as its message
// (OAuthBearerSaslServer).
const (
	oauthInvalidToken = `{"status":"invalid_token"}`
	oauthBadAuthzID   = "Authentication failed: Client requested an authorization id that is different from the token's principal name"
)

// clockSkew is the leeway on a token's nbf and iat, as Kafka's default
// sasl.oauthbearer.clock.skew.seconds. A token must not have expired.
const clockSkew = 30 * time.Second

// signatureAlgorithms are the JWS algorithms accepted: asymmetric only.
var signatureAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.EdDSA,
}

// OAuthBearerMessage is a parsed OAUTHBEARER client initial response.
type OAuthBearerMessage struct {
	// AuthzID is the authorization identity, empty when not given.
	AuthzID string
	// Token is the bearer token. It must never be logged.
	Token string
	// Extensions are the key/value pairs besides auth.
	Extensions map[string]string
}

// ParseOAuthBearer parses an OAUTHBEARER client initial response as
// Kafka's OAuthBearerClientInitialResponse does:
// "n,[a=authzid],\x01auth=Bearer <token>\x01[key=value\x01...]\x01". The
// error never holds the token.
func ParseOAuthBearer(msg []byte) (OAuthBearerMessage, error) {
	if len(msg) > MaxTokenBytes {
		return OAuthBearerMessage{}, fmt.Errorf("message of %d bytes exceeds %d", len(msg), MaxTokenBytes)
	}
	s, ok := strings.CutPrefix(string(msg), "n,")
	if !ok {
		return OAuthBearerMessage{}, errors.New("no GS2 header")
	}
	header, rest, ok := strings.Cut(s, ",")
	if !ok {
		return OAuthBearerMessage{}, errors.New("no GS2 header")
	}
	var m OAuthBearerMessage
	if header != "" {
		a, ok := strings.CutPrefix(header, "a=")
		if !ok {
			return OAuthBearerMessage{}, errors.New("bad authorization identity field")
		}
		if m.AuthzID, ok = decodeSASLName(a); !ok || m.AuthzID == "" {
			return OAuthBearerMessage{}, errors.New("bad authorization identity")
		}
	}
	rest, ok = strings.CutPrefix(rest, "\x01")
	if !ok {
		return OAuthBearerMessage{}, errors.New("no key/value pairs")
	}
	rest, ok = strings.CutSuffix(rest, "\x01")
	if !ok {
		return OAuthBearerMessage{}, errors.New("no final separator")
	}
	auth := ""
	for rest != "" {
		var kv string
		kv, rest, ok = strings.Cut(rest, "\x01")
		if !ok {
			return OAuthBearerMessage{}, errors.New("unterminated key/value pair")
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !validExtensionKey(k) || !validExtensionValue(v) {
			return OAuthBearerMessage{}, errors.New("bad key/value pair")
		}
		if k == "auth" {
			if auth != "" {
				return OAuthBearerMessage{}, errors.New("auth given twice")
			}
			auth = v
			continue
		}
		if m.Extensions == nil {
			m.Extensions = map[string]string{}
		}
		m.Extensions[k] = v
	}
	if auth == "" {
		return OAuthBearerMessage{}, errors.New("no auth")
	}
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return OAuthBearerMessage{}, errors.New("auth is not a bearer token")
	}
	m.Token = strings.TrimLeft(token, " ")
	if m.Token == "" || strings.Trim(m.Token, "-_.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
		return OAuthBearerMessage{}, errors.New("bad token characters")
	}
	return m, nil
}

func validExtensionKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func validExtensionValue(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x21 || c > 0x7e) && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// oauthMethod is an oauth_bearer method.
type oauthMethod struct {
	s          *Server
	mediation  Mediation
	keys       *keySet // nil with passthrough
	issuer     string
	audiences  []string
	subClaim   string
	scopeClaim string
}

func newOAuthBearer(s *Server, a *config.ClientAuth) (*oauthMethod, error) {
	med, err := mediation(a, Terminate, ValidateForward, Passthrough)
	if err != nil {
		return nil, err
	}
	m := &oauthMethod{s: s, mediation: med, subClaim: "sub", scopeClaim: "scope"}
	if cm := a.ClaimsMapping; cm != nil {
		if cm.Sub != "" {
			m.subClaim = cm.Sub
		}
		if cm.Scope != "" {
			m.scopeClaim = cm.Scope
		}
	}
	if med == Passthrough {
		return m, nil
	}
	j := a.JWKS
	if j == nil || j.Endpoint == "" {
		return nil, fmt.Errorf("mediation %s needs jwks", med)
	}
	timeout, cacheFor := j.Timeout.D(), j.CacheExpiration.D()
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if cacheFor <= 0 {
		cacheFor = time.Hour
	}
	m.keys = newKeySet(j.Endpoint, timeout, cacheFor, s.log, func() time.Time { return s.now() })
	if v := a.Validate; v != nil {
		m.issuer = v.Issuer
		for _, au := range v.Audiences {
			m.audiences = append(m.audiences, au.Name)
		}
	}
	return m, nil
}

func (m *oauthMethod) begin() Exchange { return &oauthExchange{m: m} }

var _ BackendVerdict = (*oauthExchange)(nil)

// validToken is what a validated bearer token says.
type validToken struct {
	// Principal is the value of the principal claim (sub by default).
	Principal string
	// Scopes are the values of the scope claim.
	Scopes []string
	// Claims are every claim of the token.
	Claims map[string]any
	// Expiry is the token's exp.
	Expiry time.Time
}

// tokenError is why a token is refused, for logs: never the token.
type tokenError string

func (e tokenError) Error() string { return string(e) }

// validate checks token's signature against the key set and its claims,
// and returns what it says. An error wrapping errNoKeys means no key set
// could be had; a context error ends the wait for one.
func (m *oauthMethod) validate(ctx context.Context, token string) (validToken, error) {
	tok, err := jwt.ParseSigned(token, signatureAlgorithms)
	if err != nil {
		return validToken{}, tokenError("not a signed JWT with an accepted algorithm")
	}
	if len(tok.Headers) != 1 {
		return validToken{}, tokenError("not one signature")
	}
	h := tok.Headers[0]
	keys, err := m.keys.lookup(ctx, h.KeyID)
	if err != nil {
		return validToken{}, err
	}
	if len(keys) == 0 {
		return validToken{}, tokenError("signed by a key the key set does not hold")
	}
	var (
		std      jwt.Claims
		claims   map[string]any
		verified bool
	)
	for _, k := range keys {
		if !keyFits(k, h.Algorithm) {
			continue
		}
		if err := tok.Claims(k.Key, &std, &claims); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return validToken{}, tokenError("signature not verified")
	}
	now := m.s.now()
	exp := jwt.Expected{Issuer: m.issuer, AnyAudience: m.audiences, Time: now}
	if err := std.ValidateWithLeeway(exp, clockSkew); err != nil {
		switch {
		case errors.Is(err, jwt.ErrExpired):
			return validToken{}, tokenError("expired")
		case errors.Is(err, jwt.ErrNotValidYet):
			return validToken{}, tokenError("not valid yet (nbf)")
		case errors.Is(err, jwt.ErrIssuedInTheFuture):
			return validToken{}, tokenError("issued in the future (iat)")
		case errors.Is(err, jwt.ErrInvalidIssuer):
			return validToken{}, tokenError("wrong issuer")
		case errors.Is(err, jwt.ErrInvalidAudience):
			return validToken{}, tokenError("wrong audience")
		}
		return validToken{}, tokenError("claims not valid")
	}
	if std.Expiry == nil {
		return validToken{}, tokenError("no exp claim")
	}
	t := validToken{Claims: claims, Expiry: std.Expiry.Time()}
	if !t.Expiry.After(now) {
		return validToken{}, tokenError("expired")
	}
	var ok bool
	if t.Principal, ok = claims[m.subClaim].(string); !ok || t.Principal == "" {
		return validToken{}, tokenError("no principal claim " + m.subClaim)
	}
	t.Scopes = scopes(claims[m.scopeClaim])
	return t, nil
}

// keyFits reports whether key can verify a signature with alg.
func keyFits(key jose.JSONWebKey, alg string) bool {
	if key.Algorithm != "" && key.Algorithm != alg {
		return false
	}
	switch key.Key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		return strings.HasPrefix(alg, "ES")
	case ed25519.PublicKey:
		return alg == string(jose.EdDSA)
	}
	return false
}

// scopes reads a scope claim: a space-separated string or a list of
// strings.
func scopes(v any) []string {
	switch v := v.(type) {
	case string:
		return strings.Fields(v)
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// unverifiedClaims decodes the claims of a JWS compact token without
// checking anything: what a passthrough exchange learns of the client.
func unverifiedClaims(token string) (map[string]any, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, false
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, false
	}
	return claims, true
}

// oauthExchange is one OAUTHBEARER exchange.
type oauthExchange struct {
	m *oauthMethod
	// rejected is set once the error challenge went to the client, which
	// must answer it with 0x01.
	rejected bool
	ended    bool
	// acked is set once the client acknowledged a backend's error
	// challenge (forward mediations).
	acked  bool
	result Result
}

func (x *oauthExchange) Mediation() Mediation { return x.m.mediation }

func (x *oauthExchange) Result() Result { return x.result }

// Accepted reports whether the backend accepted the forwarded token: a
// broker answers a good one with no bytes, a bad one with an error
// challenge.
func (x *oauthExchange) Accepted(authBytes []byte) bool { return len(authBytes) == 0 }

func (x *oauthExchange) Step(ctx context.Context, token []byte) ([]byte, bool, error) {
	m, s := x.m, x.m.s
	switch {
	case x.ended && x.m.mediation != Terminate && !x.acked && len(token) == 1 && token[0] == 0x01:
		// The client acknowledges the backend's error challenge; the
		// backend ends the exchange.
		x.acked = true
		x.result = Result{}
		return nil, true, nil
	case x.ended:
		return nil, false, errStepAfterEnd
	case x.rejected:
		x.ended = true
		if len(token) == 1 && token[0] == 0x01 {
			return nil, false, &Failure{Mechanism: MechanismOAuthBearer, Message: oauthInvalidToken, Reason: "invalid token"}
		}
		return nil, false, fail(MechanismOAuthBearer, "client did not acknowledge the error challenge")
	}
	msg, err := ParseOAuthBearer(token)
	if err != nil {
		x.ended = true
		return nil, false, s.failed(MethodOAuthBearer, fail(MechanismOAuthBearer, "malformed client message: "+err.Error()))
	}
	if m.mediation == Passthrough {
		// The backend validates; the gateway only reads who the client
		// says it is, and whatever the token claims.
		x.ended = true
		a := policy.Auth{Type: MethodOAuthBearer}
		if claims, ok := unverifiedClaims(msg.Token); ok {
			a.Claims = claims
			a.Principal, _ = claims[m.subClaim].(string)
		}
		x.result = Result{Auth: a}
		return nil, true, nil
	}
	t, err := m.validate(ctx, msg.Token)
	if err != nil && !errors.As(err, new(tokenError)) && !errors.Is(err, errNoKeys) {
		return nil, false, err // ctx ended while waiting for the key set
	}
	if err == nil && msg.AuthzID != "" && msg.AuthzID != t.Principal {
		x.ended = true
		return nil, false, s.failed(MethodOAuthBearer, &Failure{Mechanism: MechanismOAuthBearer, Message: oauthBadAuthzID, Reason: "authorization id differs from the token's principal"})
	}
	if err != nil {
		reason := "invalid token: " + err.Error()
		if m.mediation == ValidateForward {
			// The session forwards tokens unless Step fails: refuse at
			// once, with the message Kafka would end on.
			x.ended = true
			return nil, false, s.failed(MethodOAuthBearer, &Failure{Mechanism: MechanismOAuthBearer, Message: oauthInvalidToken, Reason: reason})
		}
		x.rejected = true
		s.failed(MethodOAuthBearer, &Failure{Mechanism: MechanismOAuthBearer, Reason: reason})
		return []byte(oauthInvalidToken), false, nil
	}
	x.ended = true
	lifetime := t.Expiry.Sub(s.now())
	if s.lifetime > 0 && s.lifetime < lifetime {
		lifetime = s.lifetime
	}
	x.result = Result{
		Auth:     policy.Auth{Type: MethodOAuthBearer, Principal: t.Principal, Claims: t.Claims},
		Lifetime: lifetime,
		Scopes:   t.Scopes,
	}
	if m.mediation == ValidateForward {
		// The backend has the last word; the session records it.
		s.log.Debug("token validated, forwarding", "mechanism", MechanismOAuthBearer, "principal", t.Principal)
		return nil, true, nil
	}
	s.succeeded(MethodOAuthBearer, MechanismOAuthBearer, t.Principal)
	return []byte{}, true, nil
}
