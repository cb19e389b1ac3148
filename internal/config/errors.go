// This file holds the error types a configuration file is reported with.

package config

import (
	"fmt"
	"strings"
)

// FieldError is one problem with one field of a configuration file.
type FieldError struct {
	// Path locates the field, as in listeners[0].policies[1].config.destination.
	// It is empty for a problem with the file as a whole, such as a syntax
	// error.
	Path string
	// Msg says what is wrong.
	Msg string
	// Line is the 1-based line of the field in the file, or 0 when it is not
	// known (a value filled in by a default has no line).
	Line int
}

// Error formats e as "path: msg (line N)".
func (e FieldError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	return b.String()
}

// Errors is every problem found in a configuration file, in the order they
// were found: decoding problems in file order, then validation problems in
// the order of the Config fields. Parse returns it as a *Errors.
type Errors []FieldError

// Error formats every error on its own line.
func (e *Errors) Error() string {
	if e == nil {
		return "<nil>"
	}
	lines := make([]string, len(*e))
	for i, fe := range *e {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}
