package sync

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/idsync/idsync/internal/duration"
)

// daemonExample is the [daemon] part of config.example.toml that the
// Engine owns.
const daemonExample = `
[daemon]
# Time zone of the cron specs (IANA name); empty: the machine's local time.
# A spec's own "CRON_TZ=Area/City " prefix wins.
time_zone = "Europe/Paris"
# How long a stop lets the run in flight finish and commit before it is
# cancelled.
stop_grace = "30s"

[[daemon.schedule]]
name = "nightly"
cron = "0 2 * * *"
mode = "full"

[[daemon.schedule]]
# For a source that cannot send change notifications.
name = "poll"
cron = "@every 5m"
mode = "incremental"

[[daemon.schedule]]
name = "weekly-plan"
cron = "0 7 * * MON"
mode = "full"
dry_run = true
`

func TestEngineConfigExampleDecodes(t *testing.T) {
	var file struct {
		Daemon EngineConfig `toml:"daemon"`
	}
	md, err := toml.Decode(daemonExample, &file)
	if err != nil {
		t.Fatal(err)
	}
	if u := md.Undecoded(); len(u) != 0 {
		t.Fatalf("undecoded keys: %v", u)
	}
	c := file.Daemon
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []ScheduleConfig{
		{Name: "nightly", Cron: "0 2 * * *", Mode: RunFull},
		{Name: "poll", Cron: "@every 5m", Mode: RunIncremental},
		{Name: "weekly-plan", Cron: "0 7 * * MON", Mode: RunFull, DryRun: true},
	}
	if c.TimeZone != "Europe/Paris" || c.grace() != 30*time.Second || !reflect.DeepEqual(c.Schedules, want) {
		t.Fatalf("decoded %+v", c)
	}
	if (EngineConfig{}).grace() != DefaultStopGrace {
		t.Fatal("no default grace")
	}
}

func TestEngineConfigValidate(t *testing.T) {
	ok := ScheduleConfig{Name: "nightly", Cron: "0 2 * * *", Mode: RunFull}
	tests := []struct {
		name string
		cfg  EngineConfig
		want []string // every line of the error, in order
	}{
		{"empty", EngineConfig{}, nil},
		{"valid", EngineConfig{TimeZone: "UTC", Schedules: []ScheduleConfig{ok}}, nil},
		{"tz prefix", EngineConfig{Schedules: []ScheduleConfig{{Name: "a", Cron: "CRON_TZ=Asia/Tokyo @daily", Mode: RunIncremental}}}, nil},
		{"time zone", EngineConfig{TimeZone: "Mars/Olympus"}, []string{`time_zone: unknown time zone "Mars/Olympus": unknown time zone Mars/Olympus`}},
		{"negative grace", EngineConfig{StopGrace: duration.Of(-time.Second)}, []string{"stop_grace: must be positive, got -1s"}},
		{"name", EngineConfig{Schedules: []ScheduleConfig{ok, {Cron: "@daily", Mode: RunFull}}}, []string{"schedule[1]: name: required"}},
		{"duplicate", EngineConfig{Schedules: []ScheduleConfig{ok, ok}}, []string{`schedule "nightly": name: used by another schedule`}},
		{"mode", EngineConfig{Schedules: []ScheduleConfig{{Name: "a", Cron: "@daily", Mode: "delta"}}},
			[]string{`schedule "a": mode: must be "full" or "incremental", got "delta"`}},
		{"no cron", EngineConfig{Schedules: []ScheduleConfig{{Name: "a", Mode: RunFull}}}, []string{`schedule "a": cron: required`}},
		{"fields", EngineConfig{Schedules: []ScheduleConfig{{Name: "a", Cron: "0 2 * *", Mode: RunFull}}},
			[]string{`schedule "a": cron: "0 2 * *": expected exactly 5 fields, found 4: [0 2 * *]`}},
		{"range", EngineConfig{Schedules: []ScheduleConfig{{Name: "a", Cron: "0 25 * * *", Mode: RunFull}}},
			[]string{`schedule "a": cron: "0 25 * * *": end of range (25) above maximum (23): 25`}},
		{"bad tz prefix", EngineConfig{Schedules: []ScheduleConfig{{Name: "a", Cron: "CRON_TZ=Nowhere/X @daily", Mode: RunFull}}},
			[]string{`schedule "a": cron: "CRON_TZ=Nowhere/X @daily": provided bad location Nowhere/X: unknown time zone Nowhere/X`}},
		{"parser panic", EngineConfig{Schedules: []ScheduleConfig{{Name: "a", Cron: "CRON_TZ=UTC", Mode: RunFull}}},
			[]string{`schedule "a": cron: "CRON_TZ=UTC": runtime error: slice bounds out of range [:-1]`}},
		{"all at once", EngineConfig{TimeZone: "Nowhere", Schedules: []ScheduleConfig{{Name: "a", Cron: "@often", Mode: "x"}}}, []string{
			`time_zone: unknown time zone "Nowhere": unknown time zone Nowhere`,
			`schedule "a": mode: must be "full" or "incremental", got "x"`,
			`schedule "a": cron: "@often": unrecognized descriptor: @often`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Validate() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func groups(reason string, dns ...string) Request {
	return Request{Kind: RunIncremental, Reason: reason, Groups: dns}
}

// TestPendingMerge: the broader request wins; IDs are unioned; reasons are
// listed once each.
func TestPendingMerge(t *testing.T) {
	poll := inc("poll")
	tests := []struct {
		name string
		reqs []Request
		want Request
	}{
		{"ids union", []Request{inc("w", "b", "a"), inc("w", "c", "a")}, inc("w", "a", "b", "c")},
		{"ids then poll", []Request{inc("w", "a"), poll}, Request{Kind: RunIncremental, Reason: "w, poll"}},
		{"poll then ids", []Request{poll, inc("w", "a")}, Request{Kind: RunIncremental, Reason: "poll, w"}},
		{"full then inc", []Request{full("nightly"), inc("w", "a")}, Request{Kind: RunFull, Reason: "nightly, w"}},
		{"inc then full", []Request{inc("w", "a"), full("nightly"), inc("w", "b")}, Request{Kind: RunFull, Reason: "w, nightly"}},
		{"full alone drops ids", []Request{{Kind: RunFull, Reason: "m", SourceIDs: []string{"a"}, Groups: []string{"g"}}}, full("m")},
		{"groups union", []Request{groups("w", "g2", "g1"), inc("w", "a"), groups("w", "g1", "g3")},
			Request{Kind: RunIncremental, Reason: "w", SourceIDs: []string{"a"}, Groups: []string{"g1", "g2", "g3"}}},
		{"groups then poll", []Request{groups("w", "g"), poll}, Request{Kind: RunIncremental, Reason: "w, poll"}},
		{"deleted union", []Request{
			{Kind: RunIncremental, Reason: "w", SourceIDs: []string{"a", "b"}, Deleted: []string{"b"}},
			{Kind: RunIncremental, Reason: "w", SourceIDs: []string{"c"}, Deleted: []string{"c"}}},
			Request{Kind: RunIncremental, Reason: "w", SourceIDs: []string{"a", "b", "c"}, Deleted: []string{"b", "c"}}},
		{"gone times: the earlier kept", []Request{
			{Kind: RunIncremental, Reason: "w", SourceIDs: []string{"a", "b"}, GoneAt: map[string]time.Time{"a": testStart.Add(2), "b": testStart.Add(1)}},
			{Kind: RunIncremental, Reason: "w", SourceIDs: []string{"a", "c"}, GoneAt: map[string]time.Time{"a": testStart.Add(1), "c": testStart.Add(3)}}},
			Request{Kind: RunIncremental, Reason: "w", SourceIDs: []string{"a", "b", "c"},
				GoneAt: map[string]time.Time{"a": testStart.Add(1), "b": testStart.Add(1), "c": testStart.Add(3)}}},
		{"full drops gone times", []Request{{Kind: RunIncremental, Reason: "w", SourceIDs: []string{"a"}, GoneAt: map[string]time.Time{"a": testStart}},
			full("nightly")}, Request{Kind: RunFull, Reason: "w, nightly"}},
		{"full drops deleted", []Request{{Kind: RunIncremental, Reason: "w", SourceIDs: []string{"a"}, Deleted: []string{"a"}},
			full("nightly")}, Request{Kind: RunFull, Reason: "w, nightly"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := make(chan error, 1)
			p := newPending(tt.reqs[0], res, testStart)
			for _, r := range tt.reqs[1:] {
				p.merge(r, make(chan error, 1))
			}
			if !reflect.DeepEqual(p.req, tt.want) {
				t.Fatalf("merged = %+v, want %+v", p.req, tt.want)
			}
			if len(p.waiters) != len(tt.reqs) {
				t.Fatalf("%d waiters for %d requests", len(p.waiters), len(tt.reqs))
			}
		})
	}
	// The caller's slice is not shared.
	ids := []string{"b", "a"}
	p := newPending(inc("w", ids...), make(chan error, 1), testStart)
	p.merge(inc("w", "c"), make(chan error, 1))
	if ids[0] != "b" || ids[1] != "a" {
		t.Fatalf("caller's IDs changed: %v", ids)
	}
}
