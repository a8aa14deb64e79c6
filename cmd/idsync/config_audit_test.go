package main

import (
	"context"
	"errors"
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

func TestOnceEvery(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	calls := 0
	fail := errors.New("busy")
	var result error
	f := onceEvery(time.Hour, func() time.Time { return now }, func(context.Context) error {
		calls++
		return result
	})
	ctx := context.Background()
	for _, step := range []struct {
		after time.Duration
		err   error
		want  int
	}{
		{0, nil, 1},                 // the first call runs
		{time.Minute, nil, 1},       // too soon
		{59 * time.Minute, fail, 2}, // an hour after the last: runs, fails
		{time.Second, nil, 3},       // a failure does not count as a run
		{30 * time.Minute, nil, 3},
	} {
		now = now.Add(step.after)
		result = step.err
		if err := f(ctx); !errors.Is(err, step.err) {
			t.Errorf("+%s: err %v, want %v", step.after, err, step.err)
		}
		if calls != step.want {
			t.Errorf("+%s: %d calls, want %d", step.after, calls, step.want)
		}
	}
}
