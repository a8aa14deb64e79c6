package state

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"regexp"
	"sort"
	"strconv"
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
// the row's digest, and the chain, are unchanged.

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

// storedMember is one element of the members column: a member in clear
// with its own salt, or only its digest once redacted.
type storedMember struct {
	Salt     string `json:"salt,omitempty"`
	SourceID string `json:"sourceId,omitempty"`
	TargetID string `json:"targetId,omitempty"`
	UserName string `json:"userName,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Digest   string `json:"digest,omitempty"`
}

// hasher computes digests with one reusable SHA-256 state and buffer.
type hasher struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

func newHasher() *hasher { return &hasher{h: sha256.New(), buf: make([]byte, 0, 64)} }

// ns writes s to the hash as a netstring: its byte length in decimal, a
// colon, the bytes, a comma.
func (x *hasher) ns(s string) {
	x.buf = strconv.AppendInt(x.buf[:0], int64(len(s)), 10)
	x.buf = append(x.buf, ':')
	x.h.Write(x.buf)
	x.h.Write([]byte(s))
	x.h.Write([]byte{','})
}

func (x *hasher) nsInt(v int64) { x.ns(strconv.FormatInt(v, 10)) }

// hexSum returns the hex digest of what was written and resets the hash.
func (x *hasher) hexSum() string {
	s := hex.EncodeToString(x.h.Sum(x.sum[:0]))
	x.h.Reset()
	return s
}

// field returns the digest of one personal value: SHA-256 over the row's
// salt, a colon and the value, in hex.
func (x *hasher) field(salt, v string) string {
	x.h.Write([]byte(salt))
	x.h.Write([]byte{':'})
	x.h.Write([]byte(v))
	return x.hexSum()
}

// member returns the digest of one member in clear.
func (x *hasher) member(m storedMember) string {
	x.ns(m.Salt)
	x.ns(m.SourceID)
	x.ns(m.TargetID)
	x.ns(m.UserName)
	x.ns(m.Reason)
	return x.hexSum()
}

// members returns the digest of a members column: SHA-256 over each
// member's digest followed by a newline ("" has the digest of nothing).
func (x *hasher) members(v string) (string, error) {
	var ms []storedMember
	if v != "" {
		if err := json.Unmarshal([]byte(v), &ms); err != nil {
			return "", fmt.Errorf("members: %w", err)
		}
	}
	ds := make([]string, len(ms))
	for i, m := range ms {
		ds[i] = m.Digest
		if ds[i] == "" {
			ds[i] = x.member(m)
		}
	}
	for _, d := range ds {
		x.h.Write([]byte(d))
		x.h.Write([]byte{'\n'})
	}
	return x.hexSum(), nil
}

// digest returns the SHA-256 of r's canonical form: netstrings of the tag,
// id, run ID, time, target, kind, action, status and rules, then of the
// digest of each personal field (the stored digest of a redacted one).
func (x *hasher) digest(r *storedRow) ([sha256.Size]byte, error) {
	var red map[string]string
	if r.redacted != "" {
		if err := json.Unmarshal([]byte(r.redacted), &red); err != nil {
			return [sha256.Size]byte{}, fmt.Errorf("redacted: %w", err)
		}
	}
	var ds [nPersonal]string
	for i, f := range personalFields {
		if d, ok := red[f]; ok {
			ds[i] = d
			continue
		}
		if i == fMembers {
			d, err := x.members(r.personal[i])
			if err != nil {
				return [sha256.Size]byte{}, err
			}
			ds[i] = d
			continue
		}
		ds[i] = x.field(r.salt, r.personal[i])
	}
	x.ns(recordTag)
	x.nsInt(r.id)
	x.nsInt(r.runID)
	x.nsInt(r.time)
	x.ns(r.target)
	x.ns(r.kind)
	x.ns(r.action)
	x.ns(r.status)
	x.ns(r.rules)
	for _, d := range ds {
		x.ns(d)
	}
	var out [sha256.Size]byte
	x.h.Sum(out[:0])
	x.h.Reset()
	return out, nil
}

// chainEntry is one row of audit_chain.
type chainEntry struct {
	seq, auditID int64
	event        string
	digest       []byte
	note         string
	hash         []byte
}

// link returns the hash of e after prev: SHA-256 over netstrings of the
// tag, seq, audit ID, event, the hex digest, the note and the hex of prev
// (empty for the first entry).
func (x *hasher) link(e *chainEntry, prev []byte) []byte {
	x.ns(chainTag)
	x.nsInt(e.seq)
	x.nsInt(e.auditID)
	x.ns(e.event)
	x.ns(hex.EncodeToString(e.digest))
	x.ns(e.note)
	x.ns(hex.EncodeToString(prev))
	out := x.h.Sum(nil)
	x.h.Reset()
	return out
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
