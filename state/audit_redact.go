package state

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// RedactResult says what a redaction changed.
type RedactResult struct {
	Records int // account records whose personal fields were all removed
	Groups  int // group records the person was removed from
	// Checkpoints is how many checkpoints lost the person's accounts:
	// made again from the redacted records, or, before the first one
	// (a retention took the person's records), changed in place.
	Checkpoints int
}

// RedactPerson removes a person's personal data from the audit (an
// erasure request) while the chain still verifies: every record of their
// accounts loses all its personal fields (IDs, userName, reasons, the
// accounts before and after, detail, error) and its salt, and each group
// change they were part of loses their member entry and, where it names
// them, its detail, reasons and error. What stays shows that a change
// happened, when, in which run and target, its kind, action, outcome and
// the rules it followed. person is a source ID, a userName or a target
// account ID; why is recorded in the chain. Each changed record gets a
// redact entry in the chain.
func (s *Store) RedactPerson(ctx context.Context, person, why string) (RedactResult, error) {
	var res RedactResult
	if strings.TrimSpace(person) == "" {
		return res, fmt.Errorf("state: redact: empty person")
	}
	var dropped []checkpoint
	err := s.write(ctx, "redact "+person, func(tx *sql.Tx) error {
		res, dropped = RedactResult{}, nil // a write may be run again (state/write.go)
		ids, err := identities(ctx, tx, person)
		if err != nil {
			return err
		}
		base, err := baseState(ctx, tx)
		if err != nil {
			return err
		}
		if base != nil {
			ids.widen(base.state)
		}
		rows, err := affectedRows(ctx, tx, ids)
		if err != nil {
			return err
		}
		x := newHasher()
		first := int64(0)
		for _, r := range rows {
			var fields []string
			if r.kind == "group" {
				fields, err = redactMember(&r, ids, x)
			} else {
				fields, err = redactFields(&r, x, personalFields[:]...)
				res.Records++
			}
			if err != nil {
				return fmt.Errorf("audit %d: %w", r.id, err)
			}
			if len(fields) == 0 {
				continue
			}
			if r.kind == "group" {
				res.Groups++
			}
			if err := storeRedaction(ctx, tx, x, &r, eventRedact, "redacted "+strings.Join(fields, ", ")+": "+why, contains(fields, "members")); err != nil {
				return err
			}
			if first == 0 {
				first = r.id
			}
		}
		// After a retention, the checkpoints before the first redacted
		// record (all, when no record names the person any more) hold
		// the accounts of the person's deleted records: they lose them
		// in place. Those covering a redacted record go, in the same
		// transaction, and are made again below from the redacted
		// records.
		if base != nil {
			if res.Checkpoints, err = scrubCheckpoints(ctx, tx, ids, base, first, why); err != nil {
				return err
			}
		}
		if first == 0 {
			return nil
		}
		dropped, err = dropCheckpoints(ctx, tx, first, "a redaction changed records it covers")
		return err
	})
	if err != nil || len(dropped) == 0 {
		return res, err
	}
	n, err := s.remakeCheckpoints(ctx, dropped)
	res.Checkpoints += n
	if err != nil {
		return res, fmt.Errorf("state: redact: done, but %d of its %d checkpoints were not made again (reports from them replay more records until idsync audit checkpoint makes them): %w", len(dropped)-n, len(dropped), err)
	}
	return res, nil
}

// remakeCheckpoints makes the dropped checkpoints again, where they were,
// from the records as they are now.
func (s *Store) remakeCheckpoints(ctx context.Context, dropped []checkpoint) (int, error) {
	cps, err := checkpoints(ctx, s.db)
	if err != nil {
		return 0, err
	}
	marks := make([]int64, len(dropped))
	from := map[int64]int64{}
	for i, c := range dropped {
		marks[i], from[c.upTo] = c.upTo, c.chainFrom
	}
	n, err := s.makeCheckpoints(ctx, cps, marks, from, "made again after a redaction")
	if err == nil && n < len(marks) {
		err = fmt.Errorf("a redaction or retention changed the audit while they were made")
	}
	return n, err
}

// personIDs are the identities of one person in the audit.
type personIDs struct {
	names, sources, accounts map[string]bool
}

func (p personIDs) member(m storedMember) bool {
	return !m.Redacted && p.owns(m.TargetID, m.SourceID, m.UserName)
}

// owns reports whether an account (its ID, source ID, userName) is the
// person's.
func (p personIDs) owns(account, source, name string) bool {
	return p.sources[source] || p.accounts[account] || p.names[strings.ToLower(name)]
}

// widen adds the identities of the accounts of base (a checkpoint's
// state) that are the person's, until no account adds one: a person whose
// records the retention deleted is known there only, with all their
// accounts (one found by its userName gives its source ID, which gives
// the person's accounts in other targets).
func (p personIDs) widen(base *replay) {
	add := func(set map[string]bool, v string) bool {
		if v == "" || set[v] {
			return false
		}
		set[v] = true
		return true
	}
	for more := true; more; {
		more = false
		for key, a := range base.accounts {
			if p.owns(key.id, a.sourceID, a.userName) {
				more = add(p.accounts, key.id) || more
				more = add(p.sources, a.sourceID) || more
				more = add(p.names, strings.ToLower(a.userName)) || more
			}
		}
	}
}

// identities collects the source IDs, account IDs and userNames of the
// account records that name person by any of them.
func identities(ctx context.Context, tx *sql.Tx, person string) (personIDs, error) {
	p := personIDs{names: map[string]bool{strings.ToLower(person): true}, sources: map[string]bool{person: true}, accounts: map[string]bool{person: true}}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT source_id, target_id, user_name FROM audit
		WHERE kind <> 'group' AND (source_id = ?1 OR target_id = ?1 OR user_name = ?1)`, person)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var src, acc, name string
		if err := rows.Scan(&src, &acc, &name); err != nil {
			return p, err
		}
		p.sources[src], p.accounts[acc], p.names[strings.ToLower(name)] = src != "", acc != "", name != ""
	}
	delete(p.sources, "")
	delete(p.accounts, "")
	delete(p.names, "")
	return p, rows.Err()
}

// affectedRows returns the person's account records and the group
// records, as stored.
func affectedRows(ctx context.Context, tx *sql.Tx, p personIDs) ([]storedRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+storedColumns+` FROM audit WHERE kind = 'group' OR source_id <> '' OR target_id <> '' OR user_name <> '' ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storedRow
	for rows.Next() {
		var r storedRow
		if err := scanStored(rows, &r); err != nil {
			return nil, err
		}
		pf := &r.personal
		if r.kind == "group" || p.owns(pf[fTargetID], pf[fSourceID], pf[fUserName]) {
			out = append(out, r)
		}
	}
	return out, rows.Err()
}

// redactMember removes the person's entries from a group record's
// members, and its detail, reasons and error when they name them. It
// returns the fields changed.
func redactMember(r *storedRow, p personIDs, x *hasher) ([]string, error) {
	var ms []storedMember
	if v := r.personal[fMembers]; v != "" {
		if err := json.Unmarshal([]byte(v), &ms); err != nil {
			return nil, err
		}
	}
	var changed []string
	for i, m := range ms {
		if p.member(m) {
			ms[i] = storedMember{Redacted: true}
			changed = append(changed, "member")
		}
	}
	if len(changed) > 0 {
		b, err := json.Marshal(ms)
		if err != nil {
			return nil, err
		}
		r.personal[fMembers] = string(b)
		changed = []string{"members"}
	}
	var texts []string
	for _, f := range []int{fDetail, fReasons, fError} {
		if names(r.personal[f], p) {
			texts = append(texts, personalFields[f])
		}
	}
	more, err := redactFields(r, x, texts...)
	return append(changed, more...), err
}

// names reports whether text names one of p's identities.
func names(text string, p personIDs) bool {
	low := strings.ToLower(text)
	for _, set := range []map[string]bool{p.names, p.sources, p.accounts} {
		for id := range set {
			if strings.Contains(low, strings.ToLower(id)) {
				return true
			}
		}
	}
	return false
}

// redactFields replaces fields of r (not yet redacted) by their digests
// in r.redacted and blanks them; when every personal field is redacted,
// the salt goes too. It returns the fields it redacted.
func redactFields(r *storedRow, x *hasher, fields ...string) ([]string, error) {
	red := map[string]string{}
	if r.redacted != "" {
		if err := json.Unmarshal([]byte(r.redacted), &red); err != nil {
			return nil, err
		}
	}
	var done []string
	for i, f := range personalFields {
		if _, ok := red[f]; ok || !contains(fields, f) {
			continue
		}
		red[f] = x.field(r.salt, r.personal[i])
		r.personal[i] = ""
		done = append(done, f)
	}
	if len(red) == nPersonal {
		r.salt = ""
	}
	b, err := json.Marshal(red)
	if err != nil {
		return nil, err
	}
	r.redacted = string(b)
	return done, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// storeRedaction writes the redacted row r back and, with event redact,
// chains it. The row's digest must be what it was, unless newMembers (a
// member was taken out of the members: the redact entry chains the new
// digest).
func storeRedaction(ctx context.Context, tx *sql.Tx, x *hasher, r *storedRow, event, note string, newMembers bool) error {
	var old storedRow
	if err := scanStored(tx.QueryRowContext(ctx, `SELECT `+storedColumns+` FROM audit WHERE id = ?`, r.id), &old); err != nil {
		return fmt.Errorf("redact audit %d: %w", r.id, err)
	}
	before, err := x.digest(&old)
	if err != nil {
		return fmt.Errorf("redact audit %d: %w", r.id, err)
	}
	after, err := x.digest(r)
	if err != nil || (after != before && !newMembers) {
		return fmt.Errorf("redact audit %d: the digest changed (%v)", r.id, err)
	}
	p := &r.personal
	if _, err := tx.ExecContext(ctx, `UPDATE audit SET salt = ?, source_id = ?, target_id = ?, user_name = ?, reasons = nullif(?, ''),
		before = nullif(?, ''), after = nullif(?, ''), detail = ?, error = ?, members = nullif(?, ''), redacted = ? WHERE id = ?`,
		r.salt, p[fSourceID], p[fTargetID], p[fUserName], p[fReasons], p[fBefore], p[fAfter], p[fDetail], p[fError], p[fMembers],
		r.redacted, r.id); err != nil {
		return fmt.Errorf("redact audit %d: %w", r.id, err)
	}
	if event == "" {
		return nil
	}
	return appendChain(ctx, tx, nil, newEntry{auditID: r.id, event: event, digest: after, note: note})
}

// Retention modes for PruneAudit.
const (
	RetentionDelete    = "delete"    // delete the records
	RetentionAnonymise = "anonymise" // keep them without their personal fields
)

// PruneAudit applies a retention period: the audit records older than
// before (the oldest ones, up to the first record that is newer or still
// pending; never the newest when deleting) are deleted (RetentionDelete) or lose
// every personal field (RetentionAnonymise). First a checkpoint of the
// records up to there is made (from records that verify: on an audit
// that does not, nothing is pruned), then the checkpoints before it are
// deleted with the records. One chain entry records it, naming the last
// record concerned, and the chain still verifies. It returns that
// record's ID and how many records changed.
func (s *Store) PruneAudit(ctx context.Context, before time.Time, mode string) (upTo int64, n int, err error) {
	if mode != RetentionDelete && mode != RetentionAnonymise {
		return 0, 0, fmt.Errorf("state: prune audit: mode %q is not %q or %q", mode, RetentionDelete, RetentionAnonymise)
	}
	// The newest record is never deleted: the next one then never gets an
	// ID a deleted one had (SQLite gives max(id) + 1), which the chain and
	// the checkpoints count on.
	const horizonQ = `SELECT coalesce((SELECT min(id) - 1 FROM audit WHERE time >= ?1 OR status = 'pending'),
			(SELECT max(id) - ?2 FROM audit), 0)`
	keep := 0 // the newest record stays when records are deleted
	if mode == RetentionDelete {
		keep = 1
	}
	var base int64
	if err := s.db.QueryRowContext(ctx, horizonQ, ms(before), keep).Scan(&base); err != nil {
		return 0, 0, fmt.Errorf("state: prune audit: %w", err)
	}
	if base <= 0 {
		return 0, 0, nil
	}
	// A checkpoint at the horizon keeps the accounts the records to go
	// gave: reports after it stay whole.
	if err := s.baseCheckpoint(ctx, base); err != nil {
		return 0, 0, fmt.Errorf("state: prune audit: a checkpoint at the horizon (record %d): %w", base, err)
	}
	err = s.write(ctx, "prune audit before "+before.UTC().Format(time.RFC3339), func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, horizonQ, ms(before), keep).Scan(&upTo)
		if err != nil || upTo <= 0 {
			return err
		}
		upTo = min(upTo, base)
		note := fmt.Sprintf("retention: records up to %d (older than %s) and the checkpoints before them ", upTo, before.UTC().Format(time.RFC3339))
		if mode == RetentionDelete {
			n, err = deleteUpTo(ctx, tx, upTo)
			note += "deleted"
		} else {
			n, err = anonymiseUpTo(ctx, tx, upTo)
			note += "anonymised"
		}
		if err != nil || n == 0 {
			return err
		}
		// The checkpoints before the horizon go with the records, under
		// the same entry.
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_checkpoint WHERE upto < ?`, upTo); err != nil {
			return err
		}
		event := map[string]string{RetentionDelete: eventPrune, RetentionAnonymise: eventAnonymise}[mode]
		d := sha256.Sum256([]byte(note))
		return appendChain(ctx, tx, nil, newEntry{auditID: upTo, event: event, digest: d, note: note})
	})
	return upTo, n, err
}

// baseCheckpoint makes a checkpoint of the records up to id unless there
// is one.
func (s *Store) baseCheckpoint(ctx context.Context, id int64) error {
	cps, err := checkpoints(ctx, s.db)
	if err != nil {
		return err
	}
	for _, c := range cps {
		if c.upTo == id {
			return nil
		}
	}
	n, err := s.makeCheckpoints(ctx, cps, []int64{id}, nil, "the retention's horizon")
	if err == nil && n == 0 {
		err = fmt.Errorf("a redaction or retention changed the audit while it was read; the next run tries again")
	}
	return err
}

func deleteUpTo(ctx context.Context, tx *sql.Tx, upTo int64) (int, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM audit WHERE id <= ?`, upTo)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func anonymiseUpTo(ctx context.Context, tx *sql.Tx, upTo int64) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+storedColumns+` FROM audit WHERE id <= ? AND salt <> '' ORDER BY id`, upTo)
	if err != nil {
		return 0, err
	}
	var list []storedRow
	for rows.Next() {
		var r storedRow
		if err := scanStored(rows, &r); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	x := newHasher()
	for i := range list {
		if _, err := redactFields(&list[i], x, personalFields[:]...); err != nil {
			return 0, fmt.Errorf("anonymise audit %d: %w", list[i].id, err)
		}
		if err := storeRedaction(ctx, tx, x, &list[i], "", "", false); err != nil {
			return 0, err
		}
	}
	return len(list), nil
}
