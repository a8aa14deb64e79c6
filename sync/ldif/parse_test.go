package ldif

import (
	"bufio"
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func parseAll(t testing.TB, in string) ([]Record, error) {
	t.Helper()
	var recs []Record
	err := Parse(strings.NewReader(in), func(r Record) error {
		recs = append(recs, r)
		return nil
	})
	return recs, err
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Record
	}{
		{"empty", "", nil},
		{"only comments", "# hello\n# world\n", nil},
		{
			"one record", "dn: cn=a,dc=x\ncn: a\nobjectClass: top\nobjectClass: person\n",
			[]Record{{Line: 1, DN: "cn=a,dc=x", Attrs: []Attr{{"cn", []string{"a"}}, {"objectClass", []string{"top", "person"}}}}},
		},
		{
			"version, comments, two records, extra blank lines",
			"version: 1\n# c\n\n\ndn: cn=a\ncn: a\n\n\n# between\ndn: cn=b\n# inside\nsn: b\n\n",
			[]Record{
				{Line: 5, DN: "cn=a", Attrs: []Attr{{"cn", []string{"a"}}}},
				{Line: 10, DN: "cn=b", Attrs: []Attr{{"sn", []string{"b"}}}},
			},
		},
		{
			"folding and CRLF", "dn: cn=long,\r\n dc=x\r\ndescription: ab\r\n  cd\r\n e\r\n",
			[]Record{{Line: 1, DN: "cn=long,dc=x", Attrs: []Attr{{"description", []string{"ab cde"}}}}},
		},
		{
			"folded comment", "# a comment\n that continues\ndn: cn=a\n",
			[]Record{{Line: 3, DN: "cn=a"}},
		},
		{
			"base64 dn and value", "dn:: Y249SsO8cmdlbixkYz14\ncn:: SsO8cmdlbg==\nsn::   IHNwYWNlIA==\n",
			[]Record{{Line: 1, DN: "cn=Jürgen,dc=x", Attrs: []Attr{{"cn", []string{"Jürgen"}}, {"sn", []string{" space "}}}}},
		},
		{
			"empty value and spaces after colon", "dn: cn=a\ndescription:\ntitle:    boss\n",
			[]Record{{Line: 1, DN: "cn=a", Attrs: []Attr{{"description", []string{""}}, {"title", []string{"boss"}}}}},
		},
		{
			"case-insensitive grouping keeps first spelling", "dn: cn=a\nmember: x\nsn: s\nMEMBER: y\n",
			[]Record{{Line: 1, DN: "cn=a", Attrs: []Attr{{"member", []string{"x", "y"}}, {"sn", []string{"s"}}}}},
		},
		{
			"changetype add is content", "dn: cn=a\nchangetype: add\ncn: a\n",
			[]Record{{Line: 1, DN: "cn=a", Attrs: []Attr{{"cn", []string{"a"}}}}},
		},
		{
			"options and OIDs", "dn: cn=a\ncn;lang-de: b\n2.5.4.3: c\n",
			[]Record{{Line: 1, DN: "cn=a", Attrs: []Attr{{"cn;lang-de", []string{"b"}}, {"2.5.4.3", []string{"c"}}}}},
		},
		{
			"whitespace-only separator line", "dn: cn=a\ncn: a\n\n  \ndn: cn=b\n",
			[]Record{{Line: 1, DN: "cn=a", Attrs: []Attr{{"cn", []string{"a"}}}}, {Line: 5, DN: "cn=b"}},
		},
		{
			"no final newline", "dn: cn=a\ncn: a",
			[]Record{{Line: 1, DN: "cn=a", Attrs: []Attr{{"cn", []string{"a"}}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAll(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"cn: a\n", `ldif: line 1: record must start with dn:, got "cn"`},
		{"version: 2\ndn: cn=a\n", `ldif: line 1: unsupported version "2"`},
		{"dn: cn=a\nphoto:< file:///etc/passwd\n", "ldif: line 2: attribute photo: URL values (:<) are not supported"},
		{"dn: cn=a\ncn:: !!!\n", "ldif: line 2: attribute cn: invalid base64: illegal base64 data at input byte 0"},
		{"dn: cn=a\nchangetype: modify\nreplace: cn\n", "ldif: line 2: changetype modify not supported"},
		{"\n\ndn: cn=a\nchangetype: delete\n", "ldif: line 4: changetype delete not supported"},
		{"dn: cn=a\ncn: a\nchangetype: add\n", "ldif: line 3: changetype must directly follow dn"},
		{"dn: cn=a\ncontrol: 1.2.3 true\nchangetype: delete\n", "ldif: line 2: controls not supported"},
		{"dn: cn=a\nno colon here\n", "ldif: line 2: missing ':' after attribute name"},
		{"dn: cn=a\nbad name: x\n", `ldif: line 2: invalid attribute name "bad name"`},
		{"dn: cn=a\n: x\n", "ldif: line 2: empty attribute name"},
		{" leading\n", "ldif: line 1: continuation line without a line to continue"},
		{"dn: cn=a\ncn: a\n\n\n\n# x\n\ndn: cn=b\nsn: b\n\ncn;: x\n", `ldif: line 11: invalid attribute name "cn;"`},
		{"dn: cn=a\ndescription: first\n second\ncn:< x\n", "ldif: line 4: attribute cn: URL values (:<) are not supported"},
		{"dn: cn=a\ndescription: caf\xe9\n", "ldif: line 2: attribute description: value is not valid UTF-8 " +
			"(re-export the directory as UTF-8; binary values are written base64-encoded, as description::)"},
		{"dn: cn=a\n\ndn: cn=b\ncn:: Y2Fm6Q==\n", "ldif: line 4: attribute cn: base64 value is not valid UTF-8 text " +
			"(cn is not a binary attribute; re-export the directory as UTF-8)"},
		{"dn:: Y249Y2Fm6Q==\n", "ldif: line 1: attribute dn: base64 value is not valid UTF-8 text " +
			"(dn is not a binary attribute; re-export the directory as UTF-8)"},
	}
	for _, tt := range tests {
		_, err := parseAll(t, tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) = %v, want %q", tt.in, err, tt.want)
		}
		var pe *ParseError
		if err != nil && !errors.As(err, &pe) {
			t.Errorf("Parse(%q): %T is not a *ParseError", tt.in, err)
		}
	}
}

// TestParseBinaryValues: base64 values of binary attributes may be any
// bytes; text is UTF-8.
func TestParseBinaryValues(t *testing.T) {
	in := "dn:: Y249SsO8cmdlbixkYz14\njpegPhoto:: /9j/4A==\nobjectGUID:: 6Q==\n" +
		"userCertificate;binary:: 6Q==\ncn:: SsO8cmdlbg==\n"
	got, err := parseAll(t, in)
	if err != nil {
		t.Fatal(err)
	}
	r := got[0]
	if r.DN != "cn=Jürgen,dc=x" || r.Get("jpegPhoto")[0] != "\xff\xd8\xff\xe0" || r.Get("objectGUID")[0] != "\xe9" ||
		r.Get("usercertificate;binary")[0] != "\xe9" || r.Get("cn")[0] != "Jürgen" {
		t.Errorf("parsed %+v", r)
	}
	for name, want := range map[string]bool{"objectGUID": true, "JPEGPhoto": true, "cn;binary": true, "cn": false,
		"description;lang-de": false, "userCertificate;lang-en;binary": true} {
		if IsBinary(name) != want {
			t.Errorf("IsBinary(%q) = %v, want %v", name, !want, want)
		}
	}
}

func TestParseStopsAtCallbackError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := Parse(strings.NewReader("dn: cn=a\n\ndn: cn=b\n\ndn: cn=c\n"), func(Record) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Fatalf("err = %v after %d records, want stop after 2", err, n)
	}
}

func TestWriteRoundTrip(t *testing.T) {
	recs := []Record{
		{DN: "cn=Jürgen,dc=x", Attrs: []Attr{
			{"cn", []string{"Jürgen", " lead", "trail ", ":colon", "<lt", "a\nb", "x\r", "", "nul\x00"}},
			{"objectGUID", []string{"\x01\x02\xff\xfe"}},
		}},
		{DN: "", Attrs: []Attr{{"namingContexts", []string{"dc=x"}}}},
	}
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	for _, r := range recs {
		if err := Write(bw, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := parseAll(t, buf.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	for i := range got {
		got[i].Line = 0
	}
	if !reflect.DeepEqual(got, recs) {
		t.Errorf("round trip:\n%s\ngot  %#v\nwant %#v", buf.String(), got, recs)
	}
	if !strings.Contains(buf.String(), "cn:: IGxlYWQ=\n") {
		t.Errorf("leading space not base64-encoded:\n%s", buf.String())
	}
}
