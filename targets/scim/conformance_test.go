package scim_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
	"github.com/idsync/idsync/targets/targetstest"
)

func ptr[T any](v T) *T { return &v }

// testConfig is a config for a test server: the token in a file, no rate
// limit, millisecond backoff.
func testConfig(t testing.TB, url, token string) scim.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return scim.Config{
		URL:          url,
		Token:        secret.Ref{File: path},
		Timeout:      10 * time.Second,
		RateLimit:    ptr(0.0),
		RetryMinWait: time.Millisecond,
		RetryMaxWait: 20 * time.Millisecond,
	}
}

// newClient builds a client whose log goes to a test hook.
func newClient(t testing.TB, cfg scim.Config) (*scim.Client, *test.Hook) {
	t.Helper()
	log, hook := test.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	c, err := scim.New(cfg, log)
	if err != nil {
		t.Fatalf("scim.New: %v", err)
	}
	return c, hook
}

func TestConformanceScimtest(t *testing.T) {
	targetstest.Run(t, func(t *testing.T) targets.Target {
		url, token, _ := scimtest.Start(t, scimtest.Options{MaxMembersPerPatch: 10})
		cfg := testConfig(t, url, token)
		cfg.MaxMembersPerPatch = 10
		c, _ := newClient(t, cfg)
		return c
	}, targetstest.Capabilities{CaseInsensitiveUserName: true, PagingUsers: 250, GroupMembers: 25})
}

// TestConformanceScimtestPutAndRepeatedPages runs the suite with
// update_method = "put" against a server that pages like SCIMMY.
func TestConformanceScimtestPutAndRepeatedPages(t *testing.T) {
	targetstest.Run(t, func(t *testing.T) targets.Target {
		url, token, _ := scimtest.Start(t, scimtest.Options{RepeatPastEnd: true, MaxPageSize: 50})
		cfg := testConfig(t, url, token)
		cfg.UpdateMethod = scim.UpdatePut
		c, _ := newClient(t, cfg)
		return c
	}, targetstest.Capabilities{CaseInsensitiveUserName: true, PagingUsers: 200, GroupMembers: 150})
}

// TestConformanceSCIMMY runs the suite against SCIMMY, a SCIM server
// nobody here wrote. It compares userName case-sensitively (so does our
// server.js's uniqueness check, like SCIMMY's filters), and a page past
// the end repeats the first page.
func TestConformanceSCIMMY(t *testing.T) {
	targetstest.Run(t, func(t *testing.T) targets.Target {
		url, token := scimtest.StartSCIMMY(t)
		cfg := testConfig(t, url, token)
		cfg.MaxMembersPerPatch = 10
		c, _ := newClient(t, cfg)
		return c
	}, targetstest.Capabilities{CaseInsensitiveUserName: false, PagingUsers: 250, GroupMembers: 25})
}
