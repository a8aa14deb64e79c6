package scim

import (
	"fmt"
	"strings"

	"github.com/idsync/idsync/targets"
)

// This file is about excluded_attributes: the attributes of a User that
// list requests ask the server to leave out (RFC 7644 §3.4.2.5,
// excludedAttributes), and the check that none of them is one idsync reads.

// DefaultExcludedAttributes returns what excluded_attributes is when unset:
// meta (about 30% of the bytes of a page of plain users) and the read-only
// groups, which many servers fill with every group of the user. idsync
// reads neither.
func DefaultExcludedAttributes() []string { return []string{"meta", "groups"} }

// readAttrPaths are the User attribute paths idsync reads, lower-cased:
// "name.givenname", "emails.value"; enterpriseReadPaths are those of the
// enterprise extension, "urn:...:user:department", read only when
// enterprise_extension is on. Derived from targets.AttributeTable, so that
// a new mapped attribute is protected from exclusion without anyone
// remembering.
var readAttrPaths, enterpriseReadPaths = userReadPaths()

func userReadPaths() (core, enterprise []string) {
	core = []string{"id", "username", "externalid", "active"}
	add := func(p string) { core = append(core, strings.ToLower(p)) }
	for _, f := range userFields {
		switch f.Kind {
		case targets.KindSimple, targets.KindSub:
			add(f.Path)
		case targets.KindTyped:
			add(f.Parent() + ".type")
			add(f.Parent() + ".value")
		case targets.KindEnterprise:
			enterprise = append(enterprise, strings.ToLower(schemaEnterprise+":"+f.Path))
		}
	}
	return core, enterprise
}

var lowerCoreUser = strings.ToLower(schemaUser)

// validateExcluded checks the excluded_attributes entries, one error per
// bad entry. enterprise says whether enterprise_extension is on, when
// idsync reads the extension too.
func validateExcluded(names []string, enterprise bool) []error {
	var errs []error
	for _, n := range names {
		switch {
		case !isAttrPath(n):
			errs = append(errs, fmt.Errorf(`excluded_attributes: must be SCIM attribute names or URN-qualified paths `+
				`(letters, digits, "_", "-", ".", ":"), got %q`, n))
		case readByIdsync(n, enterprise):
			errs = append(errs, fmt.Errorf("excluded_attributes: must not name an attribute idsync reads "+
				"(every account would look changed), got %q", n))
		}
	}
	return errs
}

// isAttrPath says whether s is a non-empty string of the characters of
// SCIM attribute names, sub-attribute paths and schema URNs.
func isAttrPath(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		case r == '_', r == '-', r == '.', r == ':':
		default:
			return false
		}
	}
	return true
}

// readByIdsync says whether excluding path (case-insensitively) would take
// away something idsync reads: an attribute it reads ("userName",
// "name.givenName"), one that contains such an attribute ("name", "emails",
// the enterprise extension, the core User schema), or a part of one
// ("userName.x"). A core-schema URN prefix is ignored. The enterprise
// extension counts only when enterprise is on.
func readByIdsync(path string, enterprise bool) bool {
	p := strings.ToLower(path)
	if p == lowerCoreUser {
		return true
	}
	p = strings.TrimPrefix(p, lowerCoreUser+":")
	read := func(paths []string) bool {
		for _, r := range paths {
			if r == p || isBelow(r, p) || isBelow(p, r) {
				return true
			}
		}
		return false
	}
	return read(readAttrPaths) || enterprise && read(enterpriseReadPaths)
}

// isBelow says whether path is a sub-attribute of parent ("name.givenname"
// of "name") or an attribute of the schema parent ("urn:x:department" of
// "urn:x").
func isBelow(path, parent string) bool {
	rest, ok := strings.CutPrefix(path, parent)
	return ok && rest != "" && (rest[0] == '.' || rest[0] == ':')
}
