package sync

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"time"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// Fingerprint records, as digests, what one change of a saved plan was
// computed from and what it is. A saved plan is applied change by change
// only where the fresh plan's fingerprint is the same (see SavedPlan).
// Each digest is the first 16 bytes, in hex, of the SHA-256 of
// length-prefixed fields; "" stands for an input the change has none of.
type Fingerprint struct {
	// Source digests the mapped source person: its DN and Person.Hash
	// (scope, disabled, the account the rules give, the role names).
	Source string `json:"source,omitempty"`
	// Account digests the target account as listed: ID, userName,
	// externalId, active, every attribute and the IDs of its groups.
	Account string `json:"account,omitempty"`
	// Link digests the state's link of the person (or, for a rehire, of
	// the person whose account is taken over): source and target IDs,
	// userName, DN and active.
	Link string `json:"link,omitempty"`
	// Change digests the change itself: kind, action, IDs, DNs, the
	// accounts before and after, every attribute and role difference with
	// its rule and the reasons.
	Change string `json:"change"`
}

// digester hashes length-prefixed fields.
type digester struct {
	h   hash.Hash
	buf []byte
}

func newDigester(kind string) *digester {
	d := &digester{h: sha256.New(), buf: make([]byte, 0, 128)}
	d.field(kind)
	return d
}

func (d *digester) field(s string) {
	d.buf = strconv.AppendInt(d.buf[:0], int64(len(s)), 10)
	d.buf = append(d.buf, ':')
	d.h.Write(d.buf)
	d.h.Write([]byte(s))
}

func (d *digester) fields(ss ...string) {
	for _, s := range ss {
		d.field(s)
	}
}

func (d *digester) bool(b bool) { d.field(strconv.FormatBool(b)) }

func (d *digester) int(n int) { d.field(strconv.Itoa(n)) }

// account hashes a (nil: the single field "none").
func (d *digester) account(a *targets.Account) {
	if a == nil {
		d.field("none")
		return
	}
	d.fields("account", a.ID, a.UserName, a.ExternalID)
	d.bool(a.Active)
	attrs := a.Attrs.InOrder()
	d.int(len(attrs))
	for _, at := range attrs {
		d.fields(at.Path, at.Value)
	}
}

func (d *digester) sum() string { return hex.EncodeToString(d.h.Sum(nil)[:16]) }

// changeDigest digests the content of c (its Fingerprint excluded).
func changeDigest(c *Change) string {
	d := newDigester("idsync-change-v1")
	d.fields(string(c.Kind), string(c.Action), c.SourceID, c.DN, c.PreviousDN, c.PreviousSourceID, c.TargetID, c.UserName)
	d.account(c.Before)
	d.account(c.After)
	d.int(len(c.Attrs))
	for _, a := range c.Attrs {
		d.fields(a.Path, a.Before, a.After, a.Rule)
	}
	for _, roles := range [][]RoleChange{c.RolesAdded, c.RolesRemoved} {
		d.int(len(roles))
		for _, r := range roles {
			d.fields(r.Role, r.Reason)
		}
	}
	d.int(len(c.Reasons))
	d.fields(c.Reasons...)
	return d.sum()
}

// groupDigest digests a group change, members included.
func groupDigest(g *GroupChange) string {
	d := newDigester("idsync-group-v1")
	d.fields(g.Role, g.GroupID)
	d.bool(g.Create)
	d.bool(g.Adopt)
	for _, ms := range [][]Member{g.Add, g.Remove} {
		d.int(len(ms))
		for _, m := range ms {
			d.fields(m.SourceID, m.TargetID, m.UserName)
		}
	}
	return d.sum()
}

// planDigest digests a fingerprinted plan: its target, creation time, every
// change's key and fingerprint and every group change. A saved plan whose
// digest is not that of its content was edited after it was written.
func planDigest(p *Plan) string {
	h := newPlanHasher()
	for i := range p.Changes {
		h.change(&p.Changes[i])
	}
	for i := range p.Groups {
		h.group(&p.Groups[i])
	}
	return h.sum(p.Target, p.Created)
}

// planHasher computes planDigest a change at a time, in any order of the
// plan's members: a saved plan is read as a stream.
type planHasher struct {
	changes, groups *digester
	nc, ng          int
}

func newPlanHasher() *planHasher {
	return &planHasher{changes: newDigester("idsync-plan-changes-v1"), groups: newDigester("idsync-plan-groups-v1")}
}

func (h *planHasher) change(c *Change) {
	f := c.Fingerprint
	if f == nil {
		f = &Fingerprint{}
	}
	h.changes.fields(changeKey(c), f.Source, f.Account, f.Link, f.Change)
	h.nc++
}

func (h *planHasher) group(g *GroupChange) {
	h.groups.field(groupDigest(g))
	h.ng++
}

func (h *planHasher) sum(target string, created time.Time) string {
	h.changes.int(h.nc)
	h.groups.int(h.ng)
	d := newDigester("idsync-plan-v1")
	d.fields(target, created.UTC().Format(time.RFC3339Nano), h.changes.sum(), h.groups.sum())
	return d.sum()
}

// changeKey identifies a change within a plan: a person plans at most one
// change and a target account without a person (an orphan) at most one.
func changeKey(c *Change) string { return c.SourceID + "\x00" + c.TargetID }

// Fingerprint sets the fingerprint of every change of p from in, what p was
// built from, and p's Digest. Options.Inspect can call it (plan --out).
func (in *PlanInputs) Fingerprint(p *Plan) {
	for i := range p.Changes {
		c := &p.Changes[i]
		c.Fingerprint = in.fingerprint(c)
	}
	p.Digest = planDigest(p)
}

// fingerprint returns the fingerprint of c, computed from in.
func (in *PlanInputs) fingerprint(c *Change) *Fingerprint {
	f := &Fingerprint{Change: changeDigest(c)}
	if p := in.Person(c.SourceID); p != nil {
		f.Source = sourceDigest(p)
	}
	if c.TargetID != "" {
		d := newDigester("idsync-listed-v1")
		d.account(in.Account(c.TargetID))
		groups := in.GroupIDs(c.TargetID)
		d.int(len(groups))
		d.fields(groups...)
		f.Account = d.sum()
	}
	linked := c.SourceID
	if c.PreviousSourceID != "" {
		linked = c.PreviousSourceID
	}
	if l := in.Link(linked); l != nil {
		f.Link = linkDigest(l)
	}
	return f
}

func sourceDigest(p *mapping.Person) string {
	d := newDigester("idsync-source-v1")
	d.fields(p.DN, p.Hash())
	return d.sum()
}

func linkDigest(l *state.PlanLink) string {
	d := newDigester("idsync-link-v1")
	d.fields(l.SourceID, l.TargetID, l.UserName, l.DN)
	d.bool(l.Active)
	return d.sum()
}
