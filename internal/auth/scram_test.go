// This file tests SASL/SCRAM against franz-go's client, in process.

package auth

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sasl"
	fscram "github.com/twmb/franz-go/pkg/sasl/scram"
	"github.com/xdg-go/scram"

	"github.com/strait-gw/strait/internal/config"
)

// runSCRAM drives franz-go's client mech against the exchange x. tamper,
// if set, may change each client message (step 1 or 2) before x sees it.
// It returns the exchange's error, or the client's if it refuses the
// server.
func runSCRAM(t *testing.T, x Exchange, mech sasl.Mechanism, tamper func(step int, msg []byte) []byte) error {
	t.Helper()
	sess, msg, err := mech.Authenticate(ctx, "broker:9092")
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	for step := 1; ; step++ {
		if tamper != nil {
			msg = tamper(step, msg)
		}
		reply, done, err := x.Step(ctx, msg)
		if err != nil {
			return err
		}
		clientDone, next, err := sess.Challenge(reply)
		if err != nil {
			return fmt.Errorf("client refused the server: %w", err)
		}
		if done != clientDone {
			t.Fatalf("step %d: server done %v, client done %v", step, done, clientDone)
		}
		if done {
			return nil
		}
		msg = next
	}
}

// scramClient is franz-go's SCRAM-SHA-256 client for user.
func scramClient(user, pass string) sasl.Mechanism {
	return fscram.Auth{User: user, Pass: pass}.AsSha256Mechanism()
}

// salted returns the salted credentials of password for algorithm as a
// principal, as Kafka would store them.
func salted(t *testing.T, algorithm, user, password string, iters int) config.AuthPrincipal {
	t.Helper()
	h := scram.SHA256
	if algorithm == "sha512" {
		h = scram.SHA512
	}
	c, err := h.NewClient(user, password, "")
	if err != nil {
		t.Fatal(err)
	}
	salt := []byte("0123456789abcdef-salt")
	sc, err := c.GetStoredCredentialsWithError(scram.KeyFactors{Salt: string(salt), Iters: iters})
	if err != nil {
		t.Fatal(err)
	}
	return config.AuthPrincipal{
		Username:   user,
		Salt:       base64.StdEncoding.EncodeToString(salt),
		Iterations: iters,
		StoredKey:  base64.StdEncoding.EncodeToString(sc.StoredKey),
		ServerKey:  base64.StdEncoding.EncodeToString(sc.ServerKey),
	}
}

func TestSCRAMTerminate(t *testing.T) {
	for _, alg := range []struct {
		name, mech string
		client     func(fscram.Auth) sasl.Mechanism
	}{
		{"sha256", "SCRAM-SHA-256", fscram.Auth.AsSha256Mechanism},
		{"sha512", "SCRAM-SHA-512", fscram.Auth.AsSha512Mechanism},
	} {
		t.Run(alg.name, func(t *testing.T) {
			e := newEnv(t, time.Hour, config.ClientAuth{
				Type: "sasl_scram", Algorithm: alg.name, Mediation: "terminate",
				Principals: []config.AuthPrincipal{
					{Username: "alice", Password: "alice-secret"},
					{Username: "we,ird=name", Password: "pässwörd"},
					salted(t, alg.name, "bob", "bob-secret", 8192),
				},
			})
			generic := "Authentication failed during authentication due to invalid credentials with SASL mechanism " + alg.mech
			for _, tc := range []struct {
				name, user, pass string
				zid              string
				token            bool
				tamper           func(int, []byte) []byte
				wantMsg          string // empty: success
			}{
				{name: "password principal", user: "alice", pass: "alice-secret"},
				{name: "escaped name, non-ASCII password", user: "we,ird=name", pass: "pässwörd"},
				{name: "salted principal", user: "bob", pass: "bob-secret"},
				{name: "wrong password", user: "alice", pass: "bob-secret", wantMsg: generic},
				{name: "wrong salted password", user: "bob", pass: "alice-secret", wantMsg: generic},
				{name: "unknown user", user: "mallory", pass: "alice-secret", wantMsg: generic},
				{name: "wrong proof", user: "alice", pass: "alice-secret", wantMsg: generic, tamper: func(step int, msg []byte) []byte {
					if step != 2 {
						return msg
					}
					i := bytes.LastIndex(msg, []byte(",p="))
					proof, _ := base64.StdEncoding.DecodeString(string(msg[i+3:]))
					proof[0] ^= 1
					return append(msg[:i+3:i+3], base64.StdEncoding.EncodeToString(proof)...)
				}},
				{name: "wrong nonce", user: "alice", pass: "alice-secret", wantMsg: generic, tamper: func(step int, msg []byte) []byte {
					if step != 2 {
						return msg
					}
					return bytes.Replace(msg, []byte(",r="), []byte(",r=x"), 1)
				}},
				{name: "delegation token", user: "alice", pass: "alice-secret", token: true, wantMsg: generic},
				{name: "other authzid", user: "alice", pass: "alice-secret", zid: "bob",
					wantMsg: "Authentication failed: Client requested an authorization id that is different from username"},
				{name: "same authzid", user: "alice", pass: "alice-secret", zid: "alice"},
				{name: "garbage", user: "alice", pass: "x", wantMsg: generic, tamper: func(int, []byte) []byte { return []byte("hello") }},
				{name: "huge", user: "alice", pass: "x", wantMsg: generic, tamper: func(int, []byte) []byte { return bytes.Repeat([]byte("n"), MaxTokenBytes+1) }},
			} {
				t.Run(tc.name, func(t *testing.T) {
					x := e.begin(t, alg.mech)
					err := runSCRAM(t, x, alg.client(fscram.Auth{User: tc.user, Pass: tc.pass, Zid: tc.zid, IsToken: tc.token}), tc.tamper)
					metrics := e.metrics.take()
					if tc.wantMsg == "" {
						if err != nil {
							t.Fatalf("authentication failed: %v", err)
						}
						r := x.Result()
						if r.Auth.Type != "sasl_scram" || r.Auth.Principal != tc.user || r.Lifetime != time.Hour {
							t.Errorf("result %+v", r)
						}
						if len(metrics) != 1 || metrics[0] != "vc/sasl_scram/ok" {
							t.Errorf("metrics %v", metrics)
						}
						return
					}
					if f := failure(t, err); f.ClientMessage() != tc.wantMsg {
						t.Errorf("message %q, want %q", f.ClientMessage(), tc.wantMsg)
					}
					if r := x.Result(); r.Auth.Principal != "" {
						t.Errorf("result %+v after a failure", r)
					}
					if len(metrics) != 1 || metrics[0] != "vc/sasl_scram/failed" {
						t.Errorf("metrics %v", metrics)
					}
				})
			}
		})
	}
}

// TestSCRAMUnknownUserLooksKnown checks that an unknown user gets a
// server-first message like a known user's (same iteration count, a salt
// that does not change between attempts), so that the first step tells
// nothing.
func TestSCRAMUnknownUserLooksKnown(t *testing.T) {
	e := newEnv(t, 0, config.ClientAuth{
		Type: "sasl_scram", Algorithm: "sha256", Mediation: "terminate",
		Principals: []config.AuthPrincipal{salted(t, "sha256", "bob", "pw", 8192), salted(t, "sha256", "carol", "pw", 8192), {Username: "alice", Password: "pw"}},
	})
	first := func(user string) (salt, iters string) {
		x := e.begin(t, "SCRAM-SHA-256")
		reply, done, err := x.Step(ctx, []byte("n,,n="+user+",r=abcdef"))
		if err != nil || done {
			t.Fatalf("first step for %s: %v", user, err)
		}
		parts := strings.Split(string(reply), ",")
		return parts[1], parts[2]
	}
	s1, i1 := first("mallory")
	s2, i2 := first("mallory")
	_, iBob := first("bob")
	if s1 != s2 || i1 != i2 {
		t.Errorf("unknown user's salt or iterations change between attempts: %s %s, %s %s", s1, i1, s2, i2)
	}
	if i1 != iBob || i1 != "i=8192" {
		t.Errorf("unknown user's %s, known users' %s", i1, iBob)
	}
}

func TestSCRAMPassthrough(t *testing.T) {
	e := newEnv(t, time.Hour, config.ClientAuth{Type: "sasl_scram", Algorithm: "sha512", Mediation: "passthrough"})
	x := e.begin(t, "SCRAM-SHA-512")
	if x.Mediation() != Passthrough {
		t.Fatalf("mediation %s", x.Mediation())
	}
	sess, msg, err := fscram.Auth{User: "d=3Dve,x", Pass: "pw"}.AsSha512Mechanism().Authenticate(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	_ = sess
	if reply, done, err := x.Step(ctx, msg); err != nil || done || reply != nil {
		t.Fatalf("first Step = %q, %v, %v; want no reply, not done", reply, done, err)
	}
	if reply, done, err := x.Step(ctx, []byte("c=biws,r=abc,p=AAAA")); err != nil || !done || reply != nil {
		t.Fatalf("last Step = %q, %v, %v; want no reply, done", reply, done, err)
	}
	if r := x.Result(); r.Auth.Principal != "d=3Dve,x" || r.Auth.Type != "sasl_scram" || r.Lifetime != 0 {
		t.Errorf("result %+v", r)
	}
	if m := e.metrics.take(); len(m) != 0 {
		t.Errorf("metrics %v before the backend's verdict", m)
	}

	x = e.begin(t, "SCRAM-SHA-512")
	_, msg, _ = fscram.Auth{User: "alice", Pass: "pw", IsToken: true}.AsSha512Mechanism().Authenticate(ctx, "b")
	if _, _, err := x.Step(ctx, msg); !errors.Is(err, ErrFailed) {
		t.Fatalf("delegation token through passthrough: %v, want a failure", err)
	}
}

func TestParseClientFirst(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    ClientFirst
		wantErr bool
	}{
		{in: "n,,n=alice,r=abc", want: ClientFirst{Username: "alice"}},
		{in: "y,a=al=2Cice,n=al=2Cice,r=abc", want: ClientFirst{AuthzID: "al,ice", Username: "al,ice"}},
		{in: "n,,n=a=3Db,r=abc,tokenauth=true", want: ClientFirst{Username: "a=b", Extensions: map[string]string{"tokenauth": "true"}}},
		{in: "n,,n=a=b,r=abc", wantErr: true},
		{in: "n,,n=,r=abc", wantErr: true},
		{in: "x,,n=alice,r=abc", wantErr: true},
		{in: "n,,r=abc,n=alice", wantErr: true},
		{in: "n,,n=alice", wantErr: true},
		{in: "n,,n=alice,r=", wantErr: true},
	} {
		got, err := ParseClientFirst([]byte(tc.in))
		if (err != nil) != tc.wantErr || (!tc.wantErr && fmt.Sprint(got) != fmt.Sprint(tc.want)) {
			t.Errorf("ParseClientFirst(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}
