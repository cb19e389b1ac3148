package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/auth"
	"github.com/strait-gw/strait/internal/policy"
)

// fakeAuth accepts the token "good" (as user alice) for mechanism TEST,
// with the given mediation and lifetime.
type fakeAuth struct {
	mediation auth.Mediation
	lifetime  time.Duration
	anonymous bool
	results   []bool
}

func (f *fakeAuth) Mechanisms() []string { return []string{"TEST"} }
func (f *fakeAuth) Implicit(auth.TLSInfo) (policy.Auth, bool) {
	return policy.Auth{Type: "anonymous"}, f.anonymous
}
func (f *fakeAuth) FailureDelay() time.Duration { return 10 * time.Millisecond }
func (f *fakeAuth) Begin(mech string, _ auth.TLSInfo) (auth.Exchange, error) {
	if mech != "TEST" {
		return nil, auth.ErrUnsupportedMechanism
	}
	return &fakeExchange{f: f}, nil
}
func (f *fakeAuth) PassthroughResult(_ string, ok bool) { f.results = append(f.results, ok) }

type fakeExchange struct {
	f    *fakeAuth
	user string
}

func (x *fakeExchange) Mediation() auth.Mediation { return x.f.mediation }
func (x *fakeExchange) Step(_ context.Context, token []byte) ([]byte, bool, error) {
	if x.f.mediation == auth.Passthrough {
		x.user = string(token)
		return nil, true, nil
	}
	if string(token) != "good" {
		return nil, false, fmt.Errorf("%w: bad token", auth.ErrFailed)
	}
	x.user = "alice"
	return []byte("ok"), true, nil
}
func (x *fakeExchange) Result() auth.Result {
	return auth.Result{Auth: policy.Auth{Type: "sasl_test", Principal: x.user}, Lifetime: x.f.lifetime}
}

func handshake(mech string, v int16) *kmsg.SASLHandshakeRequest {
	r := kmsg.NewPtrSASLHandshakeRequest()
	r.Version, r.Mechanism = v, mech
	return r
}

func authenticateReq(token string) *kmsg.SASLAuthenticateRequest {
	r := kmsg.NewPtrSASLAuthenticateRequest()
	r.Version, r.SASLAuthBytes = 2, []byte(token)
	return r
}

// decodeAnswer reads the next response to the client and decodes it.
func decodeAnswer(t *testing.T, h *harness, resp kmsg.Response, corr int32) {
	t.Helper()
	b := nextFrame(t, h.cr)
	if got := int32(binary.BigEndian.Uint32(b)); got != corr {
		t.Fatalf("response correlation id %d, want %d", got, corr)
	}
	off := 4
	if resp.IsFlexible() && resp.Key() != kmsg.ApiVersions.Int16() {
		off = 5
	}
	if err := resp.ReadFrom(b[off:]); err != nil {
		t.Fatal(err)
	}
}

func expectClosed(t *testing.T, h *harness) {
	t.Helper()
	_ = h.client.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := h.cr.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("client read %v; want the connection closed", err)
	}
}

func TestSASLTerminate(t *testing.T) {
	a := &fakeAuth{mediation: auth.Terminate}
	h := startSessionWith(t, func(c *Config) { c.Auth = a })
	go func() {
		_, _ = h.client.Write(frame(handshake("TEST", 1), 1))
		_, _ = h.client.Write(frame(authenticateReq("good"), 2))
		_, _ = h.client.Write(frame(metadataRequest("t"), 3))
	}()
	hs := kmsg.NewPtrSASLHandshakeResponse()
	hs.Version = 1
	decodeAnswer(t, h, hs, 1)
	if hs.ErrorCode != 0 {
		t.Fatalf("handshake error %d", hs.ErrorCode)
	}
	ar := kmsg.NewPtrSASLAuthenticateResponse()
	ar.Version = 2
	decodeAnswer(t, h, ar, 2)
	if ar.ErrorCode != 0 || string(ar.SASLAuthBytes) != "ok" {
		t.Fatalf("authenticate answered %d %q", ar.ErrorCode, ar.SASLAuthBytes)
	}
	// Only the Metadata request reaches the backend.
	got := nextFrame(t, h.br)
	if key := int16(binary.BigEndian.Uint16(got)); key != kmsg.Metadata.Int16() {
		t.Fatalf("backend got key %d first, want Metadata: SASL must stay on the gateway", key)
	}
}

func TestSASLRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reqs  []kmsg.Request
		check func(t *testing.T, h *harness)
	}{
		{"unsupported mechanism", []kmsg.Request{handshake("PLAIN", 1)}, func(t *testing.T, h *harness) {
			hs := kmsg.NewPtrSASLHandshakeResponse()
			hs.Version = 1
			decodeAnswer(t, h, hs, 1)
			if hs.ErrorCode != kerr.UnsupportedSaslMechanism.Code || len(hs.SupportedMechanisms) != 1 || hs.SupportedMechanisms[0] != "TEST" {
				t.Fatalf("handshake answered %d %v; want UNSUPPORTED_SASL_MECHANISM listing TEST", hs.ErrorCode, hs.SupportedMechanisms)
			}
		}},
		{"handshake v0", []kmsg.Request{handshake("TEST", 0)}, func(t *testing.T, h *harness) {
			hs := kmsg.NewPtrSASLHandshakeResponse()
			decodeAnswer(t, h, hs, 1)
			if hs.ErrorCode != kerr.UnsupportedVersion.Code {
				t.Fatalf("v0 handshake answered %d, want UNSUPPORTED_VERSION", hs.ErrorCode)
			}
		}},
		{"bad credentials", []kmsg.Request{handshake("TEST", 1), authenticateReq("bad")}, func(t *testing.T, h *harness) {
			decodeAnswer(t, h, kmsg.NewPtrSASLHandshakeResponse(), 1)
			ar := kmsg.NewPtrSASLAuthenticateResponse()
			ar.Version = 2
			decodeAnswer(t, h, ar, 2)
			if ar.ErrorCode != kerr.SaslAuthenticationFailed.Code || ar.ErrorMessage == nil {
				t.Fatalf("bad token answered %d, want SASL_AUTHENTICATION_FAILED with a message", ar.ErrorCode)
			}
			if bytes.Contains([]byte(*ar.ErrorMessage), []byte("bad")) {
				t.Errorf("message %q repeats the token", *ar.ErrorMessage)
			}
		}},
		{"authenticate before handshake", []kmsg.Request{authenticateReq("good")}, func(t *testing.T, h *harness) {
			ar := kmsg.NewPtrSASLAuthenticateResponse()
			ar.Version = 2
			decodeAnswer(t, h, ar, 1)
			if ar.ErrorCode != kerr.IllegalSaslState.Code {
				t.Fatalf("answered %d, want ILLEGAL_SASL_STATE", ar.ErrorCode)
			}
		}},
		{"request before authentication", []kmsg.Request{metadataRequest("t")}, func(*testing.T, *harness) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startSessionWith(t, func(c *Config) { c.Auth = &fakeAuth{mediation: auth.Terminate} })
			go func() {
				for i, r := range tc.reqs {
					_, _ = h.client.Write(frame(r, int32(i+1)))
				}
			}()
			tc.check(t, h)
			expectClosed(t, h)
		})
	}
}

func TestSASLImplicitAndExpiry(t *testing.T) {
	// Anonymous allowed: a request without SASL passes.
	h := startSessionWith(t, func(c *Config) { c.Auth = &fakeAuth{mediation: auth.Terminate, anonymous: true} })
	go func() { _, _ = h.client.Write(frame(metadataRequest("t"), 1)) }()
	if key := int16(binary.BigEndian.Uint16(nextFrame(t, h.br))); key != kmsg.Metadata.Int16() {
		t.Fatalf("backend got key %d", key)
	}

	// A session whose lifetime ended is closed at its next request.
	h = startSessionWith(t, func(c *Config) { c.Auth = &fakeAuth{mediation: auth.Terminate, lifetime: 50 * time.Millisecond} })
	go func() {
		_, _ = h.client.Write(frame(handshake("TEST", 1), 1))
		_, _ = h.client.Write(frame(authenticateReq("good"), 2))
	}()
	decodeAnswer(t, h, kmsg.NewPtrSASLHandshakeResponse(), 1)
	ar := kmsg.NewPtrSASLAuthenticateResponse()
	ar.Version = 2
	decodeAnswer(t, h, ar, 2)
	if ar.SessionLifetimeMillis != 50 {
		t.Fatalf("session lifetime %d ms, want 50", ar.SessionLifetimeMillis)
	}
	time.Sleep(100 * time.Millisecond)
	go func() { _, _ = h.client.Write(frame(metadataRequest("t"), 3)) }()
	expectClosed(t, h)
}

func TestSASLPassthrough(t *testing.T) {
	a := &fakeAuth{mediation: auth.Passthrough}
	h := startSessionWith(t, func(c *Config) { c.Auth = a })
	go func() {
		_, _ = h.client.Write(frame(handshake("TEST", 1), 1))
		_, _ = h.client.Write(frame(authenticateReq("bob"), 2))
	}()
	// The backend sees both and accepts.
	for i, key := range []int16{kmsg.SASLHandshake.Int16(), kmsg.SASLAuthenticate.Int16()} {
		if got := int16(binary.BigEndian.Uint16(nextFrame(t, h.br))); got != key {
			t.Fatalf("backend request %d has key %d, want %d", i, got, key)
		}
	}
	hs := kmsg.NewPtrSASLHandshakeResponse()
	hs.Version = 1
	ar := kmsg.NewPtrSASLAuthenticateResponse()
	ar.Version = 2
	ar.SessionLifetimeMillis = 60000
	go func() {
		respond(t, h.backend, hs, 1)
		respond(t, h.backend, ar, 2)
	}()
	decodeAnswer(t, h, kmsg.NewPtrSASLHandshakeResponse(), 1)
	got := kmsg.NewPtrSASLAuthenticateResponse()
	got.Version = 2
	decodeAnswer(t, h, got, 2)
	if got.SessionLifetimeMillis != 60000 {
		t.Fatalf("lifetime %d, want the backend's", got.SessionLifetimeMillis)
	}
	// Now authenticated: a request passes.
	go func() { _, _ = h.client.Write(frame(metadataRequest("t"), 3)) }()
	if key := int16(binary.BigEndian.Uint16(nextFrame(t, h.br))); key != kmsg.Metadata.Int16() {
		t.Fatalf("backend got key %d after passthrough authentication", key)
	}
	if len(a.results) != 1 || !a.results[0] {
		t.Fatalf("passthrough results %v, want one success", a.results)
	}
}
