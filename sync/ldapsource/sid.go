package ldapsource

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// A SID in its binary form (MS-DTYP 2.4.2.2): revision (1), the number of
// sub-authorities (1), the identifier authority (6, big-endian), then the
// sub-authorities (4 each, little-endian). A domain account's SID is the
// domain's SID followed by its relative ID (RID).
const (
	sidHeader     = 8
	sidMaxSubAuth = 15
)

// checkSID reports whether b is a well-formed binary SID.
func checkSID(b []byte) error {
	if len(b) < sidHeader {
		return fmt.Errorf("SID of %d bytes is too short", len(b))
	}
	if b[0] != 1 {
		return fmt.Errorf("SID revision %d, want 1", b[0])
	}
	n := int(b[1])
	if n > sidMaxSubAuth {
		return fmt.Errorf("SID with %d sub-authorities, at most %d", n, sidMaxSubAuth)
	}
	if len(b) != sidHeader+4*n {
		return fmt.Errorf("SID of %d bytes, want %d for %d sub-authorities", len(b), sidHeader+4*n, n)
	}
	return nil
}

// formatSID returns the string form of a binary SID: "S-1-5-21-x-y-z-RID".
func formatSID(b []byte) (string, error) {
	if err := checkSID(b); err != nil {
		return "", err
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	var s strings.Builder
	s.WriteString("S-1-")
	s.WriteString(strconv.FormatUint(auth, 10))
	for i := 0; i < int(b[1]); i++ {
		s.WriteByte('-')
		s.WriteString(strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[sidHeader+4*i:])), 10))
	}
	return s.String(), nil
}

// withRID returns the SID of the account with relative ID rid in the
// domain of the account SID b (b with its last sub-authority replaced).
func withRID(b []byte, rid uint32) ([]byte, error) {
	if err := checkSID(b); err != nil {
		return nil, err
	}
	if b[1] == 0 {
		return nil, fmt.Errorf("SID has no sub-authority")
	}
	out := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(out[len(out)-4:], rid)
	return out, nil
}
