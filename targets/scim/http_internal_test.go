package scim

import (
	"strings"
	"testing"
)

func TestErrorDetail(t *testing.T) {
	const token = "s3cret-t0ken"
	tests := []struct {
		name, body, detail, scimType string
	}{
		{"scim error", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"userName taken"}`,
			"userName taken", "uniqueness"},
		{"numeric status", `{"status":400,"detail":"bad"}`, "bad", ""},
		{"token removed", `{"detail":"token ` + token + ` is invalid"}`, "token [redacted] is invalid", ""},
		{"plain text body", "<html>\n  Bad   Gateway\n</html>", "<html> Bad Gateway </html>", ""},
		{"other json", `{"error":"x"}`, "", ""},
		{"long detail truncated", `{"detail":"` + strings.Repeat("é", 300) + `"}`, strings.Repeat("é", 100) + "…", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, st := errorDetail([]byte(tt.body), token)
			if d != tt.detail || st != tt.scimType {
				t.Errorf("errorDetail = %q, %q; want %q, %q", d, st, tt.detail, tt.scimType)
			}
		})
	}
}

func TestChunk(t *testing.T) {
	var got [][2]int
	_ = chunk(250, 100, func(lo, hi int) error { got = append(got, [2]int{lo, hi}); return nil })
	if want := [][2]int{{0, 100}, {100, 200}, {200, 250}}; len(got) != 3 || got[0] != want[0] || got[2] != want[2] {
		t.Errorf("chunk(250, 100) = %v", got)
	}
	n := 0
	_ = chunk(0, 100, func(int, int) error { n++; return nil })
	if n != 0 {
		t.Errorf("chunk(0) called fn %d times", n)
	}
}

func TestWithDefaults(t *testing.T) {
	s := Config{URL: "https://x/scim/v2/"}.withDefaults()
	if s.URL != "https://x/scim/v2" || s.Timeout.Duration != DefaultTimeout || s.rateLimit != DefaultRateLimit || s.burst != 10 ||
		s.PageSize != DefaultPageSize || s.maxRetries != DefaultMaxRetries || s.UpdateMethod != UpdatePatch ||
		s.MaxMembersPerPatch != DefaultMaxMembersPerPatch || !s.enterprise || s.RetryMinWait.Duration != DefaultRetryMinWait ||
		s.RetryMaxWait.Duration != DefaultRetryMaxWait || s.RetryMaxTotalWait.Duration != DefaultRetryMaxTotalWait || s.excluded != "meta,groups" {
		t.Errorf("defaults: %+v", s)
	}
	zero, no := 0.0, false
	retries := 0
	s = Config{RateLimit: &zero, MaxRetries: &retries, EnterpriseExtension: &no, Burst: 3, ExcludedAttributes: &[]string{}}.withDefaults()
	if s.rateLimit != 0 || s.maxRetries != 0 || s.enterprise || s.burst != 3 || s.excluded != "" {
		t.Errorf("explicit zero values lost: %+v", s)
	}
	half := 0.5
	if s := (Config{RateLimit: &half}).withDefaults(); s.burst != 1 {
		t.Errorf("burst for rate 0.5 = %d, want 1", s.burst)
	}
}
