package mapping

import (
	"fmt"
	"strings"
	"time"
)

// dates compiles the start_date and end_date rules.
func (c *compiler) dates(m *Mapper, cfg Config) {
	if strings.TrimSpace(cfg.StartDate) != "" {
		m.start = c.compile(m, "start_date", cfg.StartDate, c.personOpts, wantString)
	}
	if strings.TrimSpace(cfg.EndDate) != "" {
		m.end = c.compile(m, "end_date", cfg.EndDate, c.personOpts, wantString)
	}
}

// evalDates sets p's start and end dates and disables p before the start
// and from the end on, as of the run's time.
func (m *Mapper) evalDates(st *state, p *Person) error {
	var err error
	if m.start != nil {
		if p.StartDate, err = m.evalDate(st, m.start); err != nil {
			return err
		}
	}
	if m.end != nil {
		if p.EndDate, err = m.evalDate(st, m.end); err != nil {
			return err
		}
	}
	now := st.env.Now
	if !p.StartDate.IsZero() && now.Before(p.StartDate) || !p.EndDate.IsZero() && !now.Before(p.EndDate) {
		p.Disabled = true
	}
	return nil
}

func (m *Mapper) evalDate(st *state, r *rule) (time.Time, error) {
	s, err := m.evalString(st, r)
	if err != nil {
		return time.Time{}, err
	}
	t, err := ParseDate(s)
	if err != nil {
		return time.Time{}, &RuleError{Key: r.key, Err: err}
	}
	return t, nil
}

// ParseDate reads a date as the start_date and end_date rules give it:
// "" (none), YYYY-MM-DD (midnight UTC), RFC 3339, or an LDAP
// GeneralizedTime ("20260301000000Z").
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := generalizedTime(s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD, RFC 3339 or GeneralizedTime)", s)
}
