package sambatest

import (
	"fmt"
	"os/exec"
	"path/filepath"
)

// JoinProcess joins a second domain controller, named host, to the domain
// of s (which must run WithDNS, for its RPC server) with samba-tool domain
// join, its files in dir, and starts it on its own loopback address. It
// holds what s held when it joined; the two do not replicate afterwards
// (DRS replication finds its partners by DNS names the test's network
// namespace does not resolve). The caller must Close it.
func (s *Server) JoinProcess(dir, host string) (*Server, error) {
	j := &Server{IP: allocIP(), Dir: dir, Seed: s.Seed}
	j.URL, j.LDAPSURL, j.GCURL = "ldap://"+j.IP, "ldaps://"+j.IP, "ldap://"+j.IP+":3268"
	out, err := exec.Command(SambaToolPath, "domain", "join", DNSDomain, "DC", "-U", "Administrator%"+AdminPassword,
		"--server="+s.IP, "--targetdir="+dir, "--dns-backend=SAMBA_INTERNAL", "--backend-store=mdb",
		"--option=netbios name = "+host, "--option=interfaces = "+j.IP+"/8", "--option=bind interfaces only = yes",
		"--option=realm = "+Realm, "--option=workgroup = "+Domain).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("sambatest: samba-tool domain join: %w: %s", err, tail2(out))
	}
	if err := writeConf(dir, host, j.IP, true, false, false); err != nil {
		return nil, err
	}
	if err := j.writeCerts(); err != nil {
		return nil, fmt.Errorf("sambatest: certificates: %w", err)
	}
	if err := j.Start(); err != nil {
		return nil, fmt.Errorf("%w (joined in %s)", err, filepath.Join(dir, "etc", "smb.conf"))
	}
	return j, nil
}

func tail2(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
