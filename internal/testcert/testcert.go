// Package testcert makes the throwaway TLS certificates of the test servers
// (slapdtest, sambatest): a CA and a server certificate it signs, valid for
// a day, written as PEM files.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files names the PEM files Write writes, each relative to its directory.
type Files struct {
	CA, Cert, Key string
}

// Server describes the server certificate.
type Server struct {
	// CAName is the CA's common name.
	CAName string
	// CommonName is the server certificate's common name.
	CommonName string
	// DNSNames and IPs are its subject alternative names; the machine's
	// host name is added to DNSNames.
	DNSNames []string
	IPs      []net.IP
}

// Write creates a CA and a server certificate for srv signed by it, and
// writes them (and the server's key) into dir under the names in f.
func Write(dir string, f Files, srv Server) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: srv.CAName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	names := srv.DNSNames
	if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
		names = append(names[:len(names):len(names)], h)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: srv.CommonName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  srv.IPs,
		DNSNames:     names,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	for _, p := range []struct {
		name, typ string
		der       []byte
	}{{f.CA, "CERTIFICATE", caDER}, {f.Cert, "CERTIFICATE", der}, {f.Key, "PRIVATE KEY", keyDER}} {
		b := pem.EncodeToMemory(&pem.Block{Type: p.typ, Bytes: p.der})
		if err := os.WriteFile(filepath.Join(dir, p.name), b, 0o600); err != nil {
			return fmt.Errorf("testcert: %w", err)
		}
	}
	return nil
}
