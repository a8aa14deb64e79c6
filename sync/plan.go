package sync

import (
	"time"

	"github.com/idsync/idsync/targets"
)

// Kind classifies a change.
type Kind string

// The kinds of change, in the order a plan lists and applies them.
const (
	Leaver Kind = "leaver" // linked, and gone from the source, out of scope or disabled
	Mover  Kind = "mover"  // linked, and an attribute, a role or the DN changed
	// Rehire: a new source person (new ID) takes over the disabled account
	// of a person gone from the source, matched by userName or e-mail.
	Rehire Kind = "rehire"
	Adopt  Kind = "adopt"  // an unlinked target account that matches a source person
	Joiner Kind = "joiner" // in scope, no account linked yet
	Orphan Kind = "orphan" // a target account no source person is linked to
)

// kindOrder is the order of the changes in a plan and its reports. Leavers
// go first: losing access is the urgent part (Apply takes leavers and
// orphans first, then the others in this order).
var kindOrder = []Kind{Leaver, Mover, Rehire, Adopt, Joiner, Orphan}

// Action is what applying a change does in the target.
type Action string

// Actions.
const (
	Create Action = "create" // create the account
	Update Action = "update" // change attributes (and re-enable)
	Link   Action = "link"   // adopt: link, then update when After differs
	// Relink (a rehire) updates the account to After, re-activating it,
	// and moves its link from the old source ID (Change.PreviousSourceID)
	// to the new one in the same commit; its roles are planned from
	// scratch (the old person's removed, the new one's added).
	Relink  Action = "relink"
	Disable Action = "disable" // set active=false
	Delete  Action = "delete"  // delete the account
	Unlink  Action = "unlink"  // forget a link whose account is gone; no target call
	Record  Action = "record"  // state only: the DN changed, nothing to send
	Roles   Action = "roles"   // only group memberships change (see Plan.Groups)
	Report  Action = "report"  // nothing is done; listed for a human
)

// Writes reports whether the action calls the target.
func (a Action) Writes() bool {
	switch a {
	case Create, Update, Link, Relink, Disable, Delete:
		return true
	}
	return false
}

// Removes reports whether the action takes access away (what the deletion
// guards count).
func (a Action) Removes() bool { return a == Disable || a == Delete }

// AttrChange is one attribute that differs between the target and the
// desired account.
type AttrChange struct {
	Path   string `json:"path"`
	Before string `json:"before"`
	After  string `json:"after"`
	// Rule is the mapping rule that produced After ("" for active).
	Rule string `json:"rule,omitempty"`
	// BeforeUserName and AfterUserName are, for an attribute that holds
	// an account ID (manager), the userName of the account Before and
	// After refer to, when the target or the links know it.
	BeforeUserName string `json:"beforeUserName,omitempty"`
	AfterUserName  string `json:"afterUserName,omitempty"`
}

// RoleChange is a role a person gains or loses.
type RoleChange struct {
	Role   string `json:"role"`
	Reason string `json:"reason"`
}

// Change is one planned change to one account.
type Change struct {
	Kind     Kind   `json:"kind"`
	Action   Action `json:"action"`
	SourceID string `json:"sourceId,omitempty"`
	DN       string `json:"dn,omitempty"`
	// PreviousDN is set when the person was renamed or moved.
	PreviousDN string `json:"previousDn,omitempty"`
	// PreviousSourceID is, for a rehire, the source ID the account was
	// linked to (a person gone from the source).
	PreviousSourceID string `json:"previousSourceId,omitempty"`
	TargetID         string `json:"targetId,omitempty"`
	UserName         string `json:"userName"`
	// Before is the account as the target has it (nil for a joiner).
	Before *targets.Account `json:"before,omitempty"`
	// After is the account as it will be (nil for a delete or report).
	After        *targets.Account `json:"after,omitempty"`
	Attrs        []AttrChange     `json:"attributes,omitempty"`
	RolesAdded   []RoleChange     `json:"rolesAdded,omitempty"`
	RolesRemoved []RoleChange     `json:"rolesRemoved,omitempty"`
	// Reasons say, in words, why the change happens.
	Reasons []string `json:"reasons"`
	// DeleteOn is, for a leaver whose deletion is staged (delete_after),
	// when its disabled account is to be deleted: on a disable, the end of
	// the retention period that starts with it; on a report, the date
	// the account waits for.
	DeleteOn time.Time `json:"deleteOn,omitzero"`
	// Fingerprint records what the change was computed from, in a plan
	// saved to be applied later (PlanInputs.Fingerprint); nil otherwise.
	Fingerprint *Fingerprint `json:"fingerprint,omitempty"`
}

// Member is one account in a group change. TargetID is empty for an account
// that the same run creates; Apply resolves it from SourceID.
type Member struct {
	SourceID string `json:"sourceId,omitempty"`
	TargetID string `json:"targetId,omitempty"`
	UserName string `json:"userName"`
}

// GroupChange is the planned change to the group that holds one role.
type GroupChange struct {
	Role    string `json:"role"`
	GroupID string `json:"groupId,omitempty"`
	// Create is true when the group does not exist in the target yet.
	Create bool `json:"create,omitempty"`
	// Adopt is true when an existing group with the role's name is taken
	// over (its ID recorded) rather than created.
	Adopt  bool     `json:"adopt,omitempty"`
	Add    []Member `json:"add,omitempty"`
	Remove []Member `json:"remove,omitempty"`
}

// Summary counts a plan.
type Summary struct {
	SourcePeople   int `json:"sourcePeople"`
	InScope        int `json:"inScope"`
	Disabled       int `json:"disabled"`
	TargetAccounts int `json:"targetAccounts"`
	Linked         int `json:"linked"`
	Joiners        int `json:"joiners"`
	Movers         int `json:"movers"`
	// Leavers counts the leavers whose change does something (disable,
	// delete, roles taken, a record): a leaver listed only as a report
	// (protected, or disabled and waiting for its staged deletion) is not
	// one.
	Leavers int `json:"leavers"`
	// PendingDeletes counts the leavers' accounts already disabled and
	// waiting for their staged deletion (delete_after): report only, no
	// write, not counted in Leavers.
	PendingDeletes int `json:"pendingDeletes,omitempty"`
	Orphans        int `json:"orphans"`
	Adopted        int `json:"adopted"`
	Rehires        int `json:"rehires,omitempty"`
	Unchanged      int `json:"unchanged"`
	Creates        int `json:"creates"`
	Updates        int `json:"updates"`
	Disables       int `json:"disables"`
	Deletes        int `json:"deletes"`
	GroupsCreated  int `json:"groupsCreated"`
	MembersAdded   int `json:"membersAdded"`
	MembersRemoved int `json:"membersRemoved"`
}

// Plan is everything one run would change in one target. It is data: build
// it with BuildPlan, check it with the guards, print it, apply it.
type Plan struct {
	Target  string        `json:"target"`
	Created time.Time     `json:"created"`
	Changes []Change      `json:"changes"`
	Groups  []GroupChange `json:"groups,omitempty"`
	Summary Summary       `json:"summary"`
	// Incremental is set when the plan covers only the people some
	// directory changes touched; the Summary counts those alone.
	Incremental *Incremental `json:"incremental,omitempty"`
	// Warnings are things a human should look at that change nothing, such
	// as people the rules could not map (their accounts are left alone).
	Warnings []string `json:"warnings,omitempty"`
	// Digest is set on a saved plan (PlanInputs.Fingerprint): the digest of
	// its target, creation time, change fingerprints and group changes.
	Digest string `json:"digest,omitempty"`
}

// Pending reports whether applying the plan would change anything.
func (p *Plan) Pending() bool {
	for _, c := range p.Changes {
		if c.Action != Report {
			return true
		}
	}
	for _, g := range p.Groups {
		if g.Create || g.Adopt || len(g.Add) > 0 || len(g.Remove) > 0 {
			return true
		}
	}
	return false
}

// Removals counts the changes that disable or delete an account.
func (p *Plan) Removals() int {
	n := 0
	for _, c := range p.Changes {
		if c.Action.Removes() {
			n++
		}
	}
	return n
}

// explainAccount returns the reasons and attribute differences of the
// change, without its roles: an account write's audit row. Roles are
// granted by group changes, which are audited with their own outcome.
func (c *Change) explainAccount() []string {
	out := append([]string(nil), c.Reasons...)
	for _, d := range c.Attrs {
		line := d.Path + ": " + d.beforeText() + " -> " + d.afterText()
		if d.Rule != "" {
			line += " (" + d.Rule + ")"
		}
		out = append(out, line)
	}
	return out
}

// Explain returns every reason for the change in words: its reasons, each
// attribute difference with its rule, and each role gained or lost. An
// account write's audit row stores the part without roles; each group
// change has its own row.
func (c *Change) Explain() []string {
	out := c.explainAccount()
	for _, r := range c.RolesAdded {
		out = append(out, "role +"+r.Role+": "+r.Reason)
	}
	for _, r := range c.RolesRemoved {
		out = append(out, "role -"+r.Role+": "+r.Reason)
	}
	return out
}
