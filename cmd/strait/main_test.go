// Tests of the strait command: its subcommands and exit codes through run,
// and `strait dev` as a built binary driven by a Kafka client.
package main

import (
	"bytes"
	"context"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strait-gw/strait/internal/testenv"
)

const goodConfig = `backend_clusters:
  - name: kafka
    bootstrap_servers: ["127.0.0.1:9092"]
    tls:
      enabled: true
      ca_bundle: ${file:ca.pem}
virtual_clusters:
  - name: vc
    destination: kafka
listeners:
  - name: plain
    ports: ["19092-19095"]
    policies:
      - type: forward_to_virtual_cluster
        config:
          type: port_mapping
          destination: vc
`

// badConfig has six errors in different sections, all reported at once.
const badConfig = `observability:
  log_level: loud
backend_clusters:
  - name: kafka
    bootstrap_servers: ["no-port"]
    tls:
      enabled: true
      tls_versions: [tls11]
virtual_clusters:
  - name: vc
    destination: missing
listeners:
  - name: plain
    ports: [19092]
    policies:
      - type: forward_to_virtual_cluster
        config:
          type: port_mapping
          destination: team-b
`

// writeFile writes data to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ca.pem", testenv.NewCA(t, "Strait test CA").CertPEM)
	good := writeFile(t, dir, "good.yaml", goodConfig)
	bad := writeFile(t, dir, "bad.yaml", badConfig)
	missing := filepath.Join(dir, "missing.yaml")

	tests := []struct {
		name        string
		args        []string
		code        int
		stdout      []string // pieces stdout must hold
		stderr      []string // pieces stderr must hold
		quietStdout bool     // stdout must be empty
	}{
		{name: "version", args: []string{"version"}, stdout: []string{"strait "}},
		{name: "help", args: []string{"help"}, stdout: []string{"usage: strait", "validate -c FILE"}},
		{name: "no command", args: nil, code: 2, stderr: []string{"usage: strait"}, quietStdout: true},
		{name: "unknown command", args: []string{"serve"}, code: 2,
			stderr: []string{`unknown command "serve"`, "usage: strait"}, quietStdout: true},
		{name: "validate good", args: []string{"validate", "-c", good}, stdout: []string{good + ": ok"}},
		{name: "validate bad", args: []string{"validate", "-c", bad}, code: 2, quietStdout: true, stderr: []string{
			bad + ": invalid configuration",
			`observability.log_level: unknown log level "loud"`,
			`backend_clusters[0].bootstrap_servers[0]: invalid address "no-port"`,
			`backend_clusters[0].tls.tls_versions[0]: unknown TLS version "tls11"`,
			`virtual_clusters[0].destination: unknown backend cluster "missing"`,
			`listeners[0].policies[0].config.destination: unknown virtual cluster "team-b" (line 19)`,
			`listeners[0].policies[0].config.bootstrap_port: at_start needs at least 2 ports`,
		}},
		{name: "validate missing file", args: []string{"validate", "-c", missing}, code: 2, quietStdout: true,
			stderr: []string{missing, "no such file or directory"}},
		{name: "validate bad flag", args: []string{"validate", "-x"}, code: 2, quietStdout: true,
			stderr: []string{"flag provided but not defined: -x"}},
		{name: "run missing file", args: []string{"run", "-c", missing}, code: 2,
			stderr: []string{missing, "no such file or directory"}},
		{name: "run bad", args: []string{"run", "-c", bad}, code: 2,
			stderr: []string{`listeners[0].policies[0].config.destination: unknown virtual cluster "team-b"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit code %d, want %d", code, tc.code)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q", want)
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q", want)
				}
			}
			if tc.quietStdout && stdout.Len() > 0 {
				t.Errorf("stdout not empty")
			}
			if t.Failed() {
				t.Logf("stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
			}
		})
	}
}

// TestValidateExamples checks that every shipped example validates. An
// example that reads certs/ from beside it gets them made (as the README
// shows with openssl) in a copy of the examples directory.
func TestValidateExamples(t *testing.T) {
	examples, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	if err != nil || len(examples) < 3 {
		t.Fatalf("examples: %v %v; want at least port-mapping, sni and tenants", examples, err)
	}
	dir := t.TempDir()
	ca := testenv.NewCA(t, "Strait example CA")
	wild := ca.Issue(t, testenv.CertOptions{Subject: pkix.Name{CommonName: "*.kafka.example.com"}, DNSNames: []string{"*.kafka.example.com"}})
	if err := os.MkdirAll(filepath.Join(dir, "certs"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"wildcard.pem": wild.CertPEM, "wildcard.key": wild.KeyPEM, "clients-ca.pem": ca.CertPEM} {
		if err := os.WriteFile(filepath.Join(dir, "certs", name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, src := range examples {
		name := filepath.Base(src)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			if code := run([]string{"validate", "-c", p}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit code %d:\n%s", code, &stderr)
			}
			if stderr.Len() > 0 {
				t.Errorf("warnings for a shipped example:\n%s", &stderr)
			}
		})
	}
}

// buildStrait builds the strait binary into a temporary directory.
func buildStrait(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(t.TempDir(), "strait")
	build := exec.Command("go", "build", "-o", bin, "./cmd/strait")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestDevSmoke runs `strait dev` as a process: a client produces and
// consumes through it, the admin server reports ready and metrics, and
// SIGTERM stops it cleanly.
func TestDevSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildStrait(t)
	// dev serves the bootstrap port and brokers+7 broker ports after it;
	// the admin server takes the port after those.
	base := testenv.FreePorts(t, 12)
	admin := "127.0.0.1:" + strconv.Itoa(base+11)
	cmd := exec.Command(bin, "dev", "-port", strconv.Itoa(base), "-brokers", "3", "-admin", admin)
	var stdout, stderr testenv.SyncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	reaped := false
	t.Cleanup(func() {
		if !reaped {
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
		}
	})
	testenv.WaitFor(t, 20*time.Second, "Kafka bootstrap server line", func() bool {
		return strings.Contains(stdout.String(), fmt.Sprintf("Kafka bootstrap server: localhost:%d", base))
	})

	httpGet := func(path string) (int, string) {
		resp, err := http.Get("http://" + admin + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	testenv.WaitFor(t, 20*time.Second, "/health/ready answering 200", func() bool {
		code, _ := httpGet("/health/ready")
		return code == http.StatusOK
	})

	bootstrap := "localhost:" + strconv.Itoa(base)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	prod, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	recs := make([]*kgo.Record, 10)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: "smoke", Value: fmt.Appendf(nil, "smoke-%d", i)}
	}
	if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumeTopics("smoke"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	seen := map[string]bool{}
	for len(seen) < 10 {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of 10 records before timeout", len(seen))
		}
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)] = true })
	}
	for i := range 10 {
		if v := fmt.Sprintf("smoke-%d", i); !seen[v] {
			t.Errorf("record %s not consumed", v)
		}
	}
	prod.Close()
	cons.Close()

	if code, body := httpGet("/metrics"); code != http.StatusOK || !strings.Contains(body, "strait_requests_total") {
		t.Errorf("/metrics: %d, strait_requests_total missing:\n%.500s", code, body)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		reaped = true
		if err != nil {
			t.Errorf("strait dev exited with %v after SIGTERM, want status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("strait dev still running 10s after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "msg=stopped") {
		t.Errorf("stderr lacks msg=stopped")
	}
}
