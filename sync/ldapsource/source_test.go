package ldapsource

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/internal/duration"
	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

// testConfig reads srv's people and groups as slapdtest.ReaderDN, an
// account the server's size limits apply to.
func testConfig(t *testing.T, srv *slapdtest.Server) Config {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte(slapdtest.ReaderPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return Config{
		URL: srv.URL, BindDN: slapdtest.ReaderDN, BindPassword: secret.Ref{File: pw},
		Timeout: duration.Of(10 * time.Second),
		Users:   UserSearch{BaseDN: slapdtest.PeopleDN},
		Groups:  GroupSearch{BaseDN: slapdtest.GroupsDN},
	}
}

func quietLog() *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

func newTestSource(t *testing.T, cfg Config) *Source {
	t.Helper()
	s, err := New(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readAll(t *testing.T, cfg Config) ([]mapping.Entry, error) {
	t.Helper()
	var got []mapping.Entry
	err := newTestSource(t, cfg).Read(context.Background(), func(e mapping.Entry) error {
		got = append(got, e)
		return nil
	})
	return got, err
}

func generated(t *testing.T, users, groups int, opts ...slapdtest.Option) *slapdtest.Server {
	t.Helper()
	var buf bytes.Buffer
	if err := slapdtest.GenerateLDIF(&buf, users, groups); err != nil {
		t.Fatal(err)
	}
	return slapdtest.Start(t, append(opts, slapdtest.WithLDIF(buf.Bytes()))...)
}

// TestReadPagesPastSizeLimit reads 2,500 people in pages of 500 from a
// server that stops unpaged searches at 1,000, like Active Directory.
func TestReadPagesPastSizeLimit(t *testing.T) {
	t.Parallel()
	const users, groups = 2500, 30
	srv := generated(t, users, groups)
	cfg := testConfig(t, srv)
	cfg.PageSize = 500

	// The limit is real for this account: an unpaged search fails.
	c, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(slapdtest.ReaderDN, slapdtest.ReaderPassword); err != nil {
		t.Fatal(err)
	}
	_, err = c.Search(ldap.NewSearchRequest(slapdtest.PeopleDN, ldap.ScopeWholeSubtree, 0, 0, 0, false,
		"(objectClass=inetOrgPerson)", []string{"1.1"}, nil))
	if !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		t.Fatalf("unpaged search: err = %v, want size limit exceeded", err)
	}

	log, hook := test.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	var got []mapping.Entry
	if err := s.Read(context.Background(), func(e mapping.Entry) error {
		got = append(got, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != users {
		t.Fatalf("read %d users, want %d", len(got), users)
	}
	pages := 0
	for _, e := range hook.AllEntries() {
		if e.Message == "ldap: page read" && e.Data["search"] == "users" {
			pages++
		}
	}
	if pages != 5 {
		t.Errorf("%d pages logged, want 5", pages)
	}
	byDN := map[string]mapping.Entry{}
	for _, e := range got {
		byDN[mapping.NormalizeDN(e.DN)] = e
	}
	for _, i := range []int{0, 1, 2, 1234, users - 1} {
		e, ok := byDN[mapping.NormalizeDN(slapdtest.UserDN(i))]
		if !ok {
			t.Fatalf("user %d missing", i)
		}
		if e.ID != slapdtest.UserUUID(i) {
			t.Errorf("user %d: ID = %q, want %q", i, e.ID, slapdtest.UserUUID(i))
		}
		if e.First("uid") == "" || e.First("mail") == "" || len(e.Values("objectclass")) != 4 {
			t.Errorf("user %d: attributes missing: %v", i, e.Attrs)
		}
		want := map[string]bool{}
		for _, g := range slapdtest.UserGroups(i, groups) {
			for ; g >= 0; g = slapdtest.NestedIn(g, groups) {
				want[mapping.NormalizeDN(slapdtest.GroupDN(g))] = true
			}
		}
		have := map[string]bool{}
		for _, m := range e.Groups {
			have[mapping.NormalizeDN(m.DN)] = true
		}
		if len(have) != len(want) {
			t.Errorf("user %d: groups %v, want %v", i, have, want)
		}
		for g := range want {
			if !have[g] {
				t.Errorf("user %d: not in %s; groups %v", i, g, e.Groups)
			}
		}
	}
}

// TestReadSizeLimitIsError makes the server stop a paged search after
// 2,000 entries: Read must fail, not return a short list.
func TestReadSizeLimitIsError(t *testing.T) {
	t.Parallel()
	srv := generated(t, 2500, 10, slapdtest.WithSizeLimit("size.soft=1000 size.hard=1000 size.prtotal=2000"))
	cfg := testConfig(t, srv)
	cfg.PageSize = 500
	seen := 0
	err := newTestSource(t, cfg).Read(context.Background(), func(mapping.Entry) error { seen++; return nil })
	if err == nil {
		t.Fatalf("Read returned nil after %d entries, want a size limit error", seen)
	}
	if !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		t.Errorf("err = %v, want size limit exceeded", err)
	}
	if !strings.Contains(err.Error(), `ldap: search users under "ou=people,dc=example,dc=org": page 5:`) {
		t.Errorf("err = %v, want the search and page named", err)
	}
	t.Logf("error after %d entries: %v", seen, err)
}

// TestReadGroupsAndMemberOf adds entries over LDAP so the memberof overlay
// maintains memberOf.
func TestReadGroupsAndMemberOf(t *testing.T) {
	t.Parallel()
	srv := slapdtest.Start(t)
	p, g := slapdtest.PeopleDN, slapdtest.GroupsDN
	srv.Add(t, `dn: ou=teams,dc=example,dc=org
objectClass: organizationalUnit
ou: teams

dn: ou=contractors,`+p+`
objectClass: organizationalUnit
ou: contractors

dn: uid=alice,`+p+`
objectClass: inetOrgPerson
uid: alice
cn: Alice
sn: A

dn: uid=bob,`+p+`
objectClass: inetOrgPerson
uid: bob
cn: Bob
sn: B

dn: uid=carl,ou=contractors,`+p+`
objectClass: inetOrgPerson
uid: carl
cn: Carl
sn: C

dn: cn=A,`+g+`
objectClass: groupOfNames
cn: A
member: uid=alice,`+p+`

dn: cn=B,`+g+`
objectClass: groupOfNames
cn: B
member: cn=A,`+g+`

dn: cn=U,`+g+`
objectClass: groupOfUniqueNames
cn: U
uniqueMember: uid=bob,`+p+`

dn: cn=T,ou=teams,dc=example,dc=org
objectClass: groupOfNames
cn: T
member: uid=bob,`+p+`
`)
	cfg := testConfig(t, srv)
	got, err := readAll(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]mapping.Entry{}
	for _, e := range got {
		by[e.First("uid")] = e
	}
	if len(by) != 3 {
		t.Fatalf("read %d users, want alice, bob, carl: %v", len(got), got)
	}
	alice := by["alice"]
	if want := "cn=a," + g; len(alice.Values("memberOf")) != 1 || mapping.NormalizeDN(alice.First("memberof")) != want {
		t.Errorf("alice memberOf = %q, want %s", alice.Values("memberOf"), want)
	}
	wantAlice := []mapping.Membership{
		{DN: "cn=A," + g, Name: "A"},
		{DN: "cn=B," + g, Name: "B", Via: []string{"cn=A," + g}},
	}
	assertGroups(t, "alice", alice.Groups, wantAlice)
	// bob: U by uniqueMember; T only through memberOf (outside groups.base_dn).
	assertGroups(t, "bob", by["bob"].Groups, []mapping.Membership{
		{DN: "cn=U," + g, Name: "U"},
		{DN: "cn=t,ou=teams,dc=example,dc=org", Name: "t"},
	})
	if alice.ID == "" || alice.ID == by["bob"].ID || alice.First("entryUUID") != alice.ID {
		t.Errorf("IDs: alice %q (entryUUID %q), bob %q", alice.ID, alice.First("entryUUID"), by["bob"].ID)
	}

	// use_member_of = false drops T; scope one drops carl; explicit
	// attributes fetch only those (plus the ID).
	off := false
	cfg.UseMemberOf = &off
	cfg.Users.Scope = "one"
	cfg.Users.Attributes = []string{"uid", "cn"}
	got, err = readAll(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("scope one: read %d users, want 2", len(got))
	}
	for _, e := range got {
		if e.First("uid") == "bob" {
			assertGroups(t, "bob without memberOf", e.Groups, []mapping.Membership{{DN: "cn=U," + g, Name: "U"}})
		}
		if len(e.Attrs) != 4 || e.First("sn") != "" || e.First("memberof") != "" || mapping.ChangeTime(&e).IsZero() {
			t.Errorf("attributes = %v, want uid, cn, entryuuid and modifytimestamp (a leaver's change time)", e.Attrs)
		}
	}
}

func assertGroups(t *testing.T, who string, got, want []mapping.Membership) {
	t.Helper()
	norm := func(ms []mapping.Membership) string {
		var b strings.Builder
		for _, m := range ms {
			b.WriteString(mapping.NormalizeDN(m.DN) + " " + strings.ToLower(m.Name) + " via")
			for _, v := range m.Via {
				b.WriteString(" " + mapping.NormalizeDN(v))
			}
			b.WriteString("; ")
		}
		return b.String()
	}
	if norm(got) != norm(want) {
		t.Errorf("%s: groups\n got %s\nwant %s", who, norm(got), norm(want))
	}
}

// TestReadRenameKeepsID: a renamed and moved person keeps its ID.
func TestReadRenameKeepsID(t *testing.T) {
	t.Parallel()
	srv := slapdtest.Start(t)
	srv.Add(t, "dn: uid=dave,"+slapdtest.PeopleDN+"\nobjectClass: inetOrgPerson\nuid: dave\ncn: Dave\nsn: D\n\n"+
		"dn: ou=moved,"+slapdtest.PeopleDN+"\nobjectClass: organizationalUnit\nou: moved\n")
	cfg := testConfig(t, srv)
	before, err := readAll(t, cfg)
	if err != nil || len(before) != 1 {
		t.Fatalf("read %v, %v", before, err)
	}
	req := ldap.NewModifyDNRequest("uid=dave,"+slapdtest.PeopleDN, "uid=david", true, "ou=moved,"+slapdtest.PeopleDN)
	if err := srv.Conn(t).ModifyDN(req); err != nil {
		t.Fatal(err)
	}
	after, err := readAll(t, cfg)
	if err != nil || len(after) != 1 {
		t.Fatalf("read %v, %v", after, err)
	}
	if after[0].ID != before[0].ID || after[0].DN != "uid=david,ou=moved,"+slapdtest.PeopleDN {
		t.Errorf("after rename: ID %q DN %q; before: ID %q DN %q", after[0].ID, after[0].DN, before[0].ID, before[0].DN)
	}
}

// TestReadMissingID: a person without the ID attribute fails the read.
func TestReadMissingID(t *testing.T) {
	t.Parallel()
	srv := generated(t, 3, 1)
	cfg := testConfig(t, srv)
	cfg.IDAttribute = "employeeType"
	_, err := readAll(t, cfg)
	if err == nil || !strings.Contains(err.Error(), `entry "uid=user000000,ou=people,dc=example,dc=org" has no employeeType`) {
		t.Errorf("err = %v, want the entry and attribute named", err)
	}
}

// TestReadAnonymous reads without binding (the test ACL allows it).
func TestReadAnonymous(t *testing.T) {
	t.Parallel()
	srv := generated(t, 5, 2)
	cfg := testConfig(t, srv)
	cfg.BindDN, cfg.BindPassword = "", secret.Ref{}
	got, err := readAll(t, cfg)
	if err != nil || len(got) != 5 {
		t.Errorf("anonymous read: %d entries, %v", len(got), err)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	srv := slapdtest.Start(t)
	cfg := testConfig(t, srv)
	if err := newTestSource(t, cfg).Check(context.Background()); err != nil {
		t.Errorf("Check: %v", err)
	}
	cfg.Users.BaseDN = "ou=nowhere,dc=example,dc=org"
	err := newTestSource(t, cfg).Check(context.Background())
	if !ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) || !strings.Contains(err.Error(), "ou=nowhere") {
		t.Errorf("Check of a missing base: %v", err)
	}
	cfg = testConfig(t, srv)
	cfg.URL = "ldap://127.0.0.1:1"
	if err := newTestSource(t, cfg).Check(context.Background()); err == nil || !strings.Contains(err.Error(), "ldap: connect to ldap://127.0.0.1:1") {
		t.Errorf("Check of a closed port: %v", err)
	}
}

// TestWrongPassword: the error names the bind DN, never the password, and
// no log line shows it.
func TestWrongPassword(t *testing.T) {
	t.Parallel()
	srv := slapdtest.Start(t)
	cfg := testConfig(t, srv)
	const wrong = "not-the-password-42"
	if err := os.WriteFile(cfg.BindPassword.File, []byte(wrong), 0o600); err != nil {
		t.Fatal(err)
	}
	log, hook := test.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Read(context.Background(), func(mapping.Entry) error { return nil })
	if !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		t.Fatalf("err = %v, want invalid credentials", err)
	}
	if !strings.Contains(err.Error(), `as "`+slapdtest.ReaderDN+`"`) || strings.Contains(err.Error(), wrong) {
		t.Errorf("err = %v, want the bind DN named and no password", err)
	}
	for _, e := range hook.AllEntries() {
		if line, _ := e.String(); strings.Contains(line, wrong) {
			t.Errorf("log shows the password: %s", line)
		}
	}
}
