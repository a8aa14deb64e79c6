package ldapsource

import (
	"context"
	"errors"
	"fmt"
	"strings"
	gosync "sync"

	"github.com/go-ldap/ldap/v3"
)

// dcPin is the server (domain controller) every Source of one server list
// in this process connects to: the daemon's watcher and the runner that
// handles its events are separate Sources, and a DirSync cookie or a USN
// watermark is only good on the DC that gave it, so the reads of an event
// must go where the event came from. Once a Source fails over, the others
// follow on their next connection, and all of them stay on that server
// until it fails in turn (going back to the first DC would cost a full
// reconciliation each time).
type dcPin struct {
	mu  gosync.Mutex
	url string // the server connected to last; "" before any
	// dc is the identity (dsServiceName) of the Active Directory DC
	// whose changes are being read (the watcher's, or the DC of the
	// watermark a poll lists changes after); "" when none.
	dc string
}

var (
	pinsMu gosync.Mutex
	pins   = map[string]*dcPin{}
)

// pinFor returns the pin shared by the Sources whose servers are key
// (their URLs, or the domain they discover them in).
func pinFor(key string) *dcPin {
	pinsMu.Lock()
	defer pinsMu.Unlock()
	p := pins[key]
	if p == nil {
		p = &dcPin{}
		pins[key] = p
	}
	return p
}

func (p *dcPin) current() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.url
}

func (p *dcPin) move(url string) {
	p.mu.Lock()
	p.url = url
	p.mu.Unlock()
}

// reading records that the changes being read are the DC dc's.
func (p *dcPin) reading(dc string) {
	p.mu.Lock()
	p.dc = dc
	p.mu.Unlock()
}

func (p *dcPin) readingDC() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dc
}

// ordered returns urls with the pinned one first, the others in their
// order.
func (p *dcPin) ordered(urls []string) []string {
	cur := p.current()
	if cur == "" || len(urls) < 2 || urls[0] == cur {
		return urls
	}
	out := make([]string, 0, len(urls))
	for _, u := range urls {
		if u == cur {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return urls // no longer among the servers (discovery changed)
	}
	for _, u := range urls {
		if u != cur {
			out = append(out, u)
		}
	}
	return out
}

// dsServiceName reads the identity of the DC conn is connected to: the DN
// of its NTDS Settings object, which no other DC shares.
func dsServiceName(conn *ldap.Conn) (string, error) {
	res, err := conn.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"dsServiceName"}, nil))
	if err != nil {
		return "", fmt.Errorf("read the root DSE: %w", err)
	}
	if len(res.Entries) != 1 || res.Entries[0].GetAttributeValue("dsServiceName") == "" {
		return "", errNotAD
	}
	return res.Entries[0].GetAttributeValue("dsServiceName"), nil
}

var errNotAD = errors.New("the root DSE has no dsServiceName: not an Active Directory domain controller")

// checkReadingDC makes sure conn is connected to the DC whose changes are
// being read (dcPin.dc), for a read of those changes: errReadAll, with a
// warning, when another DC answers (a failover between the watcher's read
// and this one: the changes may not have replicated to it yet).
func (s *Source) checkReadingDC(ctx context.Context, conn *ldap.Conn) error {
	want := s.pin.readingDC()
	if !s.cfg.isAD() || want == "" {
		return nil
	}
	dc, err := dsServiceName(conn)
	if err != nil {
		return s.ctxErr(ctx, fmt.Errorf("ldap: %w", err))
	}
	if !strings.EqualFold(dc, want) {
		s.log.WithField("changes_from", want).WithField("answering", dc).Warn(
			"ldap: the changes were read on another domain controller than the one answering now (failover): full reconciliation")
		return errReadAll
	}
	return nil
}
