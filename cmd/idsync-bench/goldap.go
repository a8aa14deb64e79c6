package main

import (
	"context"
	"fmt"
	"os"

	"github.com/go-ldap/ldap/v3"

	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
)

// goLDAPRead is the -goldap-read mode: the ldapsearch baseline's search
// (every person, all attributes, pages of 1,000) made with go-ldap alone,
// each page read and dropped. Compared with ldapsearch it shows what
// go-ldap's decoding costs by itself, the floor of any plan idsync makes
// with the library.
func goLDAPRead(url string) error {
	conn, err := ldap.DialURL(url)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Bind(slapdtest.ReaderDN, slapdtest.ReaderPassword); err != nil {
		return err
	}
	paging := ldap.NewControlPaging(1000)
	n := 0
	for {
		// Entries streamed as they are decoded, as idsync reads them.
		res := conn.SearchAsync(context.Background(), ldap.NewSearchRequest(slapdtest.PeopleDN, ldap.ScopeWholeSubtree,
			ldap.NeverDerefAliases, 0, 0, false, "(objectClass=inetOrgPerson)", nil, []ldap.Control{paging}), 64)
		for res.Next() {
			if res.Entry() != nil {
				n++
			}
		}
		if err := res.Err(); err != nil {
			return err
		}
		ctrl, ok := ldap.FindControl(res.Controls(), ldap.ControlTypePaging).(*ldap.ControlPaging)
		if !ok || len(ctrl.Cookie) == 0 {
			break
		}
		paging.SetCookie(ctrl.Cookie)
	}
	fmt.Fprintf(os.Stderr, "go-ldap: %d entries\n", n)
	return nil
}
