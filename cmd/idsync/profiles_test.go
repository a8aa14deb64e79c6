package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// profileRun is how one profile's integration run is set up.
type profileRun struct {
	profile string
	// userName replaces the demo mapping's userName rule ("" keeps it):
	// e-mail addresses, which Slack and GitHub rewrite.
	userName string
	// noExternalID drops the externalId rule (Zoom owns externalId).
	noExternalID bool
	// leavers is the target's leaver policy.
	leavers string
	// legacy puts the leaver in a group idsync does not manage before the
	// leaver is deleted: Atlassian gives it back when the user is made
	// again, and the rehired person must not get it.
	legacy bool
}

func profileRuns() []profileRun {
	return []profileRun{
		{profile: scim.ProfileSlack, userName: `attr("mail")`, leavers: "delete"},
		{profile: scim.ProfileGitHubEMU, userName: `attr("mail")`, leavers: "disable"},
		{profile: scim.ProfileAtlassian, leavers: "delete", legacy: true},
		{profile: scim.ProfileAWS, leavers: "disable"},
		{profile: scim.ProfileZoom, userName: `lower(attr("mail"))`, noExternalID: true, leavers: "disable"},
		{profile: scim.ProfileGeneric, leavers: "delete"},
	}
}

// TestProfilesDayOneDayTwo runs the sample organisation through idsync
// against the test server imitating each profile's application: day 1
// (everyone joins), day 2 (a joiner, movers, a rename, leavers), then a
// rehire of a leaver into other groups. Every step ends with an empty
// plan, and the rehired person is in exactly the new groups.
func TestProfilesDayOneDayTwo(t *testing.T) {
	for _, pr := range profileRuns() {
		t.Run(pr.profile, func(t *testing.T) {
			slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
			url, token, _ := scimtest.Start(t, scimtest.Options{Profile: pr.profile})
			e := newEnv(t, slapd, url, token, "profile = \""+pr.profile+"\"\nwrite_rate_limit = 0\n")
			e.editConfig(func(s string) string {
				if pr.userName != "" {
					s = strings.Replace(s, `userName = 'lower(attr("uid"))'`, "userName = '"+pr.userName+"'", 1)
				}
				if pr.noExternalID {
					s = strings.Replace(s, "externalId = 'id'\n", "", 1)
				}
				return strings.Replace(s, "kind = \"scim\"\n", "kind = \"scim\"\nleavers = \""+pr.leavers+"\"\n", 1)
			})
			c := e.profileClient(pr.profile)

			p := e.plan()
			if got := len(byKind(p, sync.Joiner)); got != 124 {
				t.Fatalf("day 1: %d joiners, want 124", got)
			}
			e.mustIdsync(exitOK, "apply")
			e.converged("day 1")
			dokafor := e.accountByMail(c, "daniel.okafor@example.org")
			if want := c.RewriteUserName(dokafor.Attrs.Get("emails.work")); pr.userName != "" && dokafor.UserName != want {
				t.Errorf("dokafor's userName = %q, want %q", dokafor.UserName, want)
			}

			day2(t, slapd)
			p = e.plan()
			for k, n := range map[sync.Kind]int{sync.Joiner: 1, sync.Mover: 4, sync.Leaver: 2} {
				if got := byKind(p, k); len(got) != n {
					t.Errorf("day 2: %s %v, want %d", k, got, n)
				}
			}
			for _, ch := range p.Changes {
				m := c.Meaning(string(ch.Action))
				if ch.Kind == sync.Leaver && (m == "" || !strings.Contains(strings.Join(ch.Reasons, " "), m)) {
					t.Errorf("day 2: leaver %s %s: reasons %q do not say what it means here (%q)", ch.Action, ch.UserName, ch.Reasons, m)
				}
			}
			e.mustIdsync(exitOK, "apply")
			e.converged("day 2")
			if u := e.accountByMail(c, "maria.keller@example.org"); !u.Active || u.Attrs.Get("name.familyName") != "Keller" {
				t.Errorf("the renamed account = %+v", u)
			}

			if pr.legacy {
				gid, err := c.CreateGroup(t.Context(), "legacy")
				if err != nil {
					t.Fatal(err)
				}
				if err := c.ModifyMembers(t.Context(), gid, []string{dokafor.ID}, nil); err != nil {
					t.Fatal(err)
				}
			}
			e.rehire(t, slapd, "dokafor")
			e.mustIdsync(exitOK, "apply")
			e.converged("rehire")
			u := e.accountByMail(c, "daniel.okafor@example.org")
			if !u.Active {
				t.Errorf("rehired dokafor is inactive: %+v", u)
			}
			for g, ids := range e.profileMembers(c) {
				if want := g == "team-growth" || g == "dept-marketing"; ids[u.ID] != want {
					t.Errorf("rehired dokafor in %s = %v, want %v", g, ids[u.ID], want)
				}
			}
		})
	}
}

// TestProfileSlackGroupLimit: against the Slack imitation refusing groups
// past a size (15,000 on Slack; 20 here, and max_group_members = 20), the
// groups that would pass it get no new members, the plan says which, the
// apply has nothing refused, and the next plan is empty.
func TestProfileSlackGroupLimit(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token, _ := scimtest.Start(t, scimtest.Options{Profile: scim.ProfileSlack, MaxGroupMembers: 20})
	e := newEnv(t, slapd, url, token, "profile = \"slack\"\nwrite_rate_limit = 0\nmax_group_members = 20\n")
	p := e.plan()
	var full []string
	for _, w := range p.Warnings {
		if strings.Contains(w, "and the target allows at most 20: its") {
			full = append(full, w)
		}
	}
	if len(full) == 0 {
		t.Fatalf("no group over 20 members is named in the warnings %q", p.Warnings)
	}
	e.mustIdsync(exitOK, "apply")
	e.converged("after the apply")
	for g, ids := range e.profileMembers(e.profileClient(scim.ProfileSlack)) {
		if len(ids) > 20 {
			t.Errorf("group %s has %d members", g, len(ids))
		}
	}
}

// TestProfileIrreversibleDeleteNeedsAcknowledgement: on github-emu,
// leavers = "delete" is refused at config check until acknowledged.
func TestProfileIrreversibleDeleteNeedsAcknowledgement(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token, _ := scimtest.Start(t, scimtest.Options{Profile: scimtest.ProfileGitHubEMU})
	e := newEnv(t, slapd, url, token, "profile = \"github-emu\"\n")
	e.editConfig(func(s string) string {
		return strings.Replace(s, "kind = \"scim\"\n", "kind = \"scim\"\nleavers = \"delete\"\n", 1)
	})
	code, _, errs := e.run("config", "check", "-c", e.cfg)
	want := `target[0].leavers: "delete" on profile "github-emu" permanently deletes the managed user`
	if code == exitOK || !strings.Contains(errs, want) || !strings.Contains(errs, "acknowledge_irreversible_delete = true") {
		t.Errorf("config check: exit %d\n%s\nwant an error containing %q", code, errs, want)
	}
	e.editConfig(func(s string) string {
		return strings.Replace(s, "profile = \"github-emu\"\n", "profile = \"github-emu\"\nacknowledge_irreversible_delete = true\n", 1)
	})
	if code, _, errs := e.run("config", "check", "-c", e.cfg); code != exitOK {
		t.Errorf("acknowledged: exit %d\n%s", code, errs)
	}
}

// editConfig rewrites the configuration file.
func (e *env) editConfig(fn func(string) string) {
	e.t.Helper()
	b, err := os.ReadFile(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(e.cfg, []byte(fn(string(b))), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// converged checks that the plan is empty.
func (e *env) converged(when string) {
	e.t.Helper()
	code, out, errs := e.idsync("plan", "--exit-code")
	if code != exitOK || !strings.Contains(out, "No changes") {
		e.t.Fatalf("%s: the plan is not empty (exit %d):\n%s\n%s", when, code, tail(out), tail(errs))
	}
}

// profileClient is a client with the profile, to look at the target as
// idsync does there.
func (e *env) profileClient(profile string) *scim.Client {
	e.t.Helper()
	zero := 0.0
	c, err := scim.New(scim.Config{URL: e.scimURL, Token: secret.Ref{File: filepath.Join(e.dir, "scim.token")},
		RateLimit: &zero, WriteRateLimit: &zero, Profile: profile}, logrus.New())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// accountByMail returns the one account whose work e-mail is mail.
func (e *env) accountByMail(c *scim.Client, mail string) targets.Account {
	e.t.Helper()
	var found []targets.Account
	if err := c.List(context.Background(), func(a targets.Account) error {
		if a.Attrs.Get("emails.work") == mail {
			found = append(found, a)
		}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	if len(found) != 1 {
		e.t.Fatalf("%d accounts with e-mail %s, want 1: %+v", len(found), mail, found)
	}
	return found[0]
}

// profileMembers returns the member IDs of each group by display name.
func (e *env) profileMembers(c *scim.Client) map[string]map[string]bool {
	e.t.Helper()
	out := map[string]map[string]bool{}
	if err := c.ListGroups(context.Background(), func(g targets.Group) error {
		out[g.DisplayName] = map[string]bool{}
		for _, id := range g.Members {
			out[g.DisplayName][id] = true
		}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// rehire deletes uid's entry, runs an apply (the leaver), and adds the
// entry again as a new person (a new entryUUID) in the Growth team.
func (e *env) rehire(t *testing.T, s *slapdtest.Server, uid string) {
	t.Helper()
	c := s.Conn(t)
	dn := "uid=" + uid + "," + people
	res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"*"}, nil))
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("read %s: %v", dn, err)
	}
	if err := c.Del(ldap.NewDelRequest(dn, nil)); err != nil {
		t.Fatal(err)
	}
	e.mustIdsync(exitOK, "apply")
	e.converged("leaver " + uid)
	add := ldap.NewAddRequest(dn, nil)
	for _, a := range res.Entries[0].Attributes {
		add.Attribute(a.Name, a.Values)
	}
	if err := c.Add(add); err != nil {
		t.Fatal(err)
	}
	m := ldap.NewModifyRequest("cn=Growth,"+teams, nil)
	m.Add("member", []string{dn})
	if err := c.Modify(m); err != nil {
		t.Fatal(err)
	}
}

// TestProfileUnknownIsRefused: config check names the key, its line and
// the profiles there are.
func TestProfileUnknownIsRefused(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	e := newEnv(t, slapd, "http://127.0.0.1:1/scim/v2", "tok", "profile = \"okta\"\n")
	code, _, errs := e.run("config", "check", "-c", e.cfg)
	want := `target[0].scim.profile: must be one of "generic", "slack", "github-emu", "atlassian", "aws-identity-center", "zoom", got "okta"`
	if code == exitOK || !strings.Contains(errs, want) || !strings.Contains(errs, "config.toml:") {
		t.Errorf("config check: exit %d\n%s\nwant %q with its line", code, errs, want)
	}
}
