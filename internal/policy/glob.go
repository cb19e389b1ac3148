// Globs over resource names: "*" matches any run of characters, "?" one
// character, everything else itself.

package policy

import (
	"fmt"
	"regexp"
	"strings"
)

// Glob is a compiled glob.
type Glob struct {
	src string
	re  *regexp.Regexp // nil when src has no wildcard
}

// CompileGlob compiles src. A glob may not be empty.
func CompileGlob(src string) (*Glob, error) {
	if src == "" {
		return nil, fmt.Errorf("empty glob")
	}
	if !strings.ContainsAny(src, "*?") {
		return &Glob{src: src}, nil
	}
	var b strings.Builder
	b.WriteString(`^`)
	for _, r := range src {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("glob %q: %w", src, err)
	}
	return &Glob{src: src, re: re}, nil
}

// Match reports whether name matches the glob.
func (g *Glob) Match(name string) bool {
	if g.re == nil {
		return name == g.src
	}
	return g.re.MatchString(name)
}

// Literal reports whether the glob has no wildcard.
func (g *Glob) Literal() bool { return g.re == nil }

// String is the glob's source.
func (g *Glob) String() string { return g.src }
