// OAuth 2.0 access tokens for SASL/OAUTHBEARER to a backend cluster, got
// with the client credentials grant (RFC 6749 section 4.4) and cached
// until shortly before they expire.
//
// Behavior notes:
//   - The client authenticates with HTTP Basic, client id and secret each
//     form-encoded first (RFC 6749 section 2.3.1), as Kafka's Java client
//     does; the scope, when set, goes in the form.
//   - A token's lifetime is expires_in; failing that, the exp claim of a
//     JWT access token; failing that, tokenDefaultTTL. It is refreshed once
//     tokenRefreshFraction of it has passed, so that a session the broker
//     caps at the token's expiry is re-authenticated with a fresh one.
//   - Neither the client secret nor a token is ever logged or put in an
//     error; the token endpoint's error code and description are.

package backend

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

const (
	// tokenRefreshFraction of a token's lifetime passes before it is
	// refreshed.
	tokenRefreshFraction = 0.8
	// tokenDefaultTTL is the lifetime assumed of a token whose expiry is
	// not known.
	tokenDefaultTTL = time.Minute
	// tokenMinValidity is how long a cached token must still be valid to
	// be used when its refresh fails or is under way.
	tokenMinValidity = 5 * time.Second
	// tokenRetryGap is the least time between two failed fetches: while
	// the endpoint fails, connections get the last error rather than a
	// request each.
	tokenRetryGap = time.Second
	// maxTokenResponse caps a token endpoint's answer.
	maxTokenResponse = 1 << 20
)

// tokenSource gets access tokens from a token endpoint. It is safe for
// concurrent use; at most one fetch runs at a time and callers arriving
// meanwhile wait for it.
type tokenSource struct {
	endpoint, clientID, clientSecret, scope string
	http                                    *http.Client
	log                                     *slog.Logger
	now                                     func() time.Time

	mu        sync.Mutex
	token     string
	expires   time.Time
	refreshAt time.Time
	// fetching is closed when the running fetch ends; nil if none runs.
	fetching chan struct{}
	// lastErr is the last fetch's error, returned without fetching again
	// until failedAt+tokenRetryGap.
	lastErr  error
	failedAt time.Time
}

func newTokenSource(endpoint, clientID, clientSecret, scope string, log *slog.Logger) *tokenSource {
	return &tokenSource{
		endpoint: endpoint, clientID: clientID, clientSecret: clientSecret, scope: scope,
		http: &http.Client{Timeout: 10 * time.Second},
		log:  log,
		now:  time.Now,
	}
}

// Token returns a valid access token: the cached one until it is due for
// refresh, else a new one. When a refresh fails while the cached token is
// still valid for a while, the cached token is returned and the failure
// logged; when there is no such token, the failure is logged and returned.
func (s *tokenSource) Token(ctx context.Context) (string, error) {
	for {
		s.mu.Lock()
		now := s.now()
		if s.token != "" && now.Before(s.refreshAt) {
			tok := s.token
			s.mu.Unlock()
			return tok, nil
		}
		usable := s.token != "" && now.Before(s.expires.Add(-tokenMinValidity))
		if ch := s.fetching; ch != nil {
			if usable {
				tok := s.token
				s.mu.Unlock()
				return tok, nil
			}
			s.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return "", fmt.Errorf("waiting for an OAuth token: %w", ctx.Err())
			}
		}
		if s.lastErr != nil && now.Before(s.failedAt.Add(tokenRetryGap)) {
			tok, err := s.token, s.lastErr
			s.mu.Unlock()
			if usable {
				return tok, nil
			}
			return "", err
		}
		ch := make(chan struct{})
		s.fetching = ch
		s.mu.Unlock()

		tok, ttl, err := s.fetch(ctx)

		s.mu.Lock()
		s.fetching = nil
		close(ch)
		now = s.now()
		if err != nil {
			s.lastErr, s.failedAt = err, now
			usable = s.token != "" && now.Before(s.expires.Add(-tokenMinValidity))
			tok = s.token
			s.mu.Unlock()
			if usable {
				s.log.Warn("refreshing the OAuth token failed; using the current one until it expires", "token_endpoint", s.endpoint, "err", err)
				return tok, nil
			}
			s.log.Error("fetching an OAuth token failed", "token_endpoint", s.endpoint, "err", err)
			return "", err
		}
		s.token, s.lastErr = tok, nil
		s.expires = now.Add(ttl)
		s.refreshAt = now.Add(time.Duration(float64(ttl) * tokenRefreshFraction))
		s.mu.Unlock()
		s.log.Debug("fetched an OAuth token", "token_endpoint", s.endpoint, "expires_in", ttl)
		return tok, nil
	}
}

// tokenResponse is a successful token endpoint answer (RFC 6749 section
// 5.1). ExpiresIn is a number, or a string some servers send.
type tokenResponse struct {
	AccessToken string          `json:"access_token"`
	TokenType   string          `json:"token_type"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
}

// tokenError is a token endpoint's error answer (RFC 6749 section 5.2).
type tokenError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// fetch gets a new token and its lifetime.
func (s *tokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if s.scope != "" {
		form.Set("scope", s.scope)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(s.clientID), url.QueryEscape(s.clientSecret))
	resp, err := s.http.Do(req)
	if err != nil {
		// A *url.Error names the method and URL, which hold no secret.
		return "", 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse+1))
	if err != nil {
		return "", 0, fmt.Errorf("reading the token endpoint's answer: %w", err)
	}
	if len(body) > maxTokenResponse {
		return "", 0, fmt.Errorf("the token endpoint's answer is over %d bytes", maxTokenResponse)
	}
	if resp.StatusCode != http.StatusOK {
		var e tokenError
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			msg := printable(e.Error)
			if e.Description != "" {
				msg += ": " + printable(e.Description)
			}
			return "", 0, fmt.Errorf("the token endpoint answered %s: %s", resp.Status, msg)
		}
		return "", 0, fmt.Errorf("the token endpoint answered %s", resp.Status)
	}
	var t tokenResponse
	if err := json.Unmarshal(body, &t); err != nil {
		return "", 0, errors.New("the token endpoint's answer is not a JSON token response")
	}
	if t.AccessToken == "" {
		return "", 0, errors.New("the token endpoint's answer has no access_token")
	}
	if t.TokenType != "" && !strings.EqualFold(t.TokenType, "bearer") {
		return "", 0, fmt.Errorf("the token endpoint's answer has token_type %q, want Bearer", printable(t.TokenType))
	}
	ttl, err := tokenTTL(t, s.now())
	if err != nil {
		return "", 0, err
	}
	return t.AccessToken, ttl, nil
}

// tokenTTL returns how long a token is valid: expires_in, else the exp
// claim of a JWT, else tokenDefaultTTL.
func tokenTTL(t tokenResponse, now time.Time) (time.Duration, error) {
	if raw := strings.Trim(string(t.ExpiresIn), `"`); raw != "" && raw != "null" {
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil || n <= 0 || n > 1e9 {
			return 0, fmt.Errorf("the token endpoint's answer has an invalid expires_in %s", printable(string(t.ExpiresIn)))
		}
		return time.Duration(n * float64(time.Second)), nil
	}
	if exp, ok := jwtExpiry(t.AccessToken); ok {
		if !exp.After(now) {
			return 0, errors.New("the token endpoint's answer is a token that has expired")
		}
		return exp.Sub(now), nil
	}
	return tokenDefaultTTL, nil
}

// jwtExpiry returns the exp claim of a JWT, without verifying it: the
// broker verifies; the gateway only needs to know when to refresh.
func jwtExpiry(tok string) (time.Time, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp *float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == nil {
		return time.Time{}, false
	}
	return time.Unix(int64(*claims.Exp), 0), true
}

// printable shortens s to 200 characters and drops what is not printable,
// for a string from a server that goes into a log line.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "..."
	}
	return s
}
