package ldif_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldif"
	"github.com/idsync/idsync/sync/sourcetest"
)

// TestConformance runs the source suite on the fixture as a file.
func TestConformance(t *testing.T) {
	sourcetest.Run(t, func(t *testing.T, data string) sync.Source {
		path := filepath.Join(t.TempDir(), "fixture.ldif")
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := ldif.New(ldif.Config{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
