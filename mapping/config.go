package mapping

// Config is the [mapping] section of idsync's configuration: the rules that
// turn a directory entry into a person. Every rule is an expression; see the
// package documentation for the names an expression can use.
type Config struct {
	// Scope is a bool expression; a person for whom it is false is out of
	// scope (a leaver if they had an account). Empty: every entry is in
	// scope.
	Scope string `toml:"scope" json:"scope,omitempty"`
	// Disabled is a bool expression; true marks a leaver whose account is
	// disabled (Account.Active is false). Empty: nobody is disabled.
	Disabled string `toml:"disabled" json:"disabled,omitempty"`
	// StartDate is an expression giving the day a person starts (a
	// time, or a string: YYYY-MM-DD, RFC 3339 or GeneralizedTime; ""
	// for none). Before it the person is disabled (Person.StartDate
	// says why). Empty: no start dates.
	StartDate string `toml:"start_date" json:"start_date,omitempty"`
	// EndDate is an expression giving the moment a person leaves
	// (contractors), in the same forms: from then on the person is
	// disabled, a leaver, even if nobody touches the directory.
	EndDate string `toml:"end_date" json:"end_date,omitempty"`
	// DisabledReason is a string expression evaluated for a disabled
	// person, saying why ("disabled", "expired on 2024-01-31"): the plan
	// gives it as the leaver's reason. Empty: the disabled rule itself is
	// the reason.
	DisabledReason string `toml:"disabled_reason" json:"disabledReason,omitempty"`
	// Attributes maps a target attribute path (a key of targets.Attributes,
	// except "active") to an expression giving its value. "userName" is
	// required.
	Attributes map[string]string `toml:"attributes" json:"attributes,omitempty"`
	// Roles are static roles, each given to the people its When holds for.
	Roles []RoleRule `toml:"roles" json:"roles,omitempty"`
	// GroupRoles give one role per matching group a person is in, directly
	// or through nested groups.
	GroupRoles []GroupRoleRule `toml:"group_roles" json:"group_roles,omitempty"`
}

// RoleRule is one static role: the role Name for every person When holds
// for.
type RoleRule struct {
	// Name is the role's name, unique among the static roles.
	Name string `toml:"name" json:"name"`
	// When is a bool expression over the person; required (use "true" for
	// everyone in scope).
	When string `toml:"when" json:"when"`
}

// GroupRoleRule derives roles from groups: for every group the person is in
// (directly or nested) for which Match holds, the person gets the role Name
// evaluates to. Both expressions see only the group (group.dn, group.name)
// and the stateless helpers, never the person, so their results are cached
// per group.
type GroupRoleRule struct {
	// Match is a bool expression over the group.
	Match string `toml:"match" json:"match"`
	// Name is an expression giving the role name for a matching group; it
	// must not be empty.
	Name string `toml:"name" json:"name"`
}
