package slapdtest

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/idsync/idsync/sync/ldif"
)

// BaseLDIF returns the suffix entry and the ou=people and ou=groups
// containers, ready for WithLDIF.
func BaseLDIF() []byte {
	return []byte(`dn: ` + BaseDN + `
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ` + PeopleDN + `
objectClass: organizationalUnit
ou: people

dn: ` + GroupsDN + `
objectClass: organizationalUnit
ou: groups

`)
}

// UserDN returns the DN GenerateLDIF gives user i.
func UserDN(i int) string { return fmt.Sprintf("uid=user%06d,%s", i, PeopleDN) }

// GroupDN returns the DN GenerateLDIF gives group g.
func GroupDN(g int) string { return fmt.Sprintf("cn=group%04d,%s", g, GroupsDN) }

// UserUUID returns the entryUUID GenerateLDIF gives user i.
func UserUUID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", i) }

// GroupUUID returns the entryUUID GenerateLDIF gives group g.
func GroupUUID(g int) string { return fmt.Sprintf("10000000-0000-4000-8000-%012x", g) }

// UserGroups returns the groups user i is a direct member of in data from
// GenerateLDIF with the given number of groups: one to three of them.
func UserGroups(i, groups int) []int {
	if groups == 0 {
		return nil
	}
	out := []int{i % groups}
	add := func(g int) {
		for _, have := range out {
			if have == g {
				return
			}
		}
		out = append(out, g)
	}
	if i%3 >= 1 {
		add((i*7 + 3) % groups)
	}
	if i%3 == 2 {
		add((i*13 + 5) % groups)
	}
	return out
}

// NestedIn returns the group that group g is a direct member of, or -1.
// Groups 10k+1 contain group 10k, and groups 10k+2 contain group 10k+1, so
// there are chains two deep.
func NestedIn(g, groups int) int {
	if (g%10 == 0 || g%10 == 1) && g+1 < groups {
		return g + 1
	}
	return -1
}

// GenerateLDIF writes BaseLDIF, then users inetOrgPerson entries and
// groups groupOfNames entries, deterministically: the same arguments give
// the same bytes, with fixed entryUUIDs (UserUUID, GroupUUID) so slapadd
// keeps them. Membership follows UserGroups and NestedIn; users carry
// memberOf values for their direct groups, as the memberof overlay would
// (slapadd does not run overlays). An empty group gets AdminDN as its member
// because groupOfNames requires one.
func GenerateLDIF(w io.Writer, users, groups int) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.Write(BaseLDIF())
	members := make([][]int32, groups)
	for i := 0; i < users; i++ {
		gs := UserGroups(i, groups)
		memberOf := make([]string, len(gs))
		for k, g := range gs {
			members[g] = append(members[g], int32(i))
			memberOf[k] = GroupDN(g)
		}
		n := fmt.Sprintf("%06d", i)
		rec := ldif.Record{DN: UserDN(i), Attrs: []ldif.Attr{
			{Name: "objectClass", Values: []string{"top", "person", "organizationalPerson", "inetOrgPerson"}},
			{Name: "uid", Values: []string{"user" + n}},
			{Name: "cn", Values: []string{"User " + n}},
			{Name: "sn", Values: []string{"Surname" + n}},
			{Name: "givenName", Values: []string{"Given" + n}},
			{Name: "displayName", Values: []string{"Given" + n + " Surname" + n}},
			{Name: "mail", Values: []string{"user" + n + "@example.org"}},
			{Name: "employeeNumber", Values: []string{strconv.Itoa(100000 + i)}},
			{Name: "title", Values: []string{"Engineer"}},
			{Name: "departmentNumber", Values: []string{strconv.Itoa(i % 50)}},
			{Name: "entryUUID", Values: []string{UserUUID(i)}},
		}}
		if len(memberOf) > 0 {
			rec.Attrs = append(rec.Attrs, ldif.Attr{Name: "memberOf", Values: memberOf})
		}
		if err := ldif.Write(bw, rec); err != nil {
			return err
		}
	}
	for g := 0; g < groups; g++ {
		vals := make([]string, 0, len(members[g])+1)
		for _, i := range members[g] {
			vals = append(vals, UserDN(int(i)))
		}
		if g%10 == 1 || g%10 == 2 {
			vals = append(vals, GroupDN(g-1))
		}
		if len(vals) == 0 {
			vals = append(vals, AdminDN)
		}
		rec := ldif.Record{DN: GroupDN(g), Attrs: []ldif.Attr{
			{Name: "objectClass", Values: []string{"top", "groupOfNames"}},
			{Name: "cn", Values: []string{fmt.Sprintf("group%04d", g)}},
			{Name: "member", Values: vals},
			{Name: "entryUUID", Values: []string{GroupUUID(g)}},
		}}
		if err := ldif.Write(bw, rec); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("slapdtest: generate: %w", err)
	}
	return nil
}
