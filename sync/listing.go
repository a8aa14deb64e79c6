package sync

import (
	"slices"

	"github.com/idsync/idsync/targets"
)

// Listing is a target's accounts as planning holds them. Of each account
// it keeps the fixed fields and the values of the attribute paths planning
// compares (the managed ones, and the primary e-mail that adoption and
// rehires match on), one string per path in one array shared by every
// account: a listing of 100,000 accounts holds no attribute path and no
// slice per account. An account's other attributes (and any given as
// empty) are kept beside, so that Account returns every account exactly as
// it was listed.
//
// The zero value is not usable: make one with NewListing or ListingOf.
type Listing struct {
	paths    []string       // the paths held, sorted, in the order of vals
	pathIdx  map[string]int // path -> index in paths
	accounts []listedAccount
	vals     []string // account i's values: vals[i*len(paths) : (i+1)*len(paths)]
	// extra holds, by account index, the attributes vals does not: those
	// of other paths and those given as empty, sorted.
	extra map[int32]targets.Attrs
	// whole holds, by account index, the attributes of the accounts whose
	// attributes are nil or not sorted and unique, as they were listed.
	whole map[int32]targets.Attrs
	// src, when the listing was made by ListingOf, is the accounts it was
	// made of: Account returns those.
	src []targets.Account
}

// listedAccount is the fixed fields of a listed account.
type listedAccount struct {
	ID, UserName, ExternalID string
	Active                   bool
}

// NewListing returns an empty listing that holds the values of paths
// (and of "emails.work"; the fixed fields userName, externalId and active
// are held anyway), with room for about n accounts.
func NewListing(paths []string, n int) *Listing {
	l := &Listing{pathIdx: map[string]int{}}
	for _, p := range append(slices.Clone(paths), "emails.work") {
		switch p {
		case "userName", "externalId", "active":
			continue
		}
		if _, ok := l.pathIdx[p]; !ok {
			l.pathIdx[p] = 0
			l.paths = append(l.paths, p)
		}
	}
	slices.Sort(l.paths)
	for k, p := range l.paths {
		l.pathIdx[p] = k
	}
	l.accounts = make([]listedAccount, 0, n)
	l.vals = make([]string, 0, n*len(l.paths))
	return l
}

// ListingOf returns a listing of accounts, holding the values of paths.
// Its Account returns the accounts themselves (&accounts[i]).
func ListingOf(paths []string, accounts []targets.Account) *Listing {
	l := NewListing(paths, len(accounts))
	for i := range accounts {
		l.Add(accounts[i])
	}
	l.src = accounts
	return l
}

// Add appends a to the listing. The listing keeps a's strings, not copies.
func (l *Listing) Add(a targets.Account) {
	i := int32(len(l.accounts))
	l.accounts = append(l.accounts, listedAccount{ID: a.ID, UserName: a.UserName, ExternalID: a.ExternalID, Active: a.Active})
	start := len(l.vals)
	l.vals = append(l.vals, make([]string, len(l.paths))...)
	if a.Attrs == nil || !a.Attrs.Sorted() {
		if l.whole == nil {
			l.whole = map[int32]targets.Attrs{}
		}
		l.whole[i] = a.Attrs
	}
	vals := l.vals[start:]
	var extra targets.Attrs
	for _, at := range a.Attrs {
		if k, ok := l.pathIdx[at.Path]; ok && at.Value != "" {
			if vals[k] == "" { // Get gives the first of a path listed twice
				vals[k] = at.Value
			}
			continue
		}
		extra = append(extra, at)
	}
	if extra != nil && l.whole[i] == nil {
		if l.extra == nil {
			l.extra = map[int32]targets.Attrs{}
		}
		l.extra[i] = extra
	}
}

// Len returns the number of accounts.
func (l *Listing) Len() int { return len(l.accounts) }

// ID returns the ID of account i.
func (l *Listing) ID(i int32) string { return l.accounts[i].ID }

// UserName returns the userName of account i.
func (l *Listing) UserName(i int32) string { return l.accounts[i].UserName }

// ExternalID returns the externalId of account i.
func (l *Listing) ExternalID(i int32) string { return l.accounts[i].ExternalID }

// Active reports whether account i is active.
func (l *Listing) Active(i int32) bool { return l.accounts[i].Active }

// Attr returns the value of path for account i, as targets.Account.Attr
// does. The path must be a fixed field or one the listing holds.
func (l *Listing) Attr(i int32, path string) string {
	a := &l.accounts[i]
	switch path {
	case "userName":
		return a.UserName
	case "externalId":
		return a.ExternalID
	case "active":
		if a.Active {
			return "true"
		}
		return "false"
	}
	k, ok := l.pathIdx[path]
	if !ok {
		return l.Account(i).Attrs.Get(path)
	}
	return l.vals[int(i)*len(l.paths)+k]
}

// Account returns account i as it was listed. Each call of a listing made
// with NewListing returns a new copy; one made with ListingOf returns the
// account it was made of.
func (l *Listing) Account(i int32) *targets.Account {
	if l.src != nil {
		return &l.src[i]
	}
	a := l.accounts[i]
	out := &targets.Account{ID: a.ID, UserName: a.UserName, ExternalID: a.ExternalID, Active: a.Active}
	if attrs, ok := l.whole[i]; ok {
		out.Attrs = attrs
		return out
	}
	vals := l.vals[int(i)*len(l.paths) : (int(i)+1)*len(l.paths)]
	extra := l.extra[i]
	n := len(extra)
	for _, v := range vals {
		if v != "" {
			n++
		}
	}
	// Both are sorted: merge them.
	out.Attrs = make(targets.Attrs, 0, n)
	k := 0
	for _, at := range extra {
		for ; k < len(vals) && l.paths[k] < at.Path; k++ {
			if vals[k] != "" {
				out.Attrs = append(out.Attrs, targets.Attr{Path: l.paths[k], Value: vals[k]})
			}
		}
		out.Attrs = append(out.Attrs, at)
	}
	for ; k < len(vals); k++ {
		if vals[k] != "" {
			out.Attrs = append(out.Attrs, targets.Attr{Path: l.paths[k], Value: vals[k]})
		}
	}
	return out
}
