package scimtest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Profile names for Options.Profile: the SaaS applications whose SCIM
// quirks a Server imitates. They are written down here from the vendors'
// documentation, not taken from the client, so that the two cannot share
// a misunderstanding.
const (
	ProfileSlack     = "slack"
	ProfileGitHubEMU = "github-emu"
	ProfileAtlassian = "atlassian"
	ProfileAWS       = "aws-identity-center"
	ProfileZoom      = "zoom"
	ProfileGeneric   = "generic"
)

// Profiles lists the profile modes a Server has.
func Profiles() []string {
	return []string{ProfileSlack, ProfileGitHubEMU, ProfileAtlassian, ProfileAWS, ProfileZoom, ProfileGeneric}
}

// CheckProfile returns an error for a name that is not one of Profiles
// (or "").
func CheckProfile(name string) error {
	_, err := modeFor(name)
	return err
}

// mode is the vendor behaviour of a profile.
type mode struct {
	name string
	// maxPage clamps count (Slack: more than 1000 is 1000; the others 100).
	maxPage int
	// cursor pages with an opaque cursor and ignores startIndex (AWS).
	cursor bool
	// emptyMembers leaves members out of every group read (AWS).
	emptyMembers bool
	// userFilters and groupFilters are the filters allowed, by lower-case
	// attribute; "id+members" is AWS's membership check. nil: any.
	userFilters, groupFilters []string
	// rewrite is what the server makes of a userName.
	rewrite func(string) string
	// writeLock answers a write to an object another write is changing
	// with 429 (Slack).
	writeLock bool
	// memberCap limits member changes per PATCH; noReplaceMembers refuses
	// a replace of members or a remove of all of them (AWS).
	memberCap        int
	noReplaceMembers bool
	// maxGroupMembers is the most members a group may have (Slack).
	maxGroupMembers int
	// deleteDeactivates makes DELETE of a user set it inactive (Slack).
	deleteDeactivates bool
	// irreversible records every deleted user (GitHub EMU): Destroyed.
	irreversible bool
	// required are the attributes a user must have (GitHub EMU): paths
	// "externalId", "name.givenName", "name.familyName", "emails" (one
	// primary e-mail with a type).
	required []string
	// keepGroups gives a user created again under a deleted user's
	// userName that user's groups back (Atlassian).
	keepGroups bool
	// ownExternalID makes externalId the server's own, read-only (Zoom).
	ownExternalID bool
	// singleValued refuses a user with more than one e-mail, phone number
	// or address (AWS).
	singleValued bool
}

func modeFor(name string) (mode, error) {
	switch name {
	case "", ProfileGeneric:
		return mode{name: name}, nil
	case ProfileSlack:
		return mode{name: name, maxPage: 1000, userFilters: []string{"username", "emails.value", "externalid"},
			rewrite: slackName, writeLock: true, deleteDeactivates: true, maxGroupMembers: 15000}, nil
	case ProfileGitHubEMU:
		return mode{name: name, maxPage: 100, userFilters: []string{"username", "externalid"}, rewrite: githubName,
			irreversible: true, required: []string{"externalId", "name.givenName", "name.familyName", "emails"}}, nil
	case ProfileAtlassian:
		return mode{name: name, maxPage: 100, userFilters: []string{"username", "externalid"}, keepGroups: true}, nil
	case ProfileAWS:
		return mode{name: name, maxPage: 100, cursor: true, emptyMembers: true,
			userFilters: []string{"username", "externalid"}, groupFilters: []string{"displayname", "externalid", "id+members"},
			memberCap: 100, noReplaceMembers: true, singleValued: true}, nil
	case ProfileZoom:
		return mode{name: name, maxPage: 100, userFilters: []string{"username"}, ownExternalID: true}, nil
	}
	return mode{}, fmt.Errorf("scimtest: unknown profile %q", name)
}

// slackName: lower case, a-z 0-9 . - _ kept, anything else _, 21 at most.
func slackName(s string) string {
	out := []rune{}
	for _, r := range strings.ToLower(s) {
		if len(out) == 21 {
			break
		}
		if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789.-_", r) {
			r = '_'
		}
		out = append(out, r)
	}
	return string(out)
}

// githubName: the part before the last @, lower case, runs of other
// characters than a-z 0-9 one dash, no dash at the ends.
func githubName(s string) string {
	if i := strings.LastIndex(s, "@"); i > 0 {
		s = s[:i]
	}
	fields := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	return strings.Join(fields, "-")
}

// checkFilter refuses a filter the mode does not allow on c.
func (m *mode) checkFilter(c *collection, f *filter) *httpError {
	allowed := m.userFilters
	if c.kind == "Group" {
		allowed = m.groupFilters
	}
	if allowed == nil || slices.Contains(allowed, f.attr) {
		return nil
	}
	return errorf(http.StatusBadRequest, "invalidFilter", "%s: filtering %s on %q is not supported", m.name, c.endpoint, f.attr)
}

// onWrite applies the mode to a user about to be stored (create, PUT or
// PATCH): the userName rewrite, the required attributes and a server-owned
// externalId (old is the stored data, nil on create).
func (m *mode) onWrite(data, old map[string]any) *httpError {
	if m.rewrite != nil {
		if n := str(get(data, "userName")); n != "" {
			delete(data, key(data, "userName"))
			data["userName"] = m.rewrite(n)
		}
	}
	if m.ownExternalID {
		delete(data, key(data, "externalId"))
		if old == nil {
			data["externalId"] = "zoom-" + newID()[:8]
		} else {
			data["externalId"] = get(old, "externalId")
		}
	}
	if m.singleValued {
		for _, attr := range []string{"emails", "phoneNumbers", "addresses"} {
			if list, _ := get(data, attr).([]any); len(list) > 1 {
				return errorf(http.StatusBadRequest, "invalidValue", "%s: %s takes one value, got %d", m.name, attr, len(list))
			}
		}
	}
	for _, r := range m.required {
		if !hasRequired(data, r) {
			return errorf(http.StatusBadRequest, "invalidValue", "%s: %s is required", m.name, r)
		}
	}
	return nil
}

func hasRequired(data map[string]any, path string) bool {
	switch path {
	case "emails":
		list, _ := get(data, "emails").([]any)
		for _, e := range list {
			obj, _ := e.(map[string]any)
			if p, _ := get(obj, "primary").(bool); p && str(get(obj, "value")) != "" && str(get(obj, "type")) != "" {
				return true
			}
		}
		return false
	case "name.givenName", "name.familyName":
		name, _ := get(data, "name").(map[string]any)
		return str(get(name, path[len("name."):])) != ""
	}
	return str(get(data, path)) != ""
}
