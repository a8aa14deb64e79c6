package ldapsource

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// maxMessage bounds one LDAP message (a group with a million members is
// about 60 MB).
const maxMessage = 256 << 20

// client is a minimal LDAPv3 client for one read: simple bind, StartTLS
// and searches, with one goroutine and no per-entry channels. Requests may
// be pipelined: send the next page's request, then read the responses of
// the current one later in order.
type client struct {
	raw     net.Conn // the TCP connection, closed on ctx cancel
	nc      net.Conn // raw, or TLS over raw
	r       *bufio.Reader
	timeout time.Duration
	lastID  int64
	scratch []byte
}

// message is one decoded LDAPMessage; body and controls are substrings of
// the string holding the whole message.
type message struct {
	id       int64
	op       byte   // protocolOp identifier, e.g. opSearchEntry
	body     string // protocolOp contents
	controls string // contents of [0] Controls, "" when absent
}

// send writes a request and returns its message ID.
func (c *client) send(op *ber.Packet, controls ...ldap.Control) (int64, error) {
	c.lastID++
	b := encodeMessage(c.lastID, op, controls...)
	if err := c.nc.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	if _, err := c.nc.Write(b); err != nil {
		return 0, fmt.Errorf("send request: %w", err)
	}
	return c.lastID, nil
}

// startRead sets the deadline for the responses of one request.
func (c *client) startRead() error {
	return c.nc.SetReadDeadline(time.Now().Add(c.timeout))
}

// read reads the next message, which must belong to request id. A notice of
// disconnection (RFC 4511 4.4.1) is returned as an error. The message's
// strings are views of pb's memory when pb is not nil, copies otherwise.
func (c *client) read(id int64, pb *pageBuf) (message, error) {
	tag, err := c.r.ReadByte()
	if err != nil {
		return message{}, c.readErr(err)
	}
	if tag != tagSequence {
		return message{}, fmt.Errorf("malformed response: message tag %#x", tag)
	}
	var lb [5]byte
	lb[0], err = c.r.ReadByte()
	if err != nil {
		return message{}, c.readErr(err)
	}
	k := 1
	if lb[0] > 0x80 && lb[0] <= 0x84 {
		k += int(lb[0] & 0x7f)
		if _, err := io.ReadFull(c.r, lb[1:k]); err != nil {
			return message{}, c.readErr(err)
		}
	}
	n, _, err := berLength(string(lb[:k]))
	if err != nil {
		return message{}, err
	}
	s, err := c.body(n, pb)
	if err != nil {
		return message{}, err
	}
	m, err := parseMessage(s)
	if err != nil {
		return m, err
	}
	if m.id == 0 && m.op == opExtendedResponse {
		code, _, diag, _, _ := parseResult(m.body)
		return m, fmt.Errorf("server closed the connection: %w", resultError(code, "", diag))
	}
	if m.id != id {
		return m, fmt.Errorf("malformed response: message ID %d, want %d", m.id, id)
	}
	return m, nil
}

// body reads the n bytes of a message's contents.
func (c *client) body(n int, pb *pageBuf) (string, error) {
	if pb != nil {
		return pb.message(n, func(b []byte) error {
			if _, err := io.ReadFull(c.r, b); err != nil {
				return c.readErr(err)
			}
			return nil
		})
	}
	if n <= c.r.Size() {
		b, err := c.r.Peek(n)
		if err != nil {
			return "", c.readErr(err)
		}
		s := string(b)
		_, _ = c.r.Discard(n)
		return s, nil
	}
	if cap(c.scratch) < n {
		c.scratch = make([]byte, n)
	}
	if _, err := io.ReadFull(c.r, c.scratch[:n]); err != nil {
		return "", c.readErr(err)
	}
	return string(c.scratch[:n]), nil
}

// interrupt makes a read in progress on another goroutine fail now. The
// connection is not usable afterwards.
func (c *client) interrupt() {
	_ = c.raw.SetReadDeadline(time.Now())
}

func (c *client) readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("read response: server closed the connection: %w", io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("read response: %w", err)
}

// parseMessage splits an LDAPMessage's contents.
func parseMessage(s string) (message, error) {
	var m message
	idc, rest, err := expect(s, tagInteger)
	if err != nil {
		return m, err
	}
	if m.id, err = berInt(idc); err != nil {
		return m, err
	}
	if m.op, m.body, rest, err = tlv(rest); err != nil {
		return m, err
	}
	if rest != "" {
		if m.controls, _, err = expect(rest, tagControls); err != nil {
			return m, err
		}
	}
	return m, nil
}

// parseResult decodes the LDAPResult at the start of body.
func parseResult(body string) (code int, matched, diag string, referrals []string, err error) {
	c, rest, err := expect(body, tagEnumerated)
	if err != nil {
		return 0, "", "", nil, err
	}
	v, err := berInt(c)
	if err != nil {
		return 0, "", "", nil, err
	}
	if matched, rest, err = expect(rest, tagOctetString); err != nil {
		return 0, "", "", nil, err
	}
	if diag, rest, err = expect(rest, tagOctetString); err != nil {
		return 0, "", "", nil, err
	}
	if tag, refs, _, err := tlv(rest); err == nil && tag == tagReferral {
		for refs != "" {
			var uri string
			if uri, refs, err = expect(refs, tagOctetString); err != nil {
				break
			}
			referrals = append(referrals, uri)
		}
	}
	return int(v), matched, diag, referrals, nil
}

// resultError returns a go-ldap *ldap.Error for a result code other than
// success, so callers can test it with ldap.IsErrorWithCode.
func resultError(code int, matched, diag string) error {
	if diag == "" {
		diag = "no diagnostic message"
	}
	return &ldap.Error{ResultCode: uint16(code), MatchedDN: matched, Err: errors.New(diag)}
}

// result reads the response op of request id and checks its result code.
func (c *client) result(id int64, op byte) error {
	if err := c.startRead(); err != nil {
		return err
	}
	m, err := c.read(id, nil)
	if err != nil {
		return err
	}
	if m.op != op {
		return fmt.Errorf("malformed response: operation %#x, want %#x", m.op, op)
	}
	code, matched, diag, _, err := parseResult(m.body)
	if err != nil {
		return err
	}
	if code != ldap.LDAPResultSuccess {
		return resultError(code, matched, diag)
	}
	return nil
}

// bind does a simple bind.
func (c *client) bind(dn, password string) error {
	id, err := c.send(bindRequest(dn, password))
	if err != nil {
		return err
	}
	return c.result(id, opBindResponse)
}

// startTLS upgrades the connection (RFC 4511 4.14).
func (c *client) startTLS(ctx context.Context, conf *tls.Config) error {
	id, err := c.send(extendedRequest("1.3.6.1.4.1.1466.20037"))
	if err != nil {
		return err
	}
	if err := c.result(id, opExtendedResponse); err != nil {
		return err
	}
	if c.r.Buffered() > 0 {
		return errors.New("malformed response: data after the StartTLS response")
	}
	tc := tls.Client(c.nc, conf)
	hctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	c.nc = tc
	c.r.Reset(tc)
	return nil
}

// close sends an unbind (best effort) and closes the connection.
func (c *client) close() {
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.nc.Write(encodeMessage(c.lastID+1, unbindRequest()))
	_ = c.nc.Close()
	_ = c.raw.Close()
}
