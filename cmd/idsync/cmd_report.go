package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/idsync/idsync/state"
)

// accessColumns are the columns of report access --format csv, in order.
var accessColumns = []string{"target", "user_name", "source_id", "account_id", "active", "account_since", "account_record",
	"account_reasons", "role", "role_since", "role_record", "role_reason", "unconfirmed"}

// accessJSON is one row of report access --format json (one per line).
type accessJSON struct {
	Target        string   `json:"target"`
	UserName      string   `json:"user_name"`
	SourceID      string   `json:"source_id"`
	AccountID     string   `json:"account_id"`
	Active        bool     `json:"active"`
	AccountSince  string   `json:"account_since"`
	AccountRecord int64    `json:"account_record"`
	AccountWhy    []string `json:"account_reasons,omitempty"`
	LastChange    int64    `json:"last_change_record,omitempty"`
	LastChangeWhy []string `json:"last_change_reasons,omitempty"`
	Role          string   `json:"role,omitempty"`
	RoleSince     string   `json:"role_since,omitempty"`
	RoleRecord    int64    `json:"role_record,omitempty"`
	RoleReason    string   `json:"role_reason,omitempty"`
	Unconfirmed   bool     `json:"unconfirmed,omitempty"`
}

// accessFormats writes report access rows.
var accessFormats = rowFormats[state.AccessRow]{
	json: func(r state.AccessRow) any {
		j := accessJSON{Target: r.Target, UserName: r.UserName, SourceID: r.SourceID, AccountID: r.TargetID, Active: r.Active,
			AccountSince: stampMS(r.Since), AccountRecord: r.Grant, AccountWhy: r.GrantReasons, Role: r.Role,
			RoleSince: stampMS(r.RoleSince), RoleRecord: r.RoleGrant, RoleReason: r.RoleReason, Unconfirmed: r.Unconfirmed}
		if r.Change != r.Grant {
			j.LastChange, j.LastChangeWhy = r.Change, r.ChangeReasons
		}
		return j
	},
	columns: accessColumns,
	csv: func(r state.AccessRow) []string {
		return []string{r.Target, r.UserName, r.SourceID, r.TargetID, strconv.FormatBool(r.Active), stampMS(r.Since),
			strconv.FormatInt(r.Grant, 10), strings.Join(r.GrantReasons, "; "), r.Role, stampMS(r.RoleSince), record(r.RoleGrant),
			r.RoleReason, strconv.FormatBool(r.Unconfirmed)}
	},
	header: "TARGET\tUSER\tACCOUNT\tSTATE\tSINCE\tROLE\tROLE SINCE\tWHY",
	text: func(r state.AccessRow) string {
		st := "active"
		if !r.Active {
			st = "disabled"
		}
		if r.Unconfirmed {
			st += " (unconfirmed)"
		}
		why := fmt.Sprintf("account: record %d", r.Grant)
		if len(r.GrantReasons) > 0 {
			why += " (" + strings.Join(r.GrantReasons, "; ") + ")"
		}
		role := "-"
		if r.Role != "" {
			role = r.Role
			why = fmt.Sprintf("role: record %d (%s); %s", r.RoleGrant, r.RoleReason, why)
		}
		return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", r.Target, text(r.UserName), text(r.TargetID), st, stamp(r.Since),
			text(role), stamp(r.RoleSince), text(why))
	},
}

func record(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// cmdReportAccess prints who held which account and roles at a date,
// rebuilt from the verified audit.
func cmdReportAccess(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report access", stderr)
	var c common
	c.register(fs)
	at := fs.String("at", "", "the moment, `DATE` (2006-01-02 means its midnight UTC, or RFC 3339; required)")
	role := fs.String("role", "", "only the holders of this `ROLE`")
	person := fs.String("person", "", "only this `PERSON` (userName, source ID or account ID)")
	format := fs.String("format", "text", "text, json (one object per line) or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	when, err := parseDate("--at", *at)
	if err != nil {
		return err
	}
	if _, err := accessFormats.writer(*format, io.Discard); err != nil {
		return err
	}
	s, err := openSession(ctx, c, stderr, false)
	if err != nil {
		return err
	}
	defer s.store.Close()
	rows, res, skipped, err := s.store.AccessAt(ctx, state.AccessQuery{At: when, Target: c.target, Role: *role, Person: *person})
	if err != nil {
		return fmt.Errorf("report access: %w", err)
	}
	note := stderr // the provenance: on the page of a text report, beside a data file
	if *format == "text" {
		note = stdout
	}
	if res.From > 0 {
		fmt.Fprintf(note, "Access at %s, rebuilt from the checkpoint of the audit records up to %d and %d records after it; what it read verified (head %s).\n",
			stamp(when), res.From, res.Records, res.Head)
	} else {
		fmt.Fprintf(note, "Access at %s, rebuilt from %d audit records; the audit chain verified (head %s).\n", stamp(when), res.Records, res.Head)
	}
	if skipped > 0 {
		fmt.Fprintf(note, "%d redacted records could not be replayed: the people they name are left out.\n", skipped)
	}
	w, err := accessFormats.writer(*format, stdout)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := w.row(r); err != nil {
			return err
		}
	}
	return w.flush()
}
