package ldif_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/sync/ldif"
)

func generate(tb testing.TB, users, groups int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "data.ldif")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if err := slapdtest.GenerateLDIF(f, users, groups); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestGeneratedData reads slapdtest's generated data, the same data the
// LDAP tests load into slapd, and checks every membership, nested ones
// included.
func TestGeneratedData(t *testing.T) {
	const users, groups = 300, 25
	s, err := ldif.New(ldif.Config{Path: generate(t, users, groups)})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = s.Read(context.Background(), func(e mapping.Entry) error {
		if e.ID != slapdtest.UserUUID(n) || e.DN != slapdtest.UserDN(n) {
			t.Fatalf("entry %d: %s %s", n, e.ID, e.DN)
		}
		want := map[string]bool{}
		for _, g := range slapdtest.UserGroups(n, groups) {
			for ; g >= 0; g = slapdtest.NestedIn(g, groups) {
				want[slapdtest.GroupDN(g)] = true
			}
		}
		if len(e.Groups) != len(want) {
			t.Errorf("%s: %d groups, want %d", e.DN, len(e.Groups), len(want))
		}
		for _, m := range e.Groups {
			if !want[m.DN] {
				t.Errorf("%s: unexpected group %s", e.DN, m.DN)
			}
		}
		n++
		return nil
	})
	if err != nil || n != users {
		t.Fatalf("read %d users, %v", n, err)
	}
}

// BenchmarkRead reads 100,000 generated users in 1,000 groups.
func BenchmarkRead(b *testing.B) {
	users := 100000
	path := generate(b, users, users/100)
	s, err := ldif.New(ldif.Config{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		n := 0
		if err := s.Read(context.Background(), func(mapping.Entry) error { n++; return nil }); err != nil || n != users {
			b.Fatalf("read %d, %v", n, err)
		}
	}
}
