package mapping

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDNHelpers(t *testing.T) {
	tests := []struct {
		dn, rdn, parent, ou, dc string
	}{
		{"uid=jdoe,ou=people,dc=example,dc=org", "jdoe", "ou=people,dc=example,dc=org", "people", "example"},
		{"CN=Doe\\, Jane,OU=Sales, OU=Staff,DC=example,DC=org", "Doe, Jane", "OU=Sales, OU=Staff,DC=example,DC=org", "Sales", "example"},
		{"cn=Jane\\2C Doe+uid=jd,ou=p", "Jane, Doe", "ou=p", "p", ""},
		{"dc=org", "org", "", "", "org"},
		{"", "", "", "", ""},
		{"weird", "weird", "", "", ""},
		{`cn=back\\slash,ou=x`, `back\slash`, "ou=x", "x", ""},
		{`cn=trailing\`, `trailing\`, "", "", ""},
	}
	for _, tt := range tests {
		if got := rdnValue(tt.dn); got != tt.rdn {
			t.Errorf("rdnValue(%q) = %q, want %q", tt.dn, got, tt.rdn)
		}
		if got := parentDN(tt.dn); got != tt.parent {
			t.Errorf("parentDN(%q) = %q, want %q", tt.dn, got, tt.parent)
		}
		if got := dnValue(tt.dn, "OU"); got != tt.ou {
			t.Errorf("dnValue(%q, OU) = %q, want %q", tt.dn, got, tt.ou)
		}
		if got := dnValue(tt.dn, "dc"); got != tt.dc {
			t.Errorf("dnValue(%q, dc) = %q, want %q", tt.dn, got, tt.dc)
		}
	}
	if got := dnValue("cn=Jane\\2C Doe+uid=jd,ou=p", "uid"); got != "jd" {
		t.Errorf("dnValue multi-valued RDN = %q, want jd", got)
	}
}

func TestBitSet(t *testing.T) {
	tests := []struct {
		s    string
		mask int
		want bool
		err  bool
	}{
		{"514", 0x2, true, false},   // NORMAL_ACCOUNT | ACCOUNTDISABLE
		{"512", 0x2, false, false},  // NORMAL_ACCOUNT
		{"66050", 0x2, true, false}, // + DONT_EXPIRE_PASSWORD, disabled
		{"66048", 0x2, false, false},
		{"546", 0x2, true, false}, // + PASSWD_NOTREQD, disabled (Samba ldapadd default)
		{"", 0x2, false, false},
		{" 2 ", 0x2, true, false},
		{"abc", 0x2, false, true},
		{"0x2", 0x2, false, true},
	}
	for _, tt := range tests {
		got, err := bitSet(tt.s, tt.mask)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("bitSet(%q, %#x) = %v, %v; want %v, error %v", tt.s, tt.mask, got, err, tt.want, tt.err)
		}
	}
}

func TestADExpired(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	// FILETIME of 2025-06-01T12:00:00Z: 100 ns intervals since 1601.
	at := func(t time.Time) string {
		return strconv.FormatInt(t.Unix()*1e7+fileTimeEpoch, 10)
	}
	tests := []struct {
		s    string
		want bool
		err  bool
	}{
		{"", false, false},
		{"0", false, false},
		{"9223372036854775807", false, false},
		{at(now), true, false},
		{at(now.Add(-time.Hour)), true, false},
		{at(now.Add(time.Hour)), false, false},
		{"1", true, false},                    // 1601
		{"9223372036854775806", false, false}, // year 30828
		{"-1", false, true},
		{"never", false, true},
	}
	for _, tt := range tests {
		got, err := adExpired(tt.s, now)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("adExpired(%q) = %v, %v; want %v, error %v", tt.s, got, err, tt.want, tt.err)
		}
	}
}

func TestADTime(t *testing.T) {
	tests := []struct {
		s    string
		want string // RFC 3339, "" for the zero time
		err  bool
	}{
		{"", "", false},
		{" 0 ", "", false},
		{"9223372036854775807", "", false},
		{"116444736000000000", "1970-01-01T00:00:00Z", false},
		{"133900000000000000", "2025-04-24T20:26:40Z", false},
		{"132249024000000000", "2020-01-31T00:00:00Z", false},
		{"1", "1601-01-01T00:00:00.0000001Z", false},
		{"9223372036854775806", "30828-09-14T02:48:05.4775806Z", false},
		{"-1", "", true},
		{"0x10", "", true},
		{"never", "", true},
	}
	for _, tt := range tests {
		got, err := adTime(tt.s)
		if (err != nil) != tt.err {
			t.Errorf("adTime(%q): error %v, want error %v", tt.s, err, tt.err)
			continue
		}
		s := ""
		if !got.IsZero() {
			s = got.Format(time.RFC3339Nano)
		}
		if s != tt.want {
			t.Errorf("adTime(%q) = %s, want %s", tt.s, s, tt.want)
		}
	}
}

func TestGeneralizedTime(t *testing.T) {
	tests := []struct {
		s    string
		want string // RFC 3339, "" for the zero time
		err  bool
	}{
		{"20240131120000Z", "2024-01-31T12:00:00Z", false},
		{"20240131120000.5Z", "2024-01-31T12:00:00.5Z", false},
		{"20240131120000,25Z", "2024-01-31T12:00:00.25Z", false},
		{"20240131120000+0100", "2024-01-31T11:00:00Z", false},
		{"20240131120000.0-05", "2024-01-31T17:00:00Z", false},
		{"202401311200Z", "2024-01-31T12:00:00Z", false},
		{"2024013112Z", "2024-01-31T12:00:00Z", false},
		{"", "", false},
		{"20240131120000", "", true}, // no time zone
		{"2024-01-31", "", true},
		{"20241331120000Z", "", true},
		{"20240131120000.Z", "", true},
		{"202401311200.5Z", "", true},
	}
	for _, tt := range tests {
		got, err := generalizedTime(tt.s)
		if (err != nil) != tt.err {
			t.Errorf("generalizedTime(%q) error = %v, want error %v", tt.s, err, tt.err)
			continue
		}
		s := ""
		if !got.IsZero() {
			s = got.Format(time.RFC3339Nano)
		}
		if !tt.err && s != tt.want {
			t.Errorf("generalizedTime(%q) = %s, want %s", tt.s, s, tt.want)
		}
	}
}

// FuzzADTime: adTime never panics, and a time it returns converts back to
// the FILETIME it came from.
func FuzzADTime(f *testing.F) {
	for _, s := range []string{"", "0", "9223372036854775807", "132249024000000000", "-1", " 1 ", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := adTime(s)
		if err != nil || tm.IsZero() {
			return
		}
		back := tm.Unix()*1e7 + int64(tm.Nanosecond()/100) + fileTimeEpoch
		if n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64); n != back {
			t.Errorf("adTime(%q) = %s, which is FILETIME %d", s, tm, back)
		}
	})
}
