package scim_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// Refused writes (defect 4 of issue 9): every refusal is an error wrapping
// targets.ErrRejected with the status and the server's detail, never a
// success, and is not retried.

func TestRefusedWritesAreRejected(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	c, _ := newClient(t, testConfig(t, url, token))
	uid, err := c.Create(t.Context(), alice())
	if err != nil {
		t.Fatal(err)
	}
	gid, err := c.CreateGroup(t.Context(), "existing")
	if err != nil {
		t.Fatal(err)
	}
	put := testConfig(t, url, token)
	put.UpdateMethod = scim.UpdatePut
	cput, _ := newClient(t, put)
	bob := targets.Account{UserName: "bob", Active: true}
	tests := []struct {
		method, endpoint string
		status           int
		write            func() error
	}{
		{"POST", "/Groups", 400, func() error { _, err := c.CreateGroup(t.Context(), "staff"); return err }},
		{"PATCH", "/Groups", 400, func() error { return c.ModifyMembers(t.Context(), gid, []string{uid}, nil) }},
		{"POST", "/Users", 400, func() error { _, err := c.Create(t.Context(), bob); return err }},
		{"PATCH", "/Users", 400, func() error { return c.Update(t.Context(), uid, bob) }},
		{"PATCH", "/Users", 422, func() error { return c.Deactivate(t.Context(), uid) }},
		{"PUT", "/Users", 400, func() error { return cput.Update(t.Context(), uid, bob) }},
		{"DELETE", "/Users", 400, func() error { return c.Delete(t.Context(), uid) }},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.endpoint, func(t *testing.T) {
			srv.ResetFaults()
			srv.Refuse(tt.method, tt.endpoint, tt.status)
			srv.ResetStats()
			err := tt.write()
			var se *scim.StatusError
			if !errors.Is(err, targets.ErrRejected) || !errors.As(err, &se) || se.Status != tt.status {
				t.Fatalf("refused %s %s = %v, want ErrRejected with status %d", tt.method, tt.endpoint, err, tt.status)
			}
			if want := "injected refusal of " + tt.method + " " + tt.endpoint; !strings.Contains(err.Error(), want) ||
				!strings.Contains(err.Error(), http.StatusText(tt.status)) {
				t.Errorf("error %q lacks the status text or the server's detail %q", err, want)
			}
			if n := srv.Stats().Requests[tt.method]; n != 1 {
				t.Errorf("%d %s requests, want 1: a refusal is not retried", n, tt.method)
			}
		})
	}
	srv.ResetFaults()
	if gs := srv.Groups(); len(gs) != 1 || len(gs[0].Members) != 0 {
		t.Errorf("groups after the refusals: %+v", gs)
	}
}

// TestRefusalWithSuccessStatus: a server that answers a write it refused
// with 200 and a SCIM error body has not done it.
func TestRefusalWithSuccessStatus(t *testing.T) {
	liar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		_, _ = w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","detail":"group limit reached"}`))
	}))
	t.Cleanup(liar.Close)
	c, _ := newClient(t, testConfig(t, liar.URL, "tok-liar"))
	_, cerr := c.CreateGroup(t.Context(), "staff")
	merr := c.ModifyMembers(t.Context(), "g1", []string{"u1"}, nil)
	derr := c.Deactivate(t.Context(), "u1")
	for _, err := range []error{cerr, merr, derr} {
		if !errors.Is(err, targets.ErrRejected) || !strings.Contains(err.Error(), "group limit reached") {
			t.Errorf("write answered 200 with a SCIM error = %v, want ErrRejected with the detail", err)
		}
	}
}
