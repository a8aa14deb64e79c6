package main

import (
	"context"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/idsync/idsync/internal/admin"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// TestDaemonPolls asks a daemon that does not watch (an OpenLDAP without
// syncprov, a 389-DS) for an incremental run, as a schedule with mode =
// "incremental" does: it reads what changed since its startup run by
// modifyTimestamp, and applies it as an incremental run.
func TestDaemonPolls(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, url, token, "")
	addr := freeAddr(t)
	e.appendConfig("\n[daemon]\n[[daemon.schedule]]\nname = \"poll\"\ncron = \"0 0 1 1 *\"\nmode = \"incremental\"\n\n[admin]\nlisten = \"" + addr + "\"\n")
	d := startDaemon(t, e, addr)
	c := slapd.Conn(t)
	req := ldap.NewModifyRequest("uid=spatel,"+people, nil)
	req.Replace("title", []string{"Polled"})
	if err := c.Modify(req); err != nil {
		t.Fatal(err)
	}
	client, err := admin.NewClient(admin.Config{Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Run(context.Background(), admin.RunRequest{Mode: "incremental", Wait: true})
	if err != nil || res.Status != admin.RunSucceeded {
		t.Fatalf("incremental run: %+v, %v", res, err)
	}
	if got := e.users()["spatel"].Attrs.Get("title"); got != "Polled" {
		t.Errorf("title after the poll = %q", got)
	}
	d.stop(t)
	if runs := e.mustIdsync(exitOK, "runs", "--format", "csv"); !strings.Contains(runs, "Incremental, ") {
		t.Errorf("no incremental run recorded:\n%s", runs)
	}
}
