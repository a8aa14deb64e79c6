package targets

import "strings"

// AttrKind says where an attribute path lives in a SCIM User (RFC 7643
// §4.1, §4.3), the schema whose names idsync's paths follow. A target that
// is not SCIM maps the same paths to its own fields.
type AttrKind int

// Attribute kinds.
const (
	// KindFixed is a field of Account itself: userName, externalId, active.
	KindFixed AttrKind = iota
	// KindSimple is a top-level single-valued string: "displayName".
	KindSimple
	// KindSub is a sub-attribute of a complex attribute: "name.givenName".
	KindSub
	// KindTyped is the value of one type of a multi-valued attribute:
	// "emails.work" is the value of the emails element of type "work".
	KindTyped
	// KindEnterprise is an attribute of the enterprise User extension:
	// "department".
	KindEnterprise
)

// AttributeDef describes one account attribute path.
type AttributeDef struct {
	// Path is the account attribute path: "displayName", "name.givenName",
	// "emails.work", "department".
	Path string
	// Kind says where the path lives in a SCIM User.
	Kind AttrKind
	// Description is a short description for documentation and messages.
	Description string
	// Primary marks the typed value that is the primary one (emails.work).
	Primary bool
	// Ref marks an attribute whose value is the "value" sub-attribute of
	// a complex reference to another account (the enterprise manager).
	Ref bool
}

// Parent returns the attribute that holds the value: "name" for
// name.givenName, "emails" for emails.work, the path itself otherwise.
func (d AttributeDef) Parent() string {
	parent, _, _ := strings.Cut(d.Path, ".")
	return parent
}

// Sub returns the part after the parent: "givenName" for name.givenName,
// the type "work" for emails.work, "" for a path without a dot.
func (d AttributeDef) Sub() string {
	_, sub, _ := strings.Cut(d.Path, ".")
	return sub
}

// AttributeTable is the one table of the account attribute paths idsync
// can map and targets understand, sorted by path. Mapping validation, the
// SCIM target's reading and writing, its excluded_attributes check and
// the documentation all derive from it.
var AttributeTable = []AttributeDef{
	{Path: "active", Kind: KindFixed, Description: `"true" or "false"; normally left to the disabled rule`},
	{Path: "costCenter", Kind: KindEnterprise, Description: "cost center (enterprise extension)"},
	{Path: "department", Kind: KindEnterprise, Description: "department (enterprise extension)"},
	{Path: "displayName", Kind: KindSimple, Description: "name shown to other users"},
	{Path: "division", Kind: KindEnterprise, Description: "division (enterprise extension)"},
	{Path: "emails.home", Kind: KindTyped, Description: "home e-mail address"},
	{Path: "emails.other", Kind: KindTyped, Description: "other e-mail address"},
	{Path: "emails.work", Kind: KindTyped, Description: "primary work e-mail address", Primary: true},
	{Path: "employeeNumber", Kind: KindEnterprise, Description: "employee number (enterprise extension)"},
	{Path: "externalId", Kind: KindFixed, Description: "the source's stable identifier"},
	{Path: "locale", Kind: KindSimple, Description: "locale, e.g. en-GB"},
	{Path: "manager", Kind: KindEnterprise, Ref: true,
		Description: "the manager's account ID in the target (enterprise extension); the rule gives the manager's source DN or ID"},
	{Path: "name.familyName", Kind: KindSub, Description: "last name"},
	{Path: "name.formatted", Kind: KindSub, Description: "full name"},
	{Path: "name.givenName", Kind: KindSub, Description: "first name"},
	{Path: "name.honorificPrefix", Kind: KindSub, Description: "title before the name"},
	{Path: "name.honorificSuffix", Kind: KindSub, Description: "title after the name"},
	{Path: "name.middleName", Kind: KindSub, Description: "middle name"},
	{Path: "nickName", Kind: KindSimple, Description: "casual name"},
	{Path: "organization", Kind: KindEnterprise, Description: "organization (enterprise extension)"},
	{Path: "phoneNumbers.mobile", Kind: KindTyped, Description: "mobile phone number"},
	{Path: "phoneNumbers.work", Kind: KindTyped, Description: "work phone number"},
	{Path: "preferredLanguage", Kind: KindSimple, Description: "language tag, e.g. en-GB"},
	{Path: "profileUrl", Kind: KindSimple, Description: "profile URL"},
	{Path: "timezone", Kind: KindSimple, Description: "IANA time zone"},
	{Path: "title", Kind: KindSimple, Description: "job title"},
	{Path: "userName", Kind: KindFixed, Description: "login name (required, unique, case-insensitive)"},
	{Path: "userType", Kind: KindSimple, Description: "employee, contractor, ..."},
}

// LookupAttribute returns the definition of path; false for a path idsync
// does not know.
func LookupAttribute(path string) (AttributeDef, bool) {
	i, ok := attributeIndex[path]
	if !ok {
		return AttributeDef{}, false
	}
	return AttributeTable[i], true
}

var attributeIndex = func() map[string]int {
	m := make(map[string]int, len(AttributeTable))
	for i, d := range AttributeTable {
		m[d.Path] = i
	}
	return m
}()

// Attributes maps every known attribute path to its description: a view of
// AttributeTable for callers that only look paths up.
var Attributes = func() map[string]string {
	m := make(map[string]string, len(AttributeTable))
	for _, d := range AttributeTable {
		m[d.Path] = d.Description
	}
	return m
}()

// AttributeNames returns the known attribute paths, sorted.
func AttributeNames() []string {
	names := make([]string, len(AttributeTable))
	for i, d := range AttributeTable {
		names[i] = d.Path
	}
	return names
}
