package ldapsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/mapping"
	"github.com/sirupsen/logrus"
)

// usnMark is an Active Directory watermark: the highestCommittedUSN of one
// domain controller (named by its dsServiceName). USNs are counted by each
// DC for itself, so a mark is only good on the DC that gave it.
type usnMark struct {
	DC  string `json:"dc"`
	USN uint64 `json:"usn"`
	nc  string // the DC's default naming context (not kept)
}

// Watermark returns, for flavour = "ad", the position of the domain
// controller idsync reads now (its highestCommittedUSN), for ChangedAfter
// once a run that started after the call has succeeded; nil, for other
// directories, says polls go by modifyTimestamp (ChangedSince).
func (s *Source) Watermark(ctx context.Context) ([]byte, error) {
	if !s.cfg.isAD() {
		return nil, nil
	}
	conn, closeConn, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	defer closeConn()
	m, err := readUSN(conn)
	if err != nil {
		return nil, fmt.Errorf("ldap: watermark: %w", err)
	}
	return json.Marshal(m)
}

// ChangedAfter lists the people (IDs) and groups (DNs) changed after mark
// (from Watermark) by uSNChanged, for an incremental poll on Active
// Directory without the DirSync right. The user objects changed elsewhere
// in the domain are listed too (a person moved out of users.base_dn), and
// the people deleted after mark, in IDs and in Deleted, when the bind
// account can read CN=Deleted Objects (see docs/ad.md): they leave with the
// reason "deleted". full is true, with
// nothing listed, when another domain controller answers than the one
// that gave mark (a failover) or mark cannot be read: the caller must
// reconcile everything. Errors are as for Read.
func (s *Source) ChangedAfter(ctx context.Context, mark []byte) (ids, groups, deleted []string, full bool, err error) {
	var m usnMark
	if err := json.Unmarshal(mark, &m); err != nil || m.DC == "" {
		s.log.WithField("mark", string(mark)).Warn("ldap: poll: not a USN watermark: full reconciliation")
		return nil, nil, nil, true, nil
	}
	conn, closeConn, err := s.open(ctx)
	if err != nil {
		return nil, nil, nil, false, err
	}
	defer closeConn()
	now, err := readUSN(conn)
	if err != nil {
		return nil, nil, nil, false, fmt.Errorf("ldap: poll: %w", err)
	}
	if !strings.EqualFold(now.DC, m.DC) || now.USN < m.USN {
		s.log.WithFields(logrus.Fields{"was": m.DC, "now": now.DC}).Warn(
			"ldap: poll: another domain controller answers (failover), or it was restored: USNs are per DC: full reconciliation")
		return nil, nil, nil, true, nil
	}
	s.pin.reading(now.DC) // the reads of these changes must be answered by it too
	stamp := "(uSNChanged>=" + strconv.FormatUint(m.USN+1, 10) + ")"
	if ids, groups, err = s.changed(ctx, conn, stamp); err != nil {
		return nil, nil, nil, false, err
	}
	out, err := s.changedInDomain(ctx, conn, now.nc, stamp)
	if err != nil {
		return nil, nil, nil, false, err
	}
	ids = appendNew(ids, out)
	if deleted, err = s.deletedAfter(ctx, conn, now.nc, stamp); err != nil {
		return nil, nil, nil, false, err
	}
	return append(ids, deleted...), groups, deleted, false, nil
}

// changedInDomain lists the IDs of the user objects changed (stamp)
// anywhere in the domain nc: a person moved out of users.base_dn, or who
// no longer matches users.filter, is changed there but not under the
// users' search. Reading them again finds them out of scope (leavers), as
// the watcher's DirSync, which covers the domain, reports them; a
// computer, a user object too, is found out of scope and changes nothing.
func (s *Source) changedInDomain(ctx context.Context, conn *ldap.Conn, nc, stamp string) ([]string, error) {
	return s.pagedIDs(ctx, conn, query{what: "changed users in the domain", base: nc, scope: ldap.ScopeWholeSubtree,
		filter: "(&(objectClass=user)" + stamp + ")", attrs: []string{s.cfg.IDAttribute}, otherContexts: true})
}

// pagedIDs runs q and returns the IDs of the entries found (those without
// a readable ID left out).
func (s *Source) pagedIDs(ctx context.Context, conn *ldap.Conn, q query) ([]string, error) {
	conv := newConverter(s.cfg.IDAttribute)
	var ids []string
	_, err := s.paged(ctx, conn, conv, q, func(entries []mapping.Entry) error {
		for i := range entries {
			if err := conv.setID(&entries[i]); err == nil {
				ids = append(ids, entries[i].ID)
			}
		}
		return nil
	})
	return ids, err
}

// deletedAfter lists the IDs of the people deleted (tombstones) that match
// stamp; none when the bind account cannot see deleted objects.
func (s *Source) deletedAfter(ctx context.Context, conn *ldap.Conn, nc, stamp string) ([]string, error) {
	ids, err := s.pagedIDs(ctx, conn, query{what: "deleted users", base: "CN=Deleted Objects," + nc, scope: ldap.ScopeSingleLevel,
		filter: "(&(isDeleted=TRUE)(objectClass=user)" + stamp + ")", attrs: []string{s.cfg.IDAttribute},
		controls: []ldap.Control{ldap.NewControlMicrosoftShowDeleted()}})
	if ldap.IsErrorAnyOf(err, ldap.LDAPResultNoSuchObject, ldap.LDAPResultInsufficientAccessRights) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// readUSN reads the DC's identity and highestCommittedUSN from the root DSE.
func readUSN(conn *ldap.Conn) (usnMark, error) {
	res, err := conn.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"dsServiceName", "highestCommittedUSN", "defaultNamingContext"}, nil))
	if err != nil {
		return usnMark{}, fmt.Errorf("read the root DSE: %w", err)
	}
	if len(res.Entries) != 1 {
		return usnMark{}, errors.New("read the root DSE: no entry")
	}
	e := res.Entries[0]
	m := usnMark{DC: e.GetAttributeValue("dsServiceName"), nc: e.GetAttributeValue("defaultNamingContext")}
	usn, err := strconv.ParseUint(e.GetAttributeValue("highestCommittedUSN"), 10, 64)
	if m.DC == "" || err != nil {
		return usnMark{}, errors.New("the root DSE has no dsServiceName or highestCommittedUSN: not an Active Directory domain controller")
	}
	m.USN = usn
	return m, nil
}
