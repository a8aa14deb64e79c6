package sync

import (
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/idsync/idsync/internal/duration"
)

// DefaultStopGrace is how long a stopping Engine lets the run in flight
// finish when EngineConfig.StopGrace is not set.
const DefaultStopGrace = 30 * time.Second

// EngineConfig is the Engine's part of the [daemon] section: the time zone
// of the schedules, the stop grace period and the [[daemon.schedule]]
// tables.
type EngineConfig struct {
	// TimeZone is the IANA name ("Europe/Paris", "UTC") the cron specs are
	// read in; empty: the machine's local time. A spec's own CRON_TZ=
	// prefix wins over it.
	TimeZone string `toml:"time_zone"`
	// StopGrace is how long the run in flight may go on, and commit, after
	// a stop was asked; it is cancelled after that. Default 30s. A string
	// with a unit ("30s", "2m").
	StopGrace duration.Duration `toml:"stop_grace"`
	// Schedules are the runs started by the clock.
	Schedules []ScheduleConfig `toml:"schedule"`
}

// ScheduleConfig is one [[daemon.schedule]] table.
type ScheduleConfig struct {
	// Name identifies the schedule in logs and the status, and is the
	// Reason of the runs it starts. Required, unique.
	Name string `toml:"name"`
	// Cron is a standard five-field spec ("0 2 * * *"), a descriptor
	// ("@daily", "@every 5m") or either behind "CRON_TZ=Area/City ".
	Cron string `toml:"cron"`
	// Mode is "full" (a full reconciliation) or "incremental" (a poll for
	// what changed since the last run).
	Mode RunKind `toml:"mode"`
	// DryRun makes the scheduled runs plans only.
	DryRun bool `toml:"dry_run"`
}

// Validate reports every problem at once (errors.Join). Each message starts
// with its key relative to the [daemon] section and names the schedule
// (`schedule "nightly": cron: ...`).
func (c EngineConfig) Validate() error {
	_, _, err := c.compile()
	return err
}

// grace returns the stop grace period, with its default.
func (c EngineConfig) grace() time.Duration {
	if c.StopGrace.Duration == 0 {
		return DefaultStopGrace
	}
	return c.StopGrace.Duration
}

// compiled is a validated schedule with its parsed spec.
type compiled struct {
	cfg   ScheduleConfig
	sched cron.Schedule
}

// compile validates c and parses every spec.
func (c EngineConfig) compile() (*time.Location, []compiled, error) {
	var errs []error
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		errs = append(errs, fmt.Errorf("time_zone: unknown time zone %q: %w", c.TimeZone, err))
	}
	if c.StopGrace.Duration < 0 {
		errs = append(errs, fmt.Errorf("stop_grace: must be positive, got %s", c.StopGrace.Duration))
	}
	seen := make(map[string]bool, len(c.Schedules))
	out := make([]compiled, 0, len(c.Schedules))
	for i, s := range c.Schedules {
		key := fmt.Sprintf("schedule %q", s.Name)
		if s.Name == "" {
			key = fmt.Sprintf("schedule[%d]", i)
			errs = append(errs, fmt.Errorf("%s: name: required", key))
		} else if seen[s.Name] {
			errs = append(errs, fmt.Errorf("%s: name: used by another schedule", key))
		}
		seen[s.Name] = true
		if s.Mode != RunFull && s.Mode != RunIncremental {
			errs = append(errs, fmt.Errorf("%s: mode: must be %q or %q, got %q", key, RunFull, RunIncremental, s.Mode))
		}
		sched, err := parseSpec(s.Cron)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: cron: %w", key, err))
			continue
		}
		out = append(out, compiled{cfg: s, sched: sched})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return loc, out, nil
}

// parseSpec parses a standard cron spec, refusing an empty one and
// recovering from the parser's panics on some malformed time zones.
func parseSpec(spec string) (s cron.Schedule, err error) {
	if spec == "" {
		return nil, errors.New("required")
	}
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("%q: %v", spec, r)
		}
	}()
	s, err = cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", spec, err)
	}
	return s, nil
}
