package state

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// An audit checkpoint is what "report access" rebuilds from the audit
// (every account, its roles and the records and rules that gave them)
// after the records up to one ID, stored so that a report at a later date
// starts there rather than at the first record. A checkpoint is made only
// from records that verified against the chain, and is chained itself: a
// "checkpoint" entry holds its digest. docs/audit.md describes the form.
//
// A checkpoint is a copy of what the records say: an event that changes
// records it covers drops it (a redaction, with a "drop-checkpoint" entry,
// then rebuilds it from the redacted records), and a retention keeps one
// at its horizon (the base: the start of the audit that is left) and
// deletes those before.

// schemaCheckpoints adds the checkpoint events to the chain (SQLite cannot
// alter a CHECK: the table is copied) and the checkpoints' table.
const schemaCheckpoints = `
CREATE TABLE audit_chain_v2 (
	seq      INTEGER PRIMARY KEY,
	audit_id INTEGER NOT NULL,
	event    TEXT    NOT NULL CHECK (event IN ('insert', 'complete', 'settle', 'redact', 'anonymise', 'prune', 'checkpoint', 'drop-checkpoint')),
	digest   BLOB    NOT NULL,
	note     TEXT    NOT NULL DEFAULT '',
	hash     BLOB    NOT NULL
) STRICT;
INSERT INTO audit_chain_v2 (seq, audit_id, event, digest, note, hash)
	SELECT seq, audit_id, event, digest, note, hash FROM audit_chain;
DROP TABLE audit_chain;
ALTER TABLE audit_chain_v2 RENAME TO audit_chain;
CREATE INDEX audit_chain_events ON audit_chain (event, audit_id) WHERE event IN ('anonymise', 'prune', 'checkpoint', 'drop-checkpoint');

CREATE TABLE audit_checkpoint (
	upto       INTEGER PRIMARY KEY,
	time       INTEGER NOT NULL,
	chain_from INTEGER NOT NULL,
	accounts   INTEGER NOT NULL,
	skipped    INTEGER NOT NULL,
	state_sum  BLOB    NOT NULL,
	state      BLOB    NOT NULL
) STRICT;
`

// Chain events of checkpoints.
const (
	eventCheckpoint = "checkpoint"      // a checkpoint of the records up to audit_id was stored
	eventDropCP     = "drop-checkpoint" // the checkpoint of the records up to audit_id was deleted
)

const (
	checkpointTag = "idsync-checkpoint/1"
	cpStateTag    = "idsync-checkpoint-state/1"
)

// checkpoint is one row of audit_checkpoint, without its state.
type checkpoint struct {
	upTo int64 // the last record it covers
	// time is the latest time of the records it covers: it serves the
	// dates at or after it.
	time int64
	// chainFrom is a chain entry before every entry of the records after
	// upTo and before the checkpoint's own: a pass starting at the
	// checkpoint reads the chain after it.
	chainFrom int64
	accounts  int64
	skipped   int64
	// stateSum is the SHA-256 of the state, as stored beside it (the
	// chained digest covers it); read is that of the state as read,
	// when it was.
	stateSum, read [sha256.Size]byte
	wasRead        bool
	bad            string // what its state, as read, contradicts
}

// digest returns the digest chained for c: SHA-256 over netstrings of the
// tag, upTo, time, chainFrom, accounts, skipped and the state's SHA-256 in
// hex.
func (c *checkpoint) digest() [sha256.Size]byte {
	b := appendNS(nil, checkpointTag)
	for _, v := range [...]int64{c.upTo, c.time, c.chainFrom, c.accounts, c.skipped} {
		b = appendNSInt(b, v)
	}
	b = appendNS(b, hex.EncodeToString(c.stateSum[:]))
	return sha256.Sum256(b)
}

// encodeState writes what the replay holds as a checkpoint's state: gzip
// over the tag, then uvarint counts and length-prefixed strings (see
// docs/audit.md). Strings that many accounts share (targets, roles,
// reasons) are written once, in a table, and referred to by index.
func encodeState(r *replay) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	e := stateEncoder{index: map[string]uint64{}}
	e.b = append(e.b, cpStateTag...)
	e.uint(uint64(len(r.skipped)))
	for target, n := range r.skipped {
		e.ref(target)
		e.uint(uint64(n))
	}
	e.uint(uint64(len(r.accounts)))
	flush := func() error {
		if len(e.b) < 1<<16 {
			return nil
		}
		_, err := zw.Write(e.b)
		e.b = e.b[:0]
		return err
	}
	for key, a := range r.accounts {
		e.ref(key.target)
		e.str(key.id)
		e.str(a.userName)
		e.str(a.sourceID)
		var flags uint64
		if a.active {
			flags |= 1
		}
		if a.unconfirmed {
			flags |= 2
		}
		e.uint(flags)
		for _, v := range [...]int64{a.since, a.changed, a.grant, a.change} {
			e.int(v)
		}
		e.ref(a.grantWhy)
		e.ref(a.changeWhy)
		e.uint(uint64(len(a.roles)))
		for _, h := range a.roles {
			e.ref(h.name)
			e.int(h.since)
			e.int(h.grant)
			e.ref(h.reason)
			if h.unconfirmed {
				e.uint(1)
			} else {
				e.uint(0)
			}
		}
		if err := flush(); err != nil {
			return nil, err
		}
	}
	e.uint(uint64(len(r.groups)))
	for key, role := range r.groups {
		e.ref(key.target)
		e.str(key.id)
		e.ref(role)
		if err := flush(); err != nil {
			return nil, err
		}
	}
	if _, err := zw.Write(e.b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// stateEncoder appends a state's values. A shared string is written in
// full at its first use (a uvarint 0, then the string) and by its index
// plus one after.
type stateEncoder struct {
	b     []byte
	index map[string]uint64
}

func (e *stateEncoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *stateEncoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }

func (e *stateEncoder) str(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *stateEncoder) ref(s string) {
	if i, ok := e.index[s]; ok {
		e.uint(i + 1)
		return
	}
	e.index[s] = uint64(len(e.index))
	e.uint(0)
	e.str(s)
}

// decodeState reads a state written by encodeState into r (empty).
func decodeState(blob []byte, r *replay) error {
	zr, err := gzip.NewReader(bytes.NewReader(blob))
	if err != nil {
		return fmt.Errorf("checkpoint state: %w", err)
	}
	// One string holds the whole state, written once at its size (gzip
	// ends with it, modulo 2^32): the accounts' strings are parts of it,
	// not copies.
	var sb strings.Builder
	if n := len(blob); n >= 4 {
		sb.Grow(int(min(int64(binary.LittleEndian.Uint32(blob[n-4:])), 64*int64(n))))
	}
	if _, err := io.Copy(&sb, zr); err != nil {
		return fmt.Errorf("checkpoint state: %w", err)
	}
	return decodeRaw(sb.String(), r)
}

// decodeRaw reads a state, uncompressed, into r (empty).
func decodeRaw(raw string, r *replay) error {
	d := stateDecoder{s: raw}
	if len(d.s) < len(cpStateTag) || d.s[:len(cpStateTag)] != cpStateTag {
		return fmt.Errorf("checkpoint state: not an %s", cpStateTag)
	}
	d.s = d.s[len(cpStateTag):]
	for n := d.uint(); n > 0 && d.err == nil; n-- {
		target := d.ref()
		r.skipped[target] += int(d.uint())
	}
	// An account takes 12 bytes at least, a role 5: a count the rest
	// cannot hold is refused before anything is made for it.
	n := d.uint()
	if n > uint64(len(d.s))/12 {
		d.fail()
		n = 0
	}
	accs := make([]accountState, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		a := &accs[i]
		key := accountKey{d.ref(), d.str()}
		a.userName, a.sourceID = d.str(), d.str()
		flags := d.uint()
		a.active, a.unconfirmed = flags&1 != 0, flags&2 != 0
		a.since, a.changed, a.grant, a.change = d.int(), d.int(), d.int(), d.int()
		a.grantWhy, a.changeWhy = d.ref(), d.ref()
		if nr := d.uint(); nr > 0 && d.err == nil {
			if nr > uint64(len(d.s))/5 {
				d.fail()
				break
			}
			a.roles = make([]heldRole, nr)
			for j := range a.roles {
				h := &a.roles[j]
				h.name, h.since, h.grant, h.reason, h.unconfirmed = d.ref(), d.int(), d.int(), d.ref(), d.uint() == 1
			}
		}
		r.accounts[key] = a
	}
	ng := d.uint()
	for i := uint64(0); i < ng && d.err == nil; i++ {
		key := accountKey{d.ref(), d.str()}
		r.groups[key] = d.ref()
	}
	if d.err == nil && d.s != "" {
		d.fail()
	}
	if d.err != nil {
		return fmt.Errorf("checkpoint state: %w", d.err)
	}
	return nil
}

// stateDecoder reads what stateEncoder wrote; the first error sticks and
// the values after it are zero.
type stateDecoder struct {
	s     string
	table []string
	err   error
}

var errBadState = errors.New("truncated or malformed")

func (d *stateDecoder) fail() {
	if d.err == nil {
		d.err = errBadState
	}
	d.s = ""
}

func (d *stateDecoder) uint() uint64 {
	var v uint64
	for i := 0; i < len(d.s) && i < binary.MaxVarintLen64; i++ {
		c := d.s[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			d.s = d.s[i+1:]
			return v
		}
	}
	d.fail()
	return 0
}

func (d *stateDecoder) int() int64 {
	u := d.uint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *stateDecoder) str() string {
	n := d.uint()
	if n > uint64(len(d.s)) {
		d.fail()
		return ""
	}
	v := d.s[:n]
	d.s = d.s[n:]
	return v
}

func (d *stateDecoder) ref() string {
	i := d.uint()
	if i == 0 {
		v := d.str()
		if d.err == nil {
			d.table = append(d.table, v)
		}
		return v
	}
	if i > uint64(len(d.table)) {
		d.fail()
		return ""
	}
	return d.table[i-1]
}

// checkpoints returns the stored checkpoints, by upTo, without their
// states.
func checkpoints(ctx context.Context, q querier) ([]checkpoint, error) {
	rows, err := q.QueryContext(ctx, `SELECT upto, time, chain_from, accounts, skipped, state_sum FROM audit_checkpoint ORDER BY upto`)
	if err != nil {
		return nil, fmt.Errorf("audit checkpoints: %w", err)
	}
	defer rows.Close()
	var out []checkpoint
	for rows.Next() {
		var c checkpoint
		var sum []byte
		if err := rows.Scan(&c.upTo, &c.time, &c.chainFrom, &c.accounts, &c.skipped, &sum); err != nil {
			return nil, fmt.Errorf("audit checkpoints: %w", err)
		}
		copy(c.stateSum[:], sum)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit checkpoints: %w", err)
	}
	return out, nil
}

// loadCheckpoint reads the state of the checkpoint c into r and notes its
// SHA-256 in c.
func loadCheckpoint(ctx context.Context, db *sql.DB, c *checkpoint, r *replay) error {
	var blob []byte
	err := db.QueryRowContext(ctx, `SELECT state FROM audit_checkpoint WHERE upto = ?`, c.upTo).Scan(&blob)
	if err != nil {
		return fmt.Errorf("audit checkpoint %d: %w", c.upTo, err)
	}
	c.read, c.wasRead = sha256.Sum256(blob), true
	if c.read != c.stateSum {
		return nil // the pass reports it, naming the checkpoint
	}
	if err := decodeState(blob, r); err != nil {
		return fmt.Errorf("audit checkpoint %d: %w", c.upTo, err)
	}
	if n, sk := int64(len(r.accounts)), int64(r.skippedFor("")); n != c.accounts || sk != c.skipped {
		// The chained digest covers the row: the pass names the edit.
		c.bad = fmt.Sprintf("its state holds %d accounts and %d skipped records, its row says %d and %d", n, sk, c.accounts, c.skipped)
	}
	r.maxTime = c.time
	return nil
}

// readStates reads the state of each of cps, one at a time, and notes its
// SHA-256 (a state deleted since is left unread: the chain tells).
func readStates(ctx context.Context, db *sql.DB, cps []checkpoint) error {
	for i := range cps {
		var blob []byte
		err := db.QueryRowContext(ctx, `SELECT state FROM audit_checkpoint WHERE upto = ?`, cps[i].upTo).Scan(&blob)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("audit checkpoint %d: %w", cps[i].upTo, err)
		default:
			cps[i].read, cps[i].wasRead = sha256.Sum256(blob), true
		}
	}
	return nil
}

// storeCheckpoint writes c with its state inside tx and chains it.
func storeCheckpoint(ctx context.Context, tx *sql.Tx, c checkpoint, blob []byte, note string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_checkpoint (upto, time, chain_from, accounts, skipped, state_sum, state) VALUES (?,?,?,?,?,?,?)
		ON CONFLICT (upto) DO UPDATE SET time = excluded.time, chain_from = excluded.chain_from, accounts = excluded.accounts,
		skipped = excluded.skipped, state_sum = excluded.state_sum, state = excluded.state`, c.upTo, c.time, c.chainFrom, c.accounts, c.skipped, c.stateSum[:], blob); err != nil {
		return fmt.Errorf("audit checkpoint %d: %w", c.upTo, err)
	}
	return appendChain(ctx, tx, nil, newEntry{auditID: c.upTo, event: eventCheckpoint, digest: c.digest(), note: note})
}

// dropCheckpoints deletes, inside tx, the checkpoints covering record
// from or later, and chains each drop with why.
func dropCheckpoints(ctx context.Context, tx *sql.Tx, from int64, why string) ([]checkpoint, error) {
	cps, err := checkpoints(ctx, tx)
	if err != nil {
		return nil, err
	}
	var out []checkpoint
	for _, c := range cps {
		if c.upTo < from {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_checkpoint WHERE upto = ?`, c.upTo); err != nil {
			return nil, fmt.Errorf("audit checkpoint %d: %w", c.upTo, err)
		}
		note := fmt.Sprintf("checkpoint of the records up to %d dropped: %s", c.upTo, why)
		if err := appendChain(ctx, tx, nil, newEntry{auditID: c.upTo, event: eventDropCP, digest: sha256.Sum256([]byte(note)), note: note}); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
