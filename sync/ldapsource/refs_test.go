package ldapsource

import (
	"context"
	"strings"
	"testing"

	"github.com/idsync/idsync/mapping"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// TestReferencesIgnored: with references = "ignore", continuation
// references on every page do not stop the read, and each is logged once.
func TestReferencesIgnored(t *testing.T) {
	url := startFake(t, func(r fakeRequest) [][]byte {
		base, _, cookie := r.search()
		conf, zones := referenceMsg(r.id, "ldap://x/CN=Configuration,dc=x"), referenceMsg(r.id, "ldap://x/DC=DomainDnsZones,dc=x")
		switch {
		case base == "ou=people,dc=x" && len(cookie) == 0:
			return [][]byte{entryMsg(r.id, member(0), attr{"entryUUID", []string{"u0"}}), zones, conf, done(r.id, []byte("next"))}
		case base == "ou=people,dc=x":
			return [][]byte{conf, entryMsg(r.id, member(1), attr{"entryUUID", []string{"u1"}}), zones, done(r.id, nil)}
		}
		return [][]byte{conf, done(r.id, nil)}
	})
	cfg := fakeConfig(url)
	cfg.References = ReferencesIgnore
	t.Setenv("IDSYNC_FAKE_PW", "pw")
	log, hook := logtest.NewNullLogger()
	src, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := src.Read(context.Background(), func(e mapping.Entry) error {
		got = append(got, e.ID)
		return nil
	}); err != nil {
		t.Fatalf("Read: %v", err)
	}
	if strings.Join(got, " ") != "u0 u1" {
		t.Errorf("read %v, want u0 u1", got)
	}
	var logged []string
	for _, e := range hook.AllEntries() {
		if strings.Contains(e.Message, "continuation references") {
			logged = append(logged, e.Data["references"].(string))
			if e.Level != logrus.InfoLevel {
				t.Errorf("logged at %s, want info", e.Level)
			}
		}
	}
	want := "ldap://x/CN=Configuration,dc=x ldap://x/DC=DomainDnsZones,dc=x"
	if len(logged) != 1 || logged[0] != want {
		t.Errorf("references logged %q, want once %q", logged, want)
	}
}

// TestReferencesRefused: a generic LDAP source (and an AD one
// with references = "refuse") fails on a continuation reference.
func TestReferencesRefused(t *testing.T) {
	for _, flavour := range []string{"", FlavourAD} {
		url := startFake(t, func(r fakeRequest) [][]byte {
			return [][]byte{referenceMsg(r.id, "ldap://x/dc=child,dc=x"), done(r.id, nil)}
		})
		cfg := fakeConfig(url)
		cfg.Flavour, cfg.IDAttribute = flavour, "entryUUID"
		if flavour == FlavourAD {
			cfg.References = ReferencesRefuse
		}
		_, err := fakeRead(t, cfg)
		if err == nil || !strings.Contains(err.Error(), `continuation reference to ldap://x/dc=child,dc=x`) ||
			!strings.Contains(err.Error(), `references = "ignore"`) {
			t.Errorf("flavour %q: err = %v, want the reference refused", flavour, err)
		}
	}
}
