// Host names for tests that clients without resolver hooks (librdkafka,
// the Java client) must resolve to loopback: entries added to /etc/hosts
// for the test and removed after it.

package testenv

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
)

const hostsFile = "/etc/hosts"

// AddHosts maps names to 127.0.0.1 in /etc/hosts until the test ends. It
// skips the test when /etc/hosts is not writable, unless ToolsRequired.
func AddHosts(t testing.TB, names ...string) {
	t.Helper()
	marker := fmt.Sprintf("# strait-test %d %s", os.Getpid(), t.Name())
	var block strings.Builder
	for _, n := range names {
		fmt.Fprintf(&block, "127.0.0.1 %s %s\n", n, marker)
	}
	err := editHosts(func(s string) string { return s + block.String() })
	if err != nil {
		if ToolsRequired() {
			t.Fatalf("adding test host names to %s: %v", hostsFile, err)
		}
		t.Skipf("cannot add test host names to %s: %v", hostsFile, err)
	}
	t.Cleanup(func() {
		_ = editHosts(func(s string) string {
			var keep []string
			for _, line := range strings.SplitAfter(s, "\n") {
				if !strings.Contains(line, marker) {
					keep = append(keep, line)
				}
			}
			return strings.Join(keep, "")
		})
	})
}

// editHosts rewrites /etc/hosts under an exclusive lock, so concurrent
// test processes do not lose each other's entries.
func editHosts(edit func(string) string) error {
	lock, err := os.OpenFile(hostsFile+".strait-lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck
	b, err := os.ReadFile(hostsFile)
	if err != nil {
		return err
	}
	s := string(b)
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	// Rewrite in place: /etc/hosts may be a bind mount that cannot be
	// replaced by rename.
	return os.WriteFile(hostsFile, []byte(edit(s)), 0o644)
}
