package ldif

import (
	"bytes"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics, that every text value it
// accepts is UTF-8, and that whatever it accepts survives Write and a
// second Parse unchanged.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"",
		"version: 1\ndn: cn=a,dc=x\nobjectClass: person\ncn: a\n\ndn: cn=b\nsn: b\n",
		"dn:: Y249SsO8cmdlbixkYz14\ncn:: SsO8cmdlbg==\n",
		"dn: cn=long,\r\n dc=x\r\ndescription: ab\r\n  cd\r\n",
		"# comment\n folded\ndn: cn=a\nchangetype: add\nmember: cn=b\nMember: cn=c\n",
		"dn: cn=a\nchangetype: modify\nreplace: cn\ncn: b\n-\n",
		"dn: cn=a\nphoto:< file:///x\n",
		"dn: cn=a\ncn;lang-de: x\n2.5.4.3: y\ndescription:\n",
		"dn: cn=a\nsn: M\xfcller\n",
		"dn: cn=a\nsn:: TfxsbGVy\njpegPhoto:: /9j/4A==\ncn;binary:: 6Q==\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var first []Record
		if err := Parse(bytes.NewReader(data), func(r Record) error {
			r.Line = 0
			first = append(first, r)
			return nil
		}); err != nil {
			return
		}
		for _, r := range first {
			if !utf8.ValidString(r.DN) {
				t.Fatalf("DN %q is not UTF-8", r.DN)
			}
			for _, a := range r.Attrs {
				for _, v := range a.Values {
					if !IsBinary(a.Name) && !utf8.ValidString(v) {
						t.Fatalf("%s: value %q is not UTF-8", a.Name, v)
					}
				}
			}
		}
		var buf bytes.Buffer
		for _, r := range first {
			if err := Write(&buf, r); err != nil {
				t.Fatal(err)
			}
		}
		var second []Record
		if err := Parse(bytes.NewReader(buf.Bytes()), func(r Record) error {
			r.Line = 0
			second = append(second, r)
			return nil
		}); err != nil {
			t.Fatalf("re-parse: %v\n%q", err, buf.String())
		}
		if !reflect.DeepEqual(first, second) {
			t.Fatalf("round trip differs:\nfirst  %#v\nsecond %#v\nwritten %q", first, second, buf.String())
		}
	})
}
