package mapping

import (
	"strings"
	"testing"
	"time"
)

// TestCompileTargetDates: a target's start_date and end_date replace the
// global rules for it alone (an empty one inherits), the rule keys name the
// target, and a bad target date rule is reported under its target key.
func TestCompileTargetDates(t *testing.T) {
	global := targetGlobal()
	global.EndDate = `attr("contractEnd")`
	e := testEntry(jdoeDN, map[string][]string{"uid": {"jdoe"}, "contractEnd": {"2026-12-31"},
		"appEnd": {"2026-12-10"}, "appStart": {"2026-12-20"}})
	now := time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		rules      TargetRules
		start, end string
		disabled   bool
		endKey     string
	}{
		{name: "inherits", rules: TargetRules{Name: "slack"}, end: "2026-12-31", endKey: "mapping.end_date"},
		{name: "end date of its own", rules: TargetRules{Name: "gh", EndDate: `attr("appEnd")`},
			end: "2026-12-10", disabled: true, endKey: "target.gh.mapping.end_date"},
		{name: "start date of its own, end inherited", rules: TargetRules{Name: "exp", StartDate: `attr("appStart")`, EndDate: " "},
			start: "2026-12-20", end: "2026-12-31", disabled: true, endKey: "mapping.end_date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileTarget(global, tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			p, err := m.Map(e, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := dayOf(p.StartDate); got != tt.start {
				t.Errorf("start = %q, want %q", got, tt.start)
			}
			if got := dayOf(p.EndDate); got != tt.end {
				t.Errorf("end = %q, want %q", got, tt.end)
			}
			if p.Disabled != tt.disabled {
				t.Errorf("disabled = %v, want %v", p.Disabled, tt.disabled)
			}
			if got := m.RuleKey("end_date"); got != tt.endKey {
				t.Errorf("RuleKey(end_date) = %q, want %q", got, tt.endKey)
			}
		})
	}
	_, err := CompileTarget(global, TargetRules{Name: "gh", StartDate: `attr("appStart"`, EndDate: `attrr("x")`})
	for _, key := range []string{"mapping.start_date: ", "mapping.end_date: "} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("err = %v, want a problem under %s", err, key)
		}
	}
}

func dayOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}
