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

// TestStatusPendingDeletions: a leaver disabled with delete_after shows in
// /status and `idsync status` as a pending deletion of their target, with
// the day it will be deleted.
func TestStatusPendingDeletions(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, url, token, "")
	e.insertConfig(`kind = "scim"`, "leavers = \"disable\"\ndelete_after = \"30d\"\n")
	addr := freeAddr(t)
	e.appendConfig("\n[admin]\nlisten = \"" + addr + "\"\n")
	e.mustIdsync(exitOK, "apply")
	req := ldap.NewModifyRequest("uid=oandersen,"+people, nil)
	req.Replace("employeeType", []string{"disabled"})
	if err := slapd.Conn(t).Modify(req); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	e.mustIdsync(exitOK, "apply")
	after := time.Now()

	d := startDaemon(t, e, addr)
	client, err := admin.NewClient(admin.Config{Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	st, err := client.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pd := st.Targets[0].PendingDeletions
	if pd == nil || pd.Count != 1 || pd.Due != 0 || pd.DeleteAfter != "30d" || len(pd.Next) != 1 {
		t.Fatalf("pending deletions = %+v, want oandersen's alone", pd)
	}
	got := pd.Next[0]
	lo, hi := before.Add(30*24*time.Hour).Truncate(time.Millisecond), after.Add(30*24*time.Hour)
	if got.UserName != "oandersen" || got.DeleteOn.Before(lo) || got.DeleteOn.After(hi) || !got.DeleteOn.Equal(got.Disabled.Add(30*24*time.Hour)) {
		t.Errorf("pending deletion = %+v, want oandersen's, 30 days after the disable", got)
	}
	out := e.mustIdsync(exitOK, "status")
	if !strings.Contains(out, "Pending deletions (delete_after = 30d): 1") || !strings.Contains(out, "oandersen  will be deleted on ") {
		t.Errorf("idsync status:\n%s", out)
	}
	d.stop(t)
}
