// This file holds the validation of a decoded Config with its defaults
// filled in: enums, names and references, addresses, ports and TLS
// material.

package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
)

// Limits on runtime.max_frame_bytes.
const (
	minFrameBytes = 1 << 10
	maxFrameBytes = 1 << 30
)

// Backend authentication types and SCRAM algorithms.
const (
	backendAuthPlain       = "sasl_plain"
	backendAuthSCRAM       = "sasl_scram"
	backendAuthOAuthBearer = "sasl_oauthbearer"
	scramSHA256            = "sha256"
	scramSHA512            = "sha512"
	aclEnforceOnGateway    = "enforce_on_gateway"
)

func (d *decoder) validate(c *Config) {
	if c.Admin.Address != "" {
		if err := checkHostPort(c.Admin.Address, true); err != nil {
			d.report("admin.address", "%v", err)
		}
	}
	switch c.Observability.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		d.report("observability.log_level", "unknown log level %q (expected debug, info, warn or error)", c.Observability.LogLevel)
	}
	switch c.Observability.LogFormat {
	case "logfmt", "json":
	default:
		d.report("observability.log_format", "unknown log format %q (expected logfmt or json)", c.Observability.LogFormat)
	}
	d.nonNegative("runtime.drain_duration", c.Runtime.DrainDuration)
	d.nonNegative("runtime.shutdown_timeout", c.Runtime.ShutdownTimeout)
	d.nonNegative("runtime.first_request_timeout", c.Runtime.FirstRequestTimeout)
	if n := c.Runtime.MaxFrameBytes; n < minFrameBytes || n > maxFrameBytes {
		d.report("runtime.max_frame_bytes", "must be between %d (1 KiB) and %d (1 GiB), got %d", minFrameBytes, maxFrameBytes, n)
	}
	d.nonNegative("runtime.failed_authentication_delay", c.Runtime.FailedAuthenticationDelay)
	d.nonNegativeCount("runtime.max_connections", c.Runtime.MaxConnections)

	d.validateResources(c)
	backends := map[string]int{}
	for i := range c.BackendClusters {
		d.validateBackend(&c.BackendClusters[i], i, backends)
	}
	vcs, labels := map[string]int{}, map[string]int{}
	for i := range c.VirtualClusters {
		d.validateVirtualCluster(c, i, vcs, labels)
	}
	if len(c.Listeners) == 0 {
		d.report("listeners", "at least one listener is required")
	}
	listeners := map[string]int{}
	for i := range c.Listeners {
		d.validateListener(c, i, listeners)
	}
}

// namesKnown reports whether the names of the n entities in the list at
// path all decoded; if not, a reference to an unknown name may well be to
// the entity that did not decode, and is not reported.
func (d *decoder) namesKnown(path string, n int) bool {
	if d.hushed[path] {
		return false
	}
	for i := range n {
		if p := indexPath(path, i); d.hushed[p] || d.hushed[p+".name"] {
			return false
		}
	}
	return true
}

func (d *decoder) nonNegative(path string, v Duration) {
	if v < 0 {
		d.report(path, "must not be negative, got %s", v)
	}
}

// nonNegativeCount reports a negative connection limit at path.
func (d *decoder) nonNegativeCount(path string, n int) {
	if n < 0 {
		d.report(path, "must not be negative (0 sets no limit), got %d", n)
	}
}

// checkName reports a missing or duplicate name of the entity at path, the
// i-th of its kind; seen maps the names so far to their index.
func (d *decoder) checkName(path, kind, name string, i int, seen map[string]int) bool {
	if name == "" {
		d.report(path+".name", "required")
		return false
	}
	if j, dup := seen[name]; dup {
		d.report(path+".name", "duplicate %s name %q (also %s)", kind, name, indexPath(parentPath(path), j))
		return false
	}
	seen[name] = i
	return true
}

func (d *decoder) validateBackend(b *BackendCluster, i int, seen map[string]int) {
	p := indexPath("backend_clusters", i)
	d.checkName(p, "backend cluster", b.Name, i, seen)
	if len(b.BootstrapServers) == 0 {
		d.report(p+".bootstrap_servers", "at least one bootstrap server is required")
	}
	for j, s := range b.BootstrapServers {
		if err := checkHostPort(s, false); err != nil {
			d.report(indexPath(p+".bootstrap_servers", j), "%v", err)
		}
	}
	if b.MetadataUpdateInterval <= 0 {
		d.report(p+".metadata_update_interval", "must be greater than 0, got %s", b.MetadataUpdateInterval)
	}
	d.validateBackendTLS(&b.TLS, p+".tls")
	d.validateBackendAuth(&b.Authentication, p+".authentication")
}

func (d *decoder) validateBackendTLS(t *BackendTLS, p string) {
	if len(t.TLSVersions) == 0 && d.set[p+".tls_versions"] {
		d.report(p+".tls_versions", "at least one TLS version is required (tls12, tls13)")
	}
	seen := map[string]bool{}
	for j, v := range t.TLSVersions {
		vp := indexPath(p+".tls_versions", j)
		switch {
		case v != tls12 && v != tls13:
			d.report(vp, "unknown TLS version %q (expected tls12 or tls13)", v)
		case seen[v]:
			d.report(vp, "duplicate TLS version %q", v)
		}
		seen[v] = true
	}
	if t.CABundle != "" {
		if err := checkCABundle(t.CABundle); err != nil {
			d.report(p+".ca_bundle", "%v", err)
		}
	}
	if ci := t.ClientIdentity; ci != nil {
		d.loadCertKey(ci, p+".client_identity")
	}
}

// loadCertKey checks that the certificate and key at path p are given and
// form a key pair, and returns the certificate (nil after a report).
func (d *decoder) loadCertKey(ck *CertKey, p string) *x509.Certificate {
	if ck.Certificate == "" {
		d.report(p+".certificate", "required")
	}
	if ck.Key == "" {
		d.report(p+".key", "required")
	}
	if ck.Certificate == "" || ck.Key == "" {
		return nil
	}
	pair, err := tls.X509KeyPair([]byte(ck.Certificate), []byte(ck.Key))
	if err != nil {
		d.report(p, "invalid certificate or key: %v", err)
		return nil
	}
	if pair.Leaf != nil {
		return pair.Leaf
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		d.report(p+".certificate", "invalid certificate: %v", err)
		return nil
	}
	return leaf
}

// checkCABundle checks that s is PEM holding at least one certificate and
// nothing but certificates.
func checkCABundle(s string) error {
	rest := []byte(s)
	n := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		n++
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("PEM block %d is a %q, not a CERTIFICATE", n, block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("certificate %d: %v", n, err)
		}
	}
	if n == 0 {
		return errors.New("no PEM certificate found")
	}
	return nil
}

func (d *decoder) validateBackendAuth(a *BackendAuth, p string) {
	required := func(field, value string) {
		if value == "" {
			d.report(p+"."+field, "required for %s", a.Type)
		}
	}
	unused := func(field, value, usedWith string) {
		if value != "" {
			d.report(p+"."+field, "only used with %s", usedWith)
		}
	}
	switch a.Type {
	case backendAuthAnonymous:
	case backendAuthPlain:
		required("username", a.Username)
		required("password", a.Password)
	case backendAuthSCRAM:
		switch a.Algorithm {
		case scramSHA256, scramSHA512:
		case "":
			d.report(p+".algorithm", "required for sasl_scram (sha256 or sha512)")
		default:
			d.report(p+".algorithm", "unknown SCRAM algorithm %q (expected sha256 or sha512)", a.Algorithm)
		}
		required("username", a.Username)
		required("password", a.Password)
	case backendAuthOAuthBearer:
		if a.TokenEndpoint == "" {
			required("token_endpoint", a.TokenEndpoint)
		} else if err := checkTokenEndpoint(a.TokenEndpoint); err != nil {
			d.report(p+".token_endpoint", "%v", err)
		}
		required("client_id", a.ClientID)
		required("client_secret", a.ClientSecret)
		if err := checkScope(a.Scope); err != nil {
			d.report(p+".scope", "%v", err)
		}
	default:
		d.report(p+".type", "unknown backend authentication type %q (expected anonymous, sasl_plain, sasl_scram or sasl_oauthbearer)", a.Type)
		return
	}
	if a.Type != backendAuthPlain && a.Type != backendAuthSCRAM {
		unused("username", a.Username, "sasl_plain and sasl_scram")
		unused("password", a.Password, "sasl_plain and sasl_scram")
	}
	if a.Type != backendAuthSCRAM {
		unused("algorithm", a.Algorithm, "sasl_scram")
	}
	if a.Type != backendAuthOAuthBearer {
		unused("token_endpoint", a.TokenEndpoint, "sasl_oauthbearer")
		unused("client_id", a.ClientID, "sasl_oauthbearer")
		unused("client_secret", a.ClientSecret, "sasl_oauthbearer")
		unused("scope", a.Scope, "sasl_oauthbearer")
	}
}

func (d *decoder) validateVirtualCluster(c *Config, i int, names, labels map[string]int) {
	v := &c.VirtualClusters[i]
	p := indexPath("virtual_clusters", i)
	nameOK := d.checkName(p, "virtual cluster", v.Name, i, names)
	backend := c.Backend(v.Destination)
	switch {
	case v.Destination == "":
		d.report(p+".destination", "required")
	case backend == nil && d.namesKnown("backend_clusters", len(c.BackendClusters)):
		d.report(p+".destination", "unknown backend cluster %q", v.Destination)
	}

	lp := p + ".dns_label"
	fromName := d.defaulted[lp]
	switch reason := dnsLabelProblem(v.DNSLabel); {
	case v.DNSLabel == "":
		// Only when the name is missing too, which is reported.
	case reason != "" && fromName:
		d.report(lp, "name %q is not a valid DNS label (%s); set dns_label", v.DNSLabel, reason)
	case reason != "":
		d.report(lp, "invalid DNS label %q: %s", v.DNSLabel, reason)
	case fromName && !nameOK:
		// A duplicate name, reported; its label would only repeat it.
	default:
		if j, dup := labels[v.DNSLabel]; dup {
			d.report(lp, "duplicate dns_label %q (also virtual_clusters[%d])", v.DNSLabel, j)
		} else {
			labels[v.DNSLabel] = i
		}
	}

	d.validateNamespace(v, p)
	d.validateVCPolicies(v.ClusterPolicies, p+".cluster_policies")
	d.validateVCPolicies(v.ProducePolicies, p+".produce_policies")
	d.validateVCPolicies(v.ConsumePolicies, p+".consume_policies")
	switch v.ACLMode {
	case aclPassthrough:
		for j, cp := range v.ClusterPolicies {
			if cp.Type == "acls" && cp.IsEnabled() {
				d.warn(indexPath(p+".cluster_policies", j), "acls policies apply only with acl_mode enforce_on_gateway; with passthrough the backend decides")
			}
		}
	case aclEnforceOnGateway:
		hasACLs := false
		for _, cp := range v.ClusterPolicies {
			hasACLs = hasACLs || cp.Type == "acls" && cp.IsEnabled()
		}
		if !hasACLs {
			d.warn(p+".acl_mode", "enforce_on_gateway with no enabled acls policy in cluster_policies: every request that needs an ACL is denied")
		}
	default:
		d.report(p+".acl_mode", "unknown ACL mode %q (expected passthrough or enforce_on_gateway)", v.ACLMode)
	}

	d.validateClientAuth(c, v, p, backend)
}

// dnsLabelProblem says why s is not an RFC 1035 label, or returns "".
func dnsLabelProblem(s string) string {
	switch {
	case s == "":
		return "empty"
	case len(s) > 63:
		return "longer than 63 characters"
	case s[0] < 'a' || s[0] > 'z':
		return "must start with a lowercase letter"
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return fmt.Sprintf("invalid character %q (allowed: lowercase letters, digits and hyphens)", r)
		}
	}
	if strings.HasSuffix(s, "-") {
		return "must not end with a hyphen"
	}
	return ""
}

func (d *decoder) validateListener(c *Config, i int, names map[string]int) {
	l := &c.Listeners[i]
	p := indexPath("listeners", i)
	d.checkName(p, "listener", l.Name, i, names)
	d.nonNegativeCount(p+".max_connections", l.MaxConnections)

	if len(l.Addresses) == 0 {
		d.report(p+".addresses", "at least one address is required")
	}
	for j, a := range l.Addresses {
		ap := indexPath(p+".addresses", j)
		if !validHost(a) {
			d.report(ap, "invalid address %q (expected an IP address or host name)", a)
			continue
		}
		for k := range j {
			switch b := l.Addresses[k]; {
			case sameAddress(a, b):
				d.report(ap, "duplicate address %q (also addresses[%d])", a, k)
			case addressesOverlap(a, b):
				d.report(ap, "%q overlaps %q (addresses[%d]): a wildcard address covers every address", a, b, k)
			default:
				continue
			}
			break
		}
	}

	if len(l.Ports) == 0 {
		d.report(p+".ports", "at least one port is required")
	}
	for j, r := range l.Ports {
		if r.First == 0 {
			continue // not decoded, reported
		}
		for k, o := range l.Ports[:j] {
			if o.First != 0 && r.overlaps(o) {
				d.report(indexPath(p+".ports", j), "%s overlaps %s (ports[%d])", r, o, k)
				break
			}
		}
	}
	for k := range i {
		d.checkPortsAcross(l, p, &c.Listeners[k], k)
	}

	d.validatePolicies(c, l, p)
}

// checkPortsAcross reports the ports of listener l, at path p, that listener
// o, the k-th, also binds on an overlapping address.
func (d *decoder) checkPortsAcross(l *Listener, p string, o *Listener, k int) {
	var a, b string
	found := false
	for _, x := range l.Addresses {
		for _, y := range o.Addresses {
			if addressesOverlap(x, y) {
				a, b, found = x, y, true
				break
			}
		}
		if found {
			break
		}
	}
	if !found {
		return
	}
	on := "address " + a
	if !sameAddress(a, b) {
		on = "addresses " + a + " and " + b
	}
	for j, r := range l.Ports {
		if r.First == 0 {
			continue
		}
		for m, or := range o.Ports {
			if or.First != 0 && r.overlaps(or) {
				d.report(indexPath(p+".ports", j), "%s overlaps %s of listener %q (listeners[%d].ports[%d]) on %s", r, or, o.Name, k, m, on)
				break
			}
		}
	}
}

// validatePolicies checks the policies of listener l at path p one by one,
// then together: at most one tls_server, before the forward policies; one
// port_mapping policy or one or more sni policies; and, for sni, that the
// tls_server's certificates cover every host name served.
func (d *decoder) validatePolicies(c *Config, l *Listener, p string) {
	tlsAt := -1 // the listener's tls_server policy, the first if several
	for j, pol := range l.Policies {
		if pol.Type == policyTLSServer {
			tlsAt = j
			break
		}
	}
	var (
		leaves   []*x509.Certificate
		leavesOK bool
		// forwardAt is the first forward policy; modeAt the first whose
		// type is known, which sets the listener's forward type.
		forwardAt, modeAt = -1, -1
		snis              []sniPolicy
	)
	for j, pol := range l.Policies {
		pp := indexPath(p+".policies", j)
		switch pol.Type {
		case "":
			d.report(pp+".type", "required (supported: %s)", policyTypes)
		case policyTLSServer:
			switch {
			case j != tlsAt:
				d.report(pp+".type", "only one %s policy is allowed per listener (the first is policies[%d])", policyTLSServer, tlsAt)
			case forwardAt >= 0:
				d.report(pp+".type", "must come before the %s policies (policies[%d] is one)", policyForward, forwardAt)
			}
			if pol.TLSServer == nil {
				d.report(pp+".config", "required")
				continue
			}
			ls, ok := d.validateTLSServer(pol.TLSServer, pp+".config")
			if j == tlsAt {
				leaves, leavesOK = ls, ok
			}
		case policyForward:
			if forwardAt < 0 {
				forwardAt = j
			}
			f := pol.Forward
			if f == nil {
				d.report(pp+".config", "required")
				continue
			}
			fp := pp + ".config"
			if f.Type == forwardPortMapping || f.Type == forwardSNI {
				switch {
				case modeAt < 0:
					modeAt = j
				case l.Policies[modeAt].Forward.Type != f.Type:
					d.report(fp+".type", "cannot mix %s and %s policies on one listener (policies[%d] is %s)",
						forwardPortMapping, forwardSNI, modeAt, l.Policies[modeAt].Forward.Type)
				case f.Type == forwardPortMapping:
					d.report(fp+".type", "only one %s policy is allowed per listener (the first is policies[%d])", forwardPortMapping, modeAt)
				}
			}
			if f.Type != forwardSNI {
				d.validatePortMapping(c, l, f, fp)
				continue
			}
			namesOK := d.validateSNI(c, f, fp)
			snis = append(snis, sniPolicy{f: f, path: fp, at: j, namesOK: namesOK})
		}
	}
	if forwardAt < 0 {
		d.report(p+".policies", "a %s policy is required", policyForward)
	}
	if len(snis) == 0 {
		return
	}
	if tlsAt < 0 {
		d.report(snis[0].path+".type", "sni routing needs a %s policy on the listener", policyTLSServer)
		return
	}
	if t := l.Policies[tlsAt].TLSServer; t != nil && t.AllowPlaintext {
		d.report(indexPath(p+".policies", tlsAt)+".config.allow_plaintext",
			"sni routing cannot serve plaintext connections: they have no server name to route by")
	}
	d.checkSNIPolicies(c, l, snis, leaves, leavesOK)
}

// validatePortMapping checks a forward_to_virtual_cluster config of type
// port_mapping, or of no type, whose other fields are then checked as for
// port_mapping.
func (d *decoder) validatePortMapping(c *Config, l *Listener, f *ForwardConfig, p string) {
	switch f.Type {
	case forwardPortMapping:
	case "":
		// Checked as port mapping, the simplest, for the other fields.
		d.report(p+".type", "required (supported: %s)", forwardTypes)
	default:
		return // reported while decoding
	}
	switch {
	case f.Destination == "":
		d.report(p+".destination", "required")
	case c.VirtualCluster(f.Destination) == nil && d.namesKnown("virtual_clusters", len(c.VirtualClusters)):
		d.report(p+".destination", "unknown virtual cluster %q", f.Destination)
	}
	if f.AdvertisedHost != "" && !d.defaulted[p+".advertised_host"] && !validHost(f.AdvertisedHost) {
		d.report(p+".advertised_host", "invalid host %q (expected an IP address or host name)", f.AdvertisedHost)
	}
	switch f.BootstrapPort {
	case bootstrapAtStart:
		n, known := 0, true
		for _, r := range l.Ports {
			known = known && r.First != 0
			n += r.Len()
		}
		if known && len(l.Ports) > 0 && n < 2 {
			d.report(p+".bootstrap_port", "at_start needs at least 2 ports (the bootstrap port and a broker port); the listener has %d", n)
		}
	case bootstrapNone:
	default:
		d.report(p+".bootstrap_port", "unknown bootstrap port mode %q (expected at_start or none)", f.BootstrapPort)
	}
	if f.MinBrokerID < 0 {
		d.report(p+".min_broker_id", "must not be negative, got %d", f.MinBrokerID)
	} else if _, brokers := f.BrokerPorts(l); int64(f.MinBrokerID)+int64(len(brokers))-1 > math.MaxInt32 {
		d.report(p+".min_broker_id", "too large: the last broker port would serve broker id %d", int64(f.MinBrokerID)+int64(len(brokers))-1)
	}
}

// checkHostPort checks a host:port address. An address to listen on may
// leave the host empty (every interface) and use port 0 (any free port).
func checkHostPort(s string, listen bool) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("invalid address %q (expected host:port)", s)
	}
	switch {
	case host == "" && !listen:
		return fmt.Errorf("invalid address %q: missing host", s)
	case host != "" && !validHost(host):
		return fmt.Errorf("invalid address %q: %q is not an IP address or host name", s, host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || port[0] == '+' || port[0] == '-' {
		return fmt.Errorf("invalid address %q: invalid port %q", s, port)
	}
	lowest := 1
	if listen {
		lowest = 0
	}
	if n < lowest || n > 65535 {
		return fmt.Errorf("invalid address %q: port %d out of range %d-65535", s, n, lowest)
	}
	return nil
}

// validHost reports whether s is an IP address or a host name. Host names
// may hold underscores, common in container networks.
func validHost(s string) bool {
	if net.ParseIP(s) != nil {
		return true
	}
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_' {
				return false
			}
		}
	}
	return true
}

func sameAddress(a, b string) bool {
	ia, ib := net.ParseIP(a), net.ParseIP(b)
	if ia != nil && ib != nil {
		return ia.Equal(ib)
	}
	return strings.EqualFold(a, b)
}

// addressesOverlap reports whether listening on a and on b would clash: the
// same address, or either a wildcard (0.0.0.0, ::), which covers every
// address.
func addressesOverlap(a, b string) bool {
	for _, s := range []string{a, b} {
		if ip := net.ParseIP(s); ip != nil && ip.IsUnspecified() {
			return true
		}
	}
	return sameAddress(a, b)
}
