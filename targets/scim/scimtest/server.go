// Package scimtest is an in-memory SCIM 2.0 server for tests, the demo and
// scale runs: /Users and /Groups with filters, paging, excludedAttributes
// (top-level attributes, on lists), PATCH (including the Entra and AWS
// dialects), PUT and DELETE, indexed so that 100k users stay
// fast, plus fault injection (429 storms, 5xx, latency, vendor limits) and
// request counters. It shares no code with the client in targets/scim, so
// the two cannot share a misunderstanding.
//
// It also starts SCIMMY, a third-party SCIM server, for integration tests
// (StartSCIMMY).
package scimtest

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Schema and message URNs.
const (
	SchemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	schemaPatchOp    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	schemaList       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	schemaError      = "urn:ietf:params:scim:api:messages:2.0:Error"
	mediaType        = "application/scim+json"
	maxRequestBody   = 16 << 20
)

// Options configures a Server.
type Options struct {
	// Token is the bearer token every request must carry. Required.
	Token string
	// DefaultPageSize is the page size when a list gives no count (default 100).
	DefaultPageSize int
	// MaxPageSize caps count (default 1000).
	MaxPageSize int
	// RepeatPastEnd answers a startIndex past the end with the first page
	// again, as SCIMMY does, instead of an empty page.
	RepeatPastEnd bool
	// MaxMembersPerPatch rejects a PATCH with more member changes with 400,
	// like AWS (0 = no limit). Also settable later with MaxMembersPerPatch.
	MaxMembersPerPatch int
	// MaxGroupMembers refuses, with 400, a create or update that leaves a
	// group with more members, like Slack past 15,000 (0 = no limit; the
	// slack profile's default is 15,000).
	MaxGroupMembers int
	// Now replaces time.Now for meta timestamps.
	Now func() time.Time
	// NoUserGroups leaves out the read-only "groups" attribute of a user
	// read by ID, like servers that do not report memberships on users.
	// By default a user read by ID lists the groups that have it as a
	// member (list pages never do).
	NoUserGroups bool
	// Profile imitates a SaaS application's SCIM (see Profiles): its page
	// size clamp, paging, filters, userName rewriting, write locks,
	// member-change limits, deletes and reactivation. Options set
	// explicitly (MaxPageSize, MaxMembersPerPatch) win.
	Profile string
}

// Server is an in-memory SCIM 2.0 service provider. It implements
// http.Handler for the paths below the SCIM base URL (/Users, /Groups, ...);
// mount it with http.StripPrefix. It is safe for concurrent use.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	mu     sync.Mutex // guards users and groups
	users  *collection
	groups *collection
	faults faults
	mode   mode
	prof   profileState
}

// NewServer returns an empty server.
//
// It panics on an unknown Options.Profile (a mistake in the test).
func NewServer(opts Options) *Server {
	m, err := modeFor(opts.Profile)
	if err != nil {
		panic(err)
	}
	if opts.MaxPageSize <= 0 {
		opts.MaxPageSize = m.maxPage
	}
	if opts.MaxMembersPerPatch <= 0 {
		opts.MaxMembersPerPatch = m.memberCap
	}
	if opts.MaxGroupMembers <= 0 {
		opts.MaxGroupMembers = m.maxGroupMembers
	}
	opts.NoUserGroups = opts.NoUserGroups || m.emptyMembers
	if opts.DefaultPageSize <= 0 {
		opts.DefaultPageSize = 100
	}
	if opts.MaxPageSize <= 0 {
		opts.MaxPageSize = 1000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		mode:   m,
		opts:   opts,
		mux:    http.NewServeMux(),
		users:  newCollection("User", SchemaUser, "/Users", "userName"),
		groups: newCollection("Group", SchemaGroup, "/Groups", "displayName"),
	}
	s.faults.repeatPastEnd = opts.RepeatPastEnd
	s.faults.maxMembers = opts.MaxMembersPerPatch
	for _, c := range []*collection{s.users, s.groups} {
		s.mux.HandleFunc("GET "+c.endpoint, s.handleList(c))
		s.mux.HandleFunc("POST "+c.endpoint, s.handleCreate(c))
		s.mux.HandleFunc("GET "+c.endpoint+"/{id}", s.handleGet(c))
		s.mux.HandleFunc("PUT "+c.endpoint+"/{id}", s.handleReplace(c))
		s.mux.HandleFunc("PATCH "+c.endpoint+"/{id}", s.handlePatch(c))
		s.mux.HandleFunc("DELETE "+c.endpoint+"/{id}", s.handleDelete(c))
	}
	s.mux.HandleFunc("GET /ServiceProviderConfig", s.handleServiceProviderConfig)
	s.mux.HandleFunc("GET /Schemas", s.handleSchemas)
	s.mux.HandleFunc("GET /ResourceTypes", s.handleResourceTypes)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, "", "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	return s
}

// ServeHTTP checks the bearer token, applies the injected faults and
// dispatches the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.faults.count(r.Method)
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scimtest"`)
		writeError(w, errorf(http.StatusUnauthorized, "", "invalid bearer token"))
		return
	}
	if fail := s.faults.before(r.Method); fail != nil {
		if fail.retryAfter != "" {
			w.Header().Set("Retry-After", fail.retryAfter)
		}
		writeError(w, fail.err)
		return
	}
	if herr := s.faults.refusal(r.Method, r.URL.Path); herr != nil {
		writeError(w, herr)
		return
	}
	release, herr := s.lockObject(r)
	if herr != nil {
		w.Header().Set("Retry-After", "0")
		writeError(w, herr)
		return
	}
	defer release()
	rec := &statusRecorder{ResponseWriter: w}
	s.mux.ServeHTTP(rec, r)
	if isWrite(r.Method) && rec.status >= 200 && rec.status < 300 {
		s.faults.wrote()
	}
}

func (s *Server) authorized(r *http.Request) bool {
	got := r.Header.Get("Authorization")
	want := "Bearer " + s.opts.Token
	return s.opts.Token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// httpError is a SCIM error response (RFC 7644 §3.12).
type httpError struct {
	status   int
	scimType string
	detail   string
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s", e.status, e.detail) }

func errorf(status int, scimType, format string, args ...any) *httpError {
	return &httpError{status: status, scimType: scimType, detail: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, e *httpError) {
	body := map[string]any{"schemas": []string{schemaError}, "status": fmt.Sprint(e.status), "detail": e.detail}
	if e.scimType != "" {
		body["scimType"] = e.scimType
	}
	writeJSON(w, e.status, body)
}

// writeResource sends one resource's stored JSON as writeJSON would.
func writeResource(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	_, _ = w.Write(newline)
}

var (
	newline   = []byte("\n")
	comma     = []byte(",")
	listStart = []byte(`{"Resources":[`)
)

// writeList sends a ListResponse of stored resource JSON: the bytes
// writeJSON(listResponse(...)) gives, concatenated rather than encoded.
func writeList(w http.ResponseWriter, page [][]byte, total, start int) {
	tail := `],"itemsPerPage":` + strconv.Itoa(len(page)) + `,"schemas":["` + schemaList + `"],"startIndex":` +
		strconv.Itoa(start) + `,"totalResults":` + strconv.Itoa(total) + "}\n"
	size := len(listStart) + len(tail) + max(0, len(page)-1)
	for _, b := range page {
		size += len(b)
	}
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Content-Length", strconv.Itoa(size))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(listStart)
	for i, b := range page {
		if i > 0 {
			_, _ = w.Write(comma)
		}
		_, _ = w.Write(b)
	}
	_, _ = io.WriteString(w, tail)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", mediaType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readObject decodes a JSON object request body, numbers as json.Number.
func readObject(r *http.Request) (map[string]any, *httpError) {
	d := json.NewDecoder(io.LimitReader(r.Body, maxRequestBody))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "request body is not a JSON object")
	}
	return m, nil
}

func (s *Server) handleServiceProviderConfig(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":               []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"patch":                 map[string]any{"supported": true},
		"bulk":                  map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":                map[string]any{"supported": true, "maxResults": s.opts.MaxPageSize},
		"changePassword":        map[string]any{"supported": false},
		"sort":                  map[string]any{"supported": false},
		"etag":                  map[string]any{"supported": false},
		"authenticationSchemes": []any{map[string]any{"type": "oauthbearertoken", "name": "OAuth Bearer Token", "description": "Authorization: Bearer <token>"}},
	})
}

func (s *Server) handleSchemas(w http.ResponseWriter, _ *http.Request) {
	var list []any
	for _, sc := range []struct{ id, name string }{{SchemaUser, "User"}, {SchemaGroup, "Group"}, {SchemaEnterprise, "EnterpriseUser"}} {
		list = append(list, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Schema"}, "id": sc.id, "name": sc.name})
	}
	writeJSON(w, http.StatusOK, listResponse(list, len(list), 1))
}

func (s *Server) handleResourceTypes(w http.ResponseWriter, _ *http.Request) {
	rt := "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	list := []any{
		map[string]any{"schemas": []string{rt}, "id": "User", "name": "User", "endpoint": "/Users", "schema": SchemaUser,
			"schemaExtensions": []any{map[string]any{"schema": SchemaEnterprise, "required": false}}},
		map[string]any{"schemas": []string{rt}, "id": "Group", "name": "Group", "endpoint": "/Groups", "schema": SchemaGroup},
	}
	writeJSON(w, http.StatusOK, listResponse(list, len(list), 1))
}

func listResponse(resources []any, total, start int) map[string]any {
	if resources == nil {
		resources = []any{}
	}
	return map[string]any{
		"schemas": []string{schemaList}, "totalResults": total, "startIndex": start,
		"itemsPerPage": len(resources), "Resources": resources,
	}
}

// lower is strings.ToLower, named for the case-insensitive indexes.
func lower(s string) string { return strings.ToLower(s) }
