package sync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
)

// TestAccessAtScriptedHistory applies a scripted history with a fixed
// clock (joiners, a role grant, a mover, a leaver, a rehire) and checks
// that the access reconstructed from the audit at each moment in between
// is what the target held then, with the record and rule behind it.
func TestAccessAtScriptedHistory(t *testing.T) {
	tgt := newFakeTarget()
	src := &sliceSource{entries: []mapping.Entry{
		entry("old-ann", "ann", "Eng", "eng"), entry("bob", "bob", "Eng", "eng"), entry("cy", "cy", "Ops", "ops"),
	}}
	r, store := newTestRunner(t, src, tgt)
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 3, d, 9, 0, 0, 0, time.UTC) }
	clock := day(2)
	r.Now = func() time.Time { return clock }
	retentions := 0
	r.Retention = func(context.Context) error { retentions++; return nil }
	apply := func(d int) {
		t.Helper()
		clock = day(d)
		if _, err := r.Run(ctx, Options{Overrides: Overrides{AllowShrink: true, AllowDeletes: 1}}); err != nil {
			t.Fatalf("day %d: %v", d, err)
		}
	}
	apply(2)                                                                 // joiners
	src.entries[0] = entry("old-ann", "ann", "Eng", "eng", "admins")         // role grant
	apply(3)                                                                 //
	src.entries[1] = entry("bob", "bob", "Sales", "sales")                   // mover
	apply(4)                                                                 //
	src.entries = src.entries[1:]                                            // leaver: ann deleted
	apply(5)                                                                 //
	src.entries = append(src.entries, entry("new-ann", "ann", "Eng", "eng")) // rehire
	apply(6)

	if retentions != 5 {
		t.Errorf("the retention ran %d times in 5 apply runs", retentions)
	}
	annID, _ := tgt.byName("ann")
	bobID, _ := tgt.byName("bob")
	at := func(d, h int) time.Time { return day(d).Add(time.Duration(h) * time.Hour) }
	tests := []struct {
		name string
		q    state.AccessQuery
		want []string // "user source active role"
	}{
		{"before anything", state.AccessQuery{At: at(1, 0)}, nil},
		{"after the joiners", state.AccessQuery{At: at(2, 1)},
			[]string{"ann old-ann active eng", "bob bob active eng", "cy cy active ops"}},
		{"after the grant", state.AccessQuery{At: at(3, 1), Person: "ANN"},
			[]string{"ann old-ann active admins", "ann old-ann active eng"}},
		{"the grant is not there the moment before", state.AccessQuery{At: day(3).Add(-time.Millisecond), Person: "ann"},
			[]string{"ann old-ann active eng"}},
		{"after the move", state.AccessQuery{At: at(4, 1), Person: "bob"}, []string{"bob bob active sales"}},
		{"role filter", state.AccessQuery{At: at(4, 1), Role: "eng"}, []string{"ann old-ann active eng"}},
		{"after the leaver", state.AccessQuery{At: at(5, 1), Person: "ann"}, []string{"ann old-ann disabled -"}},
		{"after the rehire", state.AccessQuery{At: at(6, 1), Person: annID}, []string{"ann new-ann active eng"}},
		{"by account ID", state.AccessQuery{At: at(6, 1), Person: bobID, Target: "t"}, []string{"bob bob active sales"}},
		{"another target", state.AccessQuery{At: at(6, 1), Target: "other"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, res, _, err := store.AccessAt(ctx, tt.q)
			if err != nil || !res.OK() {
				t.Fatalf("AccessAt: %v %v", err, res.Problems)
			}
			var got []string
			for _, r := range rows {
				active, role := "active", r.Role
				if !r.Active {
					active = "disabled"
				}
				if role == "" {
					role = "-"
				}
				got = append(got, fmt.Sprintf("%s %s %s %s", r.UserName, r.SourceID, active, role))
			}
			sort.Strings(got)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("access at %s:\n got %q\nwant %q", tt.q.At, got, tt.want)
			}
		})
	}

	// The rows say why: the record that gave the account and the rule of
	// the role.
	rows, _, _, err := store.AccessAt(ctx, state.AccessQuery{At: at(6, 1), Person: "ann"})
	if err != nil || len(rows) != 1 {
		t.Fatalf("ann after the rehire: %v, %v", rows, err)
	}
	ann := rows[0]
	if !ann.Since.Equal(day(6)) || ann.RoleReason != "member of cn=eng,dc=x" || !ann.RoleSince.Equal(day(6)) || len(ann.GrantReasons) == 0 {
		t.Errorf("ann after the rehire = %+v", ann)
	}
	grant := auditOf(t, store, state.AuditFilter{Target: "t"})
	for _, a := range grant {
		if a.ID == ann.Grant && a.Action != "relink" {
			t.Errorf("ann's account comes from record %d, a %s; want the relink", a.ID, a.Action)
		}
	}

	// An altered audit is refused, naming the record.
	if _, err := store.RedactPerson(ctx, "cy", "erasure request"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := store.AccessAt(ctx, state.AccessQuery{At: at(6, 1)}); err != nil {
		t.Fatalf("after a redaction: %v", err)
	}
	db, err := sql.Open("sqlite3", store.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit SET status = 'refused' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = store.AccessAt(ctx, state.AccessQuery{At: at(6, 1)})
	if !errors.Is(err, state.ErrChainBroken) || !strings.Contains(err.Error(), "audit record 1 ") {
		t.Errorf("access over an edited audit: %v", err)
	}
}
