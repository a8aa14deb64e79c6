package state

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"sync"
)

// The audit is tamper-evident: every event that writes an audit row (an
// insert, the completion of a pending row, its settling, a redaction, a
// retention prune or anonymisation) appends an entry to the audit_chain
// table, whose hash covers the hash of the entry before and the digest of
// the row's canonical form after the event. docs/audit.md specifies the
// canonical forms so that the chain can be checked without idsync.
//
// The canonical form of a row holds its non-personal fields in clear and,
// for each personal field, a salted digest of it: a redaction replaces a
// personal field by its stored digest and drops the row's salt, so that
// the row's digest is unchanged. Taking one person out of a group change's
// members changes that record's digest; the redact entry chains the new
// one.

const (
	recordTag = "idsync-audit/1"
	chainTag  = "idsync-chain/1"
)

// Chain events, the event column of audit_chain.
const (
	eventInsert    = "insert"    // a row was inserted (any status)
	eventComplete  = "complete"  // a pending row was completed with its outcome
	eventSettle    = "settle"    // a pending row was settled as unconfirmed
	eventRedact    = "redact"    // personal fields of a row were redacted
	eventAnonymise = "anonymise" // rows up to audit_id lost their personal fields
	eventPrune     = "prune"     // rows up to audit_id were deleted
)

// personalFields are the audit columns that hold personal data, in the
// order of the canonical form.
var personalFields = [...]string{"source_id", "target_id", "user_name", "reasons", "before", "after", "detail", "error", "members"}

// Indexes into personalFields.
const (
	fSourceID = iota
	fTargetID
	fUserName
	fReasons
	fBefore
	fAfter
	fDetail
	fError
	fMembers
	nPersonal
)

// storedRow is an audit row as stored: the input of its digest. NULL
// columns are empty strings.
type storedRow struct {
	id, runID, time                     int64
	target, kind, action, status, rules string
	salt                                string
	personal                            [nPersonal]string
	redacted                            string // JSON object field -> digest, or ""
}

// storedMember is one element of the members column: a member in clear,
// or {"redacted": true} once redacted.
type storedMember struct {
	SourceID string `json:"sourceId,omitempty"`
	TargetID string `json:"targetId,omitempty"`
	UserName string `json:"userName,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Redacted bool   `json:"redacted,omitempty"`
}

// hasher computes digests into reusable buffers, one SHA-256 at a time
// over a whole message (no allocation per field).
type hasher struct {
	msg, rec []byte // the message being hashed; the record's canonical form
	hex      [2 * sha256.Size]byte
	ds       [nPersonal][2 * sha256.Size]byte
}

// hashers keeps hashers (and their buffers) between writes and scans.
var hashers = sync.Pool{New: func() any { return newHasher() }}

func getHasher() *hasher { return hashers.Get().(*hasher) }

func newHasher() *hasher { return &hasher{msg: make([]byte, 0, 1024), rec: make([]byte, 0, 1024)} }

// appendNS appends s as a netstring: its byte length in decimal, a colon,
// the bytes, a comma.
func appendNS(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	b = append(b, s...)
	return append(b, ',')
}

func appendNSBytes(b, s []byte) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	b = append(b, s...)
	return append(b, ',')
}

func appendNSInt(b []byte, v int64) []byte {
	var tmp [20]byte
	return appendNSBytes(b, strconv.AppendInt(tmp[:0], v, 10))
}

// sumHex hashes msg into x.hex and returns it (valid until the next call).
func (x *hasher) sumHex(msg []byte) []byte {
	sum := sha256.Sum256(msg)
	hex.Encode(x.hex[:], sum[:])
	return x.hex[:]
}

// field returns the digest of one personal value: SHA-256 over the row's
// salt, a colon and the value, in hex.
func (x *hasher) field(salt, v string) string { return string(x.fieldHex(salt, v)) }

func (x *hasher) fieldHex(salt, v string) []byte {
	x.msg = append(append(append(x.msg[:0], salt...), ':'), v...)
	return x.sumHex(x.msg)
}

// digest returns the SHA-256 of r's canonical form: netstrings of the tag,
// id, run ID, time, target, kind, action, status and rules, then of the
// hex digest of each personal field (the stored digest of a redacted one).
func (x *hasher) digest(r *storedRow) ([sha256.Size]byte, error) {
	var red map[string]string
	if r.redacted != "" {
		if err := json.Unmarshal([]byte(r.redacted), &red); err != nil {
			return [sha256.Size]byte{}, fmt.Errorf("redacted: %w", err)
		}
	}
	for i, f := range personalFields {
		if d, ok := red[f]; ok {
			if r.personal[i] != "" { // a redaction blanks the field: a value there was written since
				return [sha256.Size]byte{}, fmt.Errorf("redacted %s holds a value, written after its redaction", f)
			}
			copy(x.ds[i][:], d)
			if len(d) != len(x.ds[i]) {
				return [sha256.Size]byte{}, fmt.Errorf("redacted %s: not a SHA-256 in hex", f)
			}
			continue
		}
		x.msg = append(append(append(x.msg[:0], r.salt...), ':'), r.personal[i]...)
		sum := sha256.Sum256(x.msg)
		hex.Encode(x.ds[i][:], sum[:])
	}
	b := appendNS(x.rec[:0], recordTag)
	b = appendNSInt(b, r.id)
	b = appendNSInt(b, r.runID)
	b = appendNSInt(b, r.time)
	for _, s := range [...]string{r.target, r.kind, r.action, r.status, r.rules} {
		b = appendNS(b, s)
	}
	for i := range x.ds {
		b = appendNSBytes(b, x.ds[i][:])
	}
	x.rec = b
	return sha256.Sum256(b), nil
}

// chainEntry is one row of audit_chain. Its digest and hash hold the
// stored bytes (a SHA-256 each, unless the row was altered by hand).
type chainEntry struct {
	seq, auditID int64
	event        string
	note         string
	digest       string
	hash         string
}

// link returns the hash of e after the entry whose hash is prev ("" for
// the first entry): SHA-256 over netstrings of the tag, seq, audit ID,
// event, the digest in hex, the note and prev in hex.
func (x *hasher) link(e *chainEntry, prev string) [sha256.Size]byte {
	b := appendNS(x.msg[:0], chainTag)
	b = appendNSInt(b, e.seq)
	b = appendNSInt(b, e.auditID)
	b = appendNS(b, e.event)
	b = appendNSHex(b, e.digest)
	b = appendNS(b, e.note)
	x.msg = appendNSHex(b, prev)
	return sha256.Sum256(x.msg)
}

// appendNSHex appends the netstring of raw in lower-case hex.
func appendNSHex(b []byte, raw string) []byte {
	const digits = "0123456789abcdef"
	b = strconv.AppendInt(b, int64(2*len(raw)), 10)
	b = append(b, ':')
	for i := 0; i < len(raw); i++ {
		b = append(b, digits[raw[i]>>4], digits[raw[i]&15])
	}
	return append(b, ',')
}

// newSalt returns n fresh random salts (16 bytes, in hex).
func newSalts(n int) ([]string, error) {
	b := make([]byte, 16*n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("salt: %w", err)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = hex.EncodeToString(b[16*i : 16*i+16])
	}
	return out, nil
}

// ruleRef matches a mapping rule's name in a reason, e.g.
// mapping.attributes.department or mapping.group_roles[0].
var ruleRef = regexp.MustCompile(`mapping\.[A-Za-z_]+(\[[0-9]+\])?(\.[A-Za-z0-9_.]*[A-Za-z0-9_])?`)

// rulesOf returns the rules the reasons name, sorted and without
// repeats, as stored in the rules column (a JSON array, or "" for none).
// Rules are not personal: they stay when the reasons are redacted.
func rulesOf(reasons []string, ms []AuditMember) string {
	seen := map[string]bool{}
	add := func(s string) {
		for _, m := range ruleRef.FindAllString(s, -1) {
			seen[m] = true
		}
	}
	for _, r := range reasons {
		add(r)
	}
	for _, m := range ms {
		add(m.Reason)
	}
	if len(seen) == 0 {
		return ""
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	b, _ := json.Marshal(out) // strings always marshal
	return string(b)
}
