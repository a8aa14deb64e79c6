package sambatest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// templateVersion changes whenever the provisioning or the seed changes, so
// a cached template of an older version is not used.
const templateVersion = "v1"

var (
	tmplOnce sync.Once
	tmplDir  string
	tmplInfo *SeedInfo
	tmplErr  error
)

// template returns the directory of the provisioned, seeded domain,
// building it on first use. It is cached under the system's temporary
// directory, keyed by the Samba version and templateVersion, and built under
// a file lock, so test binaries running at the same time build it once.
func template() (string, *SeedInfo, error) {
	tmplOnce.Do(func() {
		tmplDir, tmplInfo, tmplErr = loadTemplate()
	})
	return tmplDir, tmplInfo, tmplErr
}

func loadTemplate() (string, *SeedInfo, error) {
	if _, err := os.Stat(SambaPath); err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	ver, err := exec.Command(SambaPath, "--version").Output()
	if err != nil {
		return "", nil, fmt.Errorf("%w: samba --version: %v", ErrNotInstalled, err)
	}
	key := strings.NewReplacer(" ", "-", "/", "-", "\n", "").Replace(strings.TrimSpace(string(ver)))
	dir := filepath.Join(os.TempDir(), "idsync-sambatest-"+templateVersion+"-"+key)
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", nil, fmt.Errorf("sambatest: template lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", nil, fmt.Errorf("sambatest: template lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck
	info := &SeedInfo{People: Staff + len(Specials)}
	if _, err := os.Stat(filepath.Join(dir, "seeded")); err == nil {
		return dir, info, nil
	}
	build := dir + ".build"
	_ = os.RemoveAll(build)
	if err := buildTemplate(build); err != nil {
		return "", nil, err
	}
	_ = os.RemoveAll(dir)
	if err := os.Rename(build, dir); err != nil {
		return "", nil, fmt.Errorf("sambatest: template: %w", err)
	}
	return dir, info, nil
}

// buildTemplate provisions a domain in dir, starts it, seeds it and stops
// it.
func buildTemplate(dir string) error {
	if _, err := os.Stat("/usr/share/samba/setup/ad-schema"); err != nil {
		return fmt.Errorf("%w: the AD schema is missing (apt-get install samba-ad-provision)", ErrNotInstalled)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	out, err := exec.Command(SambaToolPath, "domain", "provision", "--realm="+Realm, "--domain="+Domain,
		"--server-role=dc", "--dns-backend=SAMBA_INTERNAL", "--use-rfc2307", "--backend-store=mdb",
		"--host-name="+HostName, "--targetdir="+dir, "--adminpass="+AdminPassword,
		"--option=interfaces = lo", "--option=bind interfaces only = yes").CombinedOutput()
	if err != nil {
		return fmt.Errorf("sambatest: samba-tool domain provision: %w: %s", err, out)
	}
	ip := allocIP()
	if err := writeConf(dir, HostName, ip, false, false, false); err != nil {
		return err
	}
	cmd, exited, err := runSamba(dir, ip)
	if err != nil {
		return err
	}
	defer kill(cmd, exited)
	s := &Server{URL: "ldap://" + ip}
	c, err := s.AdminConn()
	if err != nil {
		return fmt.Errorf("sambatest: bind to the new domain: %w", err)
	}
	defer c.Close()
	if _, err := seed(c); err != nil {
		return err
	}
	c.Close()
	kill(cmd, exited)
	return os.WriteFile(filepath.Join(dir, "seeded"), nil, 0o600)
}

// writeConf writes dir/etc/smb.conf for the DC host on ip with its files in dir,
// TLS with dir/tls when withTLS, refusing simple binds without TLS when
// strongAuth, with its DNS and RPC servers when dns.
func writeConf(dir, host, ip string, withTLS, strongAuth, dns bool) error {
	for _, d := range []string{"run", "cache", "etc", "tls"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return err
		}
	}
	var b strings.Builder
	set := func(k, v string) { fmt.Fprintf(&b, "\t%s = %s\n", k, v) }
	b.WriteString("[global]\n")
	set("netbios name", strings.ToUpper(host))
	set("realm", Realm)
	set("workgroup", Domain)
	set("server role", "active directory domain controller")
	if dns {
		set("server services", "ldap, cldap, kdc, dns, rpc")
	} else {
		set("server services", "ldap, cldap, kdc")
	}
	set("interfaces", ip+"/8")
	set("bind interfaces only", "yes")
	set("dns forwarder", "")
	if strongAuth {
		set("ldap server require strong auth", "yes")
	} else {
		set("ldap server require strong auth", "no")
	}
	set("idmap_ldb:use rfc2307", "yes")
	for k, sub := range map[string]string{"private dir": "private", "state directory": "state", "cache directory": "cache",
		"lock directory": "", "pid directory": "run", "ncalrpc dir": "run/ncalrpc", "binddns dir": "bind-dns",
		"winbindd socket directory": "run/winbindd"} {
		set(k, filepath.Join(dir, sub))
	}
	set("log file", filepath.Join(dir, "log.%m"))
	if withTLS {
		set("tls enabled", "yes")
		set("tls keyfile", filepath.Join(dir, "tls", "key.pem"))
		set("tls certfile", filepath.Join(dir, "tls", "cert.pem"))
		set("tls cafile", filepath.Join(dir, "tls", "ca.pem"))
	} else {
		set("tls enabled", "no")
	}
	return os.WriteFile(filepath.Join(dir, "etc", "smb.conf"), []byte(b.String()), 0o600)
}

// copyTree copies the regular files and directories under src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			fi, err := d.Info()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(to, 0o700); err != nil {
				return err
			}
			return os.Chmod(to, fi.Mode().Perm())
		case d.Type().IsRegular():
			return copyFile(path, to)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		}
		return nil // sockets and the like are not copied
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return errors.Join(out.Close())
}
