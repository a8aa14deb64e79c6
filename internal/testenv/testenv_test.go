package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissing runs a test that calls Missing in a child process, with and
// without $CI, and checks that it skips or fails.
func TestMissing(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") != "" {
		Missing(t, "thing not installed: apt-get install thing")
		return
	}
	for _, tt := range []struct {
		ci, want string
		fail     bool
	}{
		{"", "--- SKIP: TestMissing", false},
		{"true", "--- FAIL: TestMissing", true},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissing$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", "CI="+tt.ci)
		out, err := cmd.CombinedOutput()
		if (err != nil) != tt.fail || !strings.Contains(string(out), tt.want) || !strings.Contains(string(out), "apt-get install thing") {
			t.Errorf("CI=%q: err %v, output:\n%s", tt.ci, err, out)
		}
	}
}
