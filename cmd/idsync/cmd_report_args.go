package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// nowFunc is the clock of the reports (a variable for the golden tests).
var nowFunc = time.Now

// dateLayouts are the forms a DATE argument may take; without a zone it is
// UTC.
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"}

// parseDate parses a DATE flag (required).
func parseDate(flagName, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%s DATE is required (2006-01-02 or RFC 3339, e.g. 2026-03-01T09:00:00Z)", flagName)
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q: not a date (2006-01-02 or RFC 3339, e.g. 2026-03-01T09:00:00Z)", flagName, s)
}

// parseDays parses a duration that may be given in days ("30d") as well
// as in Go's units ("36h", "90m").
func parseDays(flagName, s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s %q: not a duration (30d, 36h, 90m)", flagName, s)
	}
	return d, nil
}

// parseAge parses an age (a duration before now) or a date.
func parseAge(flagName, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%s is required: an age (730d, 8760h) or a date (2006-01-02)", flagName)
	}
	if d, err := parseDays(flagName, s); err == nil {
		return now.Add(-d), nil
	}
	return parseDate(flagName, s)
}

// parseWithArg parses args with one positional argument, named what,
// before or after the flags.
func parseWithArg(fs *flag.FlagSet, args []string, what string) (string, error) {
	var arg string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		arg, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return "", errHelp
		}
		return "", errUsage
	}
	rest := fs.Args()
	if arg == "" && len(rest) > 0 {
		arg, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", rest[0])
		return "", errUsage
	}
	if arg == "" {
		fmt.Fprintf(fs.Output(), "missing %s\n", what)
		fs.Usage()
		return "", errUsage
	}
	return arg, nil
}
