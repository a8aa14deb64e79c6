package state

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestWatchCookies(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.UnixMilli(1_700_000_000_123).UTC()
	check := func(s *Store, source string, want []byte, wantAt time.Time) {
		t.Helper()
		c, err := s.LoadWatchCookie(ctx, source)
		if err != nil {
			t.Fatalf("LoadWatchCookie(%q): %v", source, err)
		}
		if !bytes.Equal(c.Cookie, want) || !c.Updated.Equal(wantAt) {
			t.Errorf("LoadWatchCookie(%q) = %q at %v, want %q at %v", source, c.Cookie, c.Updated, want, wantAt)
		}
	}
	check(s, "ldap", nil, time.Time{}) // never saved: start from scratch
	binary := []byte("rid=000,csn=20261207040000.000000Z#000000#000#000000\x00\xff")
	if err := s.SaveWatchCookie(ctx, "ldap", binary, at); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveWatchCookie(ctx, "ad", []byte("other"), at); err != nil {
		t.Fatal(err)
	}
	check(s, "ldap", binary, at)
	later := at.Add(time.Minute)
	if err := s.SaveWatchCookie(ctx, "ldap", []byte("newer"), later); err != nil {
		t.Fatal(err)
	}
	check(s, "ldap", []byte("newer"), later)
	check(s, "ad", []byte("other"), at)

	// The cookie survives closing and reopening the database.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	check(s, "ldap", []byte("newer"), later)

	// An empty cookie forgets the source's resume point.
	if err := s.SaveWatchCookie(ctx, "ldap", nil, later); err != nil {
		t.Fatal(err)
	}
	check(s, "ldap", nil, time.Time{})
	check(s, "ad", []byte("other"), at)

	if _, err := s.LoadWatchCookie(ctx, ""); err == nil {
		t.Error("LoadWatchCookie with an empty source name: no error")
	}
	if err := s.SaveWatchCookie(ctx, "", []byte("x"), at); err == nil {
		t.Error("SaveWatchCookie with an empty source name: no error")
	}
}
