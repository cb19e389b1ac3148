// Tests of the OAuth client credentials token source against a token
// endpoint served in-process.

package backend

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tokenServer is a token endpoint whose answers a test scripts.
type tokenServer struct {
	*httptest.Server
	requests atomic.Int32
	// answer returns the status and body of the n-th request (from 1).
	answer func(n int32, r *http.Request) (int, string)
}

func newTokenServer(t *testing.T, answer func(n int32, r *http.Request) (int, string)) *tokenServer {
	ts := &tokenServer{answer: answer}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ts.requests.Add(1)
		status, body := ts.answer(n, r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	return ts
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const testClientSecret = "s3cret+/&= value"

func newTestTokenSource(srv *tokenServer, scope string, logs *logBuffer) (*tokenSource, *fakeClock) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	s := newTokenSource(srv.URL+"/oauth2/token", "strait gw", testClientSecret, scope, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	s.now = clock.now
	return s, clock
}

func token(n int32, expiresIn string) string {
	return fmt.Sprintf(`{"access_token":"token-%d","token_type":"Bearer","expires_in":%s}`, n, expiresIn)
}

func TestTokenRequest(t *testing.T) {
	var got *http.Request
	var form string
	srv := newTokenServer(t, func(n int32, r *http.Request) (int, string) {
		got = r
		_ = r.ParseForm()
		form = r.PostForm.Encode()
		return 200, token(n, "300")
	})
	s, _ := newTestTokenSource(srv, "kafka:read kafka:write", newLogBuffer())
	tok, err := s.Token(context.Background())
	if err != nil || tok != "token-1" {
		t.Fatalf("Token = %q, %v", tok, err)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/oauth2/token" {
		t.Errorf("request %s %s", got.Method, got.URL.Path)
	}
	if ct := got.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("content type %q", ct)
	}
	if want := "grant_type=client_credentials&scope=kafka%3Aread+kafka%3Awrite"; form != want {
		t.Errorf("form %q, want %q", form, want)
	}
	// RFC 6749 section 2.3.1: id and secret form-encoded, then Basic.
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("strait+gw:s3cret%2B%2F%26%3D+value"))
	if h := got.Header.Get("Authorization"); h != want {
		t.Errorf("authorization %q, want %q", h, want)
	}
}

func TestTokenCachedAndRefreshedBeforeExpiry(t *testing.T) {
	srv := newTokenServer(t, func(n int32, _ *http.Request) (int, string) { return 200, token(n, "100") })
	s, clock := newTestTokenSource(srv, "", newLogBuffer())
	ctx := context.Background()
	for range 3 {
		if tok, err := s.Token(ctx); err != nil || tok != "token-1" {
			t.Fatalf("Token = %q, %v, want token-1", tok, err)
		}
	}
	clock.advance(79 * time.Second)
	if tok, _ := s.Token(ctx); tok != "token-1" {
		t.Fatalf("at 79%% of its lifetime: %q, want the cached token-1", tok)
	}
	clock.advance(2 * time.Second)
	if tok, _ := s.Token(ctx); tok != "token-2" {
		t.Fatalf("at 81%% of its lifetime: %q, want a new token-2", tok)
	}
	if n := srv.requests.Load(); n != 2 {
		t.Errorf("%d requests to the token endpoint, want 2", n)
	}
}

func TestTokenLifetime(t *testing.T) {
	jwt := func(claims string) string {
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(claims)) + ".c2ln"
	}
	now := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		name, body string
		want       time.Duration
		err        string
	}{
		{name: "expires_in", body: `{"access_token":"a","token_type":"bearer","expires_in":3600}`, want: time.Hour},
		{name: "expires_in as a string", body: `{"access_token":"a","token_type":"Bearer","expires_in":"120"}`, want: 2 * time.Minute},
		{name: "jwt exp", body: fmt.Sprintf(`{"access_token":%q,"token_type":"Bearer"}`, jwt(fmt.Sprintf(`{"sub":"strait","exp":%d}`, now.Unix()+600))), want: 10 * time.Minute},
		{name: "no expiry known", body: `{"access_token":"opaque"}`, want: tokenDefaultTTL},
		{name: "expired jwt", body: fmt.Sprintf(`{"access_token":%q}`, jwt(fmt.Sprintf(`{"exp":%d}`, now.Unix()-1))), err: "the token endpoint's answer is a token that has expired"},
		{name: "bad expires_in", body: `{"access_token":"a","expires_in":-5}`, err: "the token endpoint's answer has an invalid expires_in -5"},
		{name: "no token", body: `{"token_type":"Bearer","expires_in":60}`, err: "the token endpoint's answer has no access_token"},
		{name: "not bearer", body: `{"access_token":"a","token_type":"mac"}`, err: `the token endpoint's answer has token_type "mac", want Bearer`},
		{name: "not json", body: `<html>hello</html>`, err: "the token endpoint's answer is not a JSON token response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTokenServer(t, func(int32, *http.Request) (int, string) { return 200, tc.body })
			s, _ := newTestTokenSource(srv, "", newLogBuffer())
			s.now = func() time.Time { return now }
			_, ttl, err := s.fetch(context.Background())
			switch {
			case tc.err != "" && (err == nil || err.Error() != tc.err):
				t.Errorf("error %v, want %s", err, tc.err)
			case tc.err == "" && (err != nil || ttl != tc.want):
				t.Errorf("lifetime %v, %v, want %v", ttl, err, tc.want)
			}
		})
	}
}

func TestTokenFetchFailure(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	srv := newTokenServer(t, func(n int32, _ *http.Request) (int, string) {
		if fail.Load() {
			return 400, `{"error":"invalid_scope","error_description":"scope \"x\" is not allowed"}`
		}
		return 200, token(n, "100")
	})
	logs := newLogBuffer()
	s, clock := newTestTokenSource(srv, "x", logs)
	ctx := context.Background()

	_, err := s.Token(ctx)
	want := `the token endpoint answered 400 Bad Request: invalid_scope: scope "x" is not allowed`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
	if l := logs.String(); !strings.Contains(l, `level=ERROR msg="fetching an OAuth token failed" token_endpoint=`+srv.URL+"/oauth2/token") {
		t.Errorf("no clear log line:\n%s", l)
	}
	// Within tokenRetryGap the error is returned without a new request.
	if _, err := s.Token(ctx); err == nil || srv.requests.Load() != 1 {
		t.Errorf("second call: %v after %d requests, want the same error after 1", err, srv.requests.Load())
	}
	clock.advance(tokenRetryGap)
	fail.Store(false)
	tok, err := s.Token(ctx)
	if err != nil || tok != "token-2" {
		t.Fatalf("after recovery: %q, %v", tok, err)
	}

	// A refresh that fails keeps the still valid token, with a warning,
	// until it is about to expire.
	fail.Store(true)
	clock.advance(81 * time.Second)
	if tok, err := s.Token(ctx); err != nil || tok != "token-2" {
		t.Fatalf("failed refresh: %q, %v, want the cached token-2", tok, err)
	}
	if l := logs.String(); !strings.Contains(l, `level=WARN msg="refreshing the OAuth token failed; using the current one until it expires"`) {
		t.Errorf("no warning:\n%s", l)
	}
	clock.advance(15 * time.Second) // 4s before expiry
	if _, err := s.Token(ctx); err == nil {
		t.Fatal("a token about to expire was returned when its refresh failed")
	}

	// Server errors that are not JSON, and an endpoint that is down.
	srv.answer = func(int32, *http.Request) (int, string) { return 503, "<html>down</html>" }
	clock.advance(tokenRetryGap)
	if _, err := s.Token(ctx); err == nil || err.Error() != "the token endpoint answered 503 Service Unavailable" {
		t.Errorf("503: %v", err)
	}
	srv.Close()
	clock.advance(tokenRetryGap)
	if _, err := s.Token(ctx); err == nil || !strings.Contains(err.Error(), `Post "`+srv.URL+`/oauth2/token"`) {
		t.Errorf("endpoint down: %v", err)
	}

	for _, secret := range []string{testClientSecret, "token-1", "token-2"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log holds %q:\n%s", secret, logs.String())
		}
	}
}

func TestTokenConcurrentCallersShareOneFetch(t *testing.T) {
	release := make(chan struct{})
	srv := newTokenServer(t, func(n int32, _ *http.Request) (int, string) {
		<-release
		return 200, token(n, "300")
	})
	s, _ := newTestTokenSource(srv, "", newLogBuffer())
	var wg sync.WaitGroup
	toks := make([]string, 8)
	for i := range toks {
		wg.Go(func() {
			tok, err := s.Token(context.Background())
			if err != nil {
				t.Error(err)
			}
			toks[i] = tok
		})
	}
	waitUntil(t, func() bool { return srv.requests.Load() == 1 })
	close(release)
	wg.Wait()
	for i, tok := range toks {
		if tok != "token-1" {
			t.Errorf("caller %d got %q", i, tok)
		}
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}

	// A waiting caller whose context ends stops waiting.
	s2, _ := newTestTokenSource(newTokenServer(t, func(int32, *http.Request) (int, string) {
		time.Sleep(time.Second)
		return 200, token(1, "300")
	}), "", newLogBuffer())
	go func() { _, _ = s2.Token(context.Background()) }()
	waitUntil(t, func() bool { s2.mu.Lock(); defer s2.mu.Unlock(); return s2.fetching != nil })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s2.Token(ctx); err == nil || !strings.Contains(err.Error(), "context deadline exceeded") {
		t.Errorf("waiting caller: %v", err)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
