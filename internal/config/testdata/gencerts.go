//go:build ignore

// gencerts writes the self-signed server certificates the tls_server tests
// use. Run it from this directory: go run gencerts.go
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log"
	"math/big"
	"os"
	"time"
)

func main() {
	for _, c := range []struct {
		name string
		cn   string
		dns  []string
	}{
		// per_cluster_suffix: one wildcard per virtual cluster.
		{"server-team-a", "team-a.kafka.example.com", []string{"*.team-a.kafka.example.com"}},
		// shared_suffix: one wildcard for every virtual cluster, with an sni_suffix
		// starting with "." (*.kafka.example.com) or "-" (*.example.com).
		{"server-shared", "kafka.example.com", []string{"*.kafka.example.com", "*.example.com"}},
		// Names nothing at all.
		{"server-nonames", "", nil},
	} {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			log.Fatal(err)
		}
		serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
		if err != nil {
			log.Fatal(err)
		}
		now := time.Now()
		tmpl := &x509.Certificate{
			SerialNumber: serial,
			Subject:      pkix.Name{CommonName: c.cn, Organization: []string{"Strait test"}},
			DNSNames:     c.dns,
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.AddDate(100, 0, 0),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			log.Fatal(err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			log.Fatal(err)
		}
		write(c.name+".crt", "CERTIFICATE", der)
		write(c.name+".key", "PRIVATE KEY", keyDER)
	}
}

func write(name, typ string, der []byte) {
	if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
		log.Fatal(err)
	}
}
