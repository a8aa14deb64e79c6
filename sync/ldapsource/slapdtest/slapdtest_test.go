package slapdtest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

func TestStartGenerateSearch(t *testing.T) {
	var buf bytes.Buffer
	if err := GenerateLDIF(&buf, 50, 12); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s := Start(t, WithTLS(), WithLDIF(buf.Bytes()))
	t.Logf("started in %v: %s %s", time.Since(start), s.URL, s.LDAPSURL)
	c := s.Conn(t)
	res, err := c.Search(ldap.NewSearchRequest(UserDN(7), ldap.ScopeBaseObject, 0, 0, 0, false,
		"(objectClass=*)", []string{"*", "entryUUID", "memberOf"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	e := res.Entries[0]
	if got := e.GetAttributeValue("entryUUID"); got != UserUUID(7) {
		t.Errorf("entryUUID = %q, want %q", got, UserUUID(7))
	}
	if got := e.GetAttributeValues("memberOf"); len(got) != len(UserGroups(7, 12)) {
		t.Errorf("memberOf = %q, want groups %v", got, UserGroups(7, 12))
	}
	// The reader account exists and is subject to limits.
	rc, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if err := rc.Bind(ReaderDN, ReaderPassword); err != nil {
		t.Fatal(err)
	}
	// memberof overlay maintains memberOf for LDAP adds.
	s.Add(t, "dn: uid=new,"+PeopleDN+"\nobjectClass: inetOrgPerson\nuid: new\ncn: New\nsn: N\n\n"+
		"dn: cn=newgroup,"+GroupsDN+"\nobjectClass: groupOfNames\ncn: newgroup\nmember: uid=new,"+PeopleDN+"\n")
	res, err = rc.Search(ldap.NewSearchRequest("uid=new,"+PeopleDN, ldap.ScopeBaseObject, 0, 0, 0, false,
		"(objectClass=*)", []string{"memberOf"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Entries[0].GetAttributeValues("memberOf"); len(got) != 1 {
		t.Errorf("memberOf of new user = %q", got)
	}
	// StartTLS and ldaps with the CA.
	tc, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if err := tc.StartTLS(s.TLSConfig()); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	lc, err := ldap.DialURL(s.LDAPSURL, ldap.DialWithTLSConfig(s.TLSConfig()))
	if err != nil {
		t.Fatalf("ldaps: %v", err)
	}
	defer lc.Close()
	if err := lc.Bind(ReaderDN, ReaderPassword); err != nil {
		t.Fatal(err)
	}
	// Stop and Restart keep the data.
	s.Stop()
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	c2 := s.Conn(t)
	if _, err := c2.Search(ldap.NewSearchRequest(UserDN(49), ldap.ScopeBaseObject, 0, 0, 0, false,
		"(objectClass=*)", nil, nil)); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func TestGenerateLDIFDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := GenerateLDIF(&a, 100, 7); err != nil {
		t.Fatal(err)
	}
	if err := GenerateLDIF(&b, 100, 7); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("GenerateLDIF is not deterministic")
	}
	for i := 0; i < 100; i++ {
		if n := len(UserGroups(i, 7)); n < 1 || n > 3 {
			t.Errorf("user %d in %d groups", i, n)
		}
	}
	if NestedIn(0, 7) != 1 || NestedIn(1, 7) != 2 || NestedIn(2, 7) != -1 || NestedIn(10, 11) != -1 {
		t.Error("NestedIn")
	}
}

func TestStartProcessWithoutSlapd(t *testing.T) {
	old := SlapdPath
	SlapdPath = "/nonexistent/slapd"
	defer func() { SlapdPath = old }()
	_, err := StartProcess(t.TempDir())
	if !errors.Is(err, ErrNotInstalled) {
		t.Errorf("err = %v, want ErrNotInstalled", err)
	}
}

func TestSizeLimitOption(t *testing.T) {
	var buf bytes.Buffer
	if err := GenerateLDIF(&buf, 30, 2); err != nil {
		t.Fatal(err)
	}
	s := Start(t, WithLDIF(buf.Bytes()), WithSizeLimit("size.soft=10 size.hard=10 size.prtotal=unlimited"))
	c, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(ReaderDN, ReaderPassword); err != nil {
		t.Fatal(err)
	}
	req := ldap.NewSearchRequest(PeopleDN, ldap.ScopeSingleLevel, 0, 0, 0, false, "(objectClass=*)", []string{"1.1"}, nil)
	if _, err := c.Search(req); !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		t.Errorf("unpaged: %v, want size limit exceeded", err)
	}
	res, err := c.SearchWithPaging(req, 5)
	if err != nil || len(res.Entries) != 30 {
		t.Errorf("paged: %d entries, %v", len(res.Entries), err)
	}
}
