// This file holds SASL/PLAIN (RFC 4616): the gateway checks the password
// itself (terminate), or reads the user name on the way to the backend
// (passthrough).

package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/policy"
)

// Kafka's PlainSaslServer messages for bad credentials.
const (
	plainBadCredentials = "Authentication failed: Invalid username or password"
	plainBadAuthzID     = "Authentication failed: Client requested an authorization id that is different from username"
)

// errStepAfterEnd is a token sent to an exchange that has ended: a
// protocol violation.
var errStepAfterEnd = errors.New("SASL token after the exchange ended")

// PlainMessage is a parsed PLAIN client message.
type PlainMessage struct {
	// AuthzID is the authorization identity, empty when not given.
	AuthzID string
	// Username is the authentication identity (authcid).
	Username string
	// Password is the password. It must never be logged.
	Password string
}

// ParsePlain parses a PLAIN client message, "[authzid] NUL authcid NUL
// passwd", as Kafka does: three fields, a user name and a password that
// are not empty, valid UTF-8, and an authorization identity that is empty
// or the user name. The error never holds the password.
func ParsePlain(token []byte) (PlainMessage, error) {
	if len(token) > MaxTokenBytes {
		return PlainMessage{}, fmt.Errorf("token of %d bytes exceeds %d", len(token), MaxTokenBytes)
	}
	if !utf8.Valid(token) {
		return PlainMessage{}, errors.New("not UTF-8")
	}
	parts := bytes.Split(token, []byte{0})
	if len(parts) != 3 {
		return PlainMessage{}, fmt.Errorf("expected 3 NUL-separated fields, got %d", len(parts))
	}
	m := PlainMessage{AuthzID: string(parts[0]), Username: string(parts[1]), Password: string(parts[2])}
	switch {
	case m.Username == "":
		return PlainMessage{}, errors.New("empty user name")
	case m.Password == "":
		return PlainMessage{}, errors.New("empty password")
	}
	return m, nil
}

// plainMethod is a sasl_plain method.
type plainMethod struct {
	s         *Server
	mediation Mediation
	// users maps user names to the SHA-256 of their password, compared
	// in constant time; dummy stands in for unknown users so that they
	// cost the same.
	users map[string][sha256.Size]byte
	dummy [sha256.Size]byte
}

func newPlain(s *Server, a *config.ClientAuth) (*plainMethod, error) {
	med, err := mediation(a, Terminate, Passthrough)
	if err != nil {
		return nil, err
	}
	m := &plainMethod{s: s, mediation: med, users: map[string][sha256.Size]byte{}}
	if med != Terminate {
		return m, nil
	}
	if len(a.Principals) == 0 {
		return nil, errors.New("terminate needs principals")
	}
	for i, p := range a.Principals {
		if p.Username == "" || p.Password == "" {
			return nil, fmt.Errorf("principals[%d]: username and password are required", i)
		}
		if _, dup := m.users[p.Username]; dup {
			return nil, fmt.Errorf("principals[%d]: duplicate principal", i)
		}
		m.users[p.Username] = sha256.Sum256([]byte(p.Password))
	}
	m.dummy = sha256.Sum256([]byte("strait: no such user"))
	return m, nil
}

func (m *plainMethod) begin() Exchange { return &plainExchange{m: m} }

// plainExchange is one PLAIN exchange: a single token.
type plainExchange struct {
	m      *plainMethod
	ended  bool
	result Result
}

func (x *plainExchange) Mediation() Mediation { return x.m.mediation }

func (x *plainExchange) Result() Result { return x.result }

func (x *plainExchange) Step(_ context.Context, token []byte) ([]byte, bool, error) {
	if x.ended {
		return nil, false, errStepAfterEnd
	}
	x.ended = true
	s := x.m.s
	msg, err := ParsePlain(token)
	if err != nil {
		return nil, false, s.failed(MethodPlain, fail(MechanismPlain, "malformed PLAIN message: "+err.Error()))
	}
	if msg.AuthzID != "" && msg.AuthzID != msg.Username {
		return nil, false, s.failed(MethodPlain, &Failure{Mechanism: MechanismPlain, Message: plainBadAuthzID, Reason: "authorization id differs from the user name"})
	}
	x.result = Result{Auth: policy.Auth{Type: MethodPlain, Principal: msg.Username}}
	if x.m.mediation == Passthrough {
		// The backend decides; the session records its verdict.
		return nil, true, nil
	}
	want, known := x.m.users[msg.Username]
	if !known {
		want = x.m.dummy
	}
	got := sha256.Sum256([]byte(msg.Password))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !known {
		x.result = Result{}
		reason := "wrong password"
		if !known {
			reason = "unknown user"
		}
		return nil, false, s.failed(MethodPlain, &Failure{Mechanism: MechanismPlain, Message: plainBadCredentials, Reason: reason})
	}
	x.result.Lifetime = s.lifetime
	s.succeeded(MethodPlain, MechanismPlain, msg.Username)
	return []byte{}, true, nil
}
