package sambatest

import (
	"net"
	"path/filepath"

	"github.com/idsync/idsync/internal/testcert"
)

// writeCerts creates (in Dir/tls) a CA and a server certificate signed by
// it, and sets s.CAFile.
func (s *Server) writeCerts() error {
	fqdn := HostName + "." + DNSDomain
	err := testcert.Write(filepath.Join(s.Dir, "tls"), testcert.Files{CA: "ca.pem", Cert: "cert.pem", Key: "key.pem"},
		testcert.Server{CAName: "sambatest CA", CommonName: fqdn, DNSNames: []string{"localhost", fqdn, DNSDomain},
			IPs: []net.IP{net.ParseIP(s.IP), net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		return err
	}
	s.CAFile = filepath.Join(s.Dir, "tls", "ca.pem")
	return nil
}
