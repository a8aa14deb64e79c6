package main

import (
	"context"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/idsync/idsync/internal/admin"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// TestDaemonActsOnDates: a contractor's end date passes while the daemon
// runs, with nobody touching the directory. The startup run says when (the
// status lists a "dated event" run), and at that moment a full run makes
// the contractor a leaver.
func TestDaemonActsOnDates(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, url, token, "")
	e.insertConfig("[mapping]", `end_date = 'attr("carLicense")'`+"\n")
	addr := freeAddr(t)
	e.appendConfig("\n[admin]\nlisten = \"" + addr + "\"\n")
	// The end date is a few seconds away: the run at startup still
	// creates the account, and the dated run disables it.
	end := time.Now().Add(4 * time.Second).UTC().Truncate(time.Second).Add(time.Second)
	req := ldap.NewModifyRequest("uid=nvarga,ou=contractors,"+people, nil)
	req.Replace("carLicense", []string{end.Format(time.RFC3339)})
	if err := slapd.Conn(t).Modify(req); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, e, addr)
	if u := e.users()["nvarga"]; !u.Active {
		t.Fatalf("before the end date: %+v", u)
	}
	client, err := admin.NewClient(admin.Config{Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	st, err := client.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range st.Targets[0].NextRuns {
		found = found || n.Schedule == reasonDue && n.At.Equal(end)
	}
	if !found && time.Now().Before(end) {
		t.Errorf("status lists no dated run at %v: %+v", end, st.Targets[0].NextRuns)
	}
	eventually(t, "the contractor disabled at the end date", d.done, func() bool { return !e.users()["nvarga"].Active })
	st, err = client.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dated := false
	for _, r := range st.Targets[0].LastRuns {
		dated = dated || r.Trigger == "date"
	}
	if !dated {
		t.Errorf("no run with trigger date: %+v", st.Targets[0].LastRuns)
	}
	d.stop(t)
}
