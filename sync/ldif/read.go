package ldif

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/idsync/idsync/mapping"
)

// Read calls fn once for each person in the file (an entry with one of
// the user classes, under BaseDN when set), in file order, with Groups
// resolved from the groups in the same file, including nested groups and
// memberOf values. Each entry is the caller's: nothing else refers to it.
//
// The file is read twice, groups first, so memory holds the group index
// and one entry, never every person. Any problem (unreadable file, parse
// error, a value that is not UTF-8, a person without the ID attribute, ctx
// cancelled) returns an error naming the file and line; an error fn
// returns is returned as it is.
func (s *Source) Read(ctx context.Context, fn func(mapping.Entry) error) error {
	groups := mapping.NewGroups()
	lower := make(map[string]string)
	err := s.pass(ctx, func(r *Record) error {
		if !s.in(r) || !hasClass(r, s.groups) {
			return nil
		}
		var members []string
		for _, a := range s.members {
			members = append(members, r.Get(a)...)
		}
		name := ""
		if cn := r.Get("cn"); len(cn) > 0 {
			name = cn[0]
		}
		var typ mapping.GroupType
		if gt := r.Get("groupType"); len(gt) > 0 {
			typ, _ = mapping.ParseGroupType(gt[0]) // an export from AD: group.scope and group.kind
		}
		groups.AddTyped(r.DN, name, typ, members)
		return nil
	})
	if err != nil {
		return err
	}
	var fnErr error
	err = s.pass(ctx, func(r *Record) error {
		if !s.in(r) || hasClass(r, s.groups) || !hasClass(r, s.users) {
			return nil
		}
		e, err := s.entry(r, lower)
		if err != nil {
			return &ParseError{Line: r.Line, Err: err}
		}
		e.Groups = groups.Of(e.DN, e.Attrs.Get("memberof"))
		if err := fn(e); err != nil {
			fnErr = err
			return err
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

// pass parses the whole file once, calling fn for each record.
func (s *Source) pass(ctx context.Context, fn func(*Record) error) error {
	f, err := os.Open(s.cfg.Path)
	if err != nil {
		return fmt.Errorf("ldif: %w", err)
	}
	defer f.Close()
	err = Parse(f, func(r Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(&r)
	})
	if err == nil {
		err = ctx.Err()
	}
	var pe *ParseError
	switch {
	case err == nil:
	case errors.As(err, &pe) && pe.File == "":
		pe.File = s.cfg.Path
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return fmt.Errorf("ldif: %s: %w", s.cfg.Path, err)
	}
	return err
}

// in reports whether r is at or under BaseDN.
func (s *Source) in(r *Record) bool {
	if s.base == "" {
		return true
	}
	dn := mapping.NormalizeDN(r.DN)
	return dn == s.base || strings.HasSuffix(dn, ","+s.base)
}

func hasClass(r *Record, classes []string) bool {
	for _, oc := range r.Get("objectClass") {
		for _, c := range classes {
			if strings.EqualFold(oc, c) {
				return true
			}
		}
	}
	return false
}

// entry converts a person record; Groups is left to the caller. lower
// caches lower-cased attribute names.
func (s *Source) entry(r *Record, lower map[string]string) (mapping.Entry, error) {
	e := mapping.Entry{DN: r.DN, Attrs: make(mapping.Attrs, 0, len(r.Attrs))}
	for _, a := range r.Attrs {
		l, ok := lower[a.Name]
		if !ok {
			l = strings.ToLower(a.Name)
			lower[a.Name] = l
		}
		e.Attrs.Add(l, a.Values...)
	}
	idKey := strings.ToLower(s.cfg.IDAttribute)
	ids := e.Attrs.Get(idKey)
	if len(ids) == 0 || ids[0] == "" {
		return e, fmt.Errorf("entry %q has no %s", r.DN, s.cfg.IDAttribute)
	}
	e.ID = ids[0]
	if s.guid {
		g, err := formatGUID([]byte(ids[0]))
		if err != nil {
			return e, fmt.Errorf("entry %q: %s: %w", r.DN, s.cfg.IDAttribute, err)
		}
		e.ID = g
		e.Attrs.Set(idKey, []string{g})
	}
	return e, nil
}

// formatGUID formats a 16-byte objectGUID as its canonical string. The first
// three fields are little-endian (MS-DTYP 2.3.4). The same function lives in
// sync/ldapsource; it is copied, not imported, to keep this package free of
// the LDAP client.
func formatGUID(b []byte) (string, error) {
	if len(b) != 16 {
		return "", fmt.Errorf("GUID must be 16 bytes, got %d", len(b))
	}
	return fmt.Sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6],
		b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]), nil
}
