package ldapsource

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	gosync "sync"
	"testing"

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
	var mu gosync.Mutex
	n := 0
	next := func() string { // a different DC for each root DSE read
		mu.Lock()
		defer mu.Unlock()
		n++
		return ntds([]string{"DC1", "DC2"}[n%2])
	}
	url := startFake(t, fakeDC(next))
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
