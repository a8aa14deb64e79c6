package ldif

import (
	"bufio"
	"encoding/base64"
	"io"
)

// Write writes rec to w as an LDIF content record followed by a blank line.
// Values that are not safe as plain text (non-ASCII, control characters, a
// leading space, ':' or '<', a trailing space) are written base64-encoded,
// so Parse reads back exactly rec's DN and values. Lines are not folded.
// When w is a *bufio.Writer (the fast way to write many records) it is
// written to directly and write errors surface at its Flush.
func Write(w io.Writer, rec Record) error {
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriter(w)
	}
	writeLine(bw, "dn", rec.DN)
	for _, a := range rec.Attrs {
		for _, v := range a.Values {
			writeLine(bw, a.Name, v)
		}
	}
	bw.WriteByte('\n')
	if !ok {
		return bw.Flush()
	}
	return nil
}

// writeLine writes "name: value" or "name:: base64(value)". Errors are
// sticky in bufio.Writer and reported by the final Flush.
func writeLine(w *bufio.Writer, name, value string) {
	w.WriteString(name)
	if safe(value) {
		w.WriteString(": ")
		w.WriteString(value)
	} else {
		w.WriteString(":: ")
		enc := base64.NewEncoder(base64.StdEncoding, w)
		enc.Write([]byte(value))
		enc.Close()
	}
	w.WriteByte('\n')
}

// safe reports whether s can be written as an RFC 2849 SAFE-STRING.
func safe(s string) bool {
	if s == "" {
		return true
	}
	switch s[0] {
	case ' ', ':', '<':
		return false
	}
	if s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c == '\n' || c == '\r' || c >= 0x80 {
			return false
		}
	}
	return true
}
