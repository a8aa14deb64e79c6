package targets

import "sort"

// Attributes lists the account attribute paths idsync can map and targets
// understand, with a short description. The fixed fields userName,
// externalId and active are included.
var Attributes = map[string]string{
	"userName":             "login name (required, unique, case-insensitive)",
	"externalId":           "the source's stable identifier",
	"active":               `"true" or "false"; normally left to the disabled rule`,
	"displayName":          "name shown to other users",
	"nickName":             "casual name",
	"name.formatted":       "full name",
	"name.givenName":       "first name",
	"name.familyName":      "last name",
	"name.middleName":      "middle name",
	"name.honorificPrefix": "title before the name",
	"name.honorificSuffix": "title after the name",
	"title":                "job title",
	"userType":             "employee, contractor, ...",
	"preferredLanguage":    "language tag, e.g. en-GB",
	"locale":               "locale, e.g. en-GB",
	"timezone":             "IANA time zone",
	"profileUrl":           "profile URL",
	"emails.work":          "primary work e-mail address",
	"emails.home":          "home e-mail address",
	"emails.other":         "other e-mail address",
	"phoneNumbers.work":    "work phone number",
	"phoneNumbers.mobile":  "mobile phone number",
	"employeeNumber":       "employee number (enterprise extension)",
	"costCenter":           "cost center (enterprise extension)",
	"organization":         "organization (enterprise extension)",
	"division":             "division (enterprise extension)",
	"department":           "department (enterprise extension)",
}

// AttributeNames returns the known attribute paths, sorted.
func AttributeNames() []string {
	names := make([]string, 0, len(Attributes))
	for n := range Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
