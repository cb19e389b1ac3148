// Tests of SASL to backend brokers against the embedded cluster (PLAIN and
// SCRAM, re-authentication included) and, for OAUTHBEARER, which it does not
// serve, against scripted broker answers. test/realkafka/backend_sasl_test.go
// runs the mechanisms against real Kafka.

package backend

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/config"
)

type nopMetrics struct{}

func (nopMetrics) MetadataRefresh(string, bool) {}
func (nopMetrics) BackendDialError(string)      {}

// logBuffer is a bytes.Buffer safe for concurrent writes.
type logBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newLogBuffer() *logBuffer { return &logBuffer{mu: make(chan struct{}, 1)} }

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// saslFake starts an embedded cluster that requires SASL, with users for
// PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, and a session lifetime of
// reauth (none if zero).
func saslFake(t *testing.T, reauth string) *kfake.Cluster {
	t.Helper()
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "plain-user", "plain-secret"),
		kfake.Superuser("SCRAM-SHA-256", "scram-user", "scram-256-secret"),
		kfake.Superuser("SCRAM-SHA-512", "scram-user", "scram-512-secret"),
	}
	if reauth != "" {
		opts = append(opts, kfake.BrokerConfigs(map[string]string{"connections.max.reauth.ms": reauth}))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func newTestCluster(t *testing.T, seeds []string, auth config.BackendAuth, log *slog.Logger) *Cluster {
	t.Helper()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := New(&config.BackendCluster{Name: "kafka", BootstrapServers: seeds, Authentication: auth}, log, nopMetrics{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return c
}

// metadata sends a Metadata request on an authenticated connection.
func metadata(t *testing.T, rt *roundTripper) {
	t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	req.Version = 12
	resp, err := rt.roundTrip(req)
	if err != nil {
		t.Fatalf("metadata on the authenticated connection: %v", err)
	}
	if n := len(resp.(*kmsg.MetadataResponse).Brokers); n != 1 {
		t.Fatalf("metadata names %d brokers, want 1", n)
	}
}

func TestDialAuthenticates(t *testing.T) {
	kf := saslFake(t, "")
	addr := kf.ListenAddrs()[0]
	for _, tc := range []struct {
		name string
		auth config.BackendAuth
		mech string
	}{
		{"plain", config.BackendAuth{Type: "sasl_plain", Username: "plain-user", Password: "plain-secret"}, "PLAIN"},
		{"scram sha256", config.BackendAuth{Type: "sasl_scram", Algorithm: "sha256", Username: "scram-user", Password: "scram-256-secret"}, "SCRAM-SHA-256"},
		{"scram sha512", config.BackendAuth{Type: "sasl_scram", Algorithm: "sha512", Username: "scram-user", Password: "scram-512-secret"}, "SCRAM-SHA-512"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestCluster(t, []string{addr}, tc.auth, nil)
			conn, a, err := c.Dial(testCtx(t), addr, Authenticate)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, ok := conn.(*net.TCPConn); !ok {
				t.Errorf("Dial returned a %T, want the *net.TCPConn itself", conn)
			}
			if a.Mechanism != tc.mech || a.Lifetime != 0 || !a.ReauthAt.IsZero() || a.NeedsReauth(time.Now().Add(time.Hour)) {
				t.Errorf("auth = %+v, want %s without a lifetime", a, tc.mech)
			}
			metadata(t, &roundTripper{conn: conn, f: kmsg.NewRequestFormatter(), corr: 100})

			// The metadata client authenticates the same way.
			if err := c.Refresh(testCtx(t)); err != nil {
				t.Fatalf("metadata refresh: %v", err)
			}
			if !c.Ready() {
				t.Error("cluster not ready after a metadata refresh")
			}
			// DialAny and DialBroker authenticate too.
			conn2, a2, err := c.DialAny(testCtx(t), Authenticate)
			if err != nil || a2.Mechanism != tc.mech {
				t.Fatalf("DialAny: %v, %+v", err, a2)
			}
			conn2.Close()
			id := c.Brokers()[0].ID
			conn3, a3, err := c.DialBroker(testCtx(t), id, Authenticate)
			if err != nil || a3.Mechanism != tc.mech {
				t.Fatalf("DialBroker: %v, %+v", err, a3)
			}
			conn3.Close()
		})
	}
}

func TestDialPassthroughLeavesConnectionUnauthenticated(t *testing.T) {
	kf := saslFake(t, "")
	addr := kf.ListenAddrs()[0]
	c := newTestCluster(t, []string{addr}, config.BackendAuth{Type: "sasl_plain", Username: "plain-user", Password: "plain-secret"}, nil)
	conn, a, err := c.Dial(testCtx(t), addr, Passthrough)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if a != (Auth{}) {
		t.Errorf("auth = %+v, want none", a)
	}
	// The client's own handshake is the first thing the broker sees.
	rt := &roundTripper{conn: conn, f: kmsg.NewRequestFormatter()}
	req := kmsg.NewPtrSASLHandshakeRequest()
	req.Version, req.Mechanism = 1, "PLAIN"
	resp, err := rt.roundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if code := resp.(*kmsg.SASLHandshakeResponse).ErrorCode; code != 0 {
		t.Fatalf("handshake on a passthrough connection: %v", kerr.ErrorForCode(code))
	}
}

func TestDialAnonymousClusterAddsNothing(t *testing.T) {
	kf, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer kf.Close()
	addr := kf.ListenAddrs()[0]
	c := newTestCluster(t, []string{addr}, config.BackendAuth{Type: "anonymous"}, nil)
	conn, a, err := c.Dial(testCtx(t), addr, Authenticate)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if a != (Auth{}) {
		t.Errorf("auth = %+v, want none", a)
	}
	// Nothing was sent: the first request gets correlation id 1's answer.
	metadata(t, &roundTripper{conn: conn, f: kmsg.NewRequestFormatter()})
	if _, err := c.NewSASLExchange(testCtx(t), a); err == nil {
		t.Error("NewSASLExchange on an anonymous cluster succeeded")
	}
}

// TestDialWrongPassword: the embedded cluster refuses credentials by
// closing the connection; real Kafka answers SASL_AUTHENTICATION_FAILED
// first (test/realkafka/backend_sasl_test.go).
func TestDialWrongPassword(t *testing.T) {
	kf := saslFake(t, "")
	addr := kf.ListenAddrs()[0]
	for _, tc := range []struct {
		name string
		auth config.BackendAuth
		want string
	}{
		{"plain", config.BackendAuth{Type: "sasl_plain", Username: "plain-user", Password: "wrong-pw-1"}, `backend cluster "kafka": SASL PLAIN authentication with ` + addr + `: authentication failed: the broker closed the connection`},
		{"scram unknown user", config.BackendAuth{Type: "sasl_scram", Algorithm: "sha256", Username: "nobody", Password: "wrong-pw-2"}, `backend cluster "kafka": SASL SCRAM-SHA-256 authentication with ` + addr + `: authentication failed: the broker closed the connection`},
		{"scram wrong password", config.BackendAuth{Type: "sasl_scram", Algorithm: "sha512", Username: "scram-user", Password: "wrong-pw-3"}, `backend cluster "kafka": SASL SCRAM-SHA-512 authentication with ` + addr + `: authentication failed: the broker closed the connection`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestCluster(t, []string{addr}, tc.auth, nil)
			for _, dial := range []func() error{
				func() error { _, _, err := c.Dial(testCtx(t), addr, Authenticate); return err },
				func() error { _, _, err := c.DialAny(testCtx(t), Authenticate); return err },
			} {
				err := dial()
				if err == nil {
					t.Fatal("dial with a wrong password succeeded")
				}
				if !errors.Is(err, ErrAuthentication) || !strings.HasPrefix(err.Error(), tc.want) {
					t.Errorf("error = %v\nwant %s... wrapping ErrAuthentication", err, tc.want)
				}
				if strings.Contains(err.Error(), tc.auth.Password) {
					t.Errorf("error holds the password: %v", err)
				}
			}
			if err := c.Refresh(testCtx(t)); err == nil || c.Ready() {
				t.Errorf("metadata refresh with a wrong password: %v, ready %v", err, c.Ready())
			}
		})
	}
}

// TestReauthenticate runs a re-authentication as the session does:
// between requests, on the connection Dial returned, with its own
// correlation ids.
func TestReauthenticate(t *testing.T) {
	kf := saslFake(t, "60000")
	addr := kf.ListenAddrs()[0]
	for _, tc := range []struct {
		name string
		auth config.BackendAuth
	}{
		{"plain", config.BackendAuth{Type: "sasl_plain", Username: "plain-user", Password: "plain-secret"}},
		{"scram", config.BackendAuth{Type: "sasl_scram", Algorithm: "sha512", Username: "scram-user", Password: "scram-512-secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestCluster(t, []string{addr}, tc.auth, nil)
			before := time.Now()
			conn, a, err := c.Dial(testCtx(t), addr, Authenticate)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if a.Lifetime != time.Minute {
				t.Fatalf("lifetime = %v, want 1m", a.Lifetime)
			}
			// 2-5% early.
			if early := a.Expires.Sub(a.ReauthAt); early < 1200*time.Millisecond || early > 3*time.Second {
				t.Errorf("re-authentication %v before expiry, want 1.2s-3s", early)
			}
			if a.Expires.Before(before.Add(time.Minute)) || a.Expires.After(time.Now().Add(time.Minute)) {
				t.Errorf("expires %v, want a minute after the exchange", a.Expires)
			}
			if a.NeedsReauth(time.Now()) || !a.NeedsReauth(a.ReauthAt) {
				t.Errorf("NeedsReauth wrong around %v", a.ReauthAt)
			}
			rt := &roundTripper{conn: conn, f: kmsg.NewRequestFormatter(), corr: 1000}
			metadata(t, rt)
			for range 2 {
				x, err := c.NewSASLExchange(testCtx(t), a)
				if err != nil {
					t.Fatal(err)
				}
				req, err := x.Next(nil)
				steps := 0
				for err == nil && req != nil {
					var resp kmsg.Response
					if resp, err = rt.roundTrip(req); err != nil {
						t.Fatal(err)
					}
					steps++
					req, err = x.Next(resp)
				}
				if err != nil {
					t.Fatalf("re-authentication: %v", err)
				}
				if _, err := x.Next(nil); err == nil {
					t.Error("Next after the end succeeded")
				}
				next := x.Auth()
				if next.Mechanism != a.Mechanism || next.Lifetime != time.Minute || !next.Expires.After(a.Expires) {
					t.Errorf("after re-authentication: %+v, before %+v", next, a)
				}
				a = next
				metadata(t, rt)
			}
		})
	}
}

// scripted runs an exchange against scripted broker answers and returns
// the requests it made.
func scripted(t *testing.T, x *SASLExchange, answers ...kmsg.Response) ([]kmsg.Request, error) {
	t.Helper()
	var reqs []kmsg.Request
	req, err := x.Next(nil)
	for err == nil && req != nil {
		reqs = append(reqs, req)
		if len(answers) == 0 {
			t.Fatalf("no answer left for %T", req)
		}
		req, err = x.Next(answers[0])
		answers = answers[1:]
	}
	return reqs, err
}

func oauthCluster(t *testing.T, srv *httptest.Server, log *slog.Logger) *Cluster {
	t.Helper()
	return newTestCluster(t, []string{"127.0.0.1:1"}, config.BackendAuth{
		Type: "sasl_oauthbearer", TokenEndpoint: srv.URL + "/token", ClientID: "strait", ClientSecret: "client-secret-value",
	}, log)
}

func TestOAuthBearerExchange(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"the-access-token","token_type":"Bearer","expires_in":300}`))
	}))
	defer srv.Close()
	c := oauthCluster(t, srv, nil)
	prev := Auth{Mechanism: "OAUTHBEARER", addr: "broker:9092", handshakeVersion: 1, authVersion: 2}

	handshakeOK := &kmsg.SASLHandshakeResponse{Version: 1, SupportedMechanisms: []string{"OAUTHBEARER"}}
	authOK := &kmsg.SASLAuthenticateResponse{Version: 2, SessionLifetimeMillis: 10_000}
	x, err := c.NewSASLExchange(testCtx(t), prev)
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := scripted(t, x, handshakeOK, authOK)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want a handshake and an authenticate", len(reqs))
	}
	hs := reqs[0].(*kmsg.SASLHandshakeRequest)
	if hs.Version != 1 || hs.Mechanism != "OAUTHBEARER" {
		t.Errorf("handshake %+v", hs)
	}
	au := reqs[1].(*kmsg.SASLAuthenticateRequest)
	if want := "n,,\x01auth=Bearer the-access-token\x01\x01"; au.Version != 2 || string(au.SASLAuthBytes) != want {
		t.Errorf("authenticate v%d %q, want v2 %q", au.Version, au.SASLAuthBytes, want)
	}
	if a := x.Auth(); a.Lifetime != 10*time.Second || a.Mechanism != "OAUTHBEARER" || a.addr != prev.addr || a.authVersion != 2 {
		t.Errorf("auth = %+v", a)
	}

	// A broker that refuses the token sends its error as a challenge,
	// then fails the exchange.
	x, err = c.NewSASLExchange(testCtx(t), prev)
	if err != nil {
		t.Fatal(err)
	}
	msg := "invalid_token: the token expired"
	reqs, err = scripted(t, x, handshakeOK,
		&kmsg.SASLAuthenticateResponse{Version: 2, SASLAuthBytes: []byte(`{"status":"invalid_token"}`)},
		&kmsg.SASLAuthenticateResponse{Version: 2, ErrorCode: kerr.SaslAuthenticationFailed.Code, ErrorMessage: &msg})
	if !errors.Is(err, ErrAuthentication) || !strings.Contains(err.Error(), `backend cluster "kafka": SASL OAUTHBEARER authentication with broker:9092: authentication failed: SASL_AUTHENTICATION_FAILED`) || !strings.Contains(err.Error(), msg) {
		t.Errorf("refused token: %v", err)
	}
	if len(reqs) != 3 || string(reqs[2].(*kmsg.SASLAuthenticateRequest).SASLAuthBytes) != "\x01" {
		t.Errorf("requests after the broker's error: %v", reqs)
	}
	if strings.Contains(err.Error(), "the-access-token") || strings.Contains(err.Error(), "client-secret-value") {
		t.Errorf("error holds a secret: %v", err)
	}

	// A broker without OAUTHBEARER names what it enables.
	x, err = c.NewSASLExchange(testCtx(t), prev)
	if err != nil {
		t.Fatal(err)
	}
	_, err = scripted(t, x, &kmsg.SASLHandshakeResponse{Version: 1, ErrorCode: kerr.UnsupportedSaslMechanism.Code, SupportedMechanisms: []string{"PLAIN", "SCRAM-SHA-256"}})
	if !errors.Is(err, ErrAuthentication) || !strings.Contains(err.Error(), "the broker enables [PLAIN SCRAM-SHA-256]: UNSUPPORTED_SASL_MECHANISM") {
		t.Errorf("unsupported mechanism: %v", err)
	}

	// A response of the wrong kind ends the exchange.
	x, err = c.NewSASLExchange(testCtx(t), prev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err = scripted(t, x, authOK); err == nil || !strings.Contains(err.Error(), "want a SaslHandshake response") {
		t.Errorf("wrong response kind: %v", err)
	}

	// Re-authentication keeps the mechanism.
	if _, err := c.NewSASLExchange(testCtx(t), Auth{Mechanism: "PLAIN", addr: "broker:9092"}); err == nil {
		t.Error("re-authenticating a PLAIN connection with OAUTHBEARER succeeded")
	}
}

func TestOAuthBearerTokenEndpointDown(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"client authentication failed"}`))
	}))
	defer srv.Close()
	logs := newLogBuffer()
	c := oauthCluster(t, srv, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	_, err := c.NewSASLExchange(testCtx(t), Auth{Mechanism: "OAUTHBEARER", addr: "broker:9092", handshakeVersion: 1, authVersion: 2})
	want := `backend cluster "kafka": SASL OAUTHBEARER authentication with broker:9092: authentication failed: the token endpoint answered 401 Unauthorized: invalid_client: client authentication failed`
	if err == nil || err.Error() != want || !errors.Is(err, ErrAuthentication) {
		t.Errorf("error = %v\nwant %s", err, want)
	}
	if l := logs.String(); !strings.Contains(l, `level=ERROR msg="fetching an OAuth token failed" backend_cluster=kafka token_endpoint=`+srv.URL+"/token") || strings.Contains(l, "client-secret-value") {
		t.Errorf("log:\n%s", l)
	}
}
