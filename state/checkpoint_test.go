package state

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/targets"
)

var histStart = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// scriptHistory writes n audit records of a scripted history over two
// targets: joiners (some refused or failed), renames, deactivations,
// disables, deletes, relinks, groups and their members added and removed,
// a clock set back now and then. The same seed writes the same history.
func scriptHistory(t testing.TB, s *Store, n int, seed uint64) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	at := histStart
	type acct struct{ target, id, src, name string }
	var live []acct
	groups := map[string][]string{} // target -> group IDs
	next := 0
	written := 0
	err := s.write(ctx, "script", func(tx *sql.Tx) error {
		put := func(a Audit) error {
			a.Time = at
			id, err := s.insertAudit(ctx, tx, Audit{Time: a.Time, Target: a.Target, Kind: a.Kind, Action: a.Action, SourceID: a.SourceID,
				TargetID: a.TargetID, UserName: a.UserName, Reasons: a.Reasons, After: a.After, Members: a.Members, Status: AuditPending})
			if err != nil {
				return err
			}
			a.ID = id
			written++
			return s.putAudit(ctx, tx, a)
		}
		for written < n {
			at = at.Add(time.Duration(1+rng.IntN(90)) * time.Minute)
			if rng.IntN(40) == 0 {
				at = at.Add(-3 * time.Hour) // a clock set back
			}
			target := []string{"a", "b"}[rng.IntN(2)]
			op := rng.IntN(12)
			var err error
			switch {
			case op < 4 || len(live) < 3:
				next++
				ac := acct{target, fmt.Sprintf("u%d", next), fmt.Sprintf("s%d", next%37), fmt.Sprintf("user%d", next)}
				status := []string{AuditApplied, AuditApplied, AuditApplied, AuditRefused, AuditFailed}[rng.IntN(5)]
				err = put(Audit{Target: target, Kind: "joiner", Action: "create", SourceID: ac.src, TargetID: ac.id, UserName: ac.name, Status: status,
					Reasons: []string{fmt.Sprintf(`department: "" -> "D%d" (mapping.attributes.department = attr("ou"))`, rng.IntN(3))},
					After:   &targets.Account{UserName: ac.name, Active: true}})
				if status == AuditApplied {
					live = append(live, ac)
				}
			case op < 6:
				ac := &live[rng.IntN(len(live))]
				if rng.IntN(2) == 0 {
					ac.name += "x"
				}
				err = put(Audit{Target: ac.target, Kind: "mover", Action: "update", SourceID: ac.src, TargetID: ac.id, UserName: ac.name, Status: AuditApplied,
					Reasons: []string{"title changed (mapping.attributes.title)"}, After: &targets.Account{UserName: ac.name, Active: rng.IntN(3) > 0}})
			case op < 7:
				ac := live[rng.IntN(len(live))]
				err = put(Audit{Target: ac.target, Kind: "leaver", Action: "disable", SourceID: ac.src, TargetID: ac.id, UserName: ac.name, Status: AuditApplied, Reasons: []string{"gone from the source"}})
			case op < 8:
				i := rng.IntN(len(live))
				ac := live[i]
				live = append(live[:i], live[i+1:]...)
				err = put(Audit{Target: ac.target, Kind: "leaver", Action: []string{"delete", "unlink"}[rng.IntN(2)], SourceID: ac.src, TargetID: ac.id, UserName: ac.name, Status: AuditApplied})
			case op < 9:
				ac := &live[rng.IntN(len(live))]
				ac.src = fmt.Sprintf("r%d", rng.IntN(1000))
				err = put(Audit{Target: ac.target, Kind: "joiner", Action: "relink", SourceID: ac.src, TargetID: ac.id, UserName: ac.name, Status: AuditApplied, Reasons: []string{"rehired"}})
			case op < 10 || len(groups[target]) == 0:
				g := fmt.Sprintf("g%d", len(groups[target]))
				groups[target] = append(groups[target], g)
				err = put(Audit{Target: target, Kind: "group", Action: "create-group", TargetID: g, UserName: "role-" + g, Status: AuditApplied})
			default:
				g := groups[target][rng.IntN(len(groups[target]))]
				action := []string{"add-members", "add-members", "remove-members"}[rng.IntN(3)]
				var ms []AuditMember
				for _, ac := range live {
					if ac.target == target && rng.IntN(3) == 0 {
						ms = append(ms, AuditMember{SourceID: ac.src, TargetID: ac.id, UserName: ac.name, Reason: "mapping.group_roles[0]: member of " + g})
					}
				}
				err = put(Audit{Target: target, Kind: "group", Action: action, TargetID: g, Status: AuditApplied, Members: ms})
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// scratch rebuilds access at q.At from the first record, without the
// checkpoints: what the checkpoints must not change.
func scratch(t testing.TB, s *Store, q AccessQuery) ([]AccessRow, int) {
	t.Helper()
	rp := newReplay(q)
	res, err := s.verify(context.Background(), VerifyOptions{}, rp, span{partial: true})
	if err != nil || !res.OK() {
		t.Fatalf("replay from the first record: %v %v", err, res.Problems)
	}
	rows, err := rp.result(q)
	if err != nil {
		t.Fatal(err)
	}
	return rows, rp.skippedFor(q.Target)
}

// accessDates are moments across the history: every fourth record's, and
// each checkpoint's time and the milliseconds either side of it (where a
// report moves from one checkpoint to the next).
func accessDates(t testing.TB, s *Store) []time.Time {
	t.Helper()
	rows, err := s.db.Query(`SELECT DISTINCT time FROM audit ORDER BY time`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []time.Time{histStart.Add(-time.Hour)}
	for i := 0; rows.Next(); i++ {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		if i%4 == 0 {
			out = append(out, fromMS(v), fromMS(v).Add(30*time.Second))
		}
	}
	cps, err := checkpoints(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cps {
		out = append(out, fromMS(c.time-1), fromMS(c.time), fromMS(c.time+1))
	}
	return out
}

// sameAsScratch checks AccessAt against the replay from the first record
// at every date, for the whole audit and for one target, role and person.
func sameAsScratch(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	for i, at := range accessDates(t, s) {
		qs := []AccessQuery{{At: at}}
		if i%7 == 0 {
			qs = append(qs, AccessQuery{At: at, Target: "b"}, AccessQuery{At: at, Role: "role-g1"}, AccessQuery{At: at, Person: "user3"})
		}
		for _, q := range qs {
			want, wantSkipped := scratch(t, s, q)
			got, res, skipped, err := s.AccessAt(ctx, q)
			if err != nil {
				t.Fatalf("AccessAt(%+v): %v", q, err)
			}
			if !reflect.DeepEqual(got, want) || skipped != wantSkipped {
				t.Fatalf("AccessAt(%+v) read %d records: %d rows, %d skipped; from the first record %d rows, %d skipped\ngot  %+v\nwant %+v",
					q, res.Records, len(got), skipped, len(want), wantSkipped, got, want)
			}
		}
	}
}

// TestCheckpointsMatchReplay: report access from the checkpoints gives,
// at every date, the rows a replay from the first record gives, also when
// the clock was set back (records after a checkpoint dated before it),
// and reads fewer records.
func TestCheckpointsMatchReplay(t *testing.T) {
	defer func(n int64) { CheckpointEvery = n }(CheckpointEvery)
	CheckpointEvery = 23
	ctx := context.Background()
	s := openTest(t)
	scriptHistory(t, s, 400, 1)
	n, err := s.Checkpoint(ctx)
	if err != nil || n != 400/23 {
		t.Fatalf("Checkpoint = %d, %v; want %d", n, err, 400/23)
	}
	if n, err := s.Checkpoint(ctx); err != nil || n != 0 {
		t.Fatalf("Checkpoint again = %d, %v; want none due", n, err)
	}
	sameAsScratch(t, s)
	_, res, _, err := s.AccessAt(ctx, AccessQuery{At: histStart.Add(1000 * 24 * time.Hour)})
	if err != nil || res.Records >= 23 {
		t.Errorf("access after the last record read %d records, %v; want fewer than a checkpoint's span", res.Records, err)
	}
	if res := verify(t, s, VerifyOptions{Checkpoints: true}); !res.OK() || res.Checkpoints != 400/23 {
		t.Errorf("VerifyAudit = %d checkpoints, %v", res.Checkpoints, res.Problems)
	}
	// More records, then the next checkpoints from the last one.
	scriptHistory(t, s, 100, 2)
	if n, err := s.Checkpoint(ctx); err != nil || n != 500/23-400/23 {
		t.Fatalf("Checkpoint after 100 more = %d, %v", n, err)
	}
	sameAsScratch(t, s)
}

// TestCheckpointWaitsForPending: a checkpoint covers only records whose
// outcome is known.
func TestCheckpointWaitsForPending(t *testing.T) {
	defer func(n int64) { CheckpointEvery = n }(CheckpointEvery)
	CheckpointEvery = 3
	ctx := context.Background()
	s := openTest(t)
	ids := chainHistory(t, s) // record 5 stays pending
	if n, err := s.Checkpoint(ctx); err != nil || n != 1 {
		t.Fatalf("Checkpoint = %d, %v; want 1 (records 1-3, record 5 pending)", n, err)
	}
	cps, err := checkpoints(ctx, s.db)
	if err != nil || len(cps) != 1 || cps[0].upTo != 3 || cps[0].upTo >= ids[4] {
		t.Fatalf("checkpoints = %+v, %v", cps, err)
	}
}

// TestCheckpointRedaction: a redaction drops the checkpoints covering the
// person's records and makes them again without them; the reports match
// the replay of the redacted records, and everything verifies.
func TestCheckpointRedaction(t *testing.T) {
	defer func(n int64) { CheckpointEvery = n }(CheckpointEvery)
	CheckpointEvery = 29
	ctx := context.Background()
	s := openTest(t)
	scriptHistory(t, s, 300, 3)
	made, err := s.Checkpoint(ctx)
	if err != nil || made == 0 {
		t.Fatal(made, err)
	}
	res, err := s.RedactPerson(ctx, "user5", "ticket 1")
	if err != nil || res.Records == 0 || res.Checkpoints == 0 {
		t.Fatalf("RedactPerson = %+v, %v", res, err)
	}
	cps, err := checkpoints(ctx, s.db)
	if err != nil || len(cps) != made {
		t.Fatalf("%d checkpoints after the redaction, want %d, %v", len(cps), made, err)
	}
	sameAsScratch(t, s)
	rows, _, _, err := s.AccessAt(ctx, AccessQuery{At: histStart.Add(1000 * 24 * time.Hour), Person: "user5"})
	if err != nil || len(rows) != 0 {
		t.Errorf("the redacted person is still in the report: %+v, %v", rows, err)
	}
	if v := verify(t, s, VerifyOptions{Checkpoints: true}); !v.OK() {
		t.Errorf("after the redaction: %v", v.Problems)
	}
}

// TestCheckpointRetention: the retention keeps a checkpoint at its
// horizon: reports after it show what they showed before the prune, a
// report before it is refused, and the audit verifies.
func TestCheckpointRetention(t *testing.T) {
	defer func(n int64) { CheckpointEvery = n }(CheckpointEvery)
	CheckpointEvery = 31
	ctx := context.Background()
	for _, mode := range []string{RetentionDelete, RetentionAnonymise} {
		t.Run(mode, func(t *testing.T) {
			s := openTest(t)
			scriptHistory(t, s, 300, 4)
			if _, err := s.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			dates := accessDates(t, s)
			before := map[time.Time][]AccessRow{}
			for _, at := range dates {
				before[at], _ = scratch(t, s, AccessQuery{At: at})
			}
			cut := dates[len(dates)/2]
			upTo, n, err := s.PruneAudit(ctx, cut, mode)
			if err != nil || n == 0 {
				t.Fatalf("PruneAudit = %d, %d, %v", upTo, n, err)
			}
			cps, err := checkpoints(ctx, s.db)
			if err != nil || len(cps) == 0 || cps[0].upTo != upTo {
				t.Fatalf("checkpoints after the prune = %+v, %v; want the first at the horizon %d", cps, err, upTo)
			}
			for _, at := range dates {
				got, _, _, err := s.AccessAt(ctx, AccessQuery{At: at})
				if ms(at) < cps[0].time {
					if err == nil || !strings.Contains(err.Error(), "retention") {
						t.Fatalf("access at %s, before the horizon: %v; want refused", at, err)
					}
					continue
				}
				if err != nil || !reflect.DeepEqual(got, before[at]) {
					t.Fatalf("access at %s after the prune: %d rows, %v; before it %d rows", at, len(got), err, len(before[at]))
				}
			}
			if v := verify(t, s, VerifyOptions{Checkpoints: true}); !v.OK() {
				t.Errorf("after the prune: %v", v.Problems)
			}
		})
	}
}

// TestCheckpointTamper: an altered checkpoint is found by audit verify
// and refused by the report that starts from it; a record the report
// reads is checked; a record before its checkpoint is audit verify's.
func TestCheckpointTamper(t *testing.T) {
	defer func(n int64) { CheckpointEvery = n }(CheckpointEvery)
	CheckpointEvery = 40
	tests := []struct {
		name      string
		sql       []string
		verify    string // what VerifyAudit's first problem says ("": it verifies)
		deep      string // the same with Checkpoints set
		access    string // what AccessAt's error says ("": it works)
		accessDay int    // days after the start (the report starts from the checkpoint of 80)
	}{
		{name: "edit a state", sql: []string{`UPDATE audit_checkpoint SET state = zeroblob(10) WHERE upto = 80`},
			deep: "its state was edited", access: "its state was edited"},
		{name: "edit a state and its sum", sql: []string{`UPDATE audit_checkpoint SET state = zeroblob(10), state_sum = (SELECT state_sum FROM audit_checkpoint WHERE upto = 40) WHERE upto = 80`},
			verify: "edited, it differs", deep: "edited, it differs", access: "edited, it differs"},
		{name: "edit the count", sql: []string{`UPDATE audit_checkpoint SET accounts = accounts + 1 WHERE upto = 80`},
			verify: "edited, it differs", deep: "edited, it differs", access: "edited, it differs"},
		{name: "delete one", sql: []string{`DELETE FROM audit_checkpoint WHERE upto = 80`},
			verify: "missing", deep: "missing"},
		{name: "insert one", sql: []string{`INSERT INTO audit_checkpoint SELECT 60, time, chain_from, accounts, skipped, state_sum, state FROM audit_checkpoint WHERE upto = 80`},
			verify: "not in the chain", deep: "not in the chain"},
		{name: "edit a record the report reads", sql: []string{`UPDATE audit SET user_name = 'mallory' WHERE id = 85`},
			verify: "edited", deep: "edited", access: "edited"},
		// The report starts from the checkpoint: a record before it is
		// not read again (audit verify finds it).
		{name: "edit a record before the checkpoint", sql: []string{`UPDATE audit SET user_name = 'mallory' WHERE id = 20`},
			verify: "edited", deep: "edited"},
		{name: "delete the entry the checkpoint starts from", sql: []string{`UPDATE audit_chain SET hash = zeroblob(32) WHERE seq = (SELECT chain_from FROM audit_checkpoint WHERE upto = 80)`},
			verify: "hash mismatch", deep: "hash mismatch", access: "hash mismatch"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			scriptHistory(t, s, 130, 5)
			if n, err := s.Checkpoint(ctx); err != nil || n != 3 {
				t.Fatal(n, err)
			}
			cps, _ := checkpoints(ctx, s.db)
			at := fromMS(cps[1].time) // the checkpoint of 80 and records 81..120
			for _, q := range tt.sql {
				if _, err := s.db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			for _, c := range []struct {
				opts VerifyOptions
				want string
			}{{VerifyOptions{}, tt.verify}, {VerifyOptions{Checkpoints: true}, tt.deep}} {
				res := verify(t, s, c.opts)
				switch {
				case c.want == "" && !res.OK():
					t.Errorf("VerifyAudit(%+v) = %v; want it to verify", c.opts, res.Problems)
				case c.want != "" && (res.OK() || !strings.Contains(res.Problems[0].String(), c.want)):
					t.Errorf("VerifyAudit(%+v) = %v; want first %q", c.opts, res.Problems, c.want)
				}
			}
			_, _, _, err := s.AccessAt(ctx, AccessQuery{At: at})
			switch {
			case tt.access == "" && err != nil:
				t.Errorf("AccessAt: %v; want a report", err)
			case tt.access != "" && (err == nil || !errors.Is(err, ErrChainBroken) || !strings.Contains(err.Error(), tt.access)):
				t.Errorf("AccessAt: %v; want refused: %q", err, tt.access)
			}
		})
	}
}

// TestCheckpointRestored: a checkpoint dropped by a redaction and put back
// (the old row restored from a copy) is found.
func TestCheckpointRestored(t *testing.T) {
	defer func(n int64) { CheckpointEvery = n }(CheckpointEvery)
	CheckpointEvery = 50
	ctx := context.Background()
	s := openTest(t)
	scriptHistory(t, s, 120, 6)
	if _, err := s.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`CREATE TABLE old AS SELECT * FROM audit_checkpoint`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RedactPerson(ctx, "user2", "ticket"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`DELETE FROM audit_checkpoint; INSERT INTO audit_checkpoint SELECT * FROM old`); err != nil {
		t.Fatal(err)
	}
	res := verify(t, s, VerifyOptions{})
	if res.OK() || !strings.Contains(res.Problems[0].String(), "edited, it differs") {
		t.Errorf("restored checkpoints: %v", res.Problems)
	}
}

// TestStateRoundTrip: a state reads back as written.
func TestStateRoundTrip(t *testing.T) {
	r := newReplay(AccessQuery{})
	r.skipped["a"] = 3
	r.accounts[accountKey{"a", "u1"}] = &accountState{userName: "ann", sourceID: "s1", active: true, since: 5, changed: 9, grant: 1, change: 4,
		grantWhy: `["new"]`, changeWhy: `["moved"]`, roles: []heldRole{{name: "admin", since: 7, grant: 3, reason: "rule", unconfirmed: true}}}
	r.accounts[accountKey{"b", "u2"}] = &accountState{userName: "bob", unconfirmed: true, grantWhy: `["new"]`, changeWhy: `["new"]`, since: -4}
	r.groups[accountKey{"a", "g1"}] = "admin"
	blob, err := encodeState(r)
	if err != nil {
		t.Fatal(err)
	}
	got := newReplay(AccessQuery{})
	if err := decodeState(blob, got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.accounts, r.accounts) || !reflect.DeepEqual(got.groups, r.groups) || got.skipped["a"] != 3 {
		t.Errorf("round trip: %+v %+v %v", got.accounts, got.groups, got.skipped)
	}
}

// FuzzDecodeState: a stored state (an attacker may have written it) never
// panics the decoder.
func FuzzDecodeState(f *testing.F) {
	r := newReplay(AccessQuery{})
	r.accounts[accountKey{"a", "u1"}] = &accountState{userName: "ann", roles: []heldRole{{name: "admin"}}}
	r.groups[accountKey{"a", "g1"}] = "admin"
	blob, err := encodeState(r)
	if err != nil {
		f.Fatal(err)
	}
	raw, err := gunzip(blob)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte(cpStateTag + "\x00\x01\x00\x01a"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = decodeRaw(string(b), newReplay(AccessQuery{}))
	})
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// TestBackground: background work runs one task at a time; Close cancels
// the running one and waits for it, and a closed Store starts none.
func TestBackground(t *testing.T) {
	s := openTest(t)
	started, finished := make(chan struct{}), make(chan error, 1)
	if !s.Background(func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		finished <- ctx.Err()
	}) {
		t.Fatal("the first task did not start")
	}
	<-started
	if s.Background(func(context.Context) { t.Error("a second task ran beside the first") }) {
		t.Error("a second task started while the first runs")
	}
	s.Close()
	select {
	case err := <-finished:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the task ended with %v", err)
		}
	default:
		t.Fatal("Close returned before the task it cancelled")
	}
	if s.Background(func(context.Context) { t.Error("a closed Store ran background work") }) {
		t.Error("a closed Store started background work")
	}
}
