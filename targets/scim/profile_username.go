package scim

import "strings"

// slackMaxUserName is the longest userName Slack stores.
const slackMaxUserName = 21

// SlackUserName is what Slack stores for a userName: lower case, every
// character other than a-z, 0-9, '.', '-' and '_' replaced by '_', cut to
// 21 characters.
func SlackUserName(name string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.ToLower(name) {
		if n == slackMaxUserName {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		n++
	}
	return b.String()
}

// GitHubUserName is GitHub's normalisation of a managed user's userName:
// the e-mail domain (from the last '@') dropped, lower case, every run of
// characters other than a-z and 0-9 one '-', no '-' at either end.
func GitHubUserName(name string) string {
	if i := strings.LastIndexByte(name, '@'); i > 0 {
		name = name[:i]
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}
