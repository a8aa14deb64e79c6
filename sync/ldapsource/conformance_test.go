package ldapsource

import (
	"testing"

	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/sync/sourcetest"
)

// TestConformance runs the source suite against a real slapd loaded with
// the fixture, in pages of two so that entries cross pages.
func TestConformance(t *testing.T) {
	t.Parallel()
	sourcetest.Run(t, func(t *testing.T, data string) sync.Source {
		srv := slapdtest.Start(t, slapdtest.WithLDIF([]byte(data)))
		cfg := testConfig(t, srv)
		cfg.Users.BaseDN, cfg.Groups.BaseDN = sourcetest.PeopleDN, sourcetest.GroupsDN
		cfg.PageSize = 2
		return newTestSource(t, cfg)
	})
}
