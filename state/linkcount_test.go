package state

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// TestLinkCountMigration opens a database from before link counts were
// kept: the migration counts the links there, and later writes keep the
// count.
func TestLinkCountMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s := openAt(t, path)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		id := fmt.Sprint(i)
		op := Op{Audit: audit("joiner", "create", "s"+id, "u"+id), Link: &Link{SourceID: "s" + id, TargetID: "u" + id}}
		if err := s.Commit(ctx, op); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.db.ExecContext(ctx, fmt.Sprintf(`DROP TRIGGER links_count_insert; DROP TRIGGER links_count_delete;
		DROP TRIGGER links_count_move; DROP TABLE link_counts; DROP TABLE audit_checkpoint; PRAGMA user_version = %d`, versionBefore(t, "link counts")))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openAt(t, path)
	if n, err := s.LinkCount(ctx, "t"); n != 3 || err != nil {
		t.Fatalf("LinkCount after the migration = %d, %v, want 3", n, err)
	}
	if err := s.Commit(ctx, Op{Audit: audit("leaver", "delete", "s1", "u1"), Unlink: true}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.LinkCount(ctx, "t"); n != 2 || err != nil {
		t.Errorf("LinkCount after an unlink = %d, %v, want 2", n, err)
	}
	if n, err := s.LinkCount(ctx, "other"); n != 0 || err != nil {
		t.Errorf("LinkCount of a target without links = %d, %v", n, err)
	}
}
