// TLS termination on listeners: certificates chosen by server name,
// client certificates and the principal derived from them, and reloading
// of certificate files when they change.

package listener

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strait-gw/strait/internal/config"
)

// ReloadInterval is how often certificate and trust bundle files are
// checked for changes.
var ReloadInterval = 2 * time.Second

// TLSServer terminates TLS for a listener. Its certificates and trust
// bundles are replaced when their files change; established connections
// keep the ones they were made with.
type TLSServer struct {
	cfg     *config.TLSServerConfig
	log     *slog.Logger
	state   atomic.Pointer[tlsState]
	stamps  map[string]fileStamp
	min     uint16
	max     uint16
	require bool
	// Accept, if set, vets the server name a client asks for before the
	// handshake goes on; an error ends the handshake with the TLS alert
	// unrecognized_name, and Refused returns it.
	Accept func(serverName string) error
	// refused holds Accept's error by connection until Refused takes it.
	refused sync.Map
}

type tlsState struct {
	certs   []tls.Certificate
	clients *x509.CertPool
}

type fileStamp struct {
	mod  time.Time
	size int64
}

var tlsVersions = map[string]uint16{"TLSv1.2": tls.VersionTLS12, "TLSv1.3": tls.VersionTLS13}

// NewTLSServer loads a tls_server policy's certificates and bundles.
func NewTLSServer(cfg *config.TLSServerConfig, log *slog.Logger) (*TLSServer, error) {
	t := &TLSServer{cfg: cfg, log: log, stamps: map[string]fileStamp{}, min: tls.VersionTLS12, max: tls.VersionTLS13}
	if v, ok := tlsVersions[cfg.Versions.Min]; ok {
		t.min = v
	}
	if v, ok := tlsVersions[cfg.Versions.Max]; ok {
		t.max = v
	}
	if ca := cfg.ClientAuthentication; ca != nil {
		t.require = ca.Mode == "required"
	}
	st, err := t.load(false)
	if err != nil {
		return nil, err
	}
	t.state.Store(st)
	for _, f := range t.files() {
		t.stamps[f] = stampOf(f)
	}
	return t, nil
}

// files lists the files the TLS material came from.
func (t *TLSServer) files() []string {
	var out []string
	for _, c := range t.cfg.Certificates {
		out = append(out, c.CertificateFile, c.KeyFile)
	}
	if ca := t.cfg.ClientAuthentication; ca != nil {
		out = append(out, ca.TrustBundleFiles...)
	}
	kept := out[:0]
	for _, f := range out {
		if f != "" {
			kept = append(kept, f)
		}
	}
	return kept
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{fi.ModTime(), fi.Size()}
}

// load builds the certificates and client pool, reading files again when
// fromFiles is set.
func (t *TLSServer) load(fromFiles bool) (*tlsState, error) {
	read := func(inline, file string) (string, error) {
		if !fromFiles || file == "" {
			return inline, nil
		}
		b, err := os.ReadFile(file)
		return string(b), err
	}
	st := &tlsState{}
	for i, c := range t.cfg.Certificates {
		certPEM, err := read(c.Certificate, c.CertificateFile)
		if err != nil {
			return nil, err
		}
		keyPEM, err := read(c.Key, c.KeyFile)
		if err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
		if err != nil {
			return nil, fmt.Errorf("certificates[%d]: %w", i, err)
		}
		st.certs = append(st.certs, cert)
	}
	if ca := t.cfg.ClientAuthentication; ca != nil {
		st.clients = x509.NewCertPool()
		for i, b := range ca.TLSTrustBundles {
			file := ""
			if i < len(ca.TrustBundleFiles) {
				file = ca.TrustBundleFiles[i]
			}
			pemText, err := read(b, file)
			if err != nil {
				return nil, err
			}
			if !st.clients.AppendCertsFromPEM([]byte(pemText)) {
				return nil, fmt.Errorf("tls_trust_bundles[%d]: no PEM certificate", i)
			}
		}
	}
	return st, nil
}

// Watch reloads changed files until ctx ends. A file that does not load
// is logged and the previous material kept.
func (t *TLSServer) Watch(ctx context.Context) {
	files := t.files()
	if len(files) == 0 {
		return
	}
	tick := time.NewTicker(ReloadInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		changed := false
		for _, f := range files {
			if s := stampOf(f); s != t.stamps[f] {
				t.stamps[f] = s
				changed = true
			}
		}
		if !changed {
			continue
		}
		st, err := t.load(true)
		if err != nil {
			t.log.Error("tls files changed but do not load; keeping the previous certificates", "err", err)
			continue
		}
		t.state.Store(st)
		t.log.Info("tls certificates reloaded", "files", files)
	}
}

// Config is the tls.Config for one listener's connections.
func (t *TLSServer) Config() *tls.Config {
	return &tls.Config{
		MinVersion: t.min,
		MaxVersion: t.max,
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			if t.Accept != nil {
				if err := t.Accept(hello.ServerName); err != nil {
					// A config without certificates makes crypto/tls
					// answer with unrecognized_name (RFC 6066), which
					// tells the client what is wrong; an error here
					// would send internal_error.
					t.refused.Store(hello.Conn, err)
					return &tls.Config{MinVersion: t.min, MaxVersion: t.max}, nil
				}
			}
			st := t.state.Load()
			c := &tls.Config{
				MinVersion:   t.min,
				MaxVersion:   t.max,
				Certificates: []tls.Certificate{pickCert(st.certs, hello.ServerName)},
			}
			if st.clients != nil {
				c.ClientCAs = st.clients
				c.ClientAuth = tls.VerifyClientCertIfGiven
				if t.require {
					c.ClientAuth = tls.RequireAndVerifyClientCert
				}
			}
			return c, nil
		},
	}
}

// Refused returns, once, why Accept refused the server name conn's
// client asked for, if it did.
func (t *TLSServer) Refused(conn net.Conn) error {
	if err, ok := t.refused.LoadAndDelete(conn); ok {
		return err.(error)
	}
	return nil
}

// pickCert returns the first certificate whose leaf covers name, else the
// first certificate.
func pickCert(certs []tls.Certificate, name string) tls.Certificate {
	if name != "" {
		for _, c := range certs {
			if c.Leaf != nil && c.Leaf.VerifyHostname(name) == nil {
				return c
			}
		}
	}
	return certs[0]
}

// Principal derives a client's principal from its verified certificate.
func Principal(m config.PrincipalMapping, cert *x509.Certificate) string {
	if cert == nil {
		return ""
	}
	s := cert.Subject
	switch m.Type {
	case "cn":
		return s.CommonName
	case "san_dns":
		if len(cert.DNSNames) > 0 {
			return cert.DNSNames[0]
		}
		return ""
	case "san_uri":
		if len(cert.URIs) > 0 {
			return cert.URIs[0].String()
		}
		return ""
	case "template":
		first := func(v []string) string {
			if len(v) == 0 {
				return ""
			}
			return v[0]
		}
		return strings.NewReplacer(
			"{CN}", s.CommonName,
			"{O}", first(s.Organization),
			"{OU}", first(s.OrganizationalUnit),
			"{L}", first(s.Locality),
			"{ST}", first(s.Province),
			"{C}", first(s.Country),
			"{SERIALNUMBER}", s.SerialNumber,
		).Replace(m.Template)
	}
	return s.String()
}

// errNoServerName is the handshake error for a client without SNI on a
// listener that routes by it.
var errNoServerName = errors.New("client sent no server name (SNI)")
