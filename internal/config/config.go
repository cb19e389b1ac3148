// This file holds the entry points, Load and Parse, the defaults, and
// lookups on a loaded Config.

package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Load reads the configuration file at path and parses it; ${file:...}
// references with relative paths resolve against the file's directory.
// Problems with the content are returned as a *Errors.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(data, filepath.Dir(path))
}

// Parse decodes a configuration file strictly, expands its ${env:...} and
// ${file:...} references (relative file paths resolve against baseDir, or
// the working directory when baseDir is empty), fills in defaults and
// validates the result. On any problem it returns a *Errors holding every
// problem found, and no Config.
func Parse(data []byte, baseDir string) (*Config, error) {
	d := newDecoder(baseDir)
	c := &Config{}
	if body, ok := d.document(data); ok {
		if body != nil {
			d.collectAnchors(body)
			d.decode(body, reflect.ValueOf(c).Elem(), "")
		}
		d.applyDefaults(c)
		d.validate(c)
	}
	if len(d.errs) > 0 {
		errs := d.errs
		return nil, &errs
	}
	c.Warnings = d.warns
	return c, nil
}

// document parses data as YAML and returns the body of its one document,
// nil for an empty file.
func (d *decoder) document(data []byte) (ast.Node, bool) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		var yerr yaml.Error
		if errors.As(err, &yerr) {
			l := 0
			if tk := yerr.GetToken(); tk != nil && tk.Position != nil {
				l = tk.Position.Line
			}
			d.fail("", l, "syntax error: %s", yerr.GetMessage())
		} else {
			d.fail("", 0, "syntax error: %v", err)
		}
		return nil, false
	}
	var bodies []ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	switch len(bodies) {
	case 0:
		return nil, true
	case 1:
		return bodies[0], true
	}
	d.fail("", line(bodies[1]), "expected one YAML document, found %d", len(bodies))
	return nil, false
}

// Defaults.
const (
	defaultAdminAddress           = "127.0.0.1:8080"
	defaultLogLevel               = "info"
	defaultLogFormat              = "logfmt"
	defaultDrainDuration          = Duration(5 * time.Second)
	defaultShutdownTimeout        = Duration(10 * time.Second)
	defaultMaxFrameBytes          = 100 << 20
	defaultMetadataUpdateInterval = Duration(60 * time.Second)
	defaultListenerAddress        = "127.0.0.1"
	defaultFailedAuthDelay        = Duration(100 * time.Millisecond)
	defaultFirstRequestTimeout    = Duration(10 * time.Second)
	defaultJWKSTimeout            = Duration(10 * time.Second)
	defaultJWKSCacheExpiration    = Duration(time.Hour)
	defaultSubClaim               = "sub"
	defaultScopeClaim             = "scope"

	backendAuthAnonymous = "anonymous"
	clientAuthAnonymous  = "anonymous"
	aclPassthrough       = "passthrough"
	bootstrapAtStart     = "at_start"
	bootstrapNone        = "none"
	tls12                = "tls12"
	tls13                = "tls13"
	tlsV12               = "TLSv1.2"
	tlsV13               = "TLSv1.3"
	principalSubjectDN   = "subject_dn"
)

// applyDefaults fills in what the file leaves out. Values the file sets,
// even to zero or empty, are kept for validation to judge; empty strings
// count as absent except for admin.address, where "" disables the server.
func (d *decoder) applyDefaults(c *Config) {
	def := func(path string) { d.defaulted[path] = true }
	if !d.set["admin.address"] {
		c.Admin.Address = defaultAdminAddress
		def("admin.address")
	}
	if c.Observability.LogLevel == "" {
		c.Observability.LogLevel = defaultLogLevel
		def("observability.log_level")
	}
	if c.Observability.LogFormat == "" {
		c.Observability.LogFormat = defaultLogFormat
		def("observability.log_format")
	}
	if !d.set["runtime.drain_duration"] {
		c.Runtime.DrainDuration = defaultDrainDuration
		def("runtime.drain_duration")
	}
	if !d.set["runtime.shutdown_timeout"] {
		c.Runtime.ShutdownTimeout = defaultShutdownTimeout
		def("runtime.shutdown_timeout")
	}
	if !d.set["runtime.max_frame_bytes"] {
		c.Runtime.MaxFrameBytes = defaultMaxFrameBytes
		def("runtime.max_frame_bytes")
	}
	if !d.set["runtime.first_request_timeout"] {
		c.Runtime.FirstRequestTimeout = defaultFirstRequestTimeout
		def("runtime.first_request_timeout")
	}
	if !d.set["runtime.failed_authentication_delay"] {
		c.Runtime.FailedAuthenticationDelay = defaultFailedAuthDelay
		def("runtime.failed_authentication_delay")
	}
	for i := range c.BackendClusters {
		b := &c.BackendClusters[i]
		p := indexPath("backend_clusters", i)
		if !d.set[p+".metadata_update_interval"] {
			b.MetadataUpdateInterval = defaultMetadataUpdateInterval
			def(p + ".metadata_update_interval")
		}
		if b.TLS.Enabled && !d.set[p+".tls.tls_versions"] {
			b.TLS.TLSVersions = []string{tls12, tls13}
			def(p + ".tls.tls_versions")
		}
		if b.Authentication.Type == "" {
			b.Authentication.Type = backendAuthAnonymous
			def(p + ".authentication.type")
		}
	}
	for i := range c.VirtualClusters {
		v := &c.VirtualClusters[i]
		p := indexPath("virtual_clusters", i)
		if v.DNSLabel == "" {
			v.DNSLabel = v.Name
			def(p + ".dns_label")
		}
		if v.ACLMode == "" {
			v.ACLMode = aclPassthrough
			def(p + ".acl_mode")
		}
		if !d.set[p+".authentication"] {
			v.Authentication = []ClientAuth{{Type: clientAuthAnonymous}}
			def(p + ".authentication")
		}
		for j := range v.Authentication {
			d.clientAuthDefaults(&v.Authentication[j], indexPath(p+".authentication", j))
		}
		if ns := v.Namespace; ns != nil {
			if ns.Mode == "" {
				ns.Mode = nsHidePrefix
				def(p + ".namespace.mode")
			}
			for _, sels := range [][]NameSelector{ns.Additional.Topics, ns.Additional.ConsumerGroups} {
				for k := range sels {
					if sels[k].Conflict == "" {
						sels[k].Conflict = conflictWarn
					}
				}
			}
		}
		for k := range v.TopicAliases {
			if v.TopicAliases[k].Conflict == "" {
				v.TopicAliases[k].Conflict = conflictWarn
			}
		}
	}
	for i := range c.Listeners {
		l := &c.Listeners[i]
		p := indexPath("listeners", i)
		if !d.set[p+".addresses"] {
			l.Addresses = []string{defaultListenerAddress}
			def(p + ".addresses")
		}
		for j, pol := range l.Policies {
			pp := indexPath(p+".policies", j) + ".config"
			if t := pol.TLSServer; t != nil {
				d.tlsServerDefaults(t, pp)
			}
			f := pol.Forward
			if f == nil {
				continue
			}
			if f.Type == forwardSNI {
				if f.BrokerHostFormat.Type == "" {
					f.BrokerHostFormat.Type = hostFormatPerCluster
					def(pp + ".broker_host_format.type")
				}
				if !d.set[pp+".advertised_port"] && len(l.Ports) > 0 && l.Ports[0].First != 0 {
					f.AdvertisedPort = l.Ports[0].First
					def(pp + ".advertised_port")
				}
				// Host names compare case-insensitively; keep one form.
				f.SNISuffix = strings.ToLower(f.SNISuffix)
				continue
			}
			if f.BootstrapPort == "" {
				f.BootstrapPort = bootstrapAtStart
				def(pp + ".bootstrap_port")
			}
			if f.AdvertisedHost == "" && len(l.Addresses) > 0 {
				f.AdvertisedHost = advertisedHostFor(l.Addresses[0])
				def(pp + ".advertised_host")
			}
		}
	}
}

// clientAuthDefaults fills in the defaults of the client authentication
// method at p: the JWKS timings and claim names of oauth_bearer.
func (d *decoder) clientAuthDefaults(a *ClientAuth, p string) {
	if a.Type != clientAuthOAuthBearer {
		return
	}
	if j := a.JWKS; j != nil {
		if !d.set[p+".jwks.timeout"] {
			j.Timeout = defaultJWKSTimeout
			d.defaulted[p+".jwks.timeout"] = true
		}
		if !d.set[p+".jwks.cache_expiration"] {
			j.CacheExpiration = defaultJWKSCacheExpiration
			d.defaulted[p+".jwks.cache_expiration"] = true
		}
	}
	if a.ClaimsMapping == nil {
		a.ClaimsMapping = &ClaimsMapping{}
	}
	if a.ClaimsMapping.Sub == "" && !d.set[p+".claims_mapping.sub"] {
		a.ClaimsMapping.Sub = defaultSubClaim
		d.defaulted[p+".claims_mapping.sub"] = true
	}
	if a.ClaimsMapping.Scope == "" && !d.set[p+".claims_mapping.scope"] {
		a.ClaimsMapping.Scope = defaultScopeClaim
		d.defaulted[p+".claims_mapping.scope"] = true
	}
}

// tlsServerDefaults fills in the defaults of the tls_server config at p.
func (d *decoder) tlsServerDefaults(t *TLSServerConfig, p string) {
	if t.Versions.Min == "" {
		t.Versions.Min = tlsV12
		d.defaulted[p+".versions.min"] = true
	}
	if t.Versions.Max == "" {
		t.Versions.Max = tlsV13
		d.defaulted[p+".versions.max"] = true
	}
	if ca := t.ClientAuthentication; ca != nil && ca.PrincipalMapping.Type == "" {
		ca.PrincipalMapping.Type = principalSubjectDN
		d.defaulted[p+".client_authentication.principal_mapping.type"] = true
	}
}

// advertisedHostFor is the host clients are told to connect to when the
// listener binds addr: addr itself, or localhost for a wildcard address,
// which clients cannot connect to.
func advertisedHostFor(addr string) string {
	if ip := net.ParseIP(addr); ip != nil && ip.IsUnspecified() {
		return "localhost"
	}
	return addr
}

// Backend returns the backend cluster called name, or nil.
func (c *Config) Backend(name string) *BackendCluster {
	for i := range c.BackendClusters {
		if c.BackendClusters[i].Name == name {
			return &c.BackendClusters[i]
		}
	}
	return nil
}

// VirtualCluster returns the virtual cluster called name, or nil.
func (c *Config) VirtualCluster(name string) *VirtualCluster {
	for i := range c.VirtualClusters {
		if c.VirtualClusters[i].Name == name {
			return &c.VirtualClusters[i]
		}
	}
	return nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d as a Go duration ("30s").
func (d Duration) String() string { return time.Duration(d).String() }
