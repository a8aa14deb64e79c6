package mapping

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	for in, want := range map[string]time.Time{
		"":                     {},
		"2026-03-10":           time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC),
		"2026-03-10T08:00:00Z": time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC),
		"20260310080000Z":      time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC),
	} {
		if got, err := ParseDate(in); err != nil || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseDate("10/03/2026"); err == nil {
		t.Error("a date in another form was accepted")
	}
}

// FuzzParseDate: a date from the directory is parsed or refused, never a
// panic.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-03-10", "20260310080000Z", "2026-03-10T08:00:00+02:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDate(s); err == nil && d.Location() != time.UTC && !d.IsZero() {
			t.Errorf("ParseDate(%q) = %v, not in UTC", s, d)
		}
	})
}
