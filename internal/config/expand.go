// This file holds the expansion of ${env:NAME} and ${file:PATH} references
// in string values, and notes which values are whole files, so that TLS
// material can be reloaded from them.

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
//
// When s is exactly one ${file:PATH} reference, the absolute path of the
// file is noted in d.files under path: the decoder keeps it for the TLS
// material that is reloaded when its file changes (CertKey,
// ClientTLSAuth).
func (d *decoder) expand(s, path string, line int) (string, bool) {
	delete(d.files, path)
	if !strings.Contains(s, "${") {
		return s, true
	}
	if arg, ok := wholeFileRef(s); ok {
		v, abs, err := d.readFileRef(arg)
		if err != nil {
			d.fail(path, line, "%v", err)
			return "", false
		}
		d.files[path] = abs
		return v, true
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
		v, _, err := d.readFileRef(arg)
		return v, err
	}
	return "", fmt.Errorf("unknown reference %s (expected ${env:NAME} or ${file:PATH})", ref)
}

// readFileRef returns the value of ${file:arg} and the absolute path of
// the file.
func (d *decoder) readFileRef(arg string) (value, abs string, err error) {
	if arg == "" {
		return "", "", errors.New("empty file name in ${file:}")
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
		return "", "", fmt.Errorf("cannot read file %q: %v", arg, err)
	}
	// Abs fails only when the working directory is gone; the file was
	// read, so its value stands, but it cannot be reloaded.
	abs, _ = filepath.Abs(p)
	return fileValue(data), abs, nil
}

// wholeFileRef reports whether s is exactly one ${file:PATH} reference,
// nothing before or after it, and returns PATH.
func wholeFileRef(s string) (string, bool) {
	rest, ok := strings.CutPrefix(s, "${file:")
	if !ok || !strings.HasSuffix(rest, "}") {
		return "", false
	}
	arg := rest[:len(rest)-1]
	if strings.Contains(arg, "}") {
		return "", false
	}
	return arg, true
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
