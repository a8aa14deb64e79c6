package ldapsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"
	"github.com/sirupsen/logrus"
)

// adCookie is the resume point of the Active Directory watcher: a DirSync
// cookie is only good on the domain controller that issued it, so the DC
// (its dsServiceName, the DN of its NTDS Settings) is kept with it.
type adCookie struct {
	DC      string `json:"dc"`
	DirSync []byte `json:"dirsync"`
}

// parseADCookie decodes a saved cookie; nil or empty gives the zero
// cookie. It is outside input (the state database): malformed is an error,
// which the watcher treats as no cookie.
func parseADCookie(b []byte) (adCookie, error) {
	var c adCookie
	if len(b) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return adCookie{}, fmt.Errorf("not an Active Directory watch cookie: %w", err)
	}
	if c.DC == "" || len(c.DirSync) == 0 {
		return adCookie{}, errors.New("not an Active Directory watch cookie: dc or dirsync missing")
	}
	return c, nil
}

func (c adCookie) encode() []byte {
	b, _ := json.Marshal(c) // a struct of a string and bytes always encodes
	return b
}

// dirSyncFlags: none. Not LDAP_DIRSYNC_OBJECT_SECURITY: with it an account
// needs no right but sees only what it may read, and no tombstones
// (deletions would go unseen until a full run); without it the DC checks
// the "Replicating Directory Changes" right on the domain root and answers
// insufficientAccessRights when it is missing. Not incremental values
// either: a group's member change is reported with the group, which is
// read again anyway.
const dirSyncFlags = 0

// dirSyncFilter selects what DirSync reports: people and groups by object
// class only, since a tombstone keeps its objectClass but loses
// objectCategory (users.filter's AD default would miss every deletion).
// Computers are user objects too: reading them again finds them out of
// scope.
const dirSyncFilter = "(|(objectClass=user)(objectClass=group))"

// dirSyncAttrs are what the watcher asks DirSync for. DirSync reports an
// object only when one of the attributes asked for changed, so: the
// people's attributes (users.attributes, "*" by default, with
// userAccountControl, primaryGroupID and the like), a group's name and
// members, and what tells deletions (isDeleted) and groups (objectClass)
// apart.
func (w *Watcher) dirSyncAttrs() []string {
	extra := []string{"objectGUID", "objectClass", "isDeleted", "name", "member", "groupType"}
	if n := w.src.cfg.Groups.NameAttribute; n != "" {
		extra = append(extra, n)
	}
	return attrList(w.src.userAttrs, extra...)
}

// adFinal is the finalFunc of flavour = "ad": DirSync over the domain's
// naming context, one round at start and one after each change
// notification (LDAP_SERVER_NOTIFICATION_OID) on it (see adSession).
// Starting without a cookie, with the cookie of another DC (after a
// failover), or with one the DC refuses yields an event with Full set and
// a fresh cookie.
func (w *Watcher) adFinal(err error, _ []byte) (bool, error) {
	switch {
	case errors.Is(err, errCookieRefused):
		w.log.WithError(err).Warn("ldap: watch: the domain controller refused the DirSync cookie: " +
			"starting again without it (full reconciliation)")
		return true, nil
	case ldap.IsErrorAnyOf(err, ldap.LDAPResultInsufficientAccessRights):
		return false, fmt.Errorf("%w: DirSync was refused to %s: grant it \"Replicating Directory Changes\" "+
			"on the domain root (docs/ad.md), or set daemon.watch = false and schedule mode = \"incremental\" "+
			"runs, which poll by uSNChanged without that right", err, w.src.cfg.BindDN)
	case errors.Is(err, errBind), permanent(err):
		return false, err
	}
	return false, nil
}

var (
	// errOtherDC: the two connections of a watch session reached
	// different DCs (a URL whose name several DCs answer to).
	errOtherDC = errors.New("the connections of the watch reached different domain controllers")
	// errPinMoved: the runner's reads failed over to another DC.
	errPinMoved = errors.New("the reads failed over to another domain controller")
)

// errCookieRefused: the DC answered the first DirSync with a saved cookie
// with an error.
var errCookieRefused = errors.New("DirSync cookie refused")

// adSession connects, runs a DirSync round, then one per change
// notification, until the connection fails.
//
// Both of its connections are to the same DC (checked by its identity: one
// URL may name several DCs), and the session ends when the other Sources of
// the same servers failed over to another one (see dcPin), so that the
// reads of its events are answered by the DC that reported them.
func (w *Watcher) adSession(ctx context.Context, saved []byte, emit func(Event) error) (progressed bool, err error) {
	conn, closeConn, url, err := w.src.openServer(ctx)
	if err != nil {
		return false, err
	}
	defer closeConn()
	dc, nc, err := rootDSE(conn)
	if err != nil {
		return false, fmt.Errorf("ldap: watch: read the root DSE: %w", err)
	}
	// Notifications first, so that no change falls between the round
	// and the wait.
	nconn, closeN, err := w.src.openURL(ctx, url)
	if err != nil {
		return false, err
	}
	defer closeN()
	if ndc, err := dsServiceName(nconn); err != nil {
		return false, fmt.Errorf("ldap: watch %s: %w", url, err)
	} else if !strings.EqualFold(ndc, dc) {
		// Not progress: behind a load-balanced name this repeats, and
		// the waits must grow.
		return false, fmt.Errorf("ldap: watch %s: %w: %s, then %s", url, errOtherDC, dc, ndc)
	}
	progressed = true
	w.src.pin.reading(dc)
	if w.opts.state != nil {
		w.opts.state(true, nil)
	}
	ck, err := parseADCookie(saved)
	if err != nil {
		w.log.WithError(err).Warn("ldap: watch: saved cookie ignored (full reconciliation)")
	}
	if ck.DC != "" && !strings.EqualFold(ck.DC, dc) {
		w.log.WithFields(logrus.Fields{"was": ck.DC, "now": dc}).Warn(
			"ldap: watch: the cookie is from another domain controller (failover): full reconciliation")
		ck = adCookie{}
	}
	nconn.SetTimeout(0)
	nctx, cancel := context.WithCancel(ctx)
	defer cancel()
	notes := nconn.SearchAsync(nctx, ldap.NewSearchRequest(nc, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"objectGUID"}, []ldap.Control{ldap.NewControlMicrosoftNotification(), ldap.NewControlMicrosoftShowDeleted()}), 64)
	r := &dirSyncRound{w: w, conn: conn, url: url, nc: nc, dc: dc}
	if err := r.run(ck, emit); err != nil {
		return progressed, err
	}
	for notes.Next() {
		if now := w.src.pin.current(); now != url {
			return progressed, fmt.Errorf("ldap: watch %s: %w (to %s): following, with a full reconciliation", url, errPinMoved, now)
		}
		if err := r.run(r.last, emit); err != nil {
			return progressed, err
		}
	}
	if err := notes.Err(); err != nil {
		return progressed, fmt.Errorf("ldap: watch %s: change notifications: %w", url, err)
	}
	return progressed, fmt.Errorf("ldap: watch %s: %w", url, errSearchEnded)
}

// rootDSE reads the DC's identity (dsServiceName) and its default naming
// context, the base DirSync needs.
func rootDSE(conn *ldap.Conn) (dc, nc string, err error) {
	res, err := conn.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"dsServiceName", "defaultNamingContext"}, nil))
	if err != nil {
		return "", "", err
	}
	if len(res.Entries) != 1 {
		return "", "", fmt.Errorf("got %d entries, want 1", len(res.Entries))
	}
	e := res.Entries[0]
	dc, nc = e.GetAttributeValue("dsServiceName"), e.GetAttributeValue("defaultNamingContext")
	if dc == "" || nc == "" {
		return "", "", errors.New("no dsServiceName or defaultNamingContext: not an Active Directory domain controller")
	}
	return dc, nc, nil
}
