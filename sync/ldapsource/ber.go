package ldapsource

import (
	"errors"
	"fmt"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// BER as LDAP uses it (RFC 4511 5.1): definite lengths, one-byte tags.
// Responses are decoded here from a string holding one whole LDAPMessage,
// so every DN and value is a substring of it and costs no allocation; this
// is what makes a read as fast as ldapsearch (asn1-ber, which go-ldap uses,
// allocates ~45 KB and ~760 objects per entry). Requests are few and
// encoded with asn1-ber and go-ldap's filter compiler.

// BER identifiers used in responses.
const (
	tagBoolean     = 0x01
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagEnumerated  = 0x0a
	tagSequence    = 0x30
	tagSet         = 0x31
	tagControls    = 0xa0 // [0] constructed
	tagReferral    = 0xa3 // [3] constructed, in LDAPResult

	opBindResponse     = 0x61 // [APPLICATION 1]
	opSearchEntry      = 0x64 // [APPLICATION 4]
	opSearchDone       = 0x65 // [APPLICATION 5]
	opSearchReference  = 0x73 // [APPLICATION 19]
	opExtendedResponse = 0x78 // [APPLICATION 24]
)

var errTruncated = errors.New("malformed BER: truncated")

// tlv splits the first element off s: its tag, content and what follows.
func tlv(s string) (tag byte, content, rest string, err error) {
	if len(s) < 2 {
		return 0, "", "", errTruncated
	}
	tag = s[0]
	if tag&0x1f == 0x1f {
		return 0, "", "", fmt.Errorf("malformed BER: multi-byte tag %#x", tag)
	}
	n, hdr, err := berLength(s[1:])
	if err != nil {
		return 0, "", "", err
	}
	s = s[1+hdr:]
	if n > len(s) {
		return 0, "", "", errTruncated
	}
	return tag, s[:n], s[n:], nil
}

// berLength decodes a definite length at the start of s and returns it with
// the number of bytes it took.
func berLength(s string) (n, size int, err error) {
	if len(s) == 0 {
		return 0, 0, errTruncated
	}
	b := s[0]
	if b < 0x80 {
		return int(b), 1, nil
	}
	k := int(b & 0x7f)
	if k == 0 {
		return 0, 0, errors.New("malformed BER: indefinite length")
	}
	if k > 4 || len(s) < 1+k {
		return 0, 0, fmt.Errorf("malformed BER: bad length of %d bytes", k)
	}
	for i := 1; i <= k; i++ {
		n = n<<8 | int(s[i])
	}
	if n < 0 || n > maxMessage {
		return 0, 0, fmt.Errorf("malformed BER: length %d too large", n)
	}
	return n, 1 + k, nil
}

// expect is tlv that requires the tag want.
func expect(s string, want byte) (content, rest string, err error) {
	tag, content, rest, err := tlv(s)
	if err != nil {
		return "", "", err
	}
	if tag != want {
		return "", "", fmt.Errorf("malformed response: tag %#x, want %#x", tag, want)
	}
	return content, rest, nil
}

// berInt decodes a two's complement INTEGER or ENUMERATED content.
func berInt(s string) (int64, error) {
	if len(s) == 0 || len(s) > 8 {
		return 0, fmt.Errorf("malformed BER: integer of %d bytes", len(s))
	}
	v := int64(int8(s[0]))
	for i := 1; i < len(s); i++ {
		v = v<<8 | int64(s[i])
	}
	return v, nil
}

// encodeMessage returns the bytes of an LDAPMessage with id, op and
// controls.
func encodeMessage(id int64, op *ber.Packet, controls ...ldap.Control) []byte {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Request")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, "MessageID"))
	p.AppendChild(op)
	if len(controls) > 0 {
		cs := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "Controls")
		for _, c := range controls {
			cs.AppendChild(c.Encode())
		}
		p.AppendChild(cs)
	}
	return p.Bytes()
}

func bindRequest(dn, password string) *ber.Packet {
	p := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationBindRequest, nil, "Bind Request")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 3, "Version"))
	p.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, dn, "Name"))
	p.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, password, "Password"))
	return p
}

func extendedRequest(oid string) *ber.Packet {
	p := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationExtendedRequest, nil, "Extended Request")
	p.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, oid, "Name"))
	return p
}

func unbindRequest() *ber.Packet {
	return ber.Encode(ber.ClassApplication, ber.TypePrimitive, ldap.ApplicationUnbindRequest, nil, "Unbind Request")
}

// searchRequest encodes a SearchRequest (no alias dereferencing, no
// server-side size or time limit beyond the server's own).
func searchRequest(base string, scope int, filter *ber.Packet, attrs []string, sizeLimit int) *ber.Packet {
	p := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchRequest, nil, "Search Request")
	p.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, base, "Base DN"))
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, uint64(scope), "Scope"))
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, uint64(ldap.NeverDerefAliases), "Deref"))
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, uint64(sizeLimit), "Size Limit"))
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, uint64(0), "Time Limit"))
	p.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, false, "Types Only"))
	p.AppendChild(filter)
	as := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "Attributes")
	for _, a := range attrs {
		as.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, a, "Attribute"))
	}
	p.AppendChild(as)
	return p
}
