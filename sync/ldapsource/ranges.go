package ldapsource

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/idsync/idsync/mapping"
)

// entryReader reads attributes of one entry by DN (a base search); the
// client implements it and tests pass a fake.
type entryReader interface {
	readEntry(dn string, attrs []string) (mapping.Attrs, error)
}

// valueRange is a parsed "attr;range=low-high" attribute description
// (Active Directory's incremental retrieval, MS-ADTS 3.1.1.3.1.3.3).
type valueRange struct {
	base string // the description without the range option, e.g. "member"
	low  int
	high int  // -1 when last
	last bool // high was "*": no values after this chunk
}

// parseRange parses an attribute description with a range option. ok is
// false when name has no range option; err is set when it has a malformed
// one.
func parseRange(name string) (r valueRange, ok bool, err error) {
	parts := strings.Split(name, ";")
	var spec string
	kept := parts[:0:0]
	for _, p := range parts {
		if len(p) > 6 && strings.EqualFold(p[:6], "range=") {
			if ok {
				return r, true, fmt.Errorf("attribute %q: two range options", name)
			}
			spec, ok = p[6:], true
			continue
		}
		kept = append(kept, p)
	}
	if !ok {
		return r, false, nil
	}
	r.base = strings.Join(kept, ";")
	lo, hi, found := strings.Cut(spec, "-")
	if !found || r.base == "" {
		return r, true, fmt.Errorf("attribute %q: malformed range", name)
	}
	if r.low, err = strconv.Atoi(lo); err != nil || r.low < 0 {
		return r, true, fmt.Errorf("attribute %q: malformed range start", name)
	}
	if hi == "*" {
		r.high, r.last = -1, true
		return r, true, nil
	}
	if r.high, err = strconv.Atoi(hi); err != nil || r.high < r.low {
		return r, true, fmt.Errorf("attribute %q: malformed range end", name)
	}
	return r, true, nil
}

// completeRanges replaces every ranged attribute of e ("member;range=0-1499",
// keys lower-cased) by the attribute under its plain name with all its
// values, fetching the remaining chunks until one ends in "*". A chunk that
// is missing or does not start where the previous one ended is an error,
// never a short list.
func completeRanges(r entryReader, e *mapping.Entry) error {
	return completeRangesBy(r, e, 0)
}

// completeRangesBy is completeRanges asking for size values per request
// ("member;range=1500-2999"); 0 asks for the rest ("member;range=1500-*")
// and lets the server cut it.
func completeRangesBy(r entryReader, e *mapping.Entry, size int) error {
	var ranged []string
	for _, a := range e.Attrs {
		if strings.Contains(a.Name, ";range=") {
			ranged = append(ranged, a.Name)
		}
	}
	sort.Strings(ranged)
	for _, k := range ranged {
		rg, _, err := parseRange(k)
		if err != nil {
			return fmt.Errorf("entry %q: %w", e.DN, err)
		}
		values := e.Attrs.Get(k)
		e.Attrs.Delete(k)
		if !rg.last {
			more, err := fetchRange(r, e.DN, rg.base, rg.high+1, size)
			if err != nil {
				return err
			}
			values = append(values[:len(values):len(values)], more...)
		}
		e.Attrs.Add(rg.base, values...)
	}
	return nil
}

// maxRangeRequests bounds the follow-up searches for one attribute, so a
// server that never ends the range cannot keep us looping (15 million
// values at Active Directory's usual 1500 per chunk).
const maxRangeRequests = 10000

// fetchRange reads the values of base (lower case) from index next on,
// size at a time (0: as many as the server returns).
func fetchRange(r entryReader, dn, base string, next, size int) ([]string, error) {
	var values []string
	for n := 0; n < maxRangeRequests; n++ {
		want := rangeOption(base, next, size)
		attrs, err := r.readEntry(dn, []string{want})
		if err != nil {
			return nil, fmt.Errorf("entry %q: read %s: %w", dn, want, err)
		}
		rg, got, err := findRange(attrs, base)
		if err != nil {
			return nil, fmt.Errorf("entry %q: read %s: %w", dn, want, err)
		}
		if rg.low != next {
			return nil, fmt.Errorf("entry %q: read %s: server answered with %s", dn, want, got)
		}
		v := attrs.Get(got)
		values = append(values, v...)
		if rg.last {
			return values, nil
		}
		next = rg.high + 1
	}
	return nil, fmt.Errorf("entry %q: %s: more than %d range requests", dn, base, maxRangeRequests)
}

// rangeOption returns the attribute description asking for the values of
// base from index low on: size of them, or all ("*") when size is 0.
func rangeOption(base string, low, size int) string {
	if size <= 0 {
		return fmt.Sprintf("%s;range=%d-*", base, low)
	}
	return fmt.Sprintf("%s;range=%d-%d", base, low, low+size-1)
}

// findRange returns the ranged attribute for base in attrs, and its key.
func findRange(attrs mapping.Attrs, base string) (valueRange, string, error) {
	for _, a := range attrs {
		rg, ok, err := parseRange(a.Name)
		if err != nil {
			return rg, a.Name, err
		}
		if ok && strings.EqualFold(rg.base, base) {
			return rg, a.Name, nil
		}
	}
	return valueRange{}, "", errors.New("no ranged attribute in the answer (the group changed during the read?)")
}
