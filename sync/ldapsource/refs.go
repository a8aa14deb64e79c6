package ldapsource

import (
	"sort"
	"strings"

	"github.com/sirupsen/logrus"
)

// refLog collects the search continuation references of one read, so that
// each is logged once per read however many pages repeat it. Active
// Directory returns one for each other naming context under the search
// base (CN=Configuration, DomainDnsZones, ForestDnsZones from the domain
// root): the people are not there, so they are ignored, but listed.
type refLog struct {
	seen map[string]string // URI -> search ("users", "groups")
}

func newRefLog() *refLog { return &refLog{seen: map[string]string{}} }

// add records the references one search page returned.
func (r *refLog) add(what string, uris []string) {
	if r == nil {
		return
	}
	for _, u := range uris {
		if _, ok := r.seen[u]; !ok {
			r.seen[u] = what
		}
	}
}

// uris returns the references recorded, sorted.
func (r *refLog) uris() []string {
	out := make([]string, 0, len(r.seen))
	for u := range r.seen {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// report logs the references once, at info level: they are expected from
// a domain root.
func (r *refLog) report(log logrus.FieldLogger) {
	if r == nil || len(r.seen) == 0 {
		return
	}
	log.WithField("references", strings.Join(r.uris(), " ")).Info(
		"ldap: search continuation references ignored (other naming contexts or domains; " +
			"to read another domain of the forest, use a Global Catalog URL, port 3268/3269)")
}
