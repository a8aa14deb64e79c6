// Package duration is the configuration file's duration type: a string with
// a unit ("30s", "5m", "1h30m"). A bare number is refused rather than read
// as nanoseconds, which is what time.Duration would make of `timeout = 30`.
package duration

import (
	"fmt"
	"time"
)

// Duration is a time.Duration decoded from a TOML string with a unit.
type Duration struct{ time.Duration }

// Of returns d as a Duration.
func Of(d time.Duration) Duration { return Duration{d} }

// UnmarshalTOML accepts a string that time.ParseDuration reads and refuses
// anything else, naming what was given.
func (d *Duration) UnmarshalTOML(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("a duration needs a unit, as a string like \"30s\" or \"5m\"; got %v", v)
	}
	parsed, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (use a unit, like \"30s\" or \"5m\")", s)
	}
	d.Duration = parsed
	return nil
}

// MarshalText writes d as time.Duration prints it, so that an encoded
// configuration decodes to the same value.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
