// librdkafka through the gateway, driven by kcat.
package e2e

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strait-gw/strait/internal/testenv"
)

// kcatPath finds kcat. `make test` and .ci/run install it
// (test/compat/clients/kcat/install) and set STRAIT_REQUIRE_TOOLS=1, under
// which a missing kcat fails the test; elsewhere it skips.
func kcatPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		if testenv.ToolsRequired() {
			t.Fatal("kcat is not installed: test/compat/clients/kcat/install installs it")
		}
		t.Skip("kcat not installed (test/compat/clients/kcat/install installs it)")
	}
	return p
}

func kcat(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command(kcatPath(t), args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("kcat %v: %v\n%s", args, err, errb.String())
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("kcat %v: timed out\n%s", args, errb.String())
	}
	return out.String()
}

func TestKcatMetadataShowsOnlyGateway(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	out := kcat(t, nil, "-b", gw.Bootstrap, "-L", "-m", "10")
	if !strings.Contains(out, "3 brokers:") {
		t.Fatalf("kcat -L:\n%s", out)
	}
	for id := range 3 {
		want := fmt.Sprintf("broker %d at 127.0.0.1:%d", id, gw.FirstBrokerPort+id)
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	for _, addr := range k.Bootstrap {
		_, port, _ := strings.Cut(addr, ":")
		if strings.Contains(out, ":"+port) {
			t.Errorf("backend address %s leaked:\n%s", addr, out)
		}
	}
}

func TestKcatProduceConsume(t *testing.T) {
	k := testenv.Embedded(t, 3)
	gw := testenv.StartGateway(t, k, testenv.Options{})
	const n = 1000
	var in bytes.Buffer
	for i := range n {
		fmt.Fprintf(&in, "key-%d:value-%d\n", i, i)
	}
	kcat(t, in.Bytes(), "-b", gw.Bootstrap, "-P", "-t", "kcat", "-K", ":", "-X", "topic.partitioner=murmur2_random",
		"-X", "allow.auto.create.topics=true", "-m", "20")
	out := kcat(t, nil, "-b", gw.Bootstrap, "-C", "-t", "kcat", "-o", "beginning", "-c", strconv.Itoa(n), "-e",
		"-f", "%k=%s\n", "-m", "30")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != n {
		t.Fatalf("consumed %d lines, want %d", len(lines), n)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l] = true
	}
	for i := range n {
		if want := fmt.Sprintf("key-%d=value-%d", i, i); !seen[want] {
			t.Fatalf("missing %q", want)
		}
	}
}
