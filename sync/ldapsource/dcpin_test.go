package ldapsource

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/mapping"
)

// fakeDC answers like an AD domain controller named name: its root DSE
// (dsServiceName, highestCommittedUSN, defaultNamingContext), and no
// entries for any other search.
func fakeDC(name func() string) func(r fakeRequest) [][]byte {
	return func(r fakeRequest) [][]byte {
		if r.op.Tag != ldap.ApplicationSearchRequest {
			return [][]byte{nil}
		}
		if base, _, _ := r.search(); base == "" {
			return [][]byte{entryMsg(r.id, "",
				attr{"dsServiceName", []string{name()}},
				attr{"highestCommittedUSN", []string{"100"}},
				attr{"defaultNamingContext", []string{"DC=example,DC=org"}}), done(r.id, nil)}
		}
		return [][]byte{done(r.id, nil)}
	}
}

func ntds(dc string) string {
	return "CN=NTDS Settings,CN=" + dc + ",CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=example,DC=org"
}

func constant(s string) func() string { return func() string { return s } }

// freeAddr returns a loopback address nothing listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func fakeADConfig(url string, failover ...string) Config {
	return Config{Flavour: FlavourAD, URL: url, FailoverURLs: failover,
		Users: UserSearch{BaseDN: "DC=example,DC=org"}}
}

func markDC(t *testing.T, src *Source) string {
	t.Helper()
	b, err := src.Watermark(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var m usnMark
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.DC
}

// TestFailoverPinsEverySource: once one Source fails over to the second
// DC, every Source of the same servers (the watcher's, the next run's)
// connects there too, even when the first DC is back, until the second
// fails in turn: the watermark a poll saves and the reads that follow it
// are the same DC's.
func TestFailoverPinsEverySource(t *testing.T) {
	addr1 := freeAddr(t)
	url2, stop2 := serveFake(t, "127.0.0.1:0", fakeDC(constant(ntds("DC2"))))
	cfg := fakeADConfig("ldap://"+addr1, url2)
	a, err := New(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	if dc := markDC(t, a); dc != ntds("DC2") {
		t.Fatalf("with DC1 down: watermark of %s", dc)
	}
	serveFake(t, addr1, fakeDC(constant(ntds("DC1")))) // DC1 is back
	b, err := New(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	if dc := markDC(t, b); dc != ntds("DC2") {
		t.Errorf("another Source after the failover: watermark of %s, want DC2's", dc)
	}
	if dc := markDC(t, a); dc != ntds("DC2") {
		t.Errorf("the Source that failed over: watermark of %s, want DC2's", dc)
	}
	stop2()
	if dc := markDC(t, b); dc != ntds("DC1") {
		t.Errorf("with DC2 down: watermark of %s, want DC1's", dc)
	}
	if dc := markDC(t, a); dc != ntds("DC1") {
		t.Errorf("the other Source with DC2 down: watermark of %s, want DC1's", dc)
	}
}

// TestReadChangesOtherDC: the reads of changes another DC reported (the
// watcher's, or a poll's) give a full reconciliation when the DC
// answering is not that one.
func TestReadChangesOtherDC(t *testing.T) {
	url1 := startFake(t, fakeDC(constant(ntds("DC1"))))
	src, err := New(fakeADConfig(url1), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	src.KeepGroups()
	src.keep.set(newGroupCache(), nil)
	ctx := context.Background()
	for _, tt := range []struct {
		reading string
		full    bool
	}{{"", false}, {ntds("DC1"), false}, {ntds("DC2"), true}} {
		src.pin.reading(tt.reading)
		_, full, err := src.ReadChanges(ctx, []string{"2c4d9a1b-3f5e-4a6b-8c7d-0e1f2a3b4c5d"}, nil, func(e mapping.Entry) error { return nil })
		if err != nil || full != tt.full {
			t.Errorf("changes from %q read on DC1: full %v, %v; want full %v", tt.reading, full, err, tt.full)
		}
	}
}

// TestADSessionOneDC: the two connections of a watch session (DirSync and
// change notifications) must reach the same DC; a URL whose name leads to
// a different DC each time (DNS round robin over the domain's name) ends
// the session with an error saying so, before any DirSync round.
func TestADSessionOneDC(t *testing.T) {
	url := startFake(t, fakeDC(alternatingDCs()))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errs []error
	w, err := NewWatcher(fakeADConfig(url), quietLog(),
		WithStateFunc(func(connected bool, err error) {
			if !connected {
				errs = append(errs, err)
			}
		}),
		WithBackoff(func(ctx context.Context, _ int) error { cancel(); return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	err = w.Watch(ctx, nil, func(e Event) error {
		t.Errorf("an event from a session over two DCs: %+v", e)
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Watch: %v", err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], errOtherDC) || !strings.Contains(errs[0].Error(), "DC1") || !strings.Contains(errs[0].Error(), "DC2") {
		t.Errorf("session errors %v, want one saying the connections reached two DCs", errs)
	}
}

// TestADSessionOtherDCBacksOff: a session whose connections keep reaching
// two DCs (a load-balanced name) is not progress: the waits before the
// reconnections grow, instead of a reconnection (two connections and
// binds) every half second for ever.
func TestADSessionOtherDCBacksOff(t *testing.T) {
	url := startFake(t, fakeDC(alternatingDCs()))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var attempts []int
	w, err := NewWatcher(fakeADConfig(url), quietLog(),
		WithBackoff(func(ctx context.Context, attempt int) error {
			if attempts = append(attempts, attempt); len(attempts) == 3 {
				cancel()
			}
			return ctx.Err()
		}))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Watch(ctx, nil, func(Event) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Watch: %v", err)
	}
	if !slices.Equal(attempts, []int{1, 2, 3}) {
		t.Errorf("backoff attempts %v, want 1, 2, 3", attempts)
	}
}

// alternatingDCs names DC1 and DC2 in turn, one for each root DSE read: a
// URL whose name leads to a different DC each time (DNS round robin).
func alternatingDCs() func() string {
	var mu gosync.Mutex
	n := 0
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return ntds([]string{"DC1", "DC2"}[n%2])
	}
}

// doneWith is a successful search result done carrying control c.
func doneWith(id int64, c ldap.Control) []byte {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultDone, nil, "")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(0), ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
	return envelope(id, op, c.Encode())
}

func hasControl(r fakeRequest, oid string) bool {
	if r.controls == nil {
		return false
	}
	for _, c := range r.controls.Children {
		if len(c.Children) > 0 && c.Children[0].Value == oid {
			return true
		}
	}
	return false
}

// TestADSessionFollowsFailover: when the runs' connections failed over to
// another DC while the watcher's session stayed on the first, the next
// change notification ends the session (it reconnects where the runs
// are, with a full reconciliation) instead of running a DirSync round on
// a DC the runs no longer read.
func TestADSessionFollowsFailover(t *testing.T) {
	notify := make(chan struct{})
	// The deadline only bounds a failing test: one that passes ends
	// through the backoff's cancel.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dc := fakeDC(constant(ntds("DC1")))
	url := startFake(t, func(r fakeRequest) [][]byte {
		switch {
		case r.op.Tag == ldap.ApplicationSearchRequest && hasControl(r, ldap.ControlTypeMicrosoftNotification):
			select { // a change, once the test says so
			case <-notify:
				return [][]byte{entryMsg(r.id, "CN=x,DC=example,DC=org", attr{"objectGUID", []string{"0123456789abcdef"}})}
			case <-ctx.Done():
				return [][]byte{nil}
			}
		case r.op.Tag == ldap.ApplicationSearchRequest && hasControl(r, ldap.ControlTypeDirSync):
			return [][]byte{doneWith(r.id, &ldap.ControlDirSync{Criticality: true, Cookie: []byte("cookie")})}
		}
		return dc(r)
	})
	var errs []error
	w, err := NewWatcher(fakeADConfig(url), quietLog(),
		WithStateFunc(func(connected bool, err error) {
			if !connected {
				errs = append(errs, err)
			}
		}),
		WithBackoff(func(ctx context.Context, _ int) error { cancel(); return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	events := 0
	err = w.Watch(ctx, nil, func(e Event) error {
		events++
		if events == 1 { // the first round: the runs fail over, then a change
			w.src.pin.move("ldap://dc2.example.org")
			close(notify)
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Watch: %v", err)
	}
	if events != 1 || len(errs) != 1 || !errors.Is(errs[0], errPinMoved) || !strings.Contains(errs[0].Error(), "dc2.example.org") {
		t.Errorf("%d events, session errors %v; want 1 event, then the session ended for the failover", events, errs)
	}
}
