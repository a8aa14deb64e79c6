package sync

import (
	"strconv"

	"github.com/idsync/idsync/targets"
)

// change writes one change as an article: its heading, the attributes
// before → after, the roles gained and lost, and the reasons.
func (h *htmlWriter) change(c *Change) {
	h.raw(`<article class="change" data-kind="`, string(c.Kind), `" data-action="`, string(c.Action), `" data-user="`)
	h.esc(c.UserName)
	h.raw(`"><h4><span class="mark">`, kindMark[c.Kind], "</span> ")
	h.esc(c.UserName)
	if name := displayName(c); name != "" {
		h.raw(` <span class="name">`)
		h.esc(name)
		h.raw("</span>")
	}
	label := string(c.Action)
	if c.Action == Report {
		label = "report only"
	}
	h.raw(` <span class="action">`, label, `</span> <span class="ids">`)
	h.ids(c)
	h.raw("</span></h4>\n")
	h.attrs(c)
	if len(c.RolesAdded)+len(c.RolesRemoved) > 0 {
		h.raw(`<ul class="roles">`)
		h.roles("add", c.RolesAdded)
		h.roles("remove", c.RolesRemoved)
		h.raw("</ul>\n")
	}
	if len(c.Reasons) > 0 {
		h.raw(`<ul class="reasons">`)
		for _, r := range c.Reasons {
			h.raw(`<li class="reason">because: `)
			h.esc(r)
			h.raw("</li>")
		}
		h.raw("</ul>\n")
	}
	h.raw("</article>\n")
}

// displayName is the change's account's display name, after or before.
func displayName(c *Change) string {
	if c.After != nil && c.After.Attrs.Get("displayName") != "" {
		return c.After.Attrs.Get("displayName")
	}
	if c.Before != nil {
		return c.Before.Attrs.Get("displayName")
	}
	return ""
}

// ids writes the change's source ID, target ID and DN.
func (h *htmlWriter) ids(c *Change) {
	sep := ""
	for _, f := range []struct{ label, v string }{{"source ID ", c.SourceID}, {"target ID ", c.TargetID}, {"", c.DN}} {
		if f.v != "" {
			h.raw(sep, f.label)
			h.esc(f.v)
			sep = " · "
		}
	}
}

// attrs writes the table of what changes: the attribute differences with
// their rules; for a change without any, the account created (every value
// after) or, for a disable, active true → false.
func (h *htmlWriter) attrs(c *Change) {
	rows := c.Attrs
	switch {
	case len(rows) > 0:
	case c.Before == nil && c.After != nil:
		rows = created(c.After)
	case c.Action == Disable:
		rows = []AttrChange{{Path: "active", Before: "true", After: "false"}}
	case c.Action == Delete:
		rows = []AttrChange{{Path: "account", Before: c.UserName, After: "(deleted)"}}
	}
	if c.PreviousDN != "" {
		rows = append([]AttrChange{{Path: "dn", Before: c.PreviousDN, After: c.DN, Rule: "renamed or moved in the source"}}, rows...)
	}
	if len(rows) == 0 {
		return
	}
	h.raw(`<table class="attrs"><tbody>`, "\n")
	for _, d := range rows {
		h.raw(`<tr><td class="path">`)
		h.esc(d.Path)
		h.raw(`</td><td class="before">`)
		h.esc(named(d.Before, d.BeforeUserName))
		h.raw(`</td><td>→</td><td class="after">`)
		h.esc(named(d.After, d.AfterUserName))
		h.raw(`</td><td class="rule">`)
		h.esc(d.Rule)
		h.raw("</td></tr>\n")
	}
	h.raw("</tbody></table>\n")
}

// named is v followed by the userName of the account it refers to, when
// known: "u012 (olivia)".
func named(v, name string) string {
	if name == "" {
		return v
	}
	return v + " (" + name + ")"
}

// created lists the values of an account to be created as changes from "".
func created(a *targets.Account) []AttrChange {
	out := []AttrChange{{Path: "userName", After: a.UserName}}
	if a.ExternalID != "" {
		out = append(out, AttrChange{Path: "externalId", After: a.ExternalID})
	}
	for _, at := range a.Attrs.InOrder() {
		if at.Value != "" {
			out = append(out, AttrChange{Path: at.Path, After: at.Value})
		}
	}
	return out
}

func (h *htmlWriter) roles(class string, rs []RoleChange) {
	sign := "+"
	if class == "remove" {
		sign = "-"
	}
	for _, r := range rs {
		h.raw(`<li class="`, class, `">role `, sign)
		h.esc(r.Role)
		h.raw(` <span class="why">`)
		h.esc(r.Reason)
		h.raw("</span></li>")
	}
}

// groups writes the group changes: each group's creation or adoption and
// its members added and removed.
func (h *htmlWriter) groups(gs []GroupChange) {
	if len(gs) == 0 {
		return
	}
	h.raw(`<section class="groups"><h3>Groups (`, strconv.Itoa(len(gs)), ")</h3>\n")
	for i := range gs {
		g := &gs[i]
		what := "members"
		switch {
		case g.Create:
			what = "create group"
		case g.Adopt:
			what = "adopt group " + g.GroupID
		}
		h.raw(`<article class="group" data-role="`)
		h.esc(g.Role)
		h.raw(`"><h4>`)
		h.esc(g.Role)
		h.raw(` <span class="action">`)
		h.esc(what)
		h.raw("</span></h4>\n")
		h.members("add", g.Add)
		h.members("remove", g.Remove)
		h.raw("</article>\n")
	}
	h.raw("</section>\n")
}

func (h *htmlWriter) members(verb string, ms []Member) {
	if len(ms) == 0 {
		return
	}
	h.raw(`<p class="`, verb, `">`, verb, " ", strconv.Itoa(len(ms)), ": ")
	for i, m := range ms {
		if i > 0 {
			h.raw(", ")
		}
		h.esc(m.UserName)
	}
	h.raw("</p>\n")
}
