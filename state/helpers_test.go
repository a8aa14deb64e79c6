package state

import (
	"context"
	"path/filepath"
	"testing"
)

// openTest opens a fresh store in t.TempDir and closes it at cleanup.
func openTest(t testing.TB) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "state.db"))
}

func openAt(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// allLinks returns target's links keyed by source ID.
func allLinks(t testing.TB, s *Store, target string) map[string]Link {
	t.Helper()
	m := map[string]Link{}
	if err := s.Links(context.Background(), target, func(l Link) error {
		m[l.SourceID] = l
		return nil
	}); err != nil {
		t.Fatalf("Links: %v", err)
	}
	return m
}

// allAudit returns the audit rows matching f.
func allAudit(t testing.TB, s *Store, f AuditFilter) []Audit {
	t.Helper()
	var out []Audit
	if err := s.Audit(context.Background(), f, func(a Audit) error {
		out = append(out, a)
		return nil
	}); err != nil {
		t.Fatalf("Audit: %v", err)
	}
	return out
}

// allSnapshot returns target's snapshot entries in order.
func allSnapshot(t testing.TB, s *Store, target string) []SnapshotEntry {
	t.Helper()
	var out []SnapshotEntry
	if err := s.Snapshot(context.Background(), target, func(e SnapshotEntry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return out
}

// entries returns a next func for SaveSnapshot over es.
func entries(es ...SnapshotEntry) func() (SnapshotEntry, bool, error) {
	i := 0
	return func() (SnapshotEntry, bool, error) {
		if i == len(es) {
			return SnapshotEntry{}, false, nil
		}
		i++
		return es[i-1], true, nil
	}
}

// versionBefore returns the schema version just before the migration
// named name.
func versionBefore(t testing.TB, name string) int {
	t.Helper()
	for i, m := range migrations {
		if m.name == name {
			return i
		}
	}
	t.Fatalf("no migration %q", name)
	return 0
}
