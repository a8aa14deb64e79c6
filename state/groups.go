package state

import (
	"context"
	"database/sql"
	"fmt"
)

// GroupIDs returns target's role -> group ID map (empty, not nil, when none).
func (s *Store) GroupIDs(ctx context.Context, target string) (map[string]string, error) {
	if err := needTarget("group ids", target); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT role, group_id FROM groups WHERE target = ?`, target)
	if err != nil {
		return nil, fmt.Errorf("state: group ids of %s: %w", target, err)
	}
	defer rows.Close()
	m := make(map[string]string)
	for rows.Next() {
		var role, id string
		if err := rows.Scan(&role, &id); err != nil {
			return nil, fmt.Errorf("state: group ids of %s: %w", target, err)
		}
		m[role] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: group ids of %s: %w", target, err)
	}
	return m, nil
}

// SetGroupID records that role is the group groupID in target, or forgets
// the role's group when groupID is empty, and inserts audit in the same
// transaction (or completes the pending row audit.ID, see Begin). An empty audit.Target means target; audit.Kind and
// audit.Action are required (for example "group", "create-group").
func (s *Store) SetGroupID(ctx context.Context, target, role, groupID string, audit Audit) error {
	what := fmt.Sprintf("set group id of role %q", role)
	if err := needTarget(what, target); err != nil {
		return err
	}
	if role == "" {
		return fmt.Errorf("state: %s: empty role", what)
	}
	if audit.Target == "" {
		audit.Target = target
	}
	if audit.Target != target {
		return fmt.Errorf("state: %s: audit target %q differs from %q", what, audit.Target, target)
	}
	if err := audit.check(); err != nil {
		return fmt.Errorf("state: %s: %w", what, err)
	}
	return s.write(ctx, what, func(tx *sql.Tx) error {
		if err := s.putAudit(ctx, tx, audit); err != nil {
			return err
		}
		var err error
		if groupID == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM groups WHERE target = ? AND role = ?`, target, role)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO groups (target, role, group_id, updated) VALUES (?,?,?,?)
				ON CONFLICT (target, role) DO UPDATE SET group_id = excluded.group_id, updated = excluded.updated`,
				target, role, groupID, ms(audit.Time))
		}
		return err
	})
}
