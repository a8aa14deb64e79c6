package scimtest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// profileState is what the profile modes remember.
type profileState struct {
	mu        sync.Mutex
	locked    map[string]bool     // object paths a write is changing (Slack)
	destroyed []string            // userNames deleted for good (GitHub EMU)
	kept      map[string][]string // lower(userName) -> group ids (Atlassian)
}

// memberCheckRE is AWS's membership filter, in either order.
var memberCheckRE = regexp.MustCompile(`(?i)^\s*(id|members)\s+eq\s+"([^"]*)"\s+and\s+(id|members)\s+eq\s+"([^"]*)"\s*$`)

// memberCheck reads an `id eq "g" and members eq "u"` filter on /Groups
// of a mode that allows it.
func (m *mode) memberCheck(c *collection, fs string) (gid, uid string, ok bool) {
	if c.kind != "Group" || fs == "" {
		return "", "", false
	}
	allowed := m.groupFilters == nil
	for _, f := range m.groupFilters {
		allowed = allowed || f == "id+members"
	}
	sm := memberCheckRE.FindStringSubmatch(fs)
	if !allowed || sm == nil || strings.EqualFold(sm[1], sm[3]) {
		return "", "", false
	}
	if strings.EqualFold(sm[1], "id") {
		return sm[2], sm[4], true
	}
	return sm[4], sm[2], true
}

// withMember returns group gid when it has member uid. s.mu must be held.
func (s *Server) withMember(gid, uid string) []*resource {
	g, ok := s.groups.byID[gid]
	if !ok {
		return nil
	}
	members, _ := get(g.data, "members").([]any)
	for _, m := range members {
		if obj, _ := m.(map[string]any); str(get(obj, "value")) == uid {
			return []*resource{g}
		}
	}
	return nil
}

// cursorStart returns the offset a cursor-paged list starts at, and
// whether the request asked for cursor paging.
func (m *mode) cursorStart(q url.Values) (int, bool) {
	if !m.cursor || !q.Has("cursor") {
		return 0, false
	}
	b, err := base64.RawURLEncoding.DecodeString(q.Get("cursor"))
	n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "offset:"))
	if err != nil || err2 != nil || n < 0 {
		return 0, true
	}
	return n, true
}

// writeCursorList sends a cursor-paged list page (AWS): no totalResults
// nor startIndex, a nextCursor when more follow.
func writeCursorList(w http.ResponseWriter, page [][]byte, more bool, next int) {
	res := make([]json.RawMessage, len(page))
	for i, b := range page {
		res[i] = b
	}
	body := map[string]any{"schemas": []string{schemaList}, "itemsPerPage": len(page), "Resources": res}
	if more {
		body["nextCursor"] = base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(next)))
	}
	writeJSON(w, http.StatusOK, body)
}

// withoutMembers returns the encoded group res without its members.
func withoutMembers(res []byte) []byte {
	var m map[string]any
	if err := json.Unmarshal(res, &m); err != nil {
		return res
	}
	delete(m, key(m, "members"))
	out, err := json.Marshal(m)
	if err != nil {
		return res
	}
	return out
}

// checkMemberOps refuses, on AWS, a PATCH that replaces the members of a
// group or removes all of them.
func (m *mode) checkMemberOps(c *collection, ops []patchOp) *httpError {
	if !m.noReplaceMembers || c.kind != "Group" {
		return nil
	}
	for _, op := range ops {
		obj, _ := op.value.(map[string]any)
		whole := strings.EqualFold(op.path, "members") || (op.path == "" && get(obj, "members") != nil)
		if whole && (op.op == "replace" || op.op == "remove") {
			return errorf(http.StatusBadRequest, "invalidValue", "%s: %s of all members is not supported", m.name, op.op)
		}
	}
	return nil
}

// checkGroupSize refuses a group's data with more than MaxGroupMembers
// members (Slack refuses group updates past 15,000 users).
func (s *Server) checkGroupSize(data map[string]any) *httpError {
	members, _ := get(data, "members").([]any)
	if limit := s.opts.MaxGroupMembers; limit > 0 && len(members) > limit {
		return errorf(http.StatusBadRequest, "invalidValue",
			"a group may have at most %d members; this change leaves it with %d", limit, len(members))
	}
	return nil
}

// deactivate sets user id inactive instead of deleting it (Slack). s.mu
// must be held.
func (s *Server) deactivate(id string) bool {
	res, ok := s.users.byID[id]
	if !ok {
		return false
	}
	data := deepCopy(res.data).(map[string]any)
	delete(data, key(data, "active"))
	data["active"] = false
	return s.users.replace(res, data, s.opts.Now()) == nil
}

// beforeDelete remembers what a deleted user leaves behind: its userName
// for good (GitHub EMU), its groups for a re-create (Atlassian). s.mu
// must be held.
func (s *Server) beforeDelete(id string) {
	res, ok := s.users.byID[id]
	if !ok || (!s.mode.irreversible && !s.mode.keepGroups) {
		return
	}
	name := str(get(res.data, "userName"))
	s.prof.mu.Lock()
	defer s.prof.mu.Unlock()
	if s.mode.irreversible {
		s.prof.destroyed = append(s.prof.destroyed, name)
	}
	if s.mode.keepGroups {
		var ids []string
		for _, g := range s.groupsOf(id) {
			ids = append(ids, str(get(g.(map[string]any), "value")))
		}
		if s.prof.kept == nil {
			s.prof.kept = map[string][]string{}
		}
		s.prof.kept[lower(name)] = ids
	}
}

// restoreGroups gives a user created under a deleted user's userName the
// groups that user had (Atlassian). s.mu must be held.
func (s *Server) restoreGroups(c *collection, data map[string]any) {
	if c != s.users || !s.mode.keepGroups {
		return
	}
	name, id := lower(str(get(data, "userName"))), str(get(data, "id"))
	s.prof.mu.Lock()
	groups := s.prof.kept[name]
	delete(s.prof.kept, name)
	s.prof.mu.Unlock()
	for _, gid := range groups {
		g, ok := s.groups.byID[gid]
		if !ok || id == "" {
			continue
		}
		next := deepCopy(g.data).(map[string]any)
		members, _ := get(next, "members").([]any)
		delete(next, key(next, "members"))
		next["members"] = append(members, map[string]any{"value": id})
		_ = s.groups.replace(g, next, s.opts.Now())
	}
}

// Destroyed returns the userNames deleted on a github-emu server, where a
// delete cannot be undone, in order.
func (s *Server) Destroyed() []string {
	s.prof.mu.Lock()
	defer s.prof.mu.Unlock()
	return append([]string(nil), s.prof.destroyed...)
}

// lockObject takes the write lock of the object a write request changes
// (Slack): a write to an object another write holds is answered 429. The
// returned func releases it.
func (s *Server) lockObject(r *http.Request) (func(), *httpError) {
	path := r.URL.Path
	if !s.mode.writeLock || !isWrite(r.Method) || strings.Count(strings.Trim(path, "/"), "/") != 1 {
		return func() {}, nil
	}
	if !s.tryLock(path) {
		s.faults.mu.Lock()
		s.faults.throttled++
		s.faults.mu.Unlock()
		return nil, errorf(http.StatusTooManyRequests, "", "%s: another write to %s is in progress", s.mode.name, path)
	}
	return func() { s.unlock(path) }, nil
}

func (s *Server) tryLock(path string) bool {
	s.prof.mu.Lock()
	defer s.prof.mu.Unlock()
	if s.prof.locked[path] {
		return false
	}
	if s.prof.locked == nil {
		s.prof.locked = map[string]bool{}
	}
	s.prof.locked[path] = true
	return true
}

func (s *Server) unlock(path string) {
	s.prof.mu.Lock()
	delete(s.prof.locked, path)
	s.prof.mu.Unlock()
}

// HoldWrite takes the write lock of an object ("/Users/{id}") as a write
// in progress would, on a server whose profile has write locks (slack),
// until the returned func is called. false when it is held already.
func (s *Server) HoldWrite(path string) (release func(), ok bool) {
	if !s.tryLock(path) {
		return nil, false
	}
	return func() { s.unlock(path) }, true
}
