package state

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestVerifyRedactedFieldRefilled: a redacted (or anonymised) record's
// personal fields are blank, their digests standing in for them. Writing a
// value back into one by hand (a userName, an account that was active)
// leaves the digest as it was, so verification must check the blank
// itself, or the forged value would read as the authentic record.
func TestVerifyRedactedFieldRefilled(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		prep func(t *testing.T, s *Store)
		id   int64
		sql  string
	}{
		{"redacted userName", func(t *testing.T, s *Store) {
			if _, err := s.RedactPerson(ctx, "ann", "erasure request 42"); err != nil {
				t.Fatal(err)
			}
		}, 1, `UPDATE audit SET user_name = 'mallory' WHERE id = 1`},
		{"redacted after account", func(t *testing.T, s *Store) {
			if _, err := s.RedactPerson(ctx, "ann", "erasure request 42"); err != nil {
				t.Fatal(err)
			}
		}, 6, `UPDATE audit SET after = '{"userName":"ann","active":true}' WHERE id = 6`},
		{"anonymised userName", func(t *testing.T, s *Store) {
			if _, _, err := s.PruneAudit(ctx, time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC), RetentionAnonymise); err != nil {
				t.Fatal(err)
			}
		}, 2, `UPDATE audit SET user_name = 'mallory' WHERE id = 2`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			chainHistory(t, s)
			tt.prep(t, s)
			if v := verify(t, s, VerifyOptions{}); !v.OK() {
				t.Fatalf("before tampering: %v", v.Problems)
			}
			if _, err := s.db.Exec(tt.sql); err != nil {
				t.Fatal(err)
			}
			v := verify(t, s, VerifyOptions{})
			if v.OK() {
				t.Fatal("a value written into a redacted field verified")
			}
			if p := v.Problems[0]; p.AuditID != tt.id || !strings.Contains(p.What, "redacted") {
				t.Errorf("first problem = %q, want record %d's redacted field", p, tt.id)
			}
		})
	}
}
