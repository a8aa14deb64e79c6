package ldapsource

import (
	"net"
	"sync"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// fakeRequest is one request a fake server received.
type fakeRequest struct {
	id       int64
	op       *ber.Packet
	controls *ber.Packet // nil when absent
}

// base, attrs and cookie of a search request.
func (r fakeRequest) search() (base string, attrs []string, cookie []byte) {
	base = r.op.Children[0].Value.(string)
	for _, a := range r.op.Children[7].Children {
		attrs = append(attrs, a.Value.(string))
	}
	if r.controls != nil {
		for _, c := range r.controls.Children {
			if dc, err := ldap.DecodeControl(c); err == nil {
				if p, ok := dc.(*ldap.ControlPaging); ok {
					cookie = p.Cookie
				}
			}
		}
	}
	return base, attrs, cookie
}

// startFake serves LDAP on a loopback port: binds succeed, unbinds close
// the connection, and handle answers every other request with raw
// messages; a nil message closes the connection. It returns the ldap://
// URL.
func startFake(t *testing.T, handle func(r fakeRequest) [][]byte) string {
	t.Helper()
	url, _ := serveFake(t, "127.0.0.1:0", handle)
	return url
}

// serveFake is startFake on addr; stop closes the listener (the server is
// then unreachable; connections made stay open).
func serveFake(t *testing.T, addr string, handle func(r fakeRequest) [][]byte) (url string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				for {
					p, err := ber.ReadPacket(conn)
					if err != nil || len(p.Children) < 2 {
						return
					}
					r := fakeRequest{id: p.Children[0].Value.(int64), op: p.Children[1]}
					if len(p.Children) > 2 {
						r.controls = p.Children[2]
					}
					var out [][]byte
					switch r.op.Tag {
					case ldap.ApplicationUnbindRequest:
						return
					case ldap.ApplicationBindRequest:
						out = [][]byte{result(r.id, ldap.ApplicationBindResponse, 0, "", nil)}
					default:
						out = handle(r)
					}
					for _, b := range out {
						if b == nil { // hang up
							return
						}
						if _, err := conn.Write(b); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	return "ldap://" + ln.Addr().String(), func() { ln.Close() }
}

func envelope(id int64, op *ber.Packet, controls ...*ber.Packet) []byte {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	p.AppendChild(op)
	if len(controls) > 0 {
		cs := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "")
		for _, c := range controls {
			cs.AppendChild(c)
		}
		p.AppendChild(cs)
	}
	return p.Bytes()
}

// attr is one attribute of a fake entry.
type attr struct {
	name   string
	values []string
}

func entryMsg(id int64, dn string, attrs ...attr) []byte {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultEntry, nil, "")
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, dn, ""))
	as := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	for _, a := range attrs {
		seq := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
		seq.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, a.name, ""))
		set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "")
		for _, v := range a.values {
			set.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, v, ""))
		}
		seq.AppendChild(set)
		as.AppendChild(seq)
	}
	op.AppendChild(as)
	return envelope(id, op)
}

// result encodes an LDAPResult-shaped response; cookie adds a paged
// results control when not nil.
func result(id int64, app ber.Tag, code int, diag string, cookie []byte, referrals ...string) []byte {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, app, nil, "")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(code), ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, diag, ""))
	if len(referrals) > 0 {
		refs := ber.Encode(ber.ClassContext, ber.TypeConstructed, 3, nil, "")
		for _, r := range referrals {
			refs.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, r, ""))
		}
		op.AppendChild(refs)
	}
	if cookie == nil {
		return envelope(id, op)
	}
	return envelope(id, op, (&ldap.ControlPaging{PagingSize: 0, Cookie: cookie}).Encode())
}

func done(id int64, cookie []byte) []byte {
	if cookie == nil {
		cookie = []byte{}
	}
	return result(id, ldap.ApplicationSearchResultDone, 0, "", cookie)
}

func referenceMsg(id int64, uris ...string) []byte {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultReference, nil, "")
	for _, u := range uris {
		op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, u, ""))
	}
	return envelope(id, op)
}
