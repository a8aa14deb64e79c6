package scimtest

import (
	"encoding/json"
	"net/http"
	"strconv"
)

func (s *Server) handleList(c *collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		start, errStart := intParam(q.Get("startIndex"), 1)
		count, errCount := intParam(q.Get("count"), s.opts.DefaultPageSize)
		if errStart != nil || errCount != nil {
			writeError(w, errorf(http.StatusBadRequest, "invalidValue", "startIndex and count must be integers"))
			return
		}
		start, count = max(start, 1), min(max(count, 0), s.opts.MaxPageSize)
		pageCap, ignoreStart := s.faults.paging()
		if pageCap > 0 {
			count = min(count, pageCap)
		}
		var f *filter
		gid, uid, memberCheck := s.mode.memberCheck(c, q.Get("filter"))
		if fs := q.Get("filter"); fs != "" && !memberCheck {
			var herr *httpError
			if f, herr = parseFilter(fs); herr == nil {
				herr = s.mode.checkFilter(c, f)
			}
			if herr != nil {
				writeError(w, herr)
				return
			}
		}

		s.mu.Lock()
		selected := c.order
		if memberCheck {
			selected = s.withMember(gid, uid)
		}
		if f != nil {
			var herr *httpError
			if selected, herr = c.selectFiltered(f); herr != nil {
				s.mu.Unlock()
				writeError(w, herr)
				return
			}
		}
		total := len(selected)
		from := start - 1
		cursor, cursorPaged := s.mode.cursorStart(q)
		if ignoreStart || s.mode.cursor {
			from = cursor // AWS IAM Identity Center: startIndex is ignored
		}
		if from >= total && total > 0 && s.faults.repeatsPastEnd() {
			from = 0 // SCIMMY: a page past the end is the first page again
		}
		excluded := q.Get("excludedAttributes")
		if s.mode.emptyMembers && c == s.groups {
			excluded += ",members" // AWS: group reads list no members
		}
		ex := parseExclusion(excluded, c.schema)
		trim := !ex.none()
		var page [][]byte
		var ends [][]int32 // of page's resources, when trimming
		if from < total {
			n := min(total, from+count) - from
			page = make([][]byte, 0, n)
			if trim {
				ends = make([][]int32, 0, n)
			}
			for _, res := range selected[from : from+n] {
				page = append(page, res.json) // never modified in place: safe after Unlock
				if trim {
					ends = append(ends, res.ends)
				}
			}
		}
		s.mu.Unlock()
		if trim {
			page = ex.trimPage(page, ends)
		}
		if pageCap > 0 {
			total = len(page) // the lie: totalResults is the page's size
		}
		if cursorPaged {
			writeCursorList(w, page, from+len(page) < total, from+len(page))
			return
		}
		writeList(w, page, total, start)
	}
}

func intParam(v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	return strconv.Atoi(v)
}

func (s *Server) handleGet(c *collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		res, ok := c.byID[r.PathValue("id")]
		var out []byte
		if ok {
			out = res.json
			if c == s.users && !s.opts.NoUserGroups {
				out = withGroups(out, s.groupsOf(res.id))
			}
			if c == s.groups && s.mode.emptyMembers {
				out = withoutMembers(out)
			}
		}
		s.mu.Unlock()
		if !ok {
			writeError(w, notFound(c, r))
			return
		}
		writeResource(w, http.StatusOK, out)
	}
}

func notFound(c *collection, r *http.Request) *httpError {
	return errorf(http.StatusNotFound, "", "%s %s not found", c.kind, r.PathValue("id"))
}

func (s *Server) handleCreate(c *collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, herr := readObject(r)
		if herr != nil {
			writeError(w, herr)
			return
		}
		id, out, herr := s.create(c, data)
		if herr != nil {
			writeError(w, herr)
			return
		}
		w.Header().Set("Location", c.endpoint+"/"+id)
		writeResource(w, http.StatusCreated, out)
	}
}

// create stores data as a new resource and returns its id and JSON.
func (s *Server) create(c *collection, data map[string]any) (string, []byte, *httpError) {
	delete(data, key(data, "meta"))
	delete(data, key(data, "id"))
	if herr := c.validate(data); herr != nil {
		return "", nil, herr
	}
	if c == s.users {
		if herr := s.mode.onWrite(data, nil); herr != nil {
			return "", nil, herr
		}
	}
	if c == s.groups {
		if herr := s.checkGroupSize(data); herr != nil {
			return "", nil, herr
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if herr := c.conflict("", data); herr != nil {
		return "", nil, herr
	}
	defer s.restoreGroups(c, data)
	now := s.opts.Now()
	res := &resource{id: newID(), data: data, created: now, modified: now, version: 1}
	data["id"] = res.id
	if herr := c.encode(res); herr != nil {
		return "", nil, herr
	}
	c.insert(res)
	return res.id, res.json, nil
}

func (s *Server) handleReplace(c *collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, herr := readObject(r)
		if herr != nil {
			writeError(w, herr)
			return
		}
		delete(data, key(data, "meta"))
		delete(data, key(data, "groups")) // read-only
		delete(data, key(data, "id"))
		if herr := c.validate(data); herr != nil {
			writeError(w, herr)
			return
		}
		s.mu.Lock()
		out, herr := s.store(c, r.PathValue("id"), func(map[string]any) (map[string]any, *httpError) { return data, nil })
		s.mu.Unlock()
		if herr != nil {
			writeError(w, herr)
			return
		}
		writeResource(w, http.StatusOK, out)
	}
}

func (s *Server) handlePatch(c *collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, herr := readObject(r)
		if herr != nil {
			writeError(w, herr)
			return
		}
		ops, herr := parsePatch(body)
		if herr != nil {
			writeError(w, herr)
			return
		}
		if herr := s.mode.checkMemberOps(c, ops); herr != nil {
			writeError(w, herr)
			return
		}
		if limit := s.faults.memberLimit(); limit > 0 && c.kind == "Group" {
			if n := memberChanges(ops); n > limit {
				writeError(w, errorf(http.StatusBadRequest, "invalidValue",
					"too many member changes in one request: %d, the limit is %d", n, limit))
				return
			}
		}
		s.mu.Lock()
		out, herr := s.store(c, r.PathValue("id"), func(old map[string]any) (map[string]any, *httpError) {
			data := deepCopy(old).(map[string]any)
			if herr := applyPatch(data, ops); herr != nil {
				return nil, herr
			}
			if herr := c.validate(data); herr != nil {
				return nil, herr
			}
			return data, nil
		})
		s.mu.Unlock()
		if herr != nil {
			writeError(w, herr)
			return
		}
		writeResource(w, http.StatusOK, out)
	}
}

// store replaces resource id with what change makes of its data and
// returns its new JSON. Call with s.mu held.
func (s *Server) store(c *collection, id string, change func(old map[string]any) (map[string]any, *httpError)) ([]byte, *httpError) {
	res, ok := c.byID[id]
	if !ok {
		return nil, errorf(http.StatusNotFound, "", "%s %s not found", c.kind, id)
	}
	data, herr := change(res.data)
	if herr == nil && c == s.users {
		herr = s.mode.onWrite(data, res.data)
	}
	if herr == nil && c == s.groups {
		herr = s.checkGroupSize(data)
	}
	if herr != nil {
		return nil, herr
	}
	data["id"] = id
	if herr := c.conflict(id, data); herr != nil {
		return nil, herr
	}
	if herr := c.replace(res, data, s.opts.Now()); herr != nil {
		return nil, herr
	}
	return res.json, nil
}

func (s *Server) handleDelete(c *collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		s.mu.Lock()
		var ok bool
		if c == s.users && s.mode.deleteDeactivates {
			ok = s.deactivate(id) // Slack: a delete is a deactivation
		} else {
			if c == s.users {
				s.beforeDelete(id)
			}
			ok = c.remove(id)
		}
		if ok && c == s.users {
			s.dropMember(id)
		}
		s.mu.Unlock()
		if !ok {
			writeError(w, notFound(c, r))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// dropMember removes a deleted user from every group, as real servers do.
func (s *Server) dropMember(userID string) {
	now := s.opts.Now()
	for _, g := range s.groups.order {
		members, _ := get(g.data, "members").([]any)
		kept := make([]any, 0, len(members))
		for _, m := range members {
			if obj, _ := m.(map[string]any); str(get(obj, "value")) != userID {
				kept = append(kept, m)
			}
		}
		if len(kept) == len(members) {
			continue
		}
		data := deepCopy(g.data).(map[string]any)
		data[key(data, "members")] = kept
		_ = s.groups.replace(g, data, now) // fewer members of an encodable group encode
	}
}

// groupsOf returns the "groups" attribute of user id: the groups that list
// it as a member. s.mu must be held.
func (s *Server) groupsOf(id string) []any {
	out := []any{}
	for _, g := range s.groups.order {
		members, _ := get(g.data, "members").([]any)
		for _, m := range members {
			if obj, _ := m.(map[string]any); str(get(obj, "value")) == id {
				out = append(out, map[string]any{"value": g.id, "display": str(get(g.data, "displayName")), "type": "direct"})
				break
			}
		}
	}
	return out
}

// withGroups returns the encoded resource res with its "groups" member
// set, encoded as every body is (encoding/json, keys sorted).
func withGroups(res []byte, groups []any) []byte {
	var m map[string]any
	if err := json.Unmarshal(res, &m); err != nil {
		return res
	}
	m["groups"] = groups
	out, err := json.Marshal(m)
	if err != nil {
		return res
	}
	return out
}
