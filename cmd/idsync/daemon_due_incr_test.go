package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/idsync/idsync/internal/admin"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// TestDaemonIncrementalMovesDue: an end date set on one contractor after
// the startup run reaches the daemon through an incremental run, and its
// timer moves to that date (/status lists the dated event) with no full
// run in between.
func TestDaemonIncrementalMovesDue(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, url, token, "")
	e.insertConfig("[mapping]", `end_date = 'attr("carLicense")'`+"\n")
	addr := freeAddr(t)
	e.appendConfig("\n[daemon]\n[[daemon.schedule]]\nname = \"poll\"\ncron = \"0 0 1 1 *\"\nmode = \"incremental\"\n\n[admin]\nlisten = \"" + addr + "\"\n")
	d := startDaemon(t, e, addr)
	client, err := admin.NewClient(admin.Config{Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	dated := func() []time.Time {
		st, err := client.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var at []time.Time
		for _, n := range st.Targets[0].NextRuns {
			if n.Schedule == reasonDue {
				at = append(at, n.At)
			}
		}
		return at
	}
	if at := dated(); len(at) != 0 {
		t.Fatalf("dated events before any end date: %v", at)
	}
	end := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	req := ldap.NewModifyRequest("uid=nvarga,ou=contractors,"+people, nil)
	req.Replace("carLicense", []string{end.Format(time.RFC3339)})
	if err := slapd.Conn(t).Modify(req); err != nil {
		t.Fatal(err)
	}
	res, err := client.Run(context.Background(), admin.RunRequest{Mode: "incremental", Wait: true})
	if err != nil || res.Status != admin.RunSucceeded {
		t.Fatalf("incremental run: %+v, %v", res, err)
	}
	if at := dated(); len(at) != 1 || !at[0].Equal(end) {
		t.Errorf("dated events after the incremental run: %v, want %v", at, end)
	}
	d.stop(t)
	if runs := e.mustIdsync(exitOK, "runs", "--format", "csv"); !strings.Contains(runs, "Incremental, ") {
		t.Errorf("the run was not incremental:\n%s", runs)
	}
}
