// This file holds SASL/SCRAM-SHA-256 and -512 (RFC 5802, RFC 7677): the
// gateway runs the server side with github.com/xdg-go/scram (terminate), or
// reads the user name from the client-first message on the way to the
// backend (passthrough).

package auth

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"

	"github.com/xdg-go/scram"

	"github.com/strait-gw/strait/internal/config"
	"github.com/strait-gw/strait/internal/policy"
)

// scramIterations is the iteration count of credentials derived from a
// configured password: Kafka's default and minimum.
const scramIterations = 4096

// Kafka's ScramSaslServer message for a client that asks to act as
// someone else.
const scramBadAuthzID = "Authentication failed: Client requested an authorization id that is different from username"

// ClientFirst is the part of a SCRAM client-first message the gateway
// reads.
type ClientFirst struct {
	// AuthzID is the authorization identity, empty when not given.
	AuthzID string
	// Username is the user name, decoded (=2C and =3D).
	Username string
	// Extensions are the attributes after the nonce (Kafka's
	// tokenauth=true marks a delegation token).
	Extensions map[string]string
}

// ParseClientFirst parses a SCRAM client-first message,
// "gs2-flag,[a=authzid],n=user,r=nonce[,ext=value...]".
func ParseClientFirst(token []byte) (ClientFirst, error) {
	if len(token) > MaxTokenBytes {
		return ClientFirst{}, fmt.Errorf("token of %d bytes exceeds %d", len(token), MaxTokenBytes)
	}
	fields := strings.Split(string(token), ",")
	if len(fields) < 4 {
		return ClientFirst{}, errors.New("too few fields")
	}
	switch f := fields[0]; {
	case f == "n", f == "y", strings.HasPrefix(f, "p="):
	default:
		return ClientFirst{}, errors.New("bad channel binding flag")
	}
	var cf ClientFirst
	if a := fields[1]; a != "" {
		v, ok := strings.CutPrefix(a, "a=")
		if !ok {
			return ClientFirst{}, errors.New("bad authorization identity field")
		}
		if cf.AuthzID, ok = decodeSASLName(v); !ok {
			return ClientFirst{}, errors.New("bad authorization identity encoding")
		}
	}
	v, ok := strings.CutPrefix(fields[2], "n=")
	if !ok {
		return ClientFirst{}, errors.New("missing user name")
	}
	if cf.Username, ok = decodeSASLName(v); !ok || cf.Username == "" {
		return ClientFirst{}, errors.New("bad user name")
	}
	if !strings.HasPrefix(fields[3], "r=") || len(fields[3]) == 2 {
		return ClientFirst{}, errors.New("missing nonce")
	}
	for _, f := range fields[4:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return ClientFirst{}, errors.New("bad extension")
		}
		if cf.Extensions == nil {
			cf.Extensions = map[string]string{}
		}
		cf.Extensions[k] = v
	}
	return cf, nil
}

// decodeSASLName decodes a saslname (RFC 5802 5.1): "=2C" is ",", "=3D"
// is "=", any other "=" is an error.
func decodeSASLName(s string) (string, bool) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '=')
		if i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:i])
		switch {
		case strings.HasPrefix(s[i:], "=2C"):
			b.WriteByte(',')
		case strings.HasPrefix(s[i:], "=3D"):
			b.WriteByte('=')
		default:
			return "", false
		}
		s = s[i+3:]
	}
}

// scramMethod is a sasl_scram method.
type scramMethod struct {
	s         *Server
	mediation Mediation
	mech      string
	hash      scram.HashGeneratorFcn
	server    *scram.Server
	creds     map[string]scram.StoredCredentials
	// secret derives stable fake credentials for unknown users, so that
	// an unknown user's exchange runs to its end and fails as a wrong
	// password does (RFC 5802 section 9); fakeIters is the iteration
	// count most users have.
	secret    []byte
	fakeIters int
}

func newSCRAM(s *Server, a *config.ClientAuth) (*scramMethod, string, error) {
	m := &scramMethod{s: s, creds: map[string]scram.StoredCredentials{}, fakeIters: scramIterations}
	switch a.Algorithm {
	case "sha256":
		m.mech, m.hash = MechanismSCRAMSHA256, scram.SHA256
	case "sha512":
		m.mech, m.hash = MechanismSCRAMSHA512, scram.SHA512
	default:
		return nil, "", fmt.Errorf("unsupported SCRAM algorithm %q", a.Algorithm)
	}
	med, err := mediation(a, Terminate, Passthrough)
	if err != nil {
		return nil, "", err
	}
	m.mediation = med
	if med != Terminate {
		return m, m.mech, nil
	}
	if len(a.Principals) == 0 {
		return nil, "", errors.New("terminate needs principals")
	}
	iters := map[int]int{}
	for i := range a.Principals {
		p := &a.Principals[i]
		if p.Username == "" {
			return nil, "", fmt.Errorf("principals[%d]: username is required", i)
		}
		if _, dup := m.creds[p.Username]; dup {
			return nil, "", fmt.Errorf("principals[%d]: duplicate principal", i)
		}
		c, err := m.credentials(p)
		if err != nil {
			return nil, "", fmt.Errorf("principals[%d]: %w", i, err)
		}
		m.creds[p.Username] = c
		iters[c.Iters]++
	}
	for n, count := range iters {
		if count > iters[m.fakeIters] || (count == iters[m.fakeIters] && n < m.fakeIters) {
			m.fakeIters = n
		}
	}
	m.secret = make([]byte, 32)
	rand.Read(m.secret)
	m.server, err = m.hash.NewServer(m.lookup)
	if err != nil {
		return nil, "", err
	}
	return m, m.mech, nil
}

// credentials returns the stored credentials of p: derived from its
// password with a fresh salt, as Kafka would store them, or its salted
// credentials. The password is used as its UTF-8 bytes, as Kafka's
// ScramFormatter does (no SASLprep).
func (m *scramMethod) credentials(p *config.AuthPrincipal) (scram.StoredCredentials, error) {
	size := m.hash().Size()
	if p.Password != "" {
		salt := make([]byte, 24)
		rand.Read(salt)
		salted, err := pbkdf2.Key(m.newHash, p.Password, salt, scramIterations, size)
		if err != nil {
			return scram.StoredCredentials{}, err
		}
		clientKey := m.hmac(salted, "Client Key")
		stored := m.newHash()
		stored.Write(clientKey)
		return scram.StoredCredentials{
			KeyFactors: scram.KeyFactors{Salt: string(salt), Iters: scramIterations},
			StoredKey:  stored.Sum(nil),
			ServerKey:  m.hmac(salted, "Server Key"),
		}, nil
	}
	salt, err := base64.StdEncoding.DecodeString(p.Salt)
	if err != nil || len(salt) == 0 {
		return scram.StoredCredentials{}, errors.New("salt: invalid base64")
	}
	stored, err := base64.StdEncoding.DecodeString(p.StoredKey)
	if err != nil || len(stored) != size {
		return scram.StoredCredentials{}, fmt.Errorf("stored_key: want %d bytes of base64", size)
	}
	server, err := base64.StdEncoding.DecodeString(p.ServerKey)
	if err != nil || len(server) != size {
		return scram.StoredCredentials{}, fmt.Errorf("server_key: want %d bytes of base64", size)
	}
	if p.Iterations < scramIterations {
		return scram.StoredCredentials{}, fmt.Errorf("iterations: at least %d", scramIterations)
	}
	return scram.StoredCredentials{
		KeyFactors: scram.KeyFactors{Salt: string(salt), Iters: p.Iterations},
		StoredKey:  stored,
		ServerKey:  server,
	}, nil
}

func (m *scramMethod) newHash() hash.Hash {
	if m.mech == MechanismSCRAMSHA512 {
		return sha512.New()
	}
	return sha256.New()
}

func (m *scramMethod) hmac(key []byte, s string) []byte {
	h := hmac.New(m.newHash, key)
	h.Write([]byte(s))
	return h.Sum(nil)
}

// lookup gives the SCRAM server a user's credentials, or stable fake ones
// for an unknown user, whose proof can never match.
func (m *scramMethod) lookup(user string) (scram.StoredCredentials, error) {
	if c, ok := m.creds[user]; ok {
		return c, nil
	}
	return m.fake(user), nil
}

func (m *scramMethod) fake(user string) scram.StoredCredentials {
	derive := func(label string, n int) []byte {
		h := hmac.New(sha512.New, m.secret)
		h.Write([]byte(label))
		h.Write([]byte{0})
		h.Write([]byte(user))
		return h.Sum(nil)[:n]
	}
	size := m.hash().Size()
	return scram.StoredCredentials{
		KeyFactors: scram.KeyFactors{Salt: string(derive("salt", 24)), Iters: m.fakeIters},
		StoredKey:  derive("stored", size),
		ServerKey:  derive("server", size),
	}
}

func (m *scramMethod) begin() Exchange {
	x := &scramExchange{m: m}
	if m.server != nil {
		x.conv = m.server.NewConversation()
	}
	return x
}

// scramExchange is one SCRAM exchange: client-first, then client-final.
type scramExchange struct {
	m      *scramMethod
	conv   *scram.ServerConversation
	step   int
	user   string
	result Result
	// first and serverFirst are the client-first message and the answer
	// to it, for the final step's own check (see finalLenient).
	first, serverFirst string
}

func (x *scramExchange) Mediation() Mediation { return x.m.mediation }

func (x *scramExchange) Result() Result { return x.result }

func (x *scramExchange) Step(_ context.Context, token []byte) ([]byte, bool, error) {
	m := x.m
	x.step++
	switch {
	case x.step > 2:
		return nil, false, errStepAfterEnd
	case len(token) > MaxTokenBytes:
		return nil, false, x.fail(fmt.Sprintf("token of %d bytes exceeds %d", len(token), MaxTokenBytes))
	}
	if x.step == 1 {
		cf, err := ParseClientFirst(token)
		if err != nil {
			return nil, false, x.fail("malformed client-first message: " + err.Error())
		}
		if _, ok := cf.Extensions["tokenauth"]; ok {
			// A delegation token: only the backend knows whose it is.
			return nil, false, x.fail("delegation tokens (tokenauth) are not accepted")
		}
		if cf.AuthzID != "" && cf.AuthzID != cf.Username {
			x.step = 3
			return nil, false, m.s.failed(MethodSCRAM, &Failure{Mechanism: m.mech, Message: scramBadAuthzID, Reason: "authorization id differs from the user name"})
		}
		x.user = cf.Username
		if m.mediation == Passthrough {
			return nil, false, nil
		}
		reply, err := x.conv.Step(string(token))
		if err != nil {
			return nil, false, x.fail("client-first message refused: " + scramReason(reply))
		}
		x.first, x.serverFirst = string(token), reply
		return []byte(reply), false, nil
	}
	x.result = Result{Auth: policy.Auth{Type: MethodSCRAM, Principal: x.user}}
	if m.mediation == Passthrough {
		return nil, true, nil
	}
	reply, err := x.conv.Step(string(token))
	if err != nil && reply == scram.ErrOtherError {
		// The final message's nonce is not the server's: librdkafka
		// sends its own nonce followed by the server's whole one, which
		// Kafka accepts (it checks that the client's nonce ends with the
		// server's); check the proof as Kafka does.
		if r, ok := x.finalLenient(string(token)); ok {
			reply, err = r, nil
		}
	}
	_, known := m.creds[x.user]
	valid := err == nil && (x.conv.Valid() || reply != "" && strings.HasPrefix(reply, "v="))
	switch {
	case err != nil && !known:
		x.result = Result{}
		return nil, false, x.fail("unknown user")
	case err != nil:
		x.result = Result{}
		return nil, false, x.fail("client-final message refused: " + scramReason(reply))
	case !valid || !known:
		x.result = Result{}
		return nil, false, x.fail("proof not verified")
	}
	x.result.Lifetime = m.s.lifetime
	m.s.succeeded(MethodSCRAM, m.mech, x.user)
	return []byte(reply), true, nil
}

// finalLenient verifies a client-final message whose nonce ends with the
// server's nonce, as Kafka's ScramSaslServer does, and returns the server's
// final message. The proof is checked over the messages as sent.
func (x *scramExchange) finalLenient(final string) (string, bool) {
	m := x.m
	serverNonce, ok := scramAttr(x.serverFirst, 'r')
	if !ok {
		return "", false
	}
	i := strings.LastIndex(final, ",p=")
	if i < 0 {
		return "", false
	}
	withoutProof, proofB64 := final[:i], final[i+3:]
	nonce, ok := scramAttr(withoutProof, 'r')
	if !ok || !strings.HasSuffix(nonce, serverNonce) {
		return "", false
	}
	gs2, bare, ok := splitClientFirst(x.first)
	if !ok {
		return "", false
	}
	cbind, ok := scramAttr(withoutProof, 'c')
	if !ok || cbind != base64.StdEncoding.EncodeToString([]byte(gs2)) {
		return "", false
	}
	proof, err := base64.StdEncoding.DecodeString(proofB64)
	if err != nil {
		return "", false
	}
	creds, err := m.lookup(x.user)
	if err != nil || len(proof) != len(creds.StoredKey) {
		return "", false
	}
	authMsg := bare + "," + x.serverFirst + "," + withoutProof
	signature := m.hmac(creds.StoredKey, authMsg)
	clientKey := make([]byte, len(proof))
	for j := range proof {
		clientKey[j] = proof[j] ^ signature[j]
	}
	h := m.newHash()
	h.Write(clientKey)
	if !hmac.Equal(h.Sum(nil), creds.StoredKey) {
		return "", false
	}
	return "v=" + base64.StdEncoding.EncodeToString(m.hmac(creds.ServerKey, authMsg)), true
}

// scramAttr returns the value of attribute name in a SCRAM message.
func scramAttr(msg string, name byte) (string, bool) {
	for _, part := range strings.Split(msg, ",") {
		if len(part) >= 2 && part[0] == name && part[1] == '=' {
			return part[2:], true
		}
	}
	return "", false
}

// splitClientFirst splits a client-first message into its GS2 header
// ("n,," or "n,a=x,", with its trailing comma) and the bare message.
func splitClientFirst(first string) (gs2, bare string, ok bool) {
	i := strings.IndexByte(first, ',')
	if i < 0 {
		return "", "", false
	}
	j := strings.IndexByte(first[i+1:], ',')
	if j < 0 {
		return "", "", false
	}
	cut := i + 1 + j + 1
	return first[:cut], first[cut:], true
}

// fail ends the exchange with Kafka's generic answer.
func (x *scramExchange) fail(reason string) error {
	x.step = 3
	return x.m.s.failed(MethodSCRAM, fail(x.m.mech, reason))
}

// scramReason names a SCRAM server error ("e=invalid-proof") for logs.
func scramReason(serverError string) string {
	switch serverError {
	case scram.ErrInvalidProof:
		return "invalid proof"
	case scram.ErrOtherError:
		return "nonce mismatch or malformed proof"
	case scram.ErrChannelBindingsDontMatch:
		return "channel binding mismatch"
	case "":
		return "malformed message"
	}
	return strings.TrimPrefix(serverError, "e=")
}
