package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// schemaAuditChain adds the audit hash chain (see chain.go and
// docs/audit.md): per row a salt for the digests of its personal fields,
// the members of a group change (a JSON array, one object per account),
// the rules its reasons name (kept when the reasons are redacted), and the
// digests of redacted fields; audit_chain, one entry per event; and
// audit_head, the last entry, so that a truncated chain is noticed. The
// rows already there are chained by chainExisting in the same transaction.
const schemaAuditChain = `
ALTER TABLE audit ADD COLUMN salt TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN members TEXT CHECK (members IS NULL OR json_type(members) = 'array');
ALTER TABLE audit ADD COLUMN rules TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN redacted TEXT CHECK (redacted IS NULL OR json_type(redacted) = 'object');
CREATE INDEX audit_kind ON audit (kind, target, time);

CREATE TABLE audit_chain (
	seq      INTEGER PRIMARY KEY,
	audit_id INTEGER NOT NULL,
	event    TEXT    NOT NULL CHECK (event IN ('insert', 'complete', 'settle', 'redact', 'anonymise', 'prune')),
	digest   BLOB    NOT NULL,
	note     TEXT    NOT NULL DEFAULT '',
	hash     BLOB    NOT NULL
) STRICT;

CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash BLOB    NOT NULL
) STRICT;
`

// storedColumns selects a storedRow, in scanStored's order.
const storedColumns = `id, coalesce(run_id, 0), time, target, kind, action, status, rules, salt,
	source_id, target_id, user_name, coalesce(reasons, ''), coalesce(before, ''), coalesce(after, ''),
	detail, error, coalesce(members, ''), coalesce(redacted, '')`

type scanner interface{ Scan(dst ...any) error }

func scanStored(sc scanner, r *storedRow) error {
	p := &r.personal
	return sc.Scan(&r.id, &r.runID, &r.time, &r.target, &r.kind, &r.action, &r.status, &r.rules, &r.salt,
		&p[fSourceID], &p[fTargetID], &p[fUserName], &p[fReasons], &p[fBefore], &p[fAfter],
		&p[fDetail], &p[fError], &p[fMembers], &r.redacted)
}

// chainExisting gives the rows written before the chain existed a salt
// and chains them, in ID order, as inserted at the upgrade.
func chainExisting(ctx context.Context, tx *sql.Tx) error {
	var ids []int64
	rows, err := tx.QueryContext(ctx, `SELECT id FROM audit ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	x := newHasher()
	for _, id := range ids {
		salt, err := newSalts(1)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit SET salt = ? WHERE id = ?`, salt[0], id); err != nil {
			return err
		}
		if err := seal(ctx, tx, x, id, eventInsert, "chained at the upgrade to the audit chain"); err != nil {
			return err
		}
	}
	return nil
}

// seal reads row id as stored inside tx and appends a chain entry for
// event with the row's digest.
func seal(ctx context.Context, tx *sql.Tx, x *hasher, id int64, event, note string) error {
	var r storedRow
	if err := scanStored(tx.QueryRowContext(ctx, `SELECT `+storedColumns+` FROM audit WHERE id = ?`, id), &r); err != nil {
		return fmt.Errorf("chain audit %d: %w", id, err)
	}
	d, err := x.digest(&r)
	if err != nil {
		return fmt.Errorf("chain audit %d: %w", id, err)
	}
	return appendChain(ctx, tx, x, id, event, d[:], note)
}

// appendChain appends one entry after the head, inside tx, and moves the
// head to it.
func appendChain(ctx context.Context, tx *sql.Tx, x *hasher, auditID int64, event string, digest []byte, note string) error {
	head, err := chainHead(ctx, tx)
	if err != nil {
		return err
	}
	e := chainEntry{seq: head.Seq + 1, auditID: auditID, event: event, digest: digest, note: note}
	e.hash = x.link(&e, head.hash)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_chain (seq, audit_id, event, digest, note, hash) VALUES (?,?,?,?,?,?)`,
		e.seq, e.auditID, e.event, e.digest, e.note, e.hash); err != nil {
		return fmt.Errorf("chain audit %d: %w", auditID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, e.seq, e.hash); err != nil {
		return fmt.Errorf("chain audit %d: head: %w", auditID, err)
	}
	return nil
}

// ChainHead is the last entry of the audit chain: its position and hash
// (hex). Logged at the end of every apply run, it lets a later
// "audit verify --head SEQ:HASH" prove that the chain up to there was not
// rewritten.
type ChainHead struct {
	Seq  int64
	Hash string
	hash []byte
}

// String returns "SEQ:HASH", the form audit verify --head takes.
func (h ChainHead) String() string { return fmt.Sprintf("%d:%s", h.Seq, h.Hash) }

type queryer interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func chainHead(ctx context.Context, q queryer) (ChainHead, error) {
	var h ChainHead
	err := q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&h.Seq, &h.hash)
	if errors.Is(err, sql.ErrNoRows) {
		return ChainHead{}, nil
	}
	if err != nil {
		return ChainHead{}, fmt.Errorf("audit chain head: %w", err)
	}
	h.Hash = fmt.Sprintf("%x", h.hash)
	return h, nil
}

// AuditHead returns the head of the audit chain (Seq 0 when the audit is
// empty).
func (s *Store) AuditHead(ctx context.Context) (ChainHead, error) {
	h, err := chainHead(ctx, s.db)
	if err != nil {
		return h, fmt.Errorf("state: %w", err)
	}
	return h, nil
}
