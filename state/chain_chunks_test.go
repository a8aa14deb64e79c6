package state

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestAccessAtAcrossChunks: the one-pass report access gives the same
// rows whether the records come in one chunk or in many small ones read
// by several goroutines (the replay takes them in ID order), and the
// verification counts every record either way.
func TestAccessAtAcrossChunks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	if err := fillAudit(path, 600); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, path)
	q := AccessQuery{At: time.Date(2025, 1, 1, 2, 0, 0, 0, time.UTC)}
	one, res1, _, err := s.AccessAt(ctx, q)
	if err != nil || res1.Records != 600 || len(one) == 0 {
		t.Fatalf("one chunk: %d rows, %d records, %v", len(one), res1.Records, err)
	}
	defer func(n int64) { rowChunk = n }(rowChunk)
	rowChunk = 7
	many, res2, _, err := s.AccessAt(ctx, q)
	if err != nil || res2.Records != 600 {
		t.Fatalf("chunks of 7: %d records, %v", res2.Records, err)
	}
	if !reflect.DeepEqual(one, many) {
		t.Errorf("chunks of 7 give %d rows, one chunk %d; they differ", len(many), len(one))
	}
}
