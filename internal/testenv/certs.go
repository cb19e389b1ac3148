// This file makes certificates for TLS tests: a CA and the server and
// client certificates it signs, all ECDSA P-256 and made fresh per test.

package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"testing"
	"time"
)

// CA is a certificate authority for tests.
type CA struct {
	// CertPEM is the CA certificate, PEM encoded: a ca_bundle.
	CertPEM string
	// Pool holds the CA certificate alone.
	Pool *x509.CertPool

	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// Cert is a certificate with its private key.
type Cert struct {
	// CertPEM and KeyPEM are the PEM certificate and PKCS #8 private key.
	CertPEM, KeyPEM string
	// TLS is the pair, ready for tls.Config.Certificates.
	TLS tls.Certificate
}

// NewCA makes a self-signed CA named name, valid from an hour ago for a day.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("CA certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("CA certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{CertPEM: pemBlock("CERTIFICATE", der), Pool: pool, cert: cert, key: key}
}

// Server issues a server certificate for 127.0.0.1, ::1 and localhost,
// valid from an hour ago for a day.
func (ca *CA) Server(t testing.TB) *Cert {
	t.Helper()
	return ca.issue(t, "localhost", x509.ExtKeyUsageServerAuth, time.Now().Add(24*time.Hour))
}

// ExpiredServer issues a certificate like Server's that expired a minute
// ago.
func (ca *CA) ExpiredServer(t testing.TB) *Cert {
	t.Helper()
	return ca.issue(t, "localhost", x509.ExtKeyUsageServerAuth, time.Now().Add(-time.Minute))
}

// Client issues a client certificate for mutual TLS with common name cn.
func (ca *CA) Client(t testing.TB, cn string) *Cert {
	t.Helper()
	return ca.issue(t, cn, x509.ExtKeyUsageClientAuth, time.Now().Add(24*time.Hour))
}

// ServerTLS returns a server config presenting c. When clientCAs is not
// nil, clients must present a certificate that verifies against it.
func (c *Cert) ServerTLS(clientCAs *CA) *tls.Config {
	tc := &tls.Config{Certificates: []tls.Certificate{c.TLS}, MinVersion: tls.VersionTLS12}
	if clientCAs != nil {
		tc.ClientCAs = clientCAs.Pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc
}

func (ca *CA) issue(t testing.TB, cn string, usage x509.ExtKeyUsage, notAfter time.Time) *Cert {
	t.Helper()
	o := CertOptions{Subject: pkix.Name{CommonName: cn}, NotAfter: notAfter, Client: usage == x509.ExtKeyUsageClientAuth}
	if !o.Client {
		o.DNSNames = []string{"localhost"}
		o.IPs = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	return ca.Issue(t, o)
}

// CertOptions describes a certificate for Issue.
type CertOptions struct {
	Subject  pkix.Name
	DNSNames []string
	IPs      []net.IP
	URIs     []*url.URL
	// NotAfter defaults to a day from now.
	NotAfter time.Time
	// Client makes a client certificate; else a server certificate.
	Client bool
}

// Issue issues a certificate signed by ca.
func (ca *CA) Issue(t testing.TB, o CertOptions) *Cert {
	t.Helper()
	key := newKey(t)
	if o.NotAfter.IsZero() {
		o.NotAfter = time.Now().Add(24 * time.Hour)
	}
	usage := x509.ExtKeyUsageServerAuth
	if o.Client {
		usage = x509.ExtKeyUsageClientAuth
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      o.Subject,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     o.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		DNSNames:     o.DNSNames,
		IPAddresses:  o.IPs,
		URIs:         o.URIs,
	}
	cn := o.Subject.CommonName
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("certificate %s: %v", cn, err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("key %s: %v", cn, err)
	}
	c := &Cert{CertPEM: pemBlock("CERTIFICATE", der), KeyPEM: pemBlock("PRIVATE KEY", kder)}
	if c.TLS, err = tls.X509KeyPair([]byte(c.CertPEM), []byte(c.KeyPEM)); err != nil {
		t.Fatalf("key pair %s: %v", cn, err)
	}
	return c
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("key: %v", err)
	}
	return key
}

func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatalf("serial: %v", err)
	}
	return n
}

func pemBlock(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}
