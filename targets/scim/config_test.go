package scim_test

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/idsync/idsync/internal/duration"
	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/targets/scim"
)

func TestConfigDecodeTOML(t *testing.T) {
	const doc = `
url = "https://api.example.com/scim/v2"
token = { file = "/etc/idsync/scim.token" }
ca_file = "/etc/idsync/ca.pem"
timeout = "45s"
rate_limit = 0
burst = 4
page_size = 200
max_retries = 0
retry_min_wait = "500ms"
retry_max_wait = "1m"
retry_max_total_wait = "5m"
update_method = "put"
max_members_per_patch = 50
enterprise_extension = false
excluded_attributes = ["meta", "groups", "x509Certificates"]
`
	var c scim.Config
	md, err := toml.Decode(doc, &c)
	if err != nil {
		t.Fatal(err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Fatalf("undecoded keys: %v", u)
	}
	want := scim.Config{
		URL: "https://api.example.com/scim/v2", Token: secret.Ref{File: "/etc/idsync/scim.token"}, CAFile: "/etc/idsync/ca.pem",
		Timeout: duration.Of(45 * time.Second), RateLimit: ptr(0.0), Burst: 4, PageSize: 200, MaxRetries: ptr(0),
		RetryMinWait: duration.Of(500 * time.Millisecond), RetryMaxWait: duration.Of(time.Minute),
		RetryMaxTotalWait: duration.Of(5 * time.Minute), UpdateMethod: "put",
		MaxMembersPerPatch: 50, EnterpriseExtension: ptr(false),
		ExcludedAttributes: &[]string{"meta", "groups", "x509Certificates"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("decoded %+v\nwant    %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := func() scim.Config {
		return scim.Config{URL: "https://api.example.com/scim/v2", Token: secret.Ref{Env: "SCIM_TOKEN"}}
	}
	// Attributes idsync reads, attributes containing them and parts of
	// them, in any case, bare or qualified with their schema URN.
	read := []string{"id", "userName", "EXTERNALID", "active", "displayName", "name", "name.givenName",
		"emails", "emails.value", "phoneNumbers.type", "urn:ietf:params:scim:schemas:core:2.0:User",
		"urn:ietf:params:scim:schemas:core:2.0:User:userName", enterpriseURN, enterpriseURN + ":department"}
	tests := []struct {
		name   string
		modify func(c *scim.Config)
		want   []string // one line per problem, exactly
	}{
		{"minimal", func(*scim.Config) {}, nil},
		{"http on loopback", func(c *scim.Config) { c.URL = "http://127.0.0.1:8080/scim/v2" }, nil},
		{"http on localhost", func(c *scim.Config) { c.URL = "http://localhost/scim" }, nil},
		{"http on ::1", func(c *scim.Config) { c.URL = "http://[::1]:9/scim" }, nil},
		{"http allowed", func(c *scim.Config) { c.URL = "http://scim.internal/v2"; c.AllowInsecureHTTP = true }, nil},
		{"empty", func(c *scim.Config) { *c = scim.Config{} }, []string{"url: required", "token: set file or env"}},
		{"http elsewhere", func(c *scim.Config) { c.URL = "http://scim.example.com/v2" },
			[]string{`url: must use https (or set allow_insecure_http = true), got "http://scim.example.com/v2"`}},
		{"relative url", func(c *scim.Config) { c.URL = "/scim/v2" }, []string{`url: must be an absolute http(s) URL, got "/scim/v2"`}},
		{"ftp", func(c *scim.Config) { c.URL = "ftp://x/scim" }, []string{`url: must be an absolute http(s) URL, got "ftp://x/scim"`}},
		{"credentials in url", func(c *scim.Config) { c.URL = "https://u:p@x/scim" }, []string{"url: must not contain credentials; use token"}},
		{"query", func(c *scim.Config) { c.URL = "https://x/scim?a=1" }, []string{`url: must not have a query or fragment, got "https://x/scim?a=1"`}},
		{"both token sources", func(c *scim.Config) { c.Token.File = "/t" }, []string{"token: set either file or env, not both"}},
		{"no exclusions", func(c *scim.Config) { c.ExcludedAttributes = &[]string{} }, nil},
		{"concurrency", func(c *scim.Config) { c.Concurrency = 64; c.Tenant = "acme" }, nil},
		{"concurrency too high", func(c *scim.Config) { c.Concurrency = 65 }, []string{"concurrency: must be between 1 and 64, got 65"}},
		{"concurrency negative", func(c *scim.Config) { c.Concurrency = -1 }, []string{"concurrency: must be between 1 and 64, got -1"}},
		{"exclusions idsync does not read", func(c *scim.Config) {
			c.ExcludedAttributes = &[]string{"meta", "GROUPS", "x509Certificates", "emails.display", "emails.primary",
				"urn:ietf:params:scim:schemas:core:2.0:User:meta", "urn:example:ext:1.0:User"}
		}, nil},
		{"malformed exclusions", func(c *scim.Config) {
			c.ExcludedAttributes = &[]string{"", "meta,groups", "display name", `emails[type eq "work"]`}
		}, []string{
			`excluded_attributes: must be SCIM attribute names or URN-qualified paths (letters, digits, "_", "-", ".", ":"), got ""`,
			`excluded_attributes: must be SCIM attribute names or URN-qualified paths (letters, digits, "_", "-", ".", ":"), got "meta,groups"`,
			`excluded_attributes: must be SCIM attribute names or URN-qualified paths (letters, digits, "_", "-", ".", ":"), got "display name"`,
			`excluded_attributes: must be SCIM attribute names or URN-qualified paths (letters, digits, "_", "-", ".", ":"), got "emails[type eq \"work\"]"`,
		}},
		{"exclusions idsync reads", func(c *scim.Config) { c.ExcludedAttributes = &read }, readRefusals(read...)},
		{"rate limit not a number", func(c *scim.Config) { c.RateLimit = ptr(math.Inf(1)) },
			[]string{"rate_limit: must be a finite number of requests per second, 0 or more (0: no limit), got +Inf"}},
		{"total wait below one wait", func(c *scim.Config) {
			c.RetryMaxWait = duration.Of(time.Minute)
			c.RetryMaxTotalWait = duration.Of(time.Second)
		}, []string{"retry_max_total_wait: must be at least retry_max_wait (1m0s), got 1s"}},
		{"enterprise extension off", func(c *scim.Config) {
			c.EnterpriseExtension = ptr(false)
			c.ExcludedAttributes = &[]string{enterpriseURN, enterpriseURN + ":department", "displayName"}
		}, readRefusals("displayName")},
		{"everything wrong", func(c *scim.Config) {
			c.Timeout = duration.Of(-time.Second)
			c.RateLimit = ptr(-1.0)
			c.Burst = -1
			c.PageSize = 5000
			c.MaxRetries = ptr(-2)
			c.RetryMinWait = duration.Of(time.Minute)
			c.RetryMaxWait = duration.Of(time.Second)
			c.RetryMaxTotalWait = duration.Of(-time.Second)
			c.UpdateMethod = "post"
			c.MaxMembersPerPatch = -1
		}, []string{
			"timeout: must not be negative, got -1s",
			"rate_limit: must be a finite number of requests per second, 0 or more (0: no limit), got -1",
			"burst: must not be negative, got -1",
			"page_size: must be between 1 and 1000, got 5000",
			"max_retries: must not be negative, got -2",
			"retry_max_total_wait: must not be negative, got -1s",
			"retry_min_wait: must not exceed retry_max_wait (1s), got 1m0s",
			`update_method: must be "patch" or "put", got "post"`,
			"max_members_per_patch: must not be negative, got -1",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok()
			tt.modify(&c)
			err := c.Validate()
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate() =\n  %q\nwant\n  %q", got, tt.want)
			}
		})
	}
}

const enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// readRefusals is Validate's message for each excluded attribute that
// idsync reads.
func readRefusals(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("excluded_attributes: must not name an attribute idsync reads (every account would look changed), got %q", n)
	}
	return out
}

func TestNewLoadsTokenAndValidates(t *testing.T) {
	if _, err := scim.New(scim.Config{URL: "http://scim.example.com"}, nil); err == nil ||
		!strings.Contains(err.Error(), "url: must use https") || !strings.Contains(err.Error(), "token: set file or env") {
		t.Errorf("New with a bad config = %v", err)
	}
	t.Setenv("IDSYNC_TEST_SCIM_TOKEN", "")
	_, err := scim.New(scim.Config{URL: "https://x", Token: secret.Ref{Env: "IDSYNC_TEST_SCIM_TOKEN"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "IDSYNC_TEST_SCIM_TOKEN") {
		t.Errorf("New with an empty token variable = %v", err)
	}
	_, err = scim.New(scim.Config{URL: "https://x", Token: secret.Ref{Env: "PATH"}, CAFile: "/nonexistent/ca.pem"}, nil)
	if err == nil || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("New with a missing ca_file = %v", err)
	}
}

// TestConfigDurationsNeedUnit: a duration without a unit is refused, not
// read as nanoseconds.
func TestConfigDurationsNeedUnit(t *testing.T) {
	for _, key := range []string{"timeout", "retry_min_wait", "retry_max_wait", "retry_max_total_wait"} {
		var c scim.Config
		_, err := toml.Decode(key+" = 30", &c)
		if err == nil || !strings.Contains(err.Error(), "a duration needs a unit") {
			t.Errorf("%s = 30: %v, want a refusal", key, err)
		}
	}
}
