// This file tests SASL/PLAIN: parsing, terminate and passthrough.

package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/strait-gw/strait/internal/config"
)

func TestParsePlain(t *testing.T) {
	for _, tc := range []struct {
		name, token string
		want        PlainMessage
		wantErr     string
	}{
		{name: "no authzid", token: "\x00alice\x00pw", want: PlainMessage{Username: "alice", Password: "pw"}},
		{name: "authzid", token: "alice\x00alice\x00pw", want: PlainMessage{AuthzID: "alice", Username: "alice", Password: "pw"}},
		{name: "password with spaces", token: "\x00alice\x00a b c", want: PlainMessage{Username: "alice", Password: "a b c"}},
		{name: "two fields", token: "alice\x00pw", wantErr: "expected 3 NUL-separated fields, got 2"},
		{name: "four fields", token: "\x00alice\x00pw\x00x", wantErr: "expected 3 NUL-separated fields, got 4"},
		{name: "empty", token: "", wantErr: "expected 3 NUL-separated fields, got 1"},
		{name: "no user", token: "\x00\x00pw", wantErr: "empty user name"},
		{name: "no password", token: "\x00alice\x00", wantErr: "empty password"},
		{name: "not utf-8", token: "\x00al\xffice\x00pw", wantErr: "not UTF-8"},
		{name: "huge", token: "\x00alice\x00" + strings.Repeat("p", MaxTokenBytes), wantErr: "exceeds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePlain([]byte(tc.token))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParsePlain = %+v, %v; want error %q", got, err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "pw") {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParsePlain = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func plainConfig(med string, principals ...config.AuthPrincipal) config.ClientAuth {
	return config.ClientAuth{Type: "sasl_plain", Mediation: med, Principals: principals}
}

func TestPlainTerminate(t *testing.T) {
	e := newEnv(t, 10*time.Minute, plainConfig("terminate",
		config.AuthPrincipal{Username: "alice", Password: "alice-secret"},
		config.AuthPrincipal{Username: "bob", Password: "bob-secret"},
	))
	const badCreds = "Authentication failed: Invalid username or password"
	for _, tc := range []struct {
		name    string
		token   []byte
		wantMsg string // empty: success
		metric  string
	}{
		{name: "good", token: plainToken("", "alice", "alice-secret"), metric: "vc/sasl_plain/ok"},
		{name: "good with authzid", token: plainToken("bob", "bob", "bob-secret"), metric: "vc/sasl_plain/ok"},
		{name: "wrong password", token: plainToken("", "alice", "bob-secret"), wantMsg: badCreds, metric: "vc/sasl_plain/failed"},
		{name: "unknown user", token: plainToken("", "mallory", "alice-secret"), wantMsg: badCreds, metric: "vc/sasl_plain/failed"},
		{name: "password prefix", token: plainToken("", "alice", "alice-secre"), wantMsg: badCreds, metric: "vc/sasl_plain/failed"},
		{name: "other authzid", token: plainToken("bob", "alice", "alice-secret"),
			wantMsg: "Authentication failed: Client requested an authorization id that is different from username", metric: "vc/sasl_plain/failed"},
		{name: "malformed", token: []byte("alice alice-secret"),
			wantMsg: "Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN", metric: "vc/sasl_plain/failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := e.begin(t, "PLAIN")
			if x.Mediation() != Terminate {
				t.Fatalf("mediation %s", x.Mediation())
			}
			reply, done, err := x.Step(ctx, tc.token)
			if tc.wantMsg != "" {
				if f := failure(t, err); f.ClientMessage() != tc.wantMsg {
					t.Errorf("message %q, want %q", f.ClientMessage(), tc.wantMsg)
				}
				if done {
					t.Error("done after a failure")
				}
			} else {
				if err != nil || !done || len(reply) != 0 {
					t.Fatalf("Step = %q, %v, %v; want empty reply, done", reply, done, err)
				}
				r := x.Result()
				if r.Auth.Type != "sasl_plain" || r.Auth.Principal != string(tc.token[strings.IndexByte(string(tc.token), 0)+1:strings.LastIndexByte(string(tc.token), 0)]) {
					t.Errorf("result %+v", r)
				}
				if r.Lifetime != 10*time.Minute {
					t.Errorf("lifetime %s, want max_session_lifetime 10m", r.Lifetime)
				}
			}
			if got := e.metrics.take(); len(got) != 1 || got[0] != tc.metric {
				t.Errorf("metrics %v, want [%s]", got, tc.metric)
			}
			if _, _, err := x.Step(ctx, tc.token); err == nil || failureOrNil(err) != nil {
				t.Errorf("second Step = %v, want a protocol error", err)
			}
		})
	}
}

func failureOrNil(err error) *Failure {
	f, _ := err.(*Failure)
	return f
}

func TestPlainPassthrough(t *testing.T) {
	e := newEnv(t, 0, plainConfig("passthrough"))
	x := e.begin(t, "PLAIN")
	if x.Mediation() != Passthrough {
		t.Fatalf("mediation %s", x.Mediation())
	}
	reply, done, err := x.Step(ctx, plainToken("", "carol", "whatever"))
	if err != nil || !done || reply != nil {
		t.Fatalf("Step = %q, %v, %v; want no reply, done (the backend decides)", reply, done, err)
	}
	if r := x.Result(); r.Auth.Principal != "carol" || r.Auth.Type != "sasl_plain" || r.Lifetime != 0 {
		t.Errorf("result %+v", r)
	}
	if got := e.metrics.take(); len(got) != 0 {
		t.Errorf("metrics %v before the backend's verdict", got)
	}
	e.s.PassthroughResult("PLAIN", true)
	e.s.PassthroughResult("PLAIN", false)
	if got := strings.Join(e.metrics.take(), " "); got != "vc/sasl_plain/ok vc/sasl_plain/failed" {
		t.Errorf("metrics %s", got)
	}

	// A malformed token is refused at the gateway.
	x = e.begin(t, "PLAIN")
	if _, _, err := x.Step(ctx, []byte("carol")); failure(t, err) == nil {
		t.Fatal("no failure")
	}
}
