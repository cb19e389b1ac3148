// Whether a missing tool fails a test or skips it.

package testenv

import "os"

// ToolsRequired reports whether a test that lacks an outside tool (kcat) or
// permission (writing /etc/hosts) must fail rather than skip: under `make
// test` and .ci/run, which set STRAIT_REQUIRE_TOOLS=1, and wherever CI is
// set. A run that skipped them would look green without having run them.
func ToolsRequired() bool {
	return os.Getenv("STRAIT_REQUIRE_TOOLS") == "1" || os.Getenv("CI") != ""
}
