// This file holds the checks of a backend cluster's sasl_oauthbearer
// settings that need more than a comparison.

package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// checkTokenEndpoint checks that s is an absolute http or https URL with a
// host, and with no credentials in it: those belong in client_id and
// client_secret, where they are never logged.
func checkTokenEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		// url.Error repeats the URL, which may hold a secret.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("invalid URL: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("must be an http or https URL, got scheme %q", u.Scheme)
	case u.Hostname() == "":
		return errors.New("must be an http or https URL with a host")
	case !validHost(u.Hostname()):
		return fmt.Errorf("%q is not an IP address or host name", u.Hostname())
	case u.User != nil:
		return errors.New("must not hold credentials; set client_id and client_secret")
	case u.Fragment != "" || strings.HasSuffix(s, "#"):
		return errors.New("must not have a fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %s out of range 1-65535", p)
		}
	}
	return nil
}

// checkScope checks an OAuth scope: space-separated tokens of the
// characters RFC 6749 section 3.3 allows.
func checkScope(s string) error {
	for _, r := range s {
		if r != ' ' && (r < 0x21 || r > 0x7e || r == '"' || r == '\\') {
			return fmt.Errorf("invalid character %q in scope (RFC 6749 allows printable ASCII except '\"' and '\\\\', tokens separated by spaces)", r)
		}
	}
	return nil
}
