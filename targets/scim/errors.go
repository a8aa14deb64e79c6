package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

var (
	// ErrUnauthorized means the target refused the bearer token (401 or
	// 403). It is not a per-object rejection: the run must stop.
	ErrUnauthorized = errors.New("the target refused the bearer token")
	// ErrUnknownOutcome means a request that is not safe to repeat (a POST)
	// got no answer: it may or may not have taken effect. The engine finds
	// out by correlating on its next pass; the client never re-sends it.
	ErrUnknownOutcome = errors.New("no response; the request may or may not have taken effect")
)

// maxDetail is how much of a SCIM error detail goes into an error message.
const maxDetail = 200

// StatusError is an HTTP response the client does not count as success.
// It wraps the class that applies: targets.ErrNotFound, ErrConflict,
// ErrRejected, ErrUnauthorized, or a plain "giving up" error after retries.
type StatusError struct {
	Method string // HTTP method
	Path   string // path below the base URL, without the query
	Status int    // HTTP status code
	// Detail is the SCIM error detail (or the start of a non-SCIM body),
	// truncated and with the bearer token removed.
	Detail string
	// ScimType is the SCIM error type ("uniqueness", "tooMany", ...), if any.
	ScimType string
	// Err is the error class.
	Err error
}

// Error formats as "scim: POST /Users: 400 Bad Request: <detail>: <class>".
func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scim: %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the error class.
func (e *StatusError) Unwrap() error { return e.Err }

// scimError is the body of a SCIM error response (RFC 7644 §3.12). status
// is a string by the RFC but some servers send a number.
type scimError struct {
	Detail   string          `json:"detail"`
	ScimType string          `json:"scimType"`
	Status   json.RawMessage `json:"status"`
}

// errorDetail extracts a one-line, truncated detail from an error body,
// with every occurrence of the token removed.
func errorDetail(body []byte, token string) (detail, scimType string) {
	var se scimError
	if json.Unmarshal(body, &se) == nil && (se.Detail != "" || se.ScimType != "") {
		detail, scimType = se.Detail, se.ScimType
	} else if !json.Valid(body) {
		detail = string(body)
	}
	return sanitize(detail, token), sanitize(scimType, token)
}

// sanitize removes the token, folds whitespace and truncates s.
func sanitize(s, token string) string {
	if token != "" {
		s = strings.ReplaceAll(s, token, "[redacted]")
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxDetail {
		cut := maxDetail
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
