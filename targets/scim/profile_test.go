package scim_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

func TestUserNameRewrites(t *testing.T) {
	for _, tc := range []struct {
		fn         func(string) string
		name, want string
	}{
		{scim.SlackUserName, "Jane.Doe", "jane.doe"},
		{scim.SlackUserName, "jane doe@example.com", "jane_doe_example.com"},
		{scim.SlackUserName, "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstu"},
		{scim.SlackUserName, "Zoë-Ångström", "zo_-_ngstr_m"},
		{scim.GitHubUserName, "Jane.Doe@example.com", "jane-doe"},
		{scim.GitHubUserName, "--a__b--", "a-b"},
		{scim.GitHubUserName, "x@y@example.com", "x-y"},
		{scim.GitHubUserName, "Zoë", "zo"},
	} {
		if got := tc.fn(tc.name); got != tc.want {
			t.Errorf("rewrite(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// FuzzUserNameRewrites checks what the rewrites promise for any input:
// Slack's at most 21 allowed characters, GitHub's letters, digits and
// single inner dashes, and both stable when applied again.
func FuzzUserNameRewrites(f *testing.F) {
	for _, s := range []string{"Jane.Doe@example.com", "a b", "", "@x", "--", "ÀÉÎ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		s := scim.SlackUserName(name)
		if utf8.RuneCountInString(s) > 21 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") != "" {
			t.Errorf("SlackUserName(%q) = %q", name, s)
		}
		if scim.SlackUserName(s) != s {
			t.Errorf("SlackUserName is not stable on %q", s)
		}
		g := scim.GitHubUserName(name)
		if strings.Trim(g, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" || strings.Contains(g, "--") ||
			strings.HasPrefix(g, "-") || strings.HasSuffix(g, "-") {
			t.Errorf("GitHubUserName(%q) = %q", name, g)
		}
		if !strings.Contains(g, "@") && scim.GitHubUserName(g) != g {
			t.Errorf("GitHubUserName is not stable on %q", g)
		}
	})
}

func TestProfileValidate(t *testing.T) {
	cfg := testConfig(t, "http://127.0.0.1:1/scim", "tok")
	cfg.Profile = "okta"
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), `profile: must be one of "generic", "slack", "github-emu", "atlassian", "aws-identity-center", "zoom", got "okta"`) {
		t.Errorf("Validate = %v", err)
	}
}

func TestCheckPolicy(t *testing.T) {
	for _, tc := range []struct {
		profile          string
		ack              bool
		leavers, orphans string
		want             []string
	}{
		{scim.ProfileGitHubEMU, false, "delete", "report", []string{`leavers: "delete" on profile "github-emu" permanently deletes`}},
		{scim.ProfileGitHubEMU, false, "disable", "delete", []string{`orphans: "delete" on profile "github-emu"`}},
		{scim.ProfileGitHubEMU, true, "delete", "delete", nil},
		{scim.ProfileGitHubEMU, false, "disable", "report", nil},
		{scim.ProfileSlack, false, "delete", "delete", nil},
		{"", false, "delete", "delete", nil},
	} {
		cfg := scim.Config{Profile: tc.profile, AcknowledgeIrreversibleDelete: tc.ack}
		var errs []error
		if err := cfg.CheckPolicy(tc.leavers, tc.orphans); err != nil {
			errs = err.(interface{ Unwrap() []error }).Unwrap()
		}
		if len(errs) != len(tc.want) {
			t.Errorf("%s %v %s/%s: %v, want %d errors", tc.profile, tc.ack, tc.leavers, tc.orphans, errs, len(tc.want))
			continue
		}
		for i, e := range errs {
			if !strings.HasPrefix(e.Error(), tc.want[i]) || !strings.Contains(e.Error(), "acknowledge_irreversible_delete = true") {
				t.Errorf("error %q, want it to start with %q and name the key", e, tc.want[i])
			}
		}
	}
}

func TestMeaning(t *testing.T) {
	for profile, want := range map[string]string{
		scim.ProfileGitHubEMU: "irreversible",
		scim.ProfileSlack:     "deactivates the Slack account too",
		scim.ProfileAtlassian: "unlinks",
	} {
		c, _ := newClient(t, scim.Config{URL: "http://127.0.0.1:1", Token: testConfig(t, "http://x", "t").Token, Profile: profile})
		if got := c.Meaning("delete"); !strings.Contains(got, want) {
			t.Errorf("%s: Meaning(delete) = %q, want it to say %q", profile, got, want)
		}
	}
}

// recorder keeps the query of every request to the server it wraps.
type recorder struct {
	h       http.Handler
	mu      sync.Mutex
	queries []string // "METHOD /path?query"
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.queries = append(r.queries, req.Method+" "+req.URL.Path+"?"+req.URL.RawQuery)
	r.mu.Unlock()
	r.h.ServeHTTP(w, req)
}

func (r *recorder) seen(substr string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.queries {
		if strings.Contains(q, substr) {
			n++
		}
	}
	return n
}

// startRecorded starts a scimtest server in the mode of profile behind a
// recorder and returns a config for it with that profile.
func startRecorded(t *testing.T, profile string, opts scimtest.Options) (scim.Config, *scimtest.Server, *recorder) {
	t.Helper()
	opts.Profile, opts.Token = profile, scimtest.RandomToken()
	srv := scimtest.NewServer(opts)
	rec := &recorder{h: srv}
	ts := httptest.NewServer(scimtest.Mount(scimtest.BasePath, rec))
	t.Cleanup(ts.Close)
	cfg := testConfig(t, ts.URL+scimtest.BasePath, opts.Token)
	cfg.Profile = profile
	cfg.WriteRateLimit = ptr(0.0)
	return cfg, srv, rec
}

func createUsers(t *testing.T, c *scim.Client, prefix string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		id, err := c.Create(t.Context(), targets.Account{UserName: prefix + string(rune('a'+i%26)) + strings.Repeat("z", i/26), Active: true})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func TestGitHubRequiredAttributesRefusedBeforeSending(t *testing.T) {
	cfg, srv, _ := startRecorded(t, scim.ProfileGitHubEMU, scimtest.Options{})
	c, _ := newClient(t, cfg)
	_, err := c.Create(t.Context(), targets.Account{UserName: "jane", ExternalID: "e1", Active: true,
		Attrs: targets.AttrsOf(map[string]string{"emails.work": "jane@example.test", "name.givenName": "Jane"})})
	if !errors.Is(err, targets.ErrRejected) || !strings.Contains(err.Error(), "requires name.familyName") {
		t.Errorf("Create without familyName = %v, want ErrRejected naming it", err)
	}
	if n := srv.Stats().Requests[http.MethodPost]; n != 0 {
		t.Errorf("%d POSTs sent, want none", n)
	}
	// The imitation refuses it too, for a client without the profile.
	cfg.Profile = ""
	plain, _ := newClient(t, cfg)
	if _, err := plain.Create(t.Context(), targets.Account{UserName: "jane", ExternalID: "e1", Active: true}); !errors.Is(err, targets.ErrRejected) {
		t.Errorf("the github-emu server took a user without name parts: %v", err)
	}
}

// TestAWSOneValuePerMultiValuedAttribute: AWS keeps one e-mail and one
// phone number; the profile refuses a second before sending, the
// imitation refuses it too.
func TestAWSOneValuePerMultiValuedAttribute(t *testing.T) {
	cfg, srv, _ := startRecorded(t, scim.ProfileAWS, scimtest.Options{})
	c, _ := newClient(t, cfg)
	two := targets.Account{UserName: "two", Active: true,
		Attrs: targets.AttrsOf(map[string]string{"emails.work": "w@example.test", "emails.home": "h@example.test"})}
	_, err := c.Create(t.Context(), two)
	if !errors.Is(err, targets.ErrRejected) || !strings.Contains(err.Error(), "emails.home and emails.work") {
		t.Errorf("Create with two e-mails = %v, want ErrRejected naming both", err)
	}
	if n := srv.Stats().Requests[http.MethodPost]; n != 0 {
		t.Errorf("%d POSTs sent, want none", n)
	}
	cfg.Profile = ""
	plain, _ := newClient(t, cfg)
	if _, err := plain.Create(t.Context(), two); !errors.Is(err, targets.ErrRejected) {
		t.Errorf("the AWS imitation took two e-mails: %v", err)
	}
	one := targets.Account{UserName: "one", Active: true, Attrs: targets.AttrsOf(map[string]string{"emails.work": "w@example.test"})}
	if _, err := c.Create(t.Context(), one); err != nil {
		t.Errorf("Create with one e-mail: %v", err)
	}
}
