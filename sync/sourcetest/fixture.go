package sourcetest

// The fixture organisation's DNs. A source under test reads people under
// PeopleDN and groups under GroupsDN.
const (
	BaseDN   = "dc=example,dc=org"
	PeopleDN = "ou=people," + BaseDN
	GroupsDN = "ou=groups," + BaseDN
)

// Fixture is the organisation every source is loaded with, as LDIF with
// the suffix entry first (slapd loads it with slapadd, which keeps the
// entryUUIDs given here):
//
//   - alice is a member of eng; eng of all.
//   - bob is a member of ops; ops of eng: bob is in eng via ops and in all
//     via ops and eng.
//   - carol is in no group.
//   - dave, in a sub-container, is in contractors (a groupOfUniqueNames).
//   - svc-backup is an account, not a person: every source leaves it out.
//
// Every person has entryUUID, uid, cn, sn and mail.
const Fixture = `dn: ` + BaseDN + `
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ` + PeopleDN + `
objectClass: organizationalUnit
ou: people

dn: ou=contractors,` + PeopleDN + `
objectClass: organizationalUnit
ou: contractors

dn: ` + GroupsDN + `
objectClass: organizationalUnit
ou: groups

dn: uid=alice,` + PeopleDN + `
objectClass: inetOrgPerson
entryUUID: 5a1f0000-0000-4000-8000-000000000001
uid: alice
cn: Alice Liddell
sn: Liddell
mail: alice@example.org

dn: uid=bob,` + PeopleDN + `
objectClass: inetOrgPerson
entryUUID: 5a1f0000-0000-4000-8000-000000000002
uid: bob
cn: Bob Marley
sn: Marley
mail: bob@example.org

dn: uid=carol,` + PeopleDN + `
objectClass: inetOrgPerson
entryUUID: 5a1f0000-0000-4000-8000-000000000003
uid: carol
cn: Carol Danvers
sn: Danvers
mail: carol@example.org

dn: uid=dave,ou=contractors,` + PeopleDN + `
objectClass: inetOrgPerson
entryUUID: 5a1f0000-0000-4000-8000-000000000004
uid: dave
cn: Dave Bowman
sn: Bowman
mail: dave@example.org

dn: uid=svc-backup,` + PeopleDN + `
objectClass: account
entryUUID: 5a1f0000-0000-4000-8000-000000000099
uid: svc-backup

dn: cn=all,` + GroupsDN + `
objectClass: groupOfNames
entryUUID: 6a1f0000-0000-4000-8000-000000000001
cn: all
member: cn=eng,` + GroupsDN + `

dn: cn=eng,` + GroupsDN + `
objectClass: groupOfNames
entryUUID: 6a1f0000-0000-4000-8000-000000000002
cn: eng
member: uid=alice,` + PeopleDN + `
member: cn=ops,` + GroupsDN + `

dn: cn=ops,` + GroupsDN + `
objectClass: groupOfNames
entryUUID: 6a1f0000-0000-4000-8000-000000000003
cn: ops
member: uid=bob,` + PeopleDN + `

dn: cn=contractors,` + GroupsDN + `
objectClass: groupOfUniqueNames
entryUUID: 6a1f0000-0000-4000-8000-000000000004
cn: contractors
uniqueMember: uid=dave,ou=contractors,` + PeopleDN + `
`

// person is what the suite expects of one person in the fixture.
type person struct {
	id, dn, uid, mail string
	// groups are the person's memberships: the group's cn and the cns of
	// the groups it goes through (empty for a direct one), direct ones
	// first.
	groups []membership
}

type membership struct {
	name string
	via  []string
}

// people are the fixture's people, in file order.
var people = []person{
	{id: "5a1f0000-0000-4000-8000-000000000001", dn: "uid=alice," + PeopleDN, uid: "alice", mail: "alice@example.org",
		groups: []membership{{name: "eng"}, {name: "all", via: []string{"eng"}}}},
	{id: "5a1f0000-0000-4000-8000-000000000002", dn: "uid=bob," + PeopleDN, uid: "bob", mail: "bob@example.org",
		groups: []membership{{name: "ops"}, {name: "eng", via: []string{"ops"}}, {name: "all", via: []string{"ops", "eng"}}}},
	{id: "5a1f0000-0000-4000-8000-000000000003", dn: "uid=carol," + PeopleDN, uid: "carol", mail: "carol@example.org"},
	{id: "5a1f0000-0000-4000-8000-000000000004", dn: "uid=dave,ou=contractors," + PeopleDN, uid: "dave", mail: "dave@example.org",
		groups: []membership{{name: "contractors"}}},
}

// groupDN returns the DN of the fixture's group cn.
func groupDN(cn string) string { return "cn=" + cn + "," + GroupsDN }
