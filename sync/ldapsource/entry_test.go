package ldapsource

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/mapping"
)

func TestFormatGUID(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		// MS-DTYP 2.3.4: Data1..Data3 little-endian, Data4 as is.
		{[]byte{0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff},
			"00112233-4455-6677-8899-aabbccddeeff"},
		{make([]byte, 16), "00000000-0000-0000-0000-000000000000"},
	}
	for _, tt := range tests {
		got, err := formatGUID(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("formatGUID(%x) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	// As ldifde and ldapsearch print it: base64 of the raw bytes.
	raw, _ := base64.StdEncoding.DecodeString("MyIRAFVEd2aImaq7zN3u/w==")
	if got, _ := formatGUID(raw); got != "00112233-4455-6677-8899-aabbccddeeff" {
		t.Errorf("formatGUID(base64 sample) = %q", got)
	}
	if _, err := formatGUID([]byte("short")); err == nil || err.Error() != "GUID must be 16 bytes, got 5" {
		t.Errorf("formatGUID(short) error = %v", err)
	}
}

func TestConverterEntry(t *testing.T) {
	c := newConverter("objectGUID")
	guid := string([]byte{0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff})
	in := &ldap.Entry{DN: "CN=Ann,OU=Staff,DC=x", Attributes: []*ldap.EntryAttribute{
		{Name: "objectGUID", Values: []string{guid}},
		{Name: "sAMAccountName", Values: []string{"ann"}},
		{Name: "proxyAddresses", Values: []string{"smtp:a@x", "SMTP:ann@x"}},
		{Name: "PROXYADDRESSES", Values: []string{"x500:/o=x"}},
		{Name: "member;range=0-1", Values: []string{"a", "b"}},
		{Name: "empty", Values: []string{}},
	}}
	e, ranged := c.entry(in)
	if err := c.setID(&e); err != nil {
		t.Fatal(err)
	}
	want := mapping.Entry{
		ID: "00112233-4455-6677-8899-aabbccddeeff",
		DN: "CN=Ann,OU=Staff,DC=x",
		Attrs: mapping.Attrs{
			{Name: "objectguid", Values: []string{"00112233-4455-6677-8899-aabbccddeeff"}},
			{Name: "samaccountname", Values: []string{"ann"}},
			{Name: "proxyaddresses", Values: []string{"smtp:a@x", "SMTP:ann@x", "x500:/o=x"}},
			{Name: "member;range=0-1", Values: []string{"a", "b"}},
			{Name: "empty", Values: []string{}},
		},
	}
	if !ranged || !reflect.DeepEqual(e, want) {
		t.Errorf("entry = %#v, ranged %v\nwant %#v", e, ranged, want)
	}
	e.Attrs.Set("objectguid", []string{"short"})
	if err := c.setID(&e); err == nil || !strings.Contains(err.Error(), "GUID must be 16 bytes") {
		t.Errorf("setID(short GUID) = %v", err)
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		in      string
		want    valueRange
		ok      bool
		wantErr bool
	}{
		{"member", valueRange{}, false, false},
		{"member;lang-de", valueRange{}, false, false},
		{"member;range=0-1499", valueRange{base: "member", low: 0, high: 1499}, true, false},
		{"member;Range=1500-*", valueRange{base: "member", low: 1500, high: -1, last: true}, true, false},
		{"member;lang-de;range=3-5", valueRange{base: "member;lang-de", low: 3, high: 5}, true, false},
		{"member;range=5-3", valueRange{}, true, true},
		{"member;range=x-3", valueRange{}, true, true},
		{"member;range=3", valueRange{}, true, true},
		{"member;range=-1-3", valueRange{}, true, true},
		{";range=0-1", valueRange{}, true, true},
		{"member;range=0-1;range=2-3", valueRange{}, true, true},
	}
	for _, tt := range tests {
		got, ok, err := parseRange(tt.in)
		if ok != tt.ok || (err != nil) != tt.wantErr || (err == nil && got != tt.want) {
			t.Errorf("parseRange(%q) = %+v, %v, %v; want %+v, %v, error %v", tt.in, got, ok, err, tt.want, tt.ok, tt.wantErr)
		}
	}
}

// fakeReader answers range requests from a fixed list of values, chunk
// values at a time, or with canned answers.
type fakeReader struct {
	values   []string
	chunk    int
	answer   func(attr string) mapping.Attrs
	requests []string
}

func (f *fakeReader) readEntry(dn string, attrs []string) (mapping.Attrs, error) {
	f.requests = append(f.requests, attrs[0])
	if f.answer != nil {
		return f.answer(attrs[0]), nil
	}
	rg, _, err := parseRange(attrs[0])
	if err != nil {
		return nil, err
	}
	end := rg.low + f.chunk
	if end >= len(f.values) {
		return mapping.Attrs{{Name: fmt.Sprintf("%s;range=%d-*", rg.base, rg.low), Values: f.values[rg.low:]}}, nil
	}
	return mapping.Attrs{{Name: fmt.Sprintf("%s;range=%d-%d", rg.base, rg.low, end-1), Values: f.values[rg.low:end]}}, nil
}

func TestCompleteRanges(t *testing.T) {
	var all []string
	for i := 0; i < 4000; i++ {
		all = append(all, fmt.Sprintf("uid=u%d", i))
	}
	f := &fakeReader{values: all, chunk: 1500}
	e := mapping.Entry{DN: "cn=big", Attrs: mapping.Attrs{
		{Name: "cn", Values: []string{"big"}},
		{Name: "member;range=0-1499", Values: all[:1500]},
		{Name: "uniquemember", Values: []string{"x"}},
		{Name: "uniquemember;range=0-*", Values: []string{"y"}},
	}}
	if err := completeRanges(f, &e); err != nil {
		t.Fatal(err)
	}
	if member := e.Values("member"); !reflect.DeepEqual(member, all) || len(e.Attrs) != 3 {
		t.Errorf("member has %d values, attrs %d", len(member), len(e.Attrs))
	}
	if got := e.Values("uniquemember"); !reflect.DeepEqual(got, []string{"x", "y"}) {
		t.Errorf("uniquemember = %q", got)
	}
	if want := []string{"member;range=1500-*", "member;range=3000-*"}; !reflect.DeepEqual(f.requests, want) {
		t.Errorf("requests %q, want %q", f.requests, want)
	}

	bad := []struct {
		name   string
		answer func(string) mapping.Attrs
		want   string
	}{
		{"missing chunk", func(string) mapping.Attrs { return mapping.Attrs{{Name: "cn", Values: []string{"big"}}} },
			`entry "cn=big": read member;range=2-*: no ranged attribute in the answer`},
		{"wrong start", func(string) mapping.Attrs { return mapping.Attrs{{Name: "member;range=5-*", Values: []string{"z"}}} },
			`entry "cn=big": read member;range=2-*: server answered with member;range=5-*`},
		{"never ends", func(a string) mapping.Attrs {
			rg, _, _ := parseRange(a)
			return mapping.Attrs{{Name: fmt.Sprintf("member;range=%d-%d", rg.low, rg.low), Values: []string{"z"}}}
		}, "more than 10000 range requests"},
	}
	for _, tt := range bad {
		e := mapping.Entry{DN: "cn=big", Attrs: mapping.Attrs{{Name: "member;range=0-1", Values: []string{"a", "b"}}}}
		err := completeRanges(&fakeReader{answer: tt.answer}, &e)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// FuzzParseRange feeds arbitrary attribute descriptions, as a server
// sends them, to parseRange: it must return errors, never panic, and a
// range it accepts is well-formed.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"member;range=0-1499", "member;range=1500-*", "member", "member;range=5-2", "m;range=;range=1-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		r, ok, err := parseRange(name)
		if ok && err == nil && (r.base == "" || r.low < 0 || !r.last && r.high < r.low) {
			t.Errorf("parseRange(%q) = %+v", name, r)
		}
	})
}
