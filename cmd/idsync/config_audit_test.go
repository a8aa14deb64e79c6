package main

import (
	"strings"
	"testing"
	"time"
)

func TestValidateAudit(t *testing.T) {
	for _, c := range []struct {
		retention, mode string
		want            string // "" valid
		age             time.Duration
	}{
		{"", "", "", 0},
		{"730d", "anonymise", "", 730 * 24 * time.Hour},
		{"17520h", "delete", "", 730 * 24 * time.Hour},
		{"2 years", "", `audit.retention: "2 years" is not an age`, 0},
		{"1h", "", "audit.retention: 1h is less than a day", 0},
		{"", "shred", `audit.retention_mode: must be "delete" or "anonymise", got "shred"`, 0},
	} {
		cfg := &Config{Audit: AuditConfig{Retention: c.retention, RetentionMode: c.mode}}
		errs := cfg.validateAudit()
		var got []string
		for _, e := range errs {
			got = append(got, e.key+": "+e.err.Error())
		}
		switch {
		case c.want == "" && len(errs) > 0:
			t.Errorf("%q %q: %v", c.retention, c.mode, got)
		case c.want != "" && (len(errs) != 1 || !strings.HasPrefix(got[0], c.want)):
			t.Errorf("%q %q: %v, want %q", c.retention, c.mode, got, c.want)
		case c.want == "" && cfg.Audit.retention != c.age:
			t.Errorf("%q: retention %s, want %s", c.retention, cfg.Audit.retention, c.age)
		}
	}
}
