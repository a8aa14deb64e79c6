package ldapsource

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// dirSyncRound runs DirSync rounds on one connection and turns what they
// return into events.
type dirSyncRound struct {
	w      *Watcher
	conn   *ldap.Conn
	url    string // the DC's
	nc, dc string
	last   adCookie // the cookie after the last round
}

// run reads every change since ck (all of them, as one Full event, when ck
// is the zero cookie) and emits one event when there is something to do.
func (r *dirSyncRound) run(ck adCookie, emit func(Event) error) error {
	full := len(ck.DirSync) == 0
	cookie := ck.DirSync
	var changed, deleted, groups ordered
	for {
		req := ldap.NewSearchRequest(r.nc, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			dirSyncFilter, r.w.dirSyncAttrs(), nil)
		res, err := r.conn.DirSync(req, dirSyncFlags, 0, cookie)
		if err != nil {
			if len(cookie) > 0 && unchanged(ck, cookie) && refusable(err) {
				return fmt.Errorf("%w: %w", errCookieRefused, err)
			}
			return fmt.Errorf("ldap: watch %s: DirSync: %w", r.url, err)
		}
		if !full {
			for _, e := range res.Entries {
				classifyDirSync(e, &changed, &deleted, &groups)
			}
			if changed.len()+deleted.len()+groups.len() > r.w.opts.maxPending {
				full = true
			}
		}
		ctrl, ok := ldap.FindControl(res.Controls, ldap.ControlTypeDirSync).(*ldap.ControlDirSync)
		if !ok || len(ctrl.Cookie) == 0 {
			return fmt.Errorf("ldap: watch %s: DirSync answered without a cookie", r.url)
		}
		cookie = ctrl.Cookie
		if ctrl.Flags == 0 { // no more results
			break
		}
	}
	r.last = adCookie{DC: r.dc, DirSync: cookie}
	ev := Event{Full: full, Cookie: r.last.encode(), Tombstones: true}
	if !full {
		ev.Changed, ev.Deleted, ev.Groups = changed.list, deleted.list, groups.list
		if ev.Changed == nil && ev.Deleted == nil && ev.Groups == nil {
			return nil // nothing changed in scope: keep the saved cookie
		}
	}
	return emit(ev)
}

// unchanged reports whether cookie is still the saved one (the first request
// of a resumed round): only then can an error mean the DC refused it.
func unchanged(ck adCookie, cookie []byte) bool { return string(ck.DirSync) == string(cookie) }

// refusable reports errors a DC gives for a cookie it cannot honour
// (another DC's, too old, malformed), as opposed to the connection failing.
func refusable(err error) bool {
	var lerr *ldap.Error
	return errors.As(err, &lerr) && lerr.ResultCode != ldap.ErrorNetwork &&
		lerr.ResultCode != ldap.LDAPResultInsufficientAccessRights && lerr.ResultCode != ldap.LDAPResultBusy &&
		lerr.ResultCode != ldap.LDAPResultUnavailable
}

// classifyDirSync sorts one DirSync entry: a tombstone (isDeleted) is
// Deleted by objectGUID, an entry with a member change or the group class
// is a group (its DN), anything else a person to read again.
func classifyDirSync(e *ldap.Entry, changed, deleted, groups *ordered) {
	raw := e.GetRawAttributeValue("objectGUID")
	id, err := formatGUID(raw)
	if err != nil {
		return // not an object DirSync reports with an identity
	}
	if strings.EqualFold(e.GetAttributeValue("isDeleted"), "TRUE") {
		changed.remove(id)
		deleted.add(id)
		return
	}
	isGroup := false
	for _, a := range e.Attributes {
		// member, or member;range=… for a large group; not memberOf, a
		// person's back link.
		if n := strings.ToLower(a.Name); n == "member" || strings.HasPrefix(n, "member;") {
			isGroup = true
		}
	}
	for _, oc := range e.GetAttributeValues("objectClass") {
		isGroup = isGroup || strings.EqualFold(oc, "group")
	}
	if isGroup {
		groups.add(e.DN)
		return
	}
	deleted.remove(id)
	changed.add(id)
}
