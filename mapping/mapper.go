package mapping

import "strings"

// Rule returns the source text of the rule with the key path key (relative
// to [mapping]): "scope", "disabled", "attributes.department",
// "roles[1]" or "roles[1].when" (the when expression), "group_roles[0]" or
// "group_roles[0].match", "group_roles[0].name". It returns "" for a key
// without a rule.
func (m *Mapper) Rule(key string) string {
	return m.sources[strings.TrimPrefix(key, "mapping.")]
}

// AttributePaths returns the attribute paths the rules set, sorted: the
// attributes idsync manages in a target (userName and externalId included
// when mapped; active is always managed, by the disabled rule).
func (m *Mapper) AttributePaths() []string {
	return append([]string(nil), m.paths...)
}

// Roles returns the names of the static roles (the [[mapping.roles]]
// entries), sorted. Roles from group_roles depend on the groups read and
// are not included.
func (m *Mapper) Roles() []string {
	return append([]string(nil), m.roleNames...)
}
