package state

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/targets"
)

func TestAuditRoundTrip(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	run, _ := s.StartRun(ctx, "t", ModeApply)
	before := &targets.Account{ID: "u1", UserName: "ann", Active: true, Attrs: targets.AttrsOf(map[string]string{"department": "R&D"})}
	after := &targets.Account{ID: "u1", UserName: "ann", Active: false}
	want := Audit{
		RunID: run.ID, Time: time.Date(2025, 6, 1, 12, 0, 0, 123_000_000, time.UTC),
		Target: "t", Kind: "leaver", Action: "disable", SourceID: "s1", TargetID: "u1", UserName: "ann",
		Reasons: []string{`rule "disabled": userAccountControl has 0x2`, "second"},
		Before:  before, After: after, Detail: "d", Error: "e", Status: AuditRefused,
	}
	if err := s.Commit(ctx, Op{Audit: want}); err != nil {
		t.Fatal(err)
	}
	bare := Audit{Target: "t", Kind: "orphan", Action: "report"}
	if err := s.Commit(ctx, Op{Audit: bare}); err != nil {
		t.Fatal(err)
	}
	got := allAudit(t, s, AuditFilter{})
	if len(got) != 2 {
		t.Fatalf("%d rows", len(got))
	}
	want.ID = got[0].ID
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("audit = %+v\nwant %+v", got[0], want)
	}
	b := got[1]
	if b.RunID != 0 || b.Reasons != nil || b.Before != nil || b.After != nil || b.Time.IsZero() {
		t.Errorf("bare audit = %+v", b)
	}
}

func TestAuditFilter(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	r1, _ := s.StartRun(ctx, "okta", ModeApply)
	r2, _ := s.StartRun(ctx, "okta", ModeApply)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := []Audit{ // IDs 1..5
		{RunID: r1.ID, Time: t0, Target: "okta", Kind: "joiner", Action: "create", SourceID: "s1", TargetID: "u1", UserName: "Ann"},
		{RunID: r1.ID, Time: t0.Add(time.Hour), Target: "okta", Kind: "joiner", Action: "create", SourceID: "s2", TargetID: "u2", UserName: "bob"},
		{RunID: r2.ID, Time: t0.Add(2 * time.Hour), Target: "okta", Kind: "mover", Action: "update", SourceID: "s1", TargetID: "u1", UserName: "ann"},
		{Time: t0.Add(3 * time.Hour), Target: "slack", Kind: "joiner", Action: "create", SourceID: "s1", TargetID: "x1", UserName: "ann"},
		{RunID: r2.ID, Time: t0.Add(4 * time.Hour), Target: "okta", Kind: "leaver", Action: "disable", SourceID: "s2", TargetID: "u2", UserName: "bob"},
	}
	for _, a := range rows {
		if err := s.Commit(ctx, Op{Audit: a}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		f    AuditFilter
		want []int64
	}{
		{"all", AuditFilter{}, []int64{1, 2, 3, 4, 5}},
		{"target", AuditFilter{Target: "okta"}, []int64{1, 2, 3, 5}},
		{"run", AuditFilter{Target: "okta", RunID: r2.ID}, []int64{3, 5}},
		{"source id", AuditFilter{Target: "okta", SourceID: "s1"}, []int64{1, 3}},
		{"source id any target", AuditFilter{SourceID: "s1"}, []int64{1, 3, 4}},
		{"target id", AuditFilter{TargetID: "u2"}, []int64{2, 5}},
		{"user name ignores case", AuditFilter{Target: "okta", UserName: "ANN"}, []int64{1, 3}},
		{"since", AuditFilter{Since: t0.Add(2 * time.Hour)}, []int64{3, 4, 5}},
		{"combined", AuditFilter{Target: "okta", UserName: "bob", Since: t0.Add(90 * time.Minute)}, []int64{5}},
		{"none", AuditFilter{Target: "nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			for _, a := range allAudit(t, s, tt.f) {
				got = append(got, a.ID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGroupIDs(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	ga := func(action string) Audit { return Audit{Kind: "group", Action: action} }
	steps := []struct {
		role, id string
		audit    Audit
		want     map[string]string
		wantErr  string
	}{
		{"admins", "g1", ga("create-group"), map[string]string{"admins": "g1"}, ""},
		{"devs", "g2", ga("create-group"), map[string]string{"admins": "g1", "devs": "g2"}, ""},
		{"admins", "g3", ga("adopt-group"), map[string]string{"admins": "g3", "devs": "g2"}, ""},
		{"devs", "", ga("forget-group"), map[string]string{"admins": "g3"}, ""},
		{"ops", "g4", Audit{Kind: "group", Action: "create-group", RunID: 99}, map[string]string{"admins": "g3"}, "FOREIGN KEY"},
		{"ops", "g4", Audit{Target: "other", Kind: "group", Action: "x"}, map[string]string{"admins": "g3"}, "differs"},
		{"", "g4", ga("x"), map[string]string{"admins": "g3"}, "empty role"},
	}
	for i, st := range steps {
		err := s.SetGroupID(ctx, "t", st.role, st.id, st.audit)
		if st.wantErr == "" && err != nil || st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)) {
			t.Fatalf("step %d: SetGroupID error %v, want %q", i, err, st.wantErr)
		}
		got, err := s.GroupIDs(ctx, "t")
		if err != nil || !reflect.DeepEqual(got, st.want) {
			t.Fatalf("step %d: GroupIDs = %v, %v; want %v", i, got, err, st.want)
		}
	}
	if n := len(allAudit(t, s, AuditFilter{Target: "t"})); n != 4 {
		t.Errorf("%d audit rows, want 4 (one per successful SetGroupID)", n)
	}
	if got, _ := s.GroupIDs(ctx, "other"); got == nil || len(got) != 0 {
		t.Errorf("GroupIDs(other) = %#v, want empty map", got)
	}
}
