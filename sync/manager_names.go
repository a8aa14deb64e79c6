package sync

import "strconv"

// The manager attribute holds an account ID, which says little to a
// reader: a plan's manager change also names the accounts it points at
// (AttrChange.BeforeUserName, AfterUserName), found in the target's
// listing and in the links.

// accountName returns the userName of the account with ID id in the
// target, "" when neither the listing nor a link knows it.
func (b *builder) accountName(id string) string {
	if id == "" {
		return ""
	}
	if b.names == nil {
		b.names = make(map[string]string, b.list.Len()+len(b.in.ManagerLinks))
		for _, l := range b.in.Links {
			b.names[l.TargetID] = l.UserName
		}
		for _, l := range b.in.ManagerLinks {
			b.names[l.TargetID] = l.UserName
		}
		for i := range int32(b.list.Len()) {
			b.names[b.list.ID(i)] = b.list.UserName(i)
		}
	}
	return b.names[id]
}

// nameReference names the accounts a manager change points at.
func (b *builder) nameReference(d *AttrChange) {
	if d.Path != ManagerPath {
		return
	}
	d.BeforeUserName, d.AfterUserName = b.accountName(d.Before), b.accountName(d.After)
}

// beforeText and afterText are the values of d quoted, each followed by
// the userName of the account it refers to when known:
// "u012" (olivia).
func (d *AttrChange) beforeText() string { return quoteNamed(d.Before, d.BeforeUserName) }
func (d *AttrChange) afterText() string  { return quoteNamed(d.After, d.AfterUserName) }

func quoteNamed(v, name string) string {
	if name == "" {
		return strconv.Quote(v)
	}
	return strconv.Quote(v) + " (" + name + ")"
}
