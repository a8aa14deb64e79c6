package state

import "testing"

// stringScanner scans one string, as a packed column.
type stringScanner string

func (s stringScanner) Scan(dst ...any) error {
	*(dst[0].(*string)) = string(s)
	return nil
}

// FuzzPacked: the parsers of what the database returns (an attacker may
// have written it) and of a logged head never panic.
func FuzzPacked(f *testing.F) {
	f.Add("1 0 5 3 4 6 6 0 0 0 0 0 0 0 0 0 0 0 0 appjoinercreateapplied")
	f.Add("3 4 1 ab1x")
	f.Add("2 1 5 0 0 0 0 0 s12")
	f.Add(`[{"salt":"a","userName":"b"},{"digest":"c"}]`)
	f.Add("12:" + "ab")
	f.Fuzz(func(t *testing.T, s string) {
		var e chainEntry
		_ = unpackEntry(s, &e)
		var r storedRow
		_ = scanStored(stringScanner(s), &r)
		x := newHasher()
		r.redacted = s
		_, _ = x.digest(&r)
		_, _ = ParseChainHead(s)
	})
}
