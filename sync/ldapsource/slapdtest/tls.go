package slapdtest

import (
	"net"
	"path/filepath"

	"github.com/idsync/idsync/internal/testcert"
)

// writeCerts creates a CA and a server certificate signed by it, and sets
// s.CAFile.
func (s *Server) writeCerts() error {
	err := testcert.Write(s.Dir, testcert.Files{CA: "ca.pem", Cert: "server.pem", Key: "server-key.pem"},
		testcert.Server{CAName: "slapdtest CA", CommonName: "127.0.0.1", DNSNames: []string{"localhost"},
			IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}})
	if err != nil {
		return err
	}
	s.CAFile = filepath.Join(s.Dir, "ca.pem")
	return nil
}
