package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	gosync "sync"
	"testing"

	"github.com/mattn/go-sqlite3"
)

// TestCommitGroupInterrupted: a write of a group whose ctx ends while its
// statement runs is interrupted by go-sqlite3 (sqlite3_interrupt), and
// SQLite then rolls back the whole transaction, the writes before it in
// the group too. The others must still be committed exactly once: not
// lost, and not committed twice (once outside the transaction, once when
// the group is made again without the interrupted one).
func TestCommitGroupInterrupted(t *testing.T) {
	s := openTest(t)
	bg := context.Background()
	if _, err := s.db.Exec(`CREATE TABLE scratch (v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	bctx, cancel := context.WithCancel(bg)
	defer cancel()
	var once gosync.Once
	// A connection made from now on has test_cancel(v): it ends bctx
	// while the statement that calls it runs, and returns v.
	drv := s.db.Driver().(*sqlite3.SQLiteDriver)
	drv.ConnectHook = func(c *sqlite3.SQLiteConn) error {
		return c.RegisterFunc("test_cancel", func(v int64) int64 { once.Do(cancel); return v }, false)
	}
	defer func() { drv.ConnectHook = nil }()
	s.db.SetMaxIdleConns(0) // the idle connections go: the next one has the function
	s.db.SetMaxIdleConns(2)

	insert := func(src string) func(*sql.Tx) error {
		return func(tx *sql.Tx) error {
			a := audit("joiner", "create", src, "u-"+src)
			a.Status = AuditApplied
			_, err := s.insertAudit(bg, tx, a)
			return err
		}
	}
	long := func(tx *sql.Tx) error {
		_, err := tx.ExecContext(bctx, `INSERT INTO scratch SELECT test_cancel(v) FROM
			(WITH RECURSIVE c(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM c WHERE v < 100000000) SELECT v FROM c)`)
		return err
	}
	group := []*writeReq{{ctx: bg, fn: insert("s1")}, {ctx: bctx, fn: long}, {ctx: bg, fn: insert("s3")}}
	errs := s.commitGroup(group)
	if errs[0] != nil || errs[2] != nil || !errors.Is(errs[1], context.Canceled) {
		t.Errorf("errors %v, want nil, the cancellation, nil", errs)
	}
	var got []string
	for _, a := range allAudit(t, s, AuditFilter{}) {
		got = append(got, a.SourceID)
	}
	if fmt.Sprint(got) != "[s1 s3]" {
		t.Errorf("rows of %v, want [s1 s3]", got)
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM scratch`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the interrupted write left %d rows (%v)", n, err)
	}
	if res, err := s.VerifyAudit(bg, VerifyOptions{}); err != nil || !res.OK() {
		t.Errorf("chain: %+v, %v", res.Problems, err)
	}
}
