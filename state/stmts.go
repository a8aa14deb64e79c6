package state

import (
	"context"
	"database/sql"
	"fmt"
)

// statements are the hot-path statements, prepared once at Open. Inside a
// transaction they are used through tx.StmtContext, which reuses the
// connection's prepared copy.
type statements struct {
	insertAudit    *sql.Stmt
	completeAudit  *sql.Stmt
	completeSame   *sql.Stmt
	linkOwner      *sql.Stmt
	linkOf         *sql.Stmt
	upsertLink     *sql.Stmt
	unlinkSource   *sql.Stmt
	unlinkBoth     *sql.Stmt
	unlinkTarget   *sql.Stmt
	insertSnapshot *sql.Stmt
	planLinks      *sql.Stmt
	chain          [4]*sql.Stmt // chainQueries: stored, head, insert, setHead
}

// get returns chain statement i; nil on a nil receiver (a migration).
func (st *statements) get(i int) *sql.Stmt {
	if st == nil {
		return nil
	}
	return st.chain[i]
}

func (s *Store) prepare(ctx context.Context) error {
	list := []struct {
		dst   **sql.Stmt
		query string
	}{
		{&s.stmts.insertAudit, `INSERT INTO audit (run_id, time, target, kind, action, source_id, target_id,
			user_name, reasons, before, after, detail, error, status, salt, members, rules) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`},
		{&s.stmts.completeAudit, `UPDATE audit SET target = ?, kind = ?, action = ?, source_id = ?, target_id = ?,
			user_name = ?, reasons = ?, before = ?, after = ?, detail = ?, error = ?, status = ?,
			members = ?, rules = ? WHERE id = ? AND status = 'pending'`},
		// completeSame completes a pending row whose indexed columns the
		// outcome leaves as they are (the usual case), so that SQLite
		// rewrites only the pending index, not the five others.
		{&s.stmts.completeSame, `UPDATE audit SET target_id = ?, reasons = ?, before = ?, after = ?, detail = ?, error = ?,
			status = ?, members = ?, rules = ? WHERE id = ? AND status = 'pending'
			AND target = ? AND kind = ? AND action = ? AND source_id = ? AND user_name = ?`},
		{&s.stmts.linkOwner, `SELECT source_id FROM links WHERE target = ? AND target_id = ?`},
		{&s.stmts.linkOf, `SELECT source_id, user_name, dn, active, created, updated
			FROM links WHERE target = ? AND target_id = ?`},
		{&s.stmts.upsertLink, `INSERT INTO links (target, source_id, target_id, user_name, dn, active, created, updated)
			VALUES (?,?,?,?,?,?,?,?)
			ON CONFLICT (target, source_id) DO UPDATE SET target_id = excluded.target_id,
			user_name = excluded.user_name, dn = excluded.dn, active = excluded.active,
			updated = CASE WHEN NOT links.active AND NOT excluded.active AND links.target_id = excluded.target_id AND NOT ?
				THEN links.updated ELSE excluded.updated END`},
		{&s.stmts.unlinkSource, `DELETE FROM links WHERE target = ? AND source_id = ?`},
		{&s.stmts.unlinkBoth, `DELETE FROM links WHERE target = ? AND source_id = ? AND target_id = ?`},
		{&s.stmts.unlinkTarget, `DELETE FROM links WHERE target = ? AND target_id = ?`},
		{&s.stmts.insertSnapshot, `INSERT INTO snapshot (target, source_id, dn, user_name, in_scope, disabled, hash)
			VALUES (?,?,?,?,?,?,?)`},
		{&s.stmts.planLinks, `SELECT source_id, target_id, user_name, dn, active, updated
			FROM links WHERE target = ? ORDER BY source_id`},
		{&s.stmts.chain[0], chainQueries.stored},
		{&s.stmts.chain[1], chainQueries.head},
		{&s.stmts.chain[2], chainQueries.insert},
		{&s.stmts.chain[3], chainQueries.setHead},
	}
	for _, p := range list {
		st, err := s.db.PrepareContext(ctx, p.query)
		if err != nil {
			s.stmts.close()
			return fmt.Errorf("state: open %s: prepare: %w", s.path, err)
		}
		*p.dst = st
	}
	return nil
}

func (st *statements) close() {
	for _, p := range []**sql.Stmt{&st.insertAudit, &st.completeAudit, &st.completeSame, &st.linkOwner, &st.linkOf, &st.upsertLink, &st.unlinkSource,
		&st.unlinkBoth, &st.unlinkTarget, &st.insertSnapshot, &st.planLinks, &st.chain[0], &st.chain[1], &st.chain[2], &st.chain[3]} {
		if *p != nil {
			(*p).Close() // later use fails with "statement is closed"
		}
	}
}
