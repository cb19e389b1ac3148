// Package testtools tells tests whether a missing outside tool fails them
// or skips them. It imports nothing of Strait's, so that any package's
// tests may use it.
package testtools

import "os"

// Required reports whether a test that lacks an outside tool (kcat, a
// schema registry, a local KMS) or permission (writing /etc/hosts) must
// fail rather than skip: under `make test` and .ci/run, which set
// STRAIT_REQUIRE_TOOLS=1, and wherever CI is set. A run that skipped them
// would look green without having run them.
func Required() bool {
	return os.Getenv("STRAIT_REQUIRE_TOOLS") == "1" || os.Getenv("CI") != ""
}
