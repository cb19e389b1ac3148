// This file holds SNI routing's host names: building the names a virtual
// cluster's bootstrap and brokers are advertised under, and parsing the
// server name a client asks for back into a virtual cluster and a broker.

package config

import (
	"crypto/x509"
	"fmt"
	"strconv"
	"strings"
)

// Broker host formats of sni forward policies.
const (
	hostFormatPerCluster = "per_cluster_suffix"
	hostFormatShared     = "shared_suffix"
)

// shared reports whether f names hosts with the shared_suffix format; an
// empty type means the default, per_cluster_suffix.
func (f *ForwardConfig) shared() bool {
	return f.BrokerHostFormat.Type == hostFormatShared
}

// BootstrapHost returns the host name under which the sni policy f serves
// the bootstrap of the virtual cluster with dnsLabel:
// "bootstrap.<dns_label><sni_suffix>" (per_cluster_suffix) or
// "bootstrap-<dns_label><sni_suffix>" (shared_suffix), in lowercase.
func (f *ForwardConfig) BootstrapHost(dnsLabel string) string {
	sep := "."
	if f.shared() {
		sep = "-"
	}
	return "bootstrap" + sep + strings.ToLower(dnsLabel) + strings.ToLower(f.SNISuffix)
}

// BrokerHost returns the host name under which the sni policy f serves
// broker id of the virtual cluster with dnsLabel:
// "broker-<id>.<dns_label><sni_suffix>" (per_cluster_suffix) or
// "broker-<id>-<dns_label><sni_suffix>" (shared_suffix), in lowercase.
func (f *ForwardConfig) BrokerHost(dnsLabel string, id int32) string {
	sep := "."
	if f.shared() {
		sep = "-"
	}
	return "broker-" + strconv.FormatInt(int64(id), 10) + sep + strings.ToLower(dnsLabel) + strings.ToLower(f.SNISuffix)
}

// ParseSNI parses a TLS server name as one of the host names of the sni
// policy f, the inverse of BootstrapHost and BrokerHost. It compares case
// insensitively and ignores one trailing dot (a fully qualified name).
// dnsLabel is in lowercase; it is a well-formed DNS label, which need not
// belong to any virtual cluster. bootstrap tells a bootstrap name from a
// broker name, whose broker id is brokerID. ok is false when serverName is
// not of the policy's form; a broker id is accepted only in its canonical
// decimal form ("broker-1", not "broker-01"), so that each broker has one
// name.
func (f *ForwardConfig) ParseSNI(serverName string) (dnsLabel string, brokerID int32, bootstrap bool, ok bool) {
	suffix := strings.ToLower(f.SNISuffix)
	if suffix == "" {
		return "", 0, false, false
	}
	name := strings.ToLower(strings.TrimSuffix(serverName, "."))
	prefix, found := strings.CutSuffix(name, suffix)
	if !found {
		return "", 0, false, false
	}
	sep := byte('.')
	if f.shared() {
		sep = '-'
	}
	if label, found := strings.CutPrefix(prefix, "bootstrap"+string(sep)); found {
		if dnsLabelProblem(label) != "" {
			return "", 0, false, false
		}
		return label, 0, true, true
	}
	rest, found := strings.CutPrefix(prefix, "broker-")
	if !found {
		return "", 0, false, false
	}
	i := strings.IndexByte(rest, sep)
	if i < 0 {
		return "", 0, false, false
	}
	id, idOK := parseBrokerID(rest[:i])
	label := rest[i+1:]
	if !idOK || dnsLabelProblem(label) != "" {
		return "", 0, false, false
	}
	return label, id, false, true
}

// parseBrokerID parses a broker id written in canonical decimal: digits
// only, no sign, no leading zero, within int32.
func parseBrokerID(s string) (int32, bool) {
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(id), true
}

// sniPolicy is an sni forward policy of a listener being validated.
type sniPolicy struct {
	f    *ForwardConfig
	path string // of its config
	at   int    // its index in the listener's policies
	// namesOK reports whether its suffix and host format are valid, so
	// that its host names can be built.
	namesOK bool
}

// validateSNI checks the sni forward config at path p on its own and
// reports whether its host names can be built.
func (d *decoder) validateSNI(c *Config, f *ForwardConfig, p string) bool {
	namesOK := true
	if f.Destination != "" && c.VirtualCluster(f.Destination) == nil && d.namesKnown("virtual_clusters", len(c.VirtualClusters)) {
		d.report(p+".destination", "unknown virtual cluster %q", f.Destination)
	}
	switch problem := sniSuffixProblem(f.SNISuffix); {
	case f.SNISuffix == "":
		d.report(p+".sni_suffix", "required")
		namesOK = false
	case problem != "":
		d.report(p+".sni_suffix", "invalid sni_suffix %q: %s", f.SNISuffix, problem)
		namesOK = false
	}
	// Zero and unset is a listener without ports, which is reported.
	if (d.set[p+".advertised_port"] || f.AdvertisedPort != 0) && (f.AdvertisedPort < 1 || f.AdvertisedPort > 65535) {
		d.report(p+".advertised_port", "must be between 1 and 65535, got %d", f.AdvertisedPort)
	}
	switch f.BrokerHostFormat.Type {
	case hostFormatPerCluster, hostFormatShared:
	default:
		d.report(p+".broker_host_format.type", "unknown broker host format %q (expected %s or %s)",
			f.BrokerHostFormat.Type, hostFormatPerCluster, hostFormatShared)
		namesOK = false
	}
	return namesOK
}

// sniSuffixProblem says why s is not a valid sni_suffix, or returns "".
// It is appended to a DNS label, so it starts with "." (a new label) or
// "-" (the label goes on), followed by the rest of a host name.
func sniSuffixProblem(s string) string {
	if s == "" {
		return "empty"
	}
	if s[0] != '.' && s[0] != '-' {
		return `must start with "." or "-"`
	}
	rest := s[1:]
	if rest == "" {
		return fmt.Sprintf("nothing follows the leading %q", s[0])
	}
	for _, r := range rest {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '.' {
			return fmt.Sprintf(`invalid character %q (allowed: letters, digits, "-" and ".")`, r)
		}
	}
	for i, label := range strings.Split(rest, ".") {
		switch {
		case label == "":
			return "empty label"
		case len(label) > 63:
			return fmt.Sprintf("label %q is longer than 63 characters", label)
		case label[0] == '-' && (i > 0 || s[0] == '.'):
			return fmt.Sprintf("label %q starts with a hyphen", label)
		case label[len(label)-1] == '-':
			return fmt.Sprintf("label %q ends with a hyphen", label)
		}
	}
	return ""
}

// checkSNIPolicies checks the sni policies of listener l together: none
// is shadowed by an earlier one, and the certificates (leaves, when
// leavesOK) cover the host names of every virtual cluster each serves.
func (d *decoder) checkSNIPolicies(c *Config, l *Listener, snis []sniPolicy, leaves []*x509.Certificate, leavesOK bool) {
	for j, s := range snis {
		if !s.namesOK {
			continue
		}
		for _, o := range snis[:j] {
			if o.namesOK && o.f.SNISuffix == s.f.SNISuffix && o.f.BrokerHostFormat.Type == s.f.BrokerHostFormat.Type &&
				(o.f.Destination == "" || o.f.Destination == s.f.Destination) {
				d.report(s.path+".sni_suffix", "unreachable: policies[%d] has the same sni_suffix and broker_host_format and is tried first", o.at)
				break
			}
		}
		for i := range c.VirtualClusters {
			v := &c.VirtualClusters[i]
			if (s.f.Destination != "" && v.Name != s.f.Destination) || dnsLabelProblem(v.DNSLabel) != "" {
				continue
			}
			for _, host := range []string{s.f.BootstrapHost(v.DNSLabel), s.f.BrokerHost(v.DNSLabel, 0)} {
				if problem := hostNameProblem(host); problem != "" {
					d.report(s.path, "host name %q of virtual cluster %q is invalid: %s", host, v.Name, problem)
					break
				}
				if leavesOK && !covers(leaves, host) {
					d.report(s.path, "no certificate of listener %q covers %q", l.Name, host)
				}
			}
		}
	}
}

// hostNameProblem says why a host name built for SNI routing is not a
// valid DNS name, or returns "": its parts are valid, but not their length.
func hostNameProblem(host string) string {
	if len(host) > 253 {
		return "longer than 253 characters"
	}
	for label := range strings.SplitSeq(host, ".") {
		if len(label) > 63 {
			return fmt.Sprintf("label %q is longer than 63 characters", label)
		}
	}
	return ""
}

// covers reports whether one of the certificates is valid for host.
func covers(leaves []*x509.Certificate, host string) bool {
	for _, c := range leaves {
		if c.VerifyHostname(host) == nil {
			return true
		}
	}
	return false
}
