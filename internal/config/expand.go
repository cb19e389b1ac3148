// This file holds the expansion of ${env:NAME} and ${file:PATH} references
// in string values.

package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// expand replaces the references in s, which is the value of the field at
// path: ${env:NAME} by the environment variable NAME, which must be set, and
// ${file:PATH} by the content of the file, relative paths being relative to
// the configuration file's directory. "$${" stands for a literal "${". The
// replacement text is not expanded again. ok is false, after every bad
// reference in s has been reported, when one cannot be expanded.
func (d *decoder) expand(s, path string, line int) (string, bool) {
	if !strings.Contains(s, "${") {
		return s, true
	}
	var b strings.Builder
	ok := true
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			d.fail(path, line, "unterminated reference %q (expected ${env:NAME} or ${file:PATH})", s[i:])
			return "", false
		}
		ref := s[i : i+end+1]
		s = s[i+end+1:]
		v, err := d.lookupRef(ref)
		if err != nil {
			d.fail(path, line, "%v", err)
			ok = false
			continue
		}
		b.WriteString(v)
	}
	return b.String(), ok
}

// lookupRef returns the value of one reference, written "${kind:arg}".
func (d *decoder) lookupRef(ref string) (string, error) {
	kind, arg, _ := strings.Cut(ref[2:len(ref)-1], ":")
	switch kind {
	case "env":
		if arg == "" {
			return "", fmt.Errorf("empty variable name in %s", ref)
		}
		v, ok := os.LookupEnv(arg)
		if !ok {
			return "", fmt.Errorf("environment variable %q is not set", arg)
		}
		return v, nil
	case "file":
		if arg == "" {
			return "", fmt.Errorf("empty file name in %s", ref)
		}
		p := arg
		if !filepath.IsAbs(p) && d.baseDir != "" {
			p = filepath.Join(d.baseDir, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", fmt.Errorf("cannot read file %q: %v", arg, err)
		}
		return fileValue(data), nil
	}
	return "", fmt.Errorf("unknown reference %s (expected ${env:NAME} or ${file:PATH})", ref)
}

// fileValue returns the value a referenced file stands for. A file of one
// line (a password, a host name) loses its trailing newline and spaces, as
// editors add a newline nobody means as part of the value; a file of several
// lines (PEM) is used verbatim.
func fileValue(data []byte) string {
	s := string(data)
	trimmed := strings.TrimRight(s, " \t\r\n")
	if !strings.Contains(trimmed, "\n") {
		return trimmed
	}
	return s
}
