package ldapsource

import (
	"os"
	"testing"

	"github.com/idsync/idsync/sync/ldapsource/sambatest"
)

// TestMain runs the tests in a private network namespace when root, so the
// Samba domain controllers of the AD tests have their fixed ports to
// themselves (see sambatest.Main).
func TestMain(m *testing.M) { os.Exit(sambatest.Main(m)) }
