// Package mapping turns directory entries into the accounts and roles idsync
// wants in a target. Rules are expressions (github.com/expr-lang/expr)
// compiled once when the configuration loads; evaluating them is pure: no
// I/O, the same entry always maps to the same result, and every mapped value
// and role records the rule that produced it so a plan can say why.
//
// It also holds the source-independent pieces every reader shares: Entry,
// DN normalisation and nested-group expansion (Groups).
//
// # Rules
//
// Config is the [mapping] section. Compile checks every rule and reports all
// problems at once, each starting with the rule's key path relative to
// [mapping] ("attributes.department: compile: unknown name attrr (1:1)";
// array indexes count from 0). Mapper.Map evaluates the rules for one entry
// and returns a Person; it is safe for concurrent use.
//
// # Expression environment
//
// Scope, disabled, attribute and role (when) rules see the person:
//
//	id                   string    the entry's stable ID (entryUUID, objectGUID)
//	dn                   string    the entry's DN
//	attr(name)           string    first value of the attribute name (any case), or ""
//	attrs(name)          []string  all values of the attribute
//	has(name)            bool      the attribute has at least one value
//	groups               []string  names (cn) of every group the person is in, nested included
//	groupDNs             []string  DNs of those groups
//	memberOf(x)          bool      the person is in the group x, directly or nested; x is a
//	                               group DN or name, compared case-insensitively (DNs normalised)
//	directMemberOf(x)    bool      the same, direct memberships only
//	now                  time.Time the time of the run (the same for every entry)
//	adExpired(s)         bool      s is an AD accountExpires FILETIME at or before now;
//	                               "", 0 and 9223372036854775807 mean never
//
// Every rule, group_roles included, can use these helpers:
//
//	rdn(dn)              string    value of the first RDN: rdn("cn=Jane Doe,ou=people,...") is "Jane Doe"
//	parentDN(dn)         string    dn without its first RDN
//	dnValue(dn, type)    string    value of the first RDN of that type: dnValue(dn, "ou")
//	bitSet(s, mask)      bool      any bit of mask set in the decimal integer s; for AD
//	                               userAccountControl test bitSet(attr("userAccountControl"), 0x2),
//	                               never == "514"
//	generalizedTime(s)   time.Time an LDAP GeneralizedTime ("20240131120000Z"); "" gives the zero time
//	adTime(s)            time.Time an AD FILETIME (accountExpires, pwdLastSet) in UTC; "", 0 and
//	                               9223372036854775807 give the zero time;
//	                               adTime(s).Format("2006-01-02") is its date
//	default(a, b)        string    a if it is not empty, else b
//
// and expr's builtins, among them lower, upper, trim, split, join, replace,
// hasPrefix, hasSuffix, len, filter, any, all, first, date and duration, and
// its operators: == != and or not in contains startsWith endsWith matches,
// + for strings, ?: and ?? (see https://expr-lang.org/docs/language-definition).
// expr's now() is disabled: rules use the variable now, so a run is
// reproducible. date() without a time zone parses in UTC.
//
// group_roles rules see only the group, never the person, so their results
// are cached per group: group.dn and group.name, plus the helpers and builtins.
// An Active Directory group also has group.scope ("global", "domain-local" or
// "universal") and group.kind ("security" or "distribution"), decoded from its
// groupType, and group.builtIn (true for the groups the system creates);
// both strings are "" for a group without groupType (generic LDAP):
//
//	match = 'group.kind == "security" and group.scope != "domain-local"'
//
// disabled_reason, evaluated only for a disabled person, says why in the
// plan ("expired on 2024-01-31"); it sees what disabled sees.
//
// Results: scope, disabled, when and match must give a bool; attribute,
// disabled_reason and group_roles name rules a string (nil gives "", a bool "true"/"false", a
// number its decimal form, a time RFC 3339 in UTC; a list is an error: use
// join or first). A rule's size and the memory one evaluation may use are
// bounded.
package mapping
