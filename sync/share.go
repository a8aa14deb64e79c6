package sync

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
)

// A run reads the source and its targets at the same time, so a linked
// person arrives twice: once mapped from the source, once as the target's
// account and the state's link, each with its own copy of the same text
// (source ID, DN, userName, every attribute value). At 100,000 people that
// is some 20 MB held twice for the whole plan. A sharer lets each person
// take the equal strings of its link and linked account instead, so that
// its own copies are freed: the people mapped once the target's view is
// ready as they are mapped, the others as soon as the view arrives. Only
// equal strings are taken: nothing a plan or a report reads changes.
type sharer struct {
	view atomic.Pointer[targetView] // set once the view is ready
}

// ready offers v to the people mapped from now on; a view with an error
// or without an index is not offered.
func (s *sharer) ready(v *targetView) {
	if s == nil || v.err != nil || v.index == nil {
		return
	}
	s.view.Store(v)
}

// share makes p hold the strings of its link and linked account where
// they are equal, and reports whether the view was ready (false: p is as
// it was).
func (s *sharer) share(p *mapping.Person) bool {
	if s == nil {
		return false
	}
	v := s.view.Load()
	if v == nil {
		return false
	}
	v.share(p)
	return true
}

// share makes p hold the strings of its link and linked account in v
// where they are equal. v's links are in source ID order
// (state.Store.PlanLinks); a person without a link, or links out of that
// order, only means nothing is shared.
func (v *targetView) share(p *mapping.Person) {
	li, ok := slices.BinarySearchFunc(v.links, p.SourceID, func(l state.PlanLink, id string) int {
		return strings.Compare(l.SourceID, id)
	})
	if !ok {
		return
	}
	l := &v.links[li]
	p.SourceID = l.SourceID
	p.DN = same(p.DN, l.DN)
	if li >= len(v.index.linked) {
		return
	}
	ai := v.index.linked[li]
	if ai < 0 || int(ai) >= v.accounts.Len() {
		return
	}
	a := &v.accounts.accounts[ai]
	p.Account.UserName = same(p.Account.UserName, a.UserName)
	p.Account.ExternalID = same(p.Account.ExternalID, a.ExternalID)
	vals := v.accounts.vals[int(ai)*len(v.accounts.paths) : (int(ai)+1)*len(v.accounts.paths)]
	for k := range p.Account.Attrs {
		at := &p.Account.Attrs[k]
		if at.Value == "" {
			continue
		}
		if j, ok := v.accounts.pathIdx[at.Path]; ok {
			at.Value = same(at.Value, vals[j])
		}
	}
}

// same returns other when it equals s, else s.
func same(s, other string) string {
	if s == other {
		return other
	}
	return s
}

// roleLists interns the people's role lists while the source is read.
// People in the same groups have equal lists (the same names, and reasons
// that are already one string per rule and membership: mapping.Mapper
// interns them), so a run of 100,000 people in a thousand groups holds a
// few thousand lists instead of 100,000. An interned list has no room to
// append into (cap == len), and nothing writes into a person's roles. A
// directory where most people's lists differ stops the interning: the
// keys would cost more than they save.
type roleLists struct {
	lists map[string][]mapping.Role
	key   []byte
	seen  int
	off   bool
}

// intern returns the list equal to roles interned before, or roles.
func (rl *roleLists) intern(roles []mapping.Role) []mapping.Role {
	if len(roles) == 0 || rl.off {
		return roles
	}
	if rl.lists == nil {
		rl.lists = map[string][]mapping.Role{}
	}
	rl.seen++
	if n := len(rl.lists); n >= 4096 && n > rl.seen/2 {
		rl.off, rl.lists, rl.key = true, nil, nil
		return roles
	}
	rl.key = rl.key[:0]
	for _, r := range roles {
		rl.key = binary.AppendUvarint(rl.key, uint64(len(r.Name)))
		rl.key = append(rl.key, r.Name...)
		rl.key = binary.AppendUvarint(rl.key, uint64(len(r.Reason)))
		rl.key = append(rl.key, r.Reason...)
	}
	if have, ok := rl.lists[string(rl.key)]; ok {
		return have
	}
	roles = roles[:len(roles):len(roles)]
	rl.lists[string(rl.key)] = roles
	return roles
}
