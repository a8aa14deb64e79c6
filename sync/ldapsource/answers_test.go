package ldapsource

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/internal/duration"
	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/mapping"
)

func fakeConfig(url string) Config {
	return Config{
		URL: url, BindDN: "cn=reader,dc=x", BindPassword: secret.Ref{Env: "IDSYNC_FAKE_PW"},
		Timeout: duration.Of(5 * time.Second), PageSize: 2,
		Users:  UserSearch{BaseDN: "ou=people,dc=x"},
		Groups: GroupSearch{BaseDN: "ou=groups,dc=x"},
	}
}

func fakeRead(t *testing.T, cfg Config) ([]mapping.Entry, error) {
	t.Helper()
	t.Setenv("IDSYNC_FAKE_PW", "pw")
	return readAll(t, cfg)
}

func member(i int) string { return fmt.Sprintf("uid=m%d,ou=people,dc=x", i) }

// TestRangeRetrievalEndToEnd: a group's members arrive as
// member;range=0-2, then 3-5, then 6-*, the way Active Directory sends
// groups larger than MaxValRange; people come in two pages.
func TestRangeRetrievalEndToEnd(t *testing.T) {
	var requests []string
	url := startFake(t, func(r fakeRequest) [][]byte {
		base, attrs, cookie := r.search()
		requests = append(requests, base+" "+strings.Join(attrs, ","))
		switch {
		case base == "ou=groups,dc=x":
			return [][]byte{
				entryMsg(r.id, "CN=Big,ou=groups,dc=x", attr{"cn", []string{"Big"}},
					attr{"member;range=0-2", []string{member(0), member(1), member(2)}}),
				done(r.id, nil),
			}
		case base == "CN=Big,ou=groups,dc=x" && attrs[0] == "member;range=3-*":
			return [][]byte{entryMsg(r.id, base, attr{"member;range=3-5", []string{member(3), member(4), member(5)}}), done(r.id, nil)}
		case base == "CN=Big,ou=groups,dc=x" && attrs[0] == "member;range=6-*":
			return [][]byte{entryMsg(r.id, base, attr{"member;range=6-*", []string{member(6)}}), done(r.id, nil)}
		case base == "ou=people,dc=x" && len(cookie) == 0:
			return [][]byte{
				entryMsg(r.id, member(0), attr{"entryUUID", []string{"u0"}}),
				entryMsg(r.id, member(4), attr{"entryUUID", []string{"u4"}}),
				done(r.id, []byte("next")),
			}
		case base == "ou=people,dc=x" && string(cookie) == "next":
			return [][]byte{entryMsg(r.id, member(6), attr{"entryUUID", []string{"u6"}}), entryMsg(r.id, member(9), attr{"entryUUID", []string{"u9"}}), done(r.id, nil)}
		}
		t.Errorf("unexpected request %s %v %q", base, attrs, cookie)
		return [][]byte{result(r.id, ldap.ApplicationSearchResultDone, ldap.LDAPResultOperationsError, "unexpected", nil)}
	})
	got, err := fakeRead(t, fakeConfig(url))
	if err != nil {
		t.Fatal(err)
	}
	var summary []string
	for _, e := range got {
		summary = append(summary, fmt.Sprintf("%s:%d", e.ID, len(e.Groups)))
	}
	if want := []string{"u0:1", "u4:1", "u6:1", "u9:0"}; !reflect.DeepEqual(summary, want) {
		t.Errorf("users:groups = %v, want %v\nrequests %q", summary, want, requests)
	}
	if len(got) > 0 && (len(got[0].Groups) != 1 || got[0].Groups[0].Name != "Big") {
		t.Errorf("groups of m0: %+v", got[0].Groups)
	}
}

// TestReadServerAnswers covers answers slapd does not give.
func TestReadServerAnswers(t *testing.T) {
	users := func(answer func(id int64) [][]byte) func(fakeRequest) [][]byte {
		return func(r fakeRequest) [][]byte {
			if base, _, _ := r.search(); base == "ou=groups,dc=x" {
				return [][]byte{done(r.id, nil)}
			}
			return answer(r.id)
		}
	}
	user := func(id int64) []byte { return entryMsg(id, "uid=a,ou=people,dc=x", attr{"entryUUID", []string{"a"}}) }
	tests := []struct {
		name   string
		answer func(id int64) [][]byte
		want   string
		code   uint16
	}{
		{"referral result", func(id int64) [][]byte {
			return [][]byte{result(id, ldap.ApplicationSearchResultDone, ldap.LDAPResultReferral, "", nil, "ldap://other/ou=people,dc=x")}
		}, "server returned a referral to ldap://other/ou=people,dc=x: the base DN is in a naming context", ldap.LDAPResultReferral},
		{"continuation reference", func(id int64) [][]byte {
			return [][]byte{user(id), referenceMsg(id, "ldap://child.x/dc=child,dc=x"), done(id, nil)}
		}, "server returned a continuation reference to ldap://child.x/dc=child,dc=x", 0},
		{"time limit", func(id int64) [][]byte {
			return [][]byte{user(id), result(id, ldap.ApplicationSearchResultDone, ldap.LDAPResultTimeLimitExceeded, "too slow", nil)}
		}, `LDAP Result Code 3 "Time Limit Exceeded": too slow`, ldap.LDAPResultTimeLimitExceeded},
		// go-ldap drops what it cannot match to a request (a notice of
		// disconnection, a wrong message ID): the page then fails at the
		// timeout. A message of the search with an unknown operation fails
		// it at once.
		{"notice of disconnection", func(id int64) [][]byte {
			return [][]byte{user(id), result(0, ldap.ApplicationExtendedResponse, ldap.LDAPResultUnavailable, "shutting down", nil)}
		}, "connection timed out", 0},
		{"wrong message ID", func(id int64) [][]byte { return [][]byte{user(id + 7)} }, "connection timed out", 0},
		{"malformed entry", func(id int64) [][]byte {
			return [][]byte{envelope(id, ldap.NewControlPaging(1).Encode())}
		}, "unknown tag: 16", 0},
		{"garbage", func(id int64) [][]byte { return [][]byte{[]byte("\x30\x03\x02\x01"), nil} }, "unable to read LDAP response packet", 0},
		{"bad length", func(id int64) [][]byte { return [][]byte{[]byte("\x30\x80\x02\x01"), nil} }, "unable to read LDAP response packet", 0},
		{"huge length", func(id int64) [][]byte { return [][]byte{[]byte("\x30\x84\x7f\xff\xff\xff\x02\x01"), nil} },
			"unable to read LDAP response packet", 0},
		{"closed mid-page", func(id int64) [][]byte { return [][]byte{user(id), {0x30, 0x84}, nil} }, "unable to read LDAP response packet", 0},
	}
	t.Setenv("IDSYNC_FAKE_PW", "pw")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := startFake(t, users(tt.answer))
			cfg := fakeConfig(url)
			cfg.Timeout = duration.Of(time.Second)
			_, err := readAll(t, cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), `ldap: search users under "ou=people,dc=x": page 1: `) {
				t.Errorf("err = %v, want the search named", err)
			}
			if tt.code != 0 && !ldap.IsErrorWithCode(err, tt.code) {
				t.Errorf("err = %v, want result code %d", err, tt.code)
			}
		})
	}
}

// TestFnErrorStopsRead: an error from fn is returned as it is.
func TestFnErrorStopsRead(t *testing.T) {
	url := startFake(t, func(r fakeRequest) [][]byte {
		return [][]byte{entryMsg(r.id, "uid=a,ou=people,dc=x", attr{"entryUUID", []string{"a"}}), done(r.id, []byte("more"))}
	})
	cfg := fakeConfig(url)
	cfg.Groups.BaseDN = ""
	t.Setenv("IDSYNC_FAKE_PW", "pw")
	stop := errors.New("stop")
	calls := 0
	err := newTestSource(t, cfg).Read(context.Background(), func(mapping.Entry) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("err = %v after %d calls, want stop after 1", err, calls)
	}
}

// TestEntriesHandedOnAsTheyArrive: an entry reaches fn before its page
// ends (here the page never does: the read then fails at the timeout).
func TestEntriesHandedOnAsTheyArrive(t *testing.T) {
	url := startFake(t, func(r fakeRequest) [][]byte {
		return [][]byte{entryMsg(r.id, "uid=a,ou=people,dc=x", attr{"entryUUID", []string{"a"}})}
	})
	cfg := fakeConfig(url)
	cfg.Groups.BaseDN = ""
	cfg.Timeout = duration.Of(time.Second)
	t.Setenv("IDSYNC_FAKE_PW", "pw")
	var seen []string
	err := newTestSource(t, cfg).Read(context.Background(), func(e mapping.Entry) error {
		seen = append(seen, e.ID)
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("err = %v, want the page timed out", err)
	}
	if !reflect.DeepEqual(seen, []string{"a"}) {
		t.Errorf("fn saw %v before the page ended, want [a]", seen)
	}
}

// TestRangedEntryMidPage: an entry with a ranged attribute in the middle
// of a page is completed once the page ends, and the entries after it are
// handed on after it, in the page's order.
func TestRangedEntryMidPage(t *testing.T) {
	url := startFake(t, func(r fakeRequest) [][]byte {
		base, attrs, _ := r.search()
		switch {
		case base == "ou=people,dc=x":
			return [][]byte{
				entryMsg(r.id, "uid=a,ou=people,dc=x", attr{"entryUUID", []string{"a"}}),
				entryMsg(r.id, "uid=b,ou=people,dc=x", attr{"entryUUID", []string{"b"}}, attr{"description;range=0-0", []string{"one"}}),
				entryMsg(r.id, "uid=c,ou=people,dc=x", attr{"entryUUID", []string{"c"}}),
				done(r.id, nil),
			}
		case base == "uid=b,ou=people,dc=x" && len(attrs) == 1 && attrs[0] == "description;range=1-*":
			return [][]byte{entryMsg(r.id, base, attr{"description;range=1-*", []string{"two"}}), done(r.id, nil)}
		}
		t.Errorf("unexpected request %s %v", base, attrs)
		return [][]byte{result(r.id, ldap.ApplicationSearchResultDone, ldap.LDAPResultOperationsError, "unexpected", nil)}
	})
	cfg := fakeConfig(url)
	cfg.Groups.BaseDN = ""
	got, err := fakeRead(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	if !reflect.DeepEqual(ids, []string{"a", "b", "c"}) {
		t.Fatalf("entries %v, want [a b c]", ids)
	}
	if d := got[1].Values("description"); !reflect.DeepEqual(d, []string{"one", "two"}) {
		t.Errorf("b's description = %q, want [one two]", d)
	}
}
