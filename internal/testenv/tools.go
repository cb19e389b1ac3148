// Whether a missing tool fails a test or skips it.

package testenv

import "github.com/strait-gw/strait/internal/testtools"

// ToolsRequired is testtools.Required.
func ToolsRequired() bool { return testtools.Required() }
