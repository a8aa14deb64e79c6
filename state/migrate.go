package state

import (
	"context"
	"database/sql"
	"fmt"
)

// migration is one step of the schema. The schema version of a database is
// its PRAGMA user_version: the number of migrations applied. Never edit a
// released migration; append a new one.
type migration struct {
	name string
	sql  string
	// after, when set, runs in the same transaction once sql has: for a
	// step SQL alone cannot do (hashing the rows already there).
	after func(ctx context.Context, tx *sql.Tx) error
}

// migrations is the schema history; migrations[i] takes version i to i+1.
// A package variable so tests can append a failing step.
var migrations = []migration{
	{name: "initial schema", sql: schemaV1},
	{name: "partial runs, audit status", sql: schemaV2},
	{name: "watch cookies", sql: schemaWatchCookies},
	{name: "audit hash chain, members, redaction", sql: schemaAuditChain, after: chainExisting},
	{name: "link counts", sql: schemaLinkCounts},
	{name: "audit checkpoints", sql: schemaCheckpoints},
}

// schemaV1: runs, links, groups, snapshot, audit. Tables are STRICT;
// booleans are INTEGER 0/1, times INTEGER Unix milliseconds (0 = unset).
const schemaV1 = `
CREATE TABLE runs (
	id           INTEGER PRIMARY KEY,
	target       TEXT    NOT NULL,
	mode         TEXT    NOT NULL CHECK (mode IN ('plan', 'apply')),
	started      INTEGER NOT NULL,
	finished     INTEGER NOT NULL DEFAULT 0,
	status       TEXT    NOT NULL CHECK (status IN ('running', 'planned', 'applied', 'failed', 'refused')),
	source_count INTEGER NOT NULL DEFAULT 0,
	summary      TEXT    NOT NULL DEFAULT '',
	error        TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX runs_target_status ON runs (target, status, id);
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';

CREATE TABLE links (
	target    TEXT    NOT NULL,
	source_id TEXT    NOT NULL CHECK (source_id <> ''),
	target_id TEXT    NOT NULL CHECK (target_id <> ''),
	user_name TEXT    NOT NULL DEFAULT '',
	dn        TEXT    NOT NULL DEFAULT '',
	active    INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
	created   INTEGER NOT NULL,
	updated   INTEGER NOT NULL,
	PRIMARY KEY (target, source_id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX links_target_id ON links (target, target_id);

CREATE TABLE groups (
	target   TEXT    NOT NULL,
	role     TEXT    NOT NULL,
	group_id TEXT    NOT NULL CHECK (group_id <> ''),
	updated  INTEGER NOT NULL,
	PRIMARY KEY (target, role)
) STRICT, WITHOUT ROWID;

CREATE TABLE snapshot (
	target    TEXT    NOT NULL,
	source_id TEXT    NOT NULL CHECK (source_id <> ''),
	dn        TEXT    NOT NULL,
	user_name TEXT    NOT NULL,
	in_scope  INTEGER NOT NULL CHECK (in_scope IN (0, 1)),
	disabled  INTEGER NOT NULL CHECK (disabled IN (0, 1)),
	hash      TEXT    NOT NULL,
	PRIMARY KEY (target, source_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE snapshot_info (
	target  TEXT    PRIMARY KEY,
	run_id  INTEGER REFERENCES runs (id) ON DELETE SET NULL,
	saved   INTEGER NOT NULL,
	entries INTEGER NOT NULL
) STRICT;

CREATE TABLE audit (
	id        INTEGER PRIMARY KEY,
	run_id    INTEGER REFERENCES runs (id) ON DELETE SET NULL,
	time      INTEGER NOT NULL,
	target    TEXT    NOT NULL,
	kind      TEXT    NOT NULL,
	action    TEXT    NOT NULL,
	source_id TEXT    NOT NULL DEFAULT '',
	target_id TEXT    NOT NULL DEFAULT '',
	user_name TEXT    NOT NULL DEFAULT '' COLLATE NOCASE,
	reasons   TEXT    CHECK (reasons IS NULL OR json_type(reasons) = 'array'),
	before    TEXT    CHECK (before IS NULL OR json_type(before) = 'object'),
	after     TEXT    CHECK (after IS NULL OR json_type(after) = 'object'),
	detail    TEXT    NOT NULL DEFAULT '',
	error     TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_run ON audit (target, run_id);
CREATE INDEX audit_source ON audit (target, source_id);
CREATE INDEX audit_user ON audit (target, user_name);
CREATE INDEX audit_time ON audit (target, time);
`

// schemaV2 lets a run end "partial" (some changes refused or failed) and
// gives every audit row a status: a write is recorded "pending" before it is
// sent and completed after. The runs table is rebuilt for its new CHECK
// (SQLite cannot alter one); migrateOne turns foreign keys off around it so
// that dropping the old table does not null the audit's run IDs. Rows from
// before keep their meaning: an error made them failures.
const schemaV2 = `
CREATE TABLE runs_v2 (
	id           INTEGER PRIMARY KEY,
	target       TEXT    NOT NULL,
	mode         TEXT    NOT NULL CHECK (mode IN ('plan', 'apply')),
	started      INTEGER NOT NULL,
	finished     INTEGER NOT NULL DEFAULT 0,
	status       TEXT    NOT NULL CHECK (status IN ('running', 'planned', 'applied', 'partial', 'failed', 'refused')),
	source_count INTEGER NOT NULL DEFAULT 0,
	summary      TEXT    NOT NULL DEFAULT '',
	error        TEXT    NOT NULL DEFAULT ''
) STRICT;
INSERT INTO runs_v2 (id, target, mode, started, finished, status, source_count, summary, error)
	SELECT id, target, mode, started, finished, status, source_count, summary, error FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v2 RENAME TO runs;
CREATE INDEX runs_target_status ON runs (target, status, id);
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';

ALTER TABLE audit ADD COLUMN status TEXT NOT NULL DEFAULT 'applied'
	CHECK (status IN ('pending', 'applied', 'refused', 'failed', 'unconfirmed'));
UPDATE audit SET status = 'failed' WHERE error <> '';
CREATE INDEX audit_pending ON audit (target, id) WHERE status = 'pending';
`

// SchemaVersion is the schema version this code writes: the number of
// migrations it knows.
func SchemaVersion() int { return len(migrations) }

// migrate brings db up to SchemaVersion, one transaction per migration so a
// failure leaves the database at the last complete version. It refuses a
// database whose version is newer than the code.
func migrate(ctx context.Context, db *sql.DB, path string) error {
	v, err := userVersion(ctx, db)
	if err != nil {
		return fmt.Errorf("state: open %s: read schema version: %w", path, err)
	}
	if v > len(migrations) {
		return fmt.Errorf("state: open %s: schema version %d, this idsync knows up to %d (use a newer idsync or restore a backup): %w",
			path, v, len(migrations), ErrSchemaTooNew)
	}
	for ; v < len(migrations); v++ {
		if err := migrateOne(ctx, db, v); err != nil {
			return fmt.Errorf("state: open %s: migrate to version %d (%s): %w", path, v+1, migrations[v].name, err)
		}
	}
	return nil
}

// migrateOne applies migrations[from] and sets user_version to from+1 in the
// same transaction (user_version lives in the database header, which is
// covered by the transaction). Foreign keys are off on its connection while
// it runs (SQLite ignores the pragma inside a transaction), so that a step
// may rebuild a table others refer to; the references are checked before
// the commit.
func migrateOne(ctx context.Context, db *sql.DB, from int) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON")
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var cur int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
		return err
	}
	if cur != from {
		return fmt.Errorf("schema version changed to %d while migrating", cur)
	}
	if _, err := tx.ExecContext(ctx, migrations[from].sql); err != nil {
		return err
	}
	if f := migrations[from].after; f != nil {
		if err := f(ctx, tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", from+1)); err != nil {
		return err
	}
	if err := foreignKeyCheck(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// foreignKeyCheck fails when a row refers to a row that does not exist.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return err
		}
		return fmt.Errorf("foreign key check: row %d of %s refers to a missing %s row", rowid.Int64, table, parent)
	}
	return rows.Err()
}

func userVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}
