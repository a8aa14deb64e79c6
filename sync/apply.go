package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// Recorder is the part of the state store Apply writes to.
type Recorder interface {
	// Commit stores one applied change: its audit row and its link change,
	// together or not at all.
	Commit(ctx context.Context, op state.Op) error
	// SetGroupID records the group that holds a role, with its audit row.
	SetGroupID(ctx context.Context, target, role, groupID string, audit state.Audit) error
}

// Result counts what Apply did.
type Result struct {
	// Status is the run's outcome for the target: planned, applied,
	// partial (some changes rejected), refused (a guard) or failed.
	Status  string `json:"status"`
	Applied int    `json:"applied"`
	// Failed counts changes the target refused one by one (ErrRejected);
	// the run went on and the next run tries them again.
	Failed int      `json:"failed"`
	Errors []string `json:"errors,omitempty"`
}

// Applier performs plans against one target.
type Applier struct {
	Name   string
	Target targets.Target
	Store  Recorder
	RunID  int64
	Log    logrus.FieldLogger
	Now    func() time.Time
}

// Apply performs the plan change by change, leavers first, then the group
// changes. Each change is committed to the store right after the target
// accepted it. A change the target rejects is recorded and skipped; any
// other error stops Apply at once and is returned, with everything before
// it committed, so the next run carries on where this one stopped.
func (ap *Applier) Apply(ctx context.Context, p *Plan) (Result, error) {
	var res Result
	created := map[string]string{} // source ID -> target ID of accounts made or adopted now
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Action == Report {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		id, err := ap.change(ctx, c)
		if err != nil {
			if !errors.Is(err, targets.ErrRejected) {
				return res, fmt.Errorf("apply %s %s %q: %w", c.Kind, c.Action, c.UserName, err)
			}
			res.Failed++
			res.Errors = append(res.Errors, fmt.Sprintf("%s %q: %v", c.Action, c.UserName, err))
			ap.Log.WithError(err).WithField("user", c.UserName).Warn("change rejected by target; will retry next run")
			continue
		}
		if id != "" {
			created[c.SourceID] = id
		}
		res.Applied++
	}
	if len(p.Groups) > 0 {
		gm, ok := ap.Target.(targets.GroupManager)
		if !ok {
			return res, fmt.Errorf("target %s does not manage groups", ap.Name)
		}
		for i := range p.Groups {
			n, err := ap.group(ctx, gm, &p.Groups[i], created)
			res.Applied += n
			if err != nil {
				if !errors.Is(err, targets.ErrRejected) {
					return res, fmt.Errorf("apply group %q: %w", p.Groups[i].Role, err)
				}
				res.Failed++
				res.Errors = append(res.Errors, fmt.Sprintf("group %q: %v", p.Groups[i].Role, err))
			}
		}
	}
	return res, nil
}

func (ap *Applier) audit(c *Change, action Action, errText string) state.Audit {
	return state.Audit{
		RunID: ap.RunID, Time: ap.Now(), Target: ap.Name, Kind: string(c.Kind), Action: string(action),
		SourceID: c.SourceID, TargetID: c.TargetID, UserName: c.UserName, Reasons: c.Explain(),
		Before: c.Before, After: c.After, Error: errText,
	}
}

func (ap *Applier) link(c *Change, targetID string, active bool) *state.Link {
	return &state.Link{Target: ap.Name, SourceID: c.SourceID, TargetID: targetID,
		UserName: c.UserName, DN: c.DN, Active: active}
}

// change performs one account change and commits it. It returns the target
// ID of an account it created or adopted.
func (ap *Applier) change(ctx context.Context, c *Change) (string, error) {
	log := ap.Log.WithFields(logrus.Fields{"kind": c.Kind, "action": c.Action, "user": c.UserName})
	var op state.Op
	var id string
	switch c.Action {
	case Create:
		newID, err := ap.Target.Create(ctx, *c.After)
		if errors.Is(err, targets.ErrConflict) {
			return ap.adoptOnConflict(ctx, c, err)
		}
		if err != nil {
			return "", ap.failed(ctx, c, err)
		}
		id = newID
		c.TargetID = id
		op = state.Op{Audit: ap.audit(c, Create, ""), Link: ap.link(c, id, true)}
	case Update, Link:
		if c.Action == Update || len(c.Attrs) > 0 || c.Before.ExternalID != c.After.ExternalID {
			if err := ap.Target.Update(ctx, c.TargetID, *c.After); err != nil {
				return "", ap.failed(ctx, c, err)
			}
		}
		if c.Action == Link {
			id = c.TargetID
		}
		op = state.Op{Audit: ap.audit(c, c.Action, ""), Link: ap.link(c, c.TargetID, true)}
	case Disable:
		var err error
		if d, ok := ap.Target.(targets.Deactivator); ok {
			err = d.Deactivate(ctx, c.TargetID)
		} else {
			err = ap.Target.Update(ctx, c.TargetID, *c.After)
		}
		if err != nil {
			return "", ap.failed(ctx, c, err)
		}
		op = state.Op{Audit: ap.audit(c, Disable, "")}
		if c.Kind == Leaver {
			op.Link = ap.link(c, c.TargetID, false)
		}
	case Delete:
		if err := ap.Target.Delete(ctx, c.TargetID); err != nil && !errors.Is(err, targets.ErrNotFound) {
			return "", ap.failed(ctx, c, err)
		}
		op = state.Op{Audit: ap.audit(c, Delete, ""), Unlink: c.Kind == Leaver}
	case Unlink:
		op = state.Op{Audit: ap.audit(c, Unlink, ""), Unlink: true}
	case Record, Roles:
		op = state.Op{Audit: ap.audit(c, c.Action, "")}
		if c.TargetID != "" && c.SourceID != "" {
			op.Link = ap.link(c, c.TargetID, c.Kind != Leaver)
		}
	default:
		return "", fmt.Errorf("unknown action %q", c.Action)
	}
	if err := ap.Store.Commit(ctx, op); err != nil {
		return "", err
	}
	log.Debug("applied")
	return id, nil
}

// failed handles a target error: an account that vanished is unlinked, a
// rejection is audited; the error is returned either way.
func (ap *Applier) failed(ctx context.Context, c *Change, err error) error {
	if errors.Is(err, targets.ErrNotFound) && c.SourceID != "" && c.TargetID != "" {
		a := ap.audit(c, Unlink, "account vanished from the target during the run; it is planned again next run")
		if cerr := ap.Store.Commit(ctx, state.Op{Audit: a, Unlink: true}); cerr != nil {
			return errors.Join(err, cerr)
		}
		return fmt.Errorf("%w (%w)", targets.ErrRejected, err)
	}
	a := ap.audit(c, c.Action, err.Error())
	if cerr := ap.Store.Commit(ctx, state.Op{Audit: a}); cerr != nil {
		return errors.Join(err, cerr)
	}
	return err
}

// adoptOnConflict handles a create the target refused because the userName
// exists: the existing account is looked up and adopted (linked, then
// updated), never duplicated.
func (ap *Applier) adoptOnConflict(ctx context.Context, c *Change, conflict error) (string, error) {
	f, ok := ap.Target.(targets.Finder)
	if !ok {
		return "", ap.failed(ctx, c, fmt.Errorf("%w; the next run adopts the existing account (%w)", targets.ErrRejected, conflict))
	}
	a, err := f.FindByUserName(ctx, c.After.UserName)
	if err != nil {
		return "", ap.failed(ctx, c, fmt.Errorf("create conflicted and the existing account was not found: %w", err))
	}
	c.Kind, c.Action, c.TargetID, c.Before = Adopt, Link, a.ID, &a
	c.Reasons = append(c.Reasons, fmt.Sprintf("create refused (userName exists); adopted account %s", a.ID))
	if err := ap.Target.Update(ctx, a.ID, *c.After); err != nil {
		return "", ap.failed(ctx, c, err)
	}
	op := state.Op{Audit: ap.audit(c, Link, ""), Link: ap.link(c, a.ID, true)}
	if err := ap.Store.Commit(ctx, op); err != nil {
		return "", err
	}
	return a.ID, nil
}
