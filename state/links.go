package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Link ties a source person (SourceID: entryUUID, objectGUID) to the account
// idsync created or adopted for them in a target (TargetID). A target has at
// most one link per source ID and per target account ID.
type Link struct {
	Target   string
	SourceID string
	TargetID string
	UserName string // the account's userName when last written
	DN       string // the source DN when last written (changes on rename/move)
	Active   bool   // false once idsync disabled the account
	Created  time.Time
	// Updated is when idsync last wrote an active link; for an inactive
	// one, when it turned inactive or was last disabled (an account
	// someone turned on again), which other writes to it keep:
	// delete_after's retention counts from it.
	Updated time.Time
}

// Op is one applied change to record with Commit: its audit row and the link
// change it implies, if any. At most one of Link and Unlink is set.
type Op struct {
	// Audit is the row to insert. Target, Kind and Action are required; a
	// zero Time means now; an empty SourceID or TargetID is taken from
	// Link. A zero ID inserts a new row; the ID Begin returned completes
	// that pending row instead.
	Audit Audit
	// Link, when non-nil, is inserted or, when (Target, SourceID) is
	// already linked, updated (TargetID, UserName, DN, Active). An empty
	// Link.Target means Audit.Target. Created and Updated are set from
	// Audit.Time (Created only on insert; Updated not on an inactive link
	// that stays inactive on the same account, unless Audit.Action is a
	// disable: see Link.Updated). Linking an account that is
	// linked to another source ID fails with ErrLinkConflict, unless that
	// source ID is Replaces.
	Link *Link
	// Replaces, with Link, is the source ID whose link to Link.TargetID
	// the new link replaces in the same transaction: a rehire gives the
	// account of a person gone from the source to their new identity.
	// Replacing a link that no longer exists is not an error.
	Replaces string
	// Next, when set, is the intent of the next target write, recorded as
	// Begin would (pending) in the same transaction, after the rest of the
	// op: one commit records a write's outcome and the next one's intent.
	// Commit sets Next.ID.
	Next *Audit
	// Unlink deletes Audit.SourceID's link in Audit.Target; when
	// Audit.TargetID is also set only a link to that account is deleted,
	// and when Audit.SourceID is empty the link of Audit.TargetID is. No
	// matching link is not an error (the change may be replayed after a
	// crash).
	Unlink bool
}

// Commit records one applied change in one transaction: the audit row and
// the link change are both written or, on any error (including ctx being
// cancelled before the commit), neither is. Call it right after the target
// accepted the change (or with Audit.Error set after it refused one). Errors
// wrap ErrLinkConflict when Link would give an account a second source ID.
func (s *Store) Commit(ctx context.Context, op Op) error {
	a := op.Audit
	if op.Link != nil {
		if a.SourceID == "" {
			a.SourceID = op.Link.SourceID
		}
		if a.TargetID == "" {
			a.TargetID = op.Link.TargetID
		}
	}
	what := fmt.Sprintf("commit %s/%s source %q account %q", a.Kind, a.Action, a.SourceID, a.TargetID)
	if err := a.check(); err != nil {
		return fmt.Errorf("state: %s: %w", what, err)
	}
	var l Link
	if op.Link != nil {
		l = *op.Link
		if l.Target == "" {
			l.Target = a.Target
		}
		switch {
		case op.Unlink:
			return fmt.Errorf("state: %s: op has both Link and Unlink", what)
		case l.Target != a.Target:
			return fmt.Errorf("state: %s: link target %q differs from audit target %q", what, l.Target, a.Target)
		case l.SourceID == "" || l.TargetID == "":
			return fmt.Errorf("state: %s: link needs a source ID and a target ID", what)
		}
	}
	if op.Replaces != "" && (op.Link == nil || op.Replaces == l.SourceID) {
		return fmt.Errorf("state: %s: Replaces needs a Link to another source ID", what)
	}
	if op.Unlink && a.SourceID == "" && a.TargetID == "" {
		return fmt.Errorf("state: %s: unlink needs a source ID or a target ID", what)
	}
	var next Audit
	if op.Next != nil {
		next = *op.Next
		next.Status, next.ID = AuditPending, 0
		if err := next.check(); err != nil {
			return fmt.Errorf("state: %s: next: %w", what, err)
		}
	}
	var nextID int64
	err := s.write(ctx, what, func(tx *sql.Tx) error {
		done, err := s.putRow(ctx, tx, a)
		if err != nil {
			return err
		}
		if op.Replaces != "" {
			if err := s.unlink(ctx, tx, a.Target, op.Replaces, l.TargetID); err != nil {
				return err
			}
		}
		switch {
		case op.Link != nil:
			// A disable, even of an account someone turned on again while
			// its link stayed inactive, starts delete_after's retention.
			err = s.upsertLink(ctx, tx, l, a.Time, a.Action == "disable" && a.Error == "")
		case op.Unlink:
			err = s.unlink(ctx, tx, a.Target, a.SourceID, a.TargetID)
		}
		if err != nil {
			return err
		}
		if op.Next == nil {
			return appendChain(ctx, tx, &s.stmts, done)
		}
		d, err := s.insertRow(ctx, tx, next)
		if err != nil {
			return err
		}
		nextID = d.id
		// The outcome's entry, then the intent's: one read and one write
		// of the chain's head.
		return appendChain(ctx, tx, &s.stmts, done, newEntry{auditID: d.id, event: eventInsert, digest: d.digest})
	})
	if err == nil && op.Next != nil {
		op.Next.ID = nextID
	}
	return err
}

// upsertLink inserts or updates l; restart sets Updated even on an
// inactive link that stays inactive on the same account (a new disable).
func (s *Store) upsertLink(ctx context.Context, tx *sql.Tx, l Link, at time.Time, restart bool) error {
	var owner string
	err := tx.StmtContext(ctx, s.stmts.linkOwner).QueryRow(l.Target, l.TargetID).Scan(&owner)
	switch {
	case err == nil && owner != l.SourceID:
		return fmt.Errorf("link source %q to account %q: the account is linked to source %q: %w",
			l.SourceID, l.TargetID, owner, ErrLinkConflict)
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("link source %q to account %q: %w", l.SourceID, l.TargetID, err)
	}
	_, err = tx.StmtContext(ctx, s.stmts.upsertLink).Exec(l.Target, l.SourceID, l.TargetID,
		l.UserName, l.DN, l.Active, ms(at), ms(at), restart)
	if err != nil {
		return fmt.Errorf("link source %q to account %q: %w", l.SourceID, l.TargetID, err)
	}
	return nil
}

func (s *Store) unlink(ctx context.Context, tx *sql.Tx, target, sourceID, targetID string) error {
	var err error
	switch {
	case sourceID == "":
		_, err = tx.StmtContext(ctx, s.stmts.unlinkTarget).Exec(target, targetID)
	case targetID == "":
		_, err = tx.StmtContext(ctx, s.stmts.unlinkSource).Exec(target, sourceID)
	default:
		_, err = tx.StmtContext(ctx, s.stmts.unlinkBoth).Exec(target, sourceID, targetID)
	}
	if err != nil {
		return fmt.Errorf("unlink source %q account %q: %w", sourceID, targetID, err)
	}
	return nil
}

// Links calls fn exactly once for each link of target, in source ID order,
// and stops at the first error fn returns, returning it unwrapped. A Links
// that returns nil has seen every link.
func (s *Store) Links(ctx context.Context, target string, fn func(Link) error) error {
	if err := needTarget("links", target); err != nil {
		return err
	}
	// The four strings of a row come as one, with their byte lengths, and
	// are sliced from it: one allocation per link instead of four, which
	// matters when a plan loads a hundred thousand of them.
	rows, err := s.db.QueryContext(ctx, `SELECT source_id || target_id || user_name || dn,
		length(CAST(source_id AS BLOB)), length(CAST(target_id AS BLOB)), length(CAST(user_name AS BLOB)),
		active, created, updated
		FROM links WHERE target = ? ORDER BY source_id`, target)
	if err != nil {
		return fmt.Errorf("state: links of %s: %w", target, err)
	}
	defer rows.Close()
	l := Link{Target: target}
	var (
		all              string
		ns, nt, nu       int
		created, updated int64
	)
	for rows.Next() {
		if err := rows.Scan(&all, &ns, &nt, &nu, &l.Active, &created, &updated); err != nil {
			return fmt.Errorf("state: links of %s: %w", target, err)
		}
		if ns < 0 || nt < 0 || nu < 0 || ns+nt+nu > len(all) {
			return fmt.Errorf("state: links of %s: bad field lengths %d, %d, %d for %d bytes", target, ns, nt, nu, len(all))
		}
		l.SourceID, l.TargetID, l.UserName, l.DN = all[:ns], all[ns:ns+nt], all[ns+nt:ns+nt+nu], all[ns+nt+nu:]
		l.Created, l.Updated = fromMS(created), fromMS(updated)
		if err := fn(l); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("state: links of %s: %w", target, err)
	}
	return nil
}

// PlanLink is what planning reads of a link: Link without the target
// name and the times, which a plan never looks at. At 100,000 links it is
// half the memory of a Link.
type PlanLink struct {
	SourceID string
	TargetID string
	UserName string    // the account's userName when last written
	DN       string    // the source DN when last written
	Active   bool      // false once idsync disabled the account
	Updated  time.Time // see Link.Updated
}

// PlanLinks calls fn exactly once for each link of target, in source ID
// order, with what planning reads of it, and stops at the first error fn
// returns, returning it unwrapped. Each string has its own allocation, so
// that a caller holding an equal string (the target's copy of the account
// ID, userName and externalId) can keep that one instead.
func (s *Store) PlanLinks(ctx context.Context, target string, fn func(PlanLink) error) error {
	if err := needTarget("links", target); err != nil {
		return err
	}
	rows, err := s.stmts.planLinks.QueryContext(ctx, target)
	return scanPlanLinks(rows, err, "links of "+target, fn)
}

// InactiveLinks is PlanLinks for the inactive links of target only (the
// accounts idsync disabled); the database, not the caller, skips the rest.
func (s *Store) InactiveLinks(ctx context.Context, target string, fn func(PlanLink) error) error {
	if err := needTarget("links", target); err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT source_id, target_id, user_name, dn, active, updated
		FROM links WHERE target = ? AND NOT active ORDER BY source_id`, target)
	return scanPlanLinks(rows, err, "inactive links of "+target, fn)
}

// scanPlanLinks calls fn with each row of a planLinks-shaped query, then
// closes rows.
func scanPlanLinks(rows *sql.Rows, err error, what string, fn func(PlanLink) error) error {
	if err != nil {
		return fmt.Errorf("state: %s: %w", what, err)
	}
	defer rows.Close()
	var l PlanLink
	var updated int64
	for rows.Next() {
		if err := rows.Scan(&l.SourceID, &l.TargetID, &l.UserName, &l.DN, &l.Active, &updated); err != nil {
			return fmt.Errorf("state: %s: %w", what, err)
		}
		l.Updated = fromMS(updated)
		if err := fn(l); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("state: %s: %w", what, err)
	}
	return nil
}

// LinkOf returns the link of target's account targetID; ErrNotFound when
// the account is not linked.
func (s *Store) LinkOf(ctx context.Context, target, targetID string) (Link, error) {
	l := Link{Target: target, TargetID: targetID}
	var created, updated int64
	err := s.stmts.linkOf.QueryRowContext(ctx, target, targetID).
		Scan(&l.SourceID, &l.UserName, &l.DN, &l.Active, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, fmt.Errorf("state: link of account %q in %s: %w", targetID, target, ErrNotFound)
	}
	if err != nil {
		return Link{}, fmt.Errorf("state: link of account %q in %s: %w", targetID, target, err)
	}
	l.Created, l.Updated = fromMS(created), fromMS(updated)
	return l, nil
}
