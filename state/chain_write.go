package state

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
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

// storedText are the text columns of a storedRow, in the order of
// storedColumns.
var storedText = [...]string{"target", "kind", "action", "status", "rules", "salt", "source_id", "target_id", "user_name",
	"coalesce(reasons, '')", "coalesce(before, '')", "coalesce(after, '')", "detail", "error", "coalesce(members, '')", "coalesce(redacted, '')"}

// storedColumns selects a storedRow as one text column, so that a scan of
// a million rows crosses into SQLite once per row rather than once per
// column: the ID, run ID, time and the byte length of each text column in
// decimal, each followed by a space, then the text columns one after the
// other. scanStored takes it apart.
var storedColumns = packColumns(storedText)

// packColumns returns the packed form of a storedRow whose text columns
// are the expressions cols (see storedColumns).
func packColumns(cols [len(storedText)]string) string {
	head := []string{"id", "coalesce(run_id, 0)", "time"}
	var body []string
	for _, c := range cols {
		head = append(head, "octet_length("+c+")")
		body = append(body, c)
	}
	// concat builds the value in one allocation, where a chain of ||
	// would copy it once per column (and formats the numbers faster than
	// printf).
	return "concat(" + strings.Join(head, ", ' ', ") + ", ' ', " + strings.Join(body, ", ") + ")"
}

type scanner interface{ Scan(dst ...any) error }

// scanStored scans one storedColumns value into r.
func scanStored(sc scanner, r *storedRow) error {
	var packed string
	if err := sc.Scan(&packed); err != nil {
		return err
	}
	var nums [3 + len(storedText)]int64
	rest := packed
	for i := range nums {
		sp := strings.IndexByte(rest, ' ')
		if sp < 0 {
			return fmt.Errorf("audit row: bad packed form")
		}
		n, err := strconv.ParseInt(rest[:sp], 10, 64)
		if err != nil {
			return fmt.Errorf("audit row: %w", err)
		}
		nums[i], rest = n, rest[sp+1:]
	}
	r.id, r.runID, r.time = nums[0], nums[1], nums[2]
	p := &r.personal
	dst := [...]*string{&r.target, &r.kind, &r.action, &r.status, &r.rules, &r.salt, &p[fSourceID], &p[fTargetID], &p[fUserName],
		&p[fReasons], &p[fBefore], &p[fAfter], &p[fDetail], &p[fError], &p[fMembers], &r.redacted}
	for i, d := range dst {
		n := nums[3+i]
		if n < 0 || n > int64(len(rest)) {
			return fmt.Errorf("audit row %d: bad length %d", r.id, n)
		}
		*d, rest = rest[:n], rest[n:]
	}
	return nil
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
	for _, id := range ids {
		salt, err := newSalts(1)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit SET salt = ? WHERE id = ?`, salt[0], id); err != nil {
			return err
		}
		if err := seal(ctx, tx, nil, id, eventInsert, "chained at the upgrade to the audit chain"); err != nil {
			return err
		}
	}
	return nil
}

// chainQueries are the statements of the chain's write path; prepared at
// Open (see statements), run as text in a migration.
var chainQueries = struct{ stored, head, insert, setHead string }{
	stored: `SELECT ` + storedColumns + ` FROM audit WHERE id = ?`,
	head:   `SELECT seq, lower(hex(hash)) FROM audit_head WHERE id = 1`,
	insert: `INSERT INTO audit_chain (seq, audit_id, event, digest, note, hash) VALUES (?,?,?,?,?,?)`,
	setHead: `INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
}

// stmt returns the prepared statement p inside tx, or, when p is nil,
// query prepared in tx.
func stmt(ctx context.Context, tx *sql.Tx, p *sql.Stmt, query string) (*sql.Stmt, error) {
	if p != nil {
		return tx.StmtContext(ctx, p), nil
	}
	return tx.PrepareContext(ctx, query)
}

// seal reads row id as stored inside tx and appends a chain entry for
// event with the row's digest. st is nil in a migration.
func seal(ctx context.Context, tx *sql.Tx, st *statements, id int64, event, note string) error {
	q, err := stmt(ctx, tx, st.get(0), chainQueries.stored)
	if err != nil {
		return fmt.Errorf("chain audit %d: %w", id, err)
	}
	d, err := digestRow(q.QueryRowContext(ctx, id))
	if err != nil {
		return fmt.Errorf("chain audit %d: %w", id, err)
	}
	return appendChain(ctx, tx, st, newEntry{auditID: id, event: event, digest: d.digest, note: note})
}

// digestRow scans one storedColumns value (a row as stored: read back, or
// returned by the statement that wrote it) and returns its ID and digest.
func digestRow(sc scanner) (sealed, error) {
	var r storedRow
	if err := scanStored(sc, &r); err != nil {
		return sealed{}, err
	}
	x := getHasher()
	defer hashers.Put(x)
	d, err := x.digest(&r)
	if err != nil {
		return sealed{}, err
	}
	return sealed{id: r.id, digest: d}, nil
}

// sealed is the ID and digest of a row just written.
type sealed struct {
	id     int64
	digest [sha256.Size]byte
}

// newEntry is a chain entry to append: the event on an audit row (or, for
// a retention, the last row concerned) and the digest it chains.
type newEntry struct {
	auditID int64
	event   string
	digest  [sha256.Size]byte
	note    string
}

// appendChain appends entries after the head, in order, inside tx, and
// moves the head to the last: the head is read and written once however
// many entries one write appends.
func appendChain(ctx context.Context, tx *sql.Tx, st *statements, entries ...newEntry) error {
	if len(entries) == 0 {
		return nil
	}
	first := entries[0].auditID
	var qs [3]*sql.Stmt
	for i, q := range []string{chainQueries.head, chainQueries.insert, chainQueries.setHead} {
		var err error
		if qs[i], err = stmt(ctx, tx, st.get(1+i), q); err != nil {
			return fmt.Errorf("chain audit %d: %w", first, err)
		}
	}
	var head ChainHead
	err := qs[0].QueryRowContext(ctx).Scan(&head.Seq, &head.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("chain audit %d: head: %w", first, err)
	}
	prev, err := hex.DecodeString(head.Hash)
	if err != nil {
		return fmt.Errorf("chain audit %d: head: %w", first, err)
	}
	x := getHasher()
	defer hashers.Put(x)
	seq := head.Seq
	for _, n := range entries {
		seq++
		e := chainEntry{seq: seq, auditID: n.auditID, event: n.event, digest: string(n.digest[:]), note: n.note}
		sum := x.link(&e, string(prev))
		prev = sum[:]
		if _, err := qs[1].ExecContext(ctx, e.seq, e.auditID, e.event, n.digest[:], e.note, prev); err != nil {
			return fmt.Errorf("chain audit %d: %w", n.auditID, err)
		}
	}
	if _, err := qs[2].ExecContext(ctx, seq, prev); err != nil {
		return fmt.Errorf("chain audit %d: head: %w", first, err)
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
}

// String returns "SEQ:HASH", the form audit verify --head takes.
func (h ChainHead) String() string { return fmt.Sprintf("%d:%s", h.Seq, h.Hash) }

type queryer interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func chainHead(ctx context.Context, q queryer) (ChainHead, error) {
	var h ChainHead
	err := q.QueryRowContext(ctx, chainQueries.head).Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return ChainHead{}, nil
	}
	if err != nil {
		return ChainHead{}, fmt.Errorf("audit chain head: %w", err)
	}
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
