// Tests against a real registry speaking Confluent's REST API: Apicurio
// Registry, started by test/registry/start.sh, whose base URL
// STRAIT_SCHEMA_REGISTRY_URL gives. Without it they skip, or fail where
// tools are required (STRAIT_REQUIRE_TOOLS=1, CI).
//
// Apicurio 2.4 has no basic authentication of its own (only OIDC client
// credentials through Keycloak); TestConfluentBasicAuth covers the client
// side against httptest.

package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strait-gw/strait/internal/testtools"
)

// realRegistryURL is the registry the tests use, or skips (fails when
// tools are required).
func realRegistryURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("STRAIT_SCHEMA_REGISTRY_URL")
	if u == "" {
		msg := "STRAIT_SCHEMA_REGISTRY_URL is not set: start a registry with test/registry/start.sh and export the URL it prints"
		if testtools.Required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return strings.TrimRight(u, "/")
}

// register registers a schema under subject through the Confluent API and
// returns its id.
func register(t *testing.T, base, subject, schemaType, schema string, refs ...reference) int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"schemaType": schemaType, "schema": schema, "references": refs})
	if schemaType == "" || schemaType == "AVRO" {
		// Some registries reject an explicit AVRO; absent means Avro.
		body, _ = json.Marshal(map[string]any{"schema": schema, "references": refs})
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/subjects/"+url.PathEscape(subject)+"/versions", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		ID      int    `json:"id"`
		Message string `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("register %s: %d %s (%v)", subject, resp.StatusCode, out.Message, err)
	}
	return out.ID
}

// subject names a subject of this run: a registry that outlives the
// tests keeps what earlier runs registered.
func subject(t *testing.T, name string) string {
	return fmt.Sprintf("strait-%s-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), name, time.Now().UnixNano())
}

func realValidator(t *testing.T, base string, edit func(*ConfluentConfig)) *Validator {
	t.Helper()
	c := newClient(t, base, edit)
	v, err := NewValidator(Config{Type: ValidationConfluent, SchemaRegistry: "real", ValidateValue: true}, map[string]Registry{"real": c})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRealRegistryAvro(t *testing.T) {
	base := realRegistryURL(t)
	addrSubject := subject(t, "address")
	register(t, base, addrSubject, "", `{"type":"record","name":"Address","namespace":"strait.test","fields":[{"name":"city","type":"string"}]}`)
	userID := register(t, base, subject(t, "user"), "", userAvro)
	personID := register(t, base, subject(t, "person"), "",
		`{"type":"record","name":"Person","namespace":"strait.test","fields":[{"name":"name","type":"string"},{"name":"home","type":"strait.test.Address"}]}`,
		reference{Name: "strait.test.Address", Subject: addrSubject, Version: 1})

	v := realValidator(t, base, nil)
	good := mustAvro(t, userAvro, userValue())
	for _, tc := range []struct {
		name  string
		value []byte
		err   error
	}{
		{"good", wire(userID, nil, good), nil},
		{"trailing byte", wire(userID, nil, append(append([]byte{}, good...), 0)), ErrInvalidPayload},
		{"truncated", wire(userID, nil, good[:len(good)-4]), ErrInvalidPayload},
		{"not wire format", good, ErrNotWireFormat},
		{"with reference", wire(personID, nil, []byte{6, 'a', 'd', 'a', 6, 'r', 'i', 'o'}), nil},
		{"with reference, bad", wire(personID, nil, []byte{6, 'a', 'd', 'a', 7}), ErrInvalidPayload},
		{"unknown id", wire(1<<31-7, nil, good), ErrUnknownSchema},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, v.ValidateRecord(t.Context(), nil, tc.value), tc.err)
		})
	}
	got, err := v.Decode(t.Context(), wire(personID, nil, []byte{6, 'a', 'd', 'a', 6, 'r', 'i', 'o'}))
	if err != nil {
		t.Fatal(err)
	}
	if city := got.(map[string]any)["home"].(map[string]any)["city"]; city != "rio" {
		t.Fatalf("decoded %#v", got)
	}
}

func TestRealRegistryJSONSchema(t *testing.T) {
	base := realRegistryURL(t)
	id := register(t, base, subject(t, "order"), "JSON", `{"type":"object","properties":{"qty":{"type":"integer","minimum":1},"sku":{"type":"string"}},"required":["qty","sku"]}`)
	v := realValidator(t, base, nil)
	for _, tc := range []struct {
		name, value string
		err         error
	}{
		{"good", `{"qty":2,"sku":"a"}`, nil},
		{"minimum", `{"qty":0,"sku":"a"}`, ErrInvalidPayload},
		{"required", `{"qty":1}`, ErrInvalidPayload},
		{"not json", `{"qty"`, ErrInvalidPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, v.ValidateRecord(t.Context(), nil, wire(id, nil, []byte(tc.value))), tc.err)
		})
	}
	got, err := v.Decode(t.Context(), wire(id, nil, []byte(`{"qty":2,"sku":"a"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if got.(map[string]any)["qty"] != int64(2) {
		t.Fatalf("decoded %#v", got)
	}
}

func TestRealRegistryProtobuf(t *testing.T) {
	base := realRegistryURL(t)
	id := register(t, base, subject(t, "refund"), "PROTOBUF", "syntax = \"proto3\";\npackage strait.test;\nmessage Refund {\n  int64 order_id = 1;\n  string reason = 2;\n}\nmessage Other {\n  bool ok = 1;\n}\n")
	v := realValidator(t, base, nil)
	for _, tc := range []struct {
		name  string
		value []byte
		err   error
	}{
		{"good", wire(id, []int{0}, []byte{8, 42, 0x12, 2, 'n', 'o'}), nil},
		{"second message", wire(id, []int{1}, []byte{8, 1}), nil},
		{"truncated", wire(id, []int{0}, []byte{0x12, 5, 'n'}), ErrInvalidPayload},
		{"no such message", wire(id, []int{2}, nil), ErrInvalidPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, v.ValidateRecord(t.Context(), nil, tc.value), tc.err)
		})
	}
}

// TestRealRegistryRestart stops a registry of its own and starts it
// again: the lookup that failed while it was down is not cached, and the
// same id works once it is back. Storage is in memory, so the restarted
// registry hands out ids from 1 again, and the schema registered after
// the restart gets the id the failed lookup asked for.
func TestRealRegistryRestart(t *testing.T) {
	realRegistryURL(t)
	harness, err := filepath.Abs("../../test/registry")
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	dir := t.TempDir()
	run := func(script string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), filepath.Join(harness, script), port)
		cmd.Env = append(os.Environ(), "STRAIT_REGISTRY_DIR="+filepath.Join(dir, "registry"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", script, port, err, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	t.Cleanup(func() {
		cmd := exec.Command(filepath.Join(harness, "stop.sh"), port)
		cmd.Env = append(os.Environ(), "STRAIT_REGISTRY_DIR="+filepath.Join(dir, "registry"))
		cmd.Run()
	})

	base := run("start.sh")
	v := realValidator(t, base, func(cc *ConfluentConfig) { cc.Timeout = 2 * time.Second })
	payload := mustAvro(t, tinyAvro, map[string]any{"n": int64(5)})
	// The first schema a fresh registry stores gets id 1.
	run("stop.sh")
	err = v.ValidateRecord(t.Context(), nil, wire(1, nil, payload))
	wantErr(t, err, ErrRegistryUnavailable)

	base2 := run("start.sh")
	if base2 != base {
		t.Fatalf("restarted registry at %s, was %s", base2, base)
	}
	id := register(t, base, "strait-restart", "", tinyAvro)
	if id != 1 {
		t.Fatalf("fresh registry gave id %d, want 1", id)
	}
	if err := v.ValidateRecord(t.Context(), nil, wire(1, nil, payload)); err != nil {
		t.Fatalf("after the restart: %v", err)
	}
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
