package sambatest

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// envNetns is set in the environment of a test binary re-executed in its
// own network namespace.
const envNetns = "IDSYNC_SAMBATEST_NETNS"

// netnsErr is why Start cannot run a server in this process; "" when it
// can (Main re-executed the binary in a private network namespace).
var netnsErr = "run the tests through sambatest.Main (TestMain), as root"

// Main runs the tests of a package that uses Start: call it from
// TestMain as os.Exit(sambatest.Main(m)). As root, it re-executes the test
// binary in a private network namespace (CLONE_NEWNET) with its loopback
// up, so Samba's fixed ports (389, 636, 88, 3268) are the binary's own:
// two test binaries never share a DC, and the host's ports stay free. The
// child runs the tests; Main returns its exit code. Without root the
// tests run here, and Start skips (or fails with $CI set).
func Main(m *testing.M) int {
	code, done := reexec()
	if done {
		return code
	}
	code = m.Run()
	stopAll()
	return code
}

// reexec re-executes the binary in a new network namespace when this
// process is not already in one it made, and reports the child's exit code
// and true; false when the tests are to run in this process.
func reexec() (int, bool) {
	if os.Getenv(envNetns) != "" {
		if err := exec.Command("ip", "link", "set", "lo", "up").Run(); err != nil {
			netnsErr = fmt.Sprintf("ip link set lo up in the test's network namespace: %v", err)
			return 0, false
		}
		netnsErr = ""
		return 0, false
	}
	if os.Geteuid() != 0 {
		netnsErr = "a Samba DC needs its own network namespace: run the tests as root"
		return 0, false
	}
	self, err := os.Executable()
	if err != nil {
		netnsErr = fmt.Sprintf("find the test binary: %v", err)
		return 0, false
	}
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envNetns+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), true
		}
		netnsErr = fmt.Sprintf("re-execute the tests in a network namespace: %v", err)
		return 0, false
	}
	return 0, true
}
