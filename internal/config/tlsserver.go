// This file holds the validation of tls_server policies: certificates,
// TLS versions and client certificate authentication.

package config

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
)

// Client authentication modes and principal mapping types of tls_server.
const (
	clientTLSRequired  = "required"
	clientTLSRequested = "requested"
	principalCN        = "cn"
	principalSANDNS    = "san_dns"
	principalSANURI    = "san_uri"
	principalTemplate  = "template"
)

// templatePlaceholders are the subject fields a principal template may use.
var templatePlaceholders = []string{"{CN}", "{O}", "{OU}", "{L}", "{ST}", "{C}", "{SERIALNUMBER}"}

// validateTLSServer checks the tls_server config at path p and returns the
// leaf certificates; ok is false when a certificate did not load, so that
// which host names they cover is not known.
func (d *decoder) validateTLSServer(t *TLSServerConfig, p string) (leaves []*x509.Certificate, ok bool) {
	cp := p + ".certificates"
	if len(t.Certificates) == 0 {
		d.report(cp, "at least one certificate is required")
	}
	ok = len(t.Certificates) > 0
	for i := range t.Certificates {
		ip := indexPath(cp, i)
		leaf := d.loadCertKey(&t.Certificates[i], ip)
		if leaf == nil {
			ok = false
			continue
		}
		if !namesAHost(leaf) {
			d.report(ip+".certificate", "names no host: it has neither a subject alternative name nor a common name")
		}
		leaves = append(leaves, leaf)
	}

	vp := p + ".versions"
	lo, loOK := d.tlsVersion(t.Versions.Min, vp+".min")
	hi, hiOK := d.tlsVersion(t.Versions.Max, vp+".max")
	if loOK && hiOK && lo > hi {
		d.report(vp, "min %s is greater than max %s", t.Versions.Min, t.Versions.Max)
	}

	if ca := t.ClientAuthentication; ca != nil {
		ap := p + ".client_authentication"
		switch ca.Mode {
		case clientTLSRequired:
			if t.AllowPlaintext {
				d.report(p+".allow_plaintext", "plaintext clients have no certificate, which client_authentication mode required demands")
			}
		case clientTLSRequested:
		case "":
			d.report(ap+".mode", "required (supported: %s, %s)", clientTLSRequired, clientTLSRequested)
		default:
			d.report(ap+".mode", "unknown client authentication mode %q (expected %s or %s)", ca.Mode, clientTLSRequired, clientTLSRequested)
		}
		bp := ap + ".tls_trust_bundles"
		if len(ca.TLSTrustBundles) == 0 {
			d.report(bp, "at least one trust bundle is required")
		}
		for i, b := range ca.TLSTrustBundles {
			if err := checkCABundle(b); err != nil {
				d.report(indexPath(bp, i), "%v", err)
			}
		}
		d.validatePrincipalMapping(&ca.PrincipalMapping, ap+".principal_mapping")
	}
	return leaves, ok
}

// namesAHost reports whether a certificate names anything a client could
// check it against.
func namesAHost(c *x509.Certificate) bool {
	return c.Subject.CommonName != "" || len(c.DNSNames) > 0 || len(c.IPAddresses) > 0 ||
		len(c.URIs) > 0 || len(c.EmailAddresses) > 0
}

// tlsVersion checks a TLS version name at path p and returns its order.
func (d *decoder) tlsVersion(s, p string) (int, bool) {
	switch s {
	case tlsV12:
		return 12, true
	case tlsV13:
		return 13, true
	}
	switch strings.ToLower(s) {
	case "sslv3", "tlsv1", "tlsv1.0", "tlsv1.1":
		d.report(p, "TLS versions below %s are not supported", tlsV12)
	default:
		d.report(p, "unknown TLS version %q (expected %s or %s)", s, tlsV12, tlsV13)
	}
	return 0, false
}

func (d *decoder) validatePrincipalMapping(m *PrincipalMapping, p string) {
	switch m.Type {
	case principalSubjectDN, principalCN, principalSANDNS, principalSANURI:
		if m.Template != "" {
			d.report(p+".template", "only used with type %s", principalTemplate)
		}
	case principalTemplate:
		if m.Template == "" {
			d.report(p+".template", "required for type %s", principalTemplate)
		}
		for _, problem := range templateProblems(m.Template) {
			d.report(p+".template", "%s", problem)
		}
	default:
		d.report(p+".type", "unknown principal mapping type %q (expected %s, %s, %s, %s or %s)",
			m.Type, principalSubjectDN, principalCN, principalSANDNS, principalSANURI, principalTemplate)
	}
}

// templateProblems returns what is wrong with the placeholders of a
// principal template, each unknown placeholder once.
func templateProblems(s string) []string {
	var problems []string
	seen := map[string]bool{}
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return problems
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return append(problems, fmt.Sprintf("unterminated placeholder %q", s[i:]))
		}
		ph := s[i : i+j+1]
		s = s[i+j+1:]
		if !seen[ph] && !slices.Contains(templatePlaceholders, ph) {
			problems = append(problems, fmt.Sprintf("unknown placeholder %s (expected %s)", ph, placeholderList()))
		}
		seen[ph] = true
	}
}

// placeholderList is "{CN}, {O}, ... or {SERIALNUMBER}".
func placeholderList() string {
	n := len(templatePlaceholders)
	return strings.Join(templatePlaceholders[:n-1], ", ") + " or " + templatePlaceholders[n-1]
}
