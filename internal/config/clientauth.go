// This file holds the validation of a virtual cluster's client
// authentication: its ordered methods, their mediations, principals and
// token settings, each checked against the backend cluster behind it and the
// listeners that serve it.

package config

import (
	"encoding/base64"
	"net"
	"net/url"
	"strings"
	"time"
)

// Client authentication types and mediations.
const (
	clientAuthCertificate = "client_certificate"
	clientAuthPlain       = "sasl_plain"
	clientAuthSCRAM       = "sasl_scram"
	clientAuthOAuthBearer = "oauth_bearer"
	clientAuthTypes       = "anonymous, client_certificate, sasl_plain, sasl_scram, oauth_bearer"

	mediationTerminate       = "terminate"
	mediationPassthrough     = "passthrough"
	mediationValidateForward = "validate_forward"

	// SCRAM iteration counts Kafka accepts for SCRAM-SHA-256 and -512.
	minSCRAMIterations = 4096
	maxSCRAMIterations = 16384
	// minSessionLifetime is the shortest max_session_lifetime: below it,
	// clients would do little but re-authenticate.
	minSessionLifetime = Duration(time.Second)
)

// clientAuthKeys lists the keys of an authentication method that belong to
// some types only.
var clientAuthKeys = []struct {
	key   string
	types []string
}{
	{"mediation", []string{clientAuthPlain, clientAuthSCRAM, clientAuthOAuthBearer}},
	{"algorithm", []string{clientAuthSCRAM}},
	{"principals", []string{clientAuthPlain, clientAuthSCRAM}},
	{"jwks", []string{clientAuthOAuthBearer}},
	{"validate", []string{clientAuthOAuthBearer}},
	{"claims_mapping", []string{clientAuthOAuthBearer}},
}

// servedBy is what the listeners that serve a virtual cluster offer.
type servedBy struct {
	// mtls is a listener serving it that asks clients for certificates.
	mtls bool
	// plaintext is the index of a listener serving it without TLS, or -1.
	plaintext int
}

// listenersServing finds the listeners whose forward policies lead to the
// virtual cluster called name: port mapping to it, or SNI to it or to any
// virtual cluster.
func listenersServing(c *Config, name string) servedBy {
	s := servedBy{plaintext: -1}
	for i := range c.Listeners {
		l := &c.Listeners[i]
		var ts *TLSServerConfig
		serves := false
		for _, pol := range l.Policies {
			switch {
			case pol.TLSServer != nil:
				if ts == nil {
					ts = pol.TLSServer
				}
			case pol.Forward != nil:
				f := pol.Forward
				serves = serves || f.Destination == name || (f.Type == forwardSNI && f.Destination == "")
			}
		}
		if !serves {
			continue
		}
		if ts != nil && ts.ClientAuthentication != nil {
			s.mtls = true
		}
		if (ts == nil || ts.AllowPlaintext) && s.plaintext < 0 {
			s.plaintext = i
		}
	}
	return s
}

// validateClientAuth checks the authentication methods of the virtual
// cluster v at path p, whose backend cluster is backend (nil when
// unknown), and its max_session_lifetime.
func (d *decoder) validateClientAuth(c *Config, v *VirtualCluster, p string, backend *BackendCluster) {
	d.nonNegative(p+".max_session_lifetime", v.MaxSessionLifetime)
	if l := v.MaxSessionLifetime; l > 0 && l < minSessionLifetime {
		d.report(p+".max_session_lifetime", "must be 0 (no cap) or at least %s, got %s", minSessionLifetime, l)
	}

	ap := p + ".authentication"
	if len(v.Authentication) == 0 {
		d.report(ap, "at least one authentication method is required")
	}
	served := listenersServing(c, v.Name)
	d.checkMixedMediation(v, p, backend)
	// seen maps what a method answers to (a SASL mechanism, or anonymous
	// and client_certificate) to the first method that does.
	seen := map[string]int{}
	anonymousAt := -1
	for j := range v.Authentication {
		a := &v.Authentication[j]
		jp := indexPath(ap, j)
		tp := jp + ".type"
		d.checkClientAuthKeys(a, jp)
		var key string
		switch a.Type {
		case "":
			d.report(tp, "required (supported: %s)", clientAuthTypes)
			continue
		case clientAuthAnonymous:
			key = a.Type
			anonymousAt = j
			if backend != nil && backend.Authentication.Type != backendAuthAnonymous && !backend.InsecureAllowAnonymousVirtualClusterAuth {
				d.report(tp, "anonymous clients would reach backend cluster %q, which Strait authenticates to with %s; set insecure_allow_anonymous_virtual_cluster_auth on the backend cluster to allow this",
					backend.Name, backend.Authentication.Type)
			}
		case clientAuthCertificate:
			key = a.Type
			if !served.mtls && d.namesKnown("listeners", len(c.Listeners)) {
				d.warn(tp, "no listener serving virtual cluster %q has a tls_server with client_authentication: no client has a verified certificate, so this method never matches", v.Name)
			}
			if anonymousAt >= 0 && anonymousAt < j {
				d.warn(tp, "never matches: %s (anonymous) comes first and gives every client that does not use SASL an identity", indexPath(ap, anonymousAt))
			}
		case clientAuthPlain:
			key = "PLAIN"
			if d.checkMediation(a, jp, backend, false) == mediationTerminate {
				d.checkPrincipals(a, jp, "")
			}
			d.warnPlaintext(c, served, jp, "PLAIN sends passwords in clear")
		case clientAuthSCRAM:
			switch a.Algorithm {
			case scramSHA256:
				key = "SCRAM-SHA-256"
			case scramSHA512:
				key = "SCRAM-SHA-512"
			case "":
				d.report(jp+".algorithm", "required for sasl_scram (sha256 or sha512)")
			default:
				d.report(jp+".algorithm", "unknown SCRAM algorithm %q (expected sha256 or sha512)", a.Algorithm)
			}
			if d.checkMediation(a, jp, backend, false) == mediationTerminate {
				d.checkPrincipals(a, jp, a.Algorithm)
			}
		case clientAuthOAuthBearer:
			key = "OAUTHBEARER"
			d.checkOAuthBearer(a, jp, backend)
			d.warnPlaintext(c, served, jp, "OAUTHBEARER sends tokens in clear")
		default:
			d.report(tp, "unsupported client authentication type %q (supported: %s)", a.Type, clientAuthTypes)
			continue
		}
		if key == "" {
			continue
		}
		if k, dup := seen[key]; dup {
			if key == a.Type {
				d.report(tp, "duplicate %s method (also %s)", a.Type, indexPath(ap, k))
			} else {
				d.report(tp, "a second method for SASL mechanism %s (also %s): a client's exchange can use only one", key, indexPath(ap, k))
			}
			continue
		}
		seen[key] = j
	}
}

// checkClientAuthKeys reports the keys of the method at p that its type
// does not use.
func (d *decoder) checkClientAuthKeys(a *ClientAuth, p string) {
	known := false
	for _, t := range []string{clientAuthAnonymous, clientAuthCertificate, clientAuthPlain, clientAuthSCRAM, clientAuthOAuthBearer} {
		known = known || a.Type == t
	}
	if !known {
		return
	}
	for _, k := range clientAuthKeys {
		if !d.set[p+"."+k.key] {
			continue
		}
		ok := false
		for _, t := range k.types {
			ok = ok || t == a.Type
		}
		if !ok {
			d.report(p+"."+k.key, "not used with type %s (only with %s)", a.Type, strings.Join(k.types, ", "))
		}
	}
}

// checkMediation checks the mediation of the SASL method at p and returns
// it when it is valid, else "".
func (d *decoder) checkMediation(a *ClientAuth, p string, backend *BackendCluster, oauth bool) string {
	mp := p + ".mediation"
	expected := "passthrough or terminate"
	if oauth {
		expected = "passthrough, validate_forward or terminate"
	}
	switch a.Mediation {
	case mediationTerminate:
		return a.Mediation
	case mediationPassthrough:
	case mediationValidateForward:
		if !oauth {
			d.report(mp, "validate_forward is only for oauth_bearer (expected %s)", expected)
			return ""
		}
	case "":
		d.report(mp, "required for %s (%s)", a.Type, expected)
		return ""
	default:
		d.report(mp, "unknown mediation %q (expected %s)", a.Mediation, expected)
		return ""
	}
	if !oauth && d.set[p+".principals"] {
		d.report(p+".principals", "only used with mediation terminate: with %s the backend checks the credentials", a.Mediation)
	}
	return a.Mediation
}

// checkMixedMediation refuses a virtual cluster whose client connections
// would need backend connections of both kinds: a Kafka connection
// authenticates once, and a session dials its backend connection before
// the client says how it authenticates, so with a backend cluster that
// Strait authenticates to, either every client's own SASL exchange goes
// through to the broker (passthrough, validate_forward), or none does.
func (d *decoder) checkMixedMediation(v *VirtualCluster, p string, backend *BackendCluster) {
	if backend == nil || backend.Authentication.Type == backendAuthAnonymous {
		return
	}
	forwarded, own := -1, -1
	for j, a := range v.Authentication {
		switch {
		case a.Mediation == mediationPassthrough || a.Mediation == mediationValidateForward:
			if forwarded < 0 {
				forwarded = j
			}
		case a.Type != "":
			if own < 0 {
				own = j
			}
		}
	}
	if forwarded >= 0 && own >= 0 {
		ap := p + ".authentication"
		d.report(indexPath(ap, forwarded)+".mediation", "%s forwards the client's own SASL exchange to backend cluster %q, while %s (%s) reaches it with the credentials Strait has for it (%s); a virtual cluster in front of an authenticated backend uses one kind: make every method forward (passthrough, validate_forward) or none",
			v.Authentication[forwarded].Mediation, backend.Name, indexPath(ap, own), v.Authentication[own].Type, backend.Authentication.Type)
	}
}

// checkPrincipals checks the principals of a terminating sasl_plain or
// (with its algorithm, possibly invalid) sasl_scram method at p.
func (d *decoder) checkPrincipals(a *ClientAuth, p, algorithm string) {
	pp := p + ".principals"
	if len(a.Principals) == 0 {
		d.report(pp, "at least one principal is required with mediation terminate")
		return
	}
	keyLen := 0
	switch algorithm {
	case scramSHA256:
		keyLen = 32
	case scramSHA512:
		keyLen = 64
	}
	users := map[string]int{}
	for k := range a.Principals {
		pr := &a.Principals[k]
		kp := indexPath(pp, k)
		switch {
		case pr.Username == "":
			d.report(kp+".username", "required")
		case strings.ContainsRune(pr.Username, 0):
			d.report(kp+".username", "must not contain a NUL character")
		default:
			if o, dup := users[pr.Username]; dup {
				d.report(kp+".username", "duplicate principal %q (also %s)", pr.Username, indexPath(pp, o))
			} else {
				users[pr.Username] = k
			}
		}
		salted := []string{"salt", "iterations", "stored_key", "server_key"}
		if a.Type == clientAuthPlain {
			for _, f := range salted {
				if d.set[kp+"."+f] {
					d.report(kp+"."+f, "only used with sasl_scram")
				}
			}
			if pr.Password == "" {
				d.report(kp+".password", "required")
			}
			continue
		}
		anySalted := false
		for _, f := range salted {
			anySalted = anySalted || d.set[kp+"."+f]
		}
		switch {
		case pr.Password != "" && anySalted:
			d.report(kp, "give either password or salted credentials (salt, iterations, stored_key, server_key), not both")
			continue
		case pr.Password != "":
			continue
		case !anySalted:
			d.report(kp+".password", "required (or salted credentials: salt, iterations, stored_key, server_key)")
			continue
		}
		d.checkBase64(kp+".salt", pr.Salt, 0)
		switch {
		case !d.set[kp+".iterations"]:
			d.report(kp+".iterations", "required with salted credentials")
		case pr.Iterations < minSCRAMIterations || pr.Iterations > maxSCRAMIterations:
			d.report(kp+".iterations", "must be between %d and %d, as Kafka's, got %d", minSCRAMIterations, maxSCRAMIterations, pr.Iterations)
		}
		d.checkBase64(kp+".stored_key", pr.StoredKey, keyLen)
		d.checkBase64(kp+".server_key", pr.ServerKey, keyLen)
	}
}

// checkBase64 checks a required base64 value at p, of n decoded bytes when
// n > 0. The value is never quoted: it may be secret.
func (d *decoder) checkBase64(p, s string, n int) {
	if s == "" {
		d.report(p, "required with salted credentials")
		return
	}
	b, err := base64.StdEncoding.DecodeString(s)
	switch {
	case err != nil:
		d.report(p, "invalid base64: %v", err)
	case len(b) == 0:
		d.report(p, "must not be empty")
	case n > 0 && len(b) != n:
		d.report(p, "must decode to %d bytes for this algorithm, got %d", n, len(b))
	}
}

// checkOAuthBearer checks the oauth_bearer method at p.
func (d *decoder) checkOAuthBearer(a *ClientAuth, p string, backend *BackendCluster) {
	med := d.checkMediation(a, p, backend, true)
	if med == mediationPassthrough {
		for _, k := range []string{"jwks", "validate"} {
			if d.set[p+"."+k] {
				d.report(p+"."+k, "only used with mediation validate_forward and terminate: with passthrough the backend validates tokens")
			}
		}
	}
	if j := a.JWKS; j != nil {
		jp := p + ".jwks"
		if j.Endpoint == "" {
			d.report(jp+".endpoint", "required")
		} else if u, err := url.Parse(j.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			d.report(jp+".endpoint", "invalid URL %q (expected http:// or https:// and a host)", j.Endpoint)
		} else if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
			d.warn(jp+".endpoint", "keys fetched over plain http can be replaced in transit; use https")
		}
		if j.Timeout <= 0 {
			d.report(jp+".timeout", "must be greater than 0, got %s", j.Timeout)
		}
		if j.CacheExpiration <= 0 {
			d.report(jp+".cache_expiration", "must be greater than 0, got %s", j.CacheExpiration)
		}
	} else if med == mediationTerminate || med == mediationValidateForward {
		d.report(p+".jwks", "required with mediation %s: tokens are validated against its keys", med)
	}
	if v := a.Validate; v != nil {
		vp := p + ".validate"
		if v.Issuer == "" && d.set[vp+".issuer"] {
			d.report(vp+".issuer", "must not be empty")
		}
		if len(v.Audiences) == 0 && d.set[vp+".audiences"] {
			d.report(vp+".audiences", "at least one audience is required when audiences is given")
		}
		names := map[string]int{}
		for k, au := range v.Audiences {
			np := indexPath(vp+".audiences", k) + ".name"
			if au.Name == "" {
				d.report(np, "required")
				continue
			}
			if o, dup := names[au.Name]; dup {
				d.report(np, "duplicate audience %q (also audiences[%d])", au.Name, o)
				continue
			}
			names[au.Name] = k
		}
	}
	if m := a.ClaimsMapping; m != nil {
		for _, f := range []struct{ key, v string }{{"sub", m.Sub}, {"scope", m.Scope}} {
			if f.v == "" && d.set[p+".claims_mapping."+f.key] {
				d.report(p+".claims_mapping."+f.key, "must not be empty")
			}
		}
	}
}

// warnPlaintext warns that the method at p exposes credentials when a
// listener serves its virtual cluster without TLS.
func (d *decoder) warnPlaintext(c *Config, s servedBy, p, what string) {
	if s.plaintext < 0 {
		return
	}
	d.warn(p+".type", "%s, and listener %q (%s) serves this virtual cluster without TLS",
		what, c.Listeners[s.plaintext].Name, indexPath("listeners", s.plaintext))
}

// loopbackHost reports whether host is localhost or a loopback address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
