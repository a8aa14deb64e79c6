package ldapsource

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/idsync/idsync/mapping"
)

// primaryIndex finds a group by its SID, to resolve a person's primary
// group: AD lists neither it in the person's memberOf nor the person in its
// member attribute, but gives its RID as primaryGroupID, relative to the
// domain of the person's own objectSid.
type primaryIndex struct {
	bySID map[string]string // binary SID -> group DN
	// used are the groups that are someone's primary group, by
	// normalised DN: a change of one of them, or of a group that contains
	// one, changes memberships no member list shows.
	used map[string]bool
}

func newPrimaryIndex() *primaryIndex {
	return &primaryIndex{bySID: map[string]string{}, used: map[string]bool{}}
}

// use records that the group dn is someone's primary group.
func (p *primaryIndex) use(dn string) { p.used[mapping.NormalizeDN(dn)] = true }

// touches reports whether g is, or contains (directly or through nested
// groups of c), a group that is someone's primary group.
func (p *primaryIndex) touches(c *groupCache, g *cachedGroup) bool {
	if g == nil {
		return false
	}
	found := p.used[mapping.NormalizeDN(g.dn)]
	c.walk(g, func(key, _ string, _ bool) bool {
		found = found || p.used[key]
		return !found
	})
	return found
}

// add records the group e, whose objectSid is read; a group without one
// (not AD) is left out.
func (p *primaryIndex) add(e mapping.Entry) {
	sid := e.Attrs.Get("objectsid")
	if len(sid) == 0 || checkSID([]byte(sid[0])) != nil {
		return
	}
	p.bySID[sid[0]] = e.DN
}

// group returns the DN of e's primary group, "" when e has no
// primaryGroupID. A primaryGroupID naming a group that was not read
// (outside groups.base_dn) gives a *missingPrimaryError.
func (p *primaryIndex) group(e mapping.Entry) (string, error) {
	pg := e.Attrs.Get("primarygroupid")
	if len(pg) == 0 || pg[0] == "" {
		return "", nil
	}
	rid, err := strconv.ParseUint(strings.TrimSpace(pg[0]), 10, 32)
	if err != nil {
		return "", fmt.Errorf("entry %q: primaryGroupID %q is not a RID", e.DN, pg[0])
	}
	sid := e.Attrs.Get("objectsid")
	if len(sid) == 0 {
		return "", fmt.Errorf("entry %q has a primaryGroupID but no objectSid", e.DN)
	}
	gsid, err := withRID([]byte(sid[0]), uint32(rid))
	if err != nil {
		return "", fmt.Errorf("entry %q: objectSid: %w", e.DN, err)
	}
	dn, ok := p.bySID[string(gsid)]
	if !ok {
		s, _ := formatSID(gsid)
		return "", &missingPrimaryError{sid: s}
	}
	return dn, nil
}

// sidString replaces a binary objectSid in e's attributes by its string
// form ("S-1-5-21-...-1104"), which rules can read; a malformed one is
// left out.
func sidString(e *mapping.Entry) {
	v := e.Attrs.Get("objectsid")
	if len(v) == 0 {
		return
	}
	s, err := formatSID([]byte(v[0]))
	if err != nil {
		e.Attrs.Delete("objectsid")
		return
	}
	e.Attrs.Set("objectsid", []string{s})
}

// missingPrimaryError is a primary group that is not among the groups
// read (outside groups.base_dn): the read goes on without it, and Read
// warns once.
type missingPrimaryError struct{ sid string }

func (e *missingPrimaryError) Error() string {
	return "primary group " + e.sid + " is not among the groups read"
}
