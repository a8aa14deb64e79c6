package scim

import "testing"

// TestProfileDefaultsAndOverrides: a profile fills what the configuration
// leaves unset, and every key set explicitly wins.
func TestProfileDefaultsAndOverrides(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	type want struct {
		page, members, burst, writeBurst int
		rate, writeRate                  float64
		update                           string
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want want
	}{
		{"plain", Config{}, want{100, 100, 10, 0, 10, 0, UpdatePatch}},
		{"slack", Config{Profile: ProfileSlack}, want{1000, 100, 20, 180, 20, 10, UpdatePatch}},
		{"slack overridden", Config{Profile: ProfileSlack, PageSize: 200, RateLimit: f(5), WriteRateLimit: f(2), UpdateMethod: UpdatePut},
			want{200, 100, 5, 2, 5, 2, UpdatePut}},
		{"slack burst", Config{Profile: ProfileSlack, Burst: 7, WriteBurst: 9}, want{1000, 100, 7, 9, 20, 10, UpdatePatch}},
		{"github", Config{Profile: ProfileGitHubEMU}, want{100, 100, 10, 20, 10, 1000.0 / 3600, UpdatePatch}},
		{"aws", Config{Profile: ProfileAWS, MaxMembersPerPatch: 50}, want{100, 50, 10, 0, 10, 0, UpdatePatch}},
		{"no write limit", Config{Profile: ProfileGitHubEMU, WriteRateLimit: f(0)}, want{100, 100, 10, 0, 10, 0, UpdatePatch}},
	} {
		s := tc.cfg.withDefaults()
		got := want{s.PageSize, s.MaxMembersPerPatch, s.burst, s.writeBurst, s.rateLimit, s.writeRate, s.UpdateMethod}
		if got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
