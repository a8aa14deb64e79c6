package ldif

import (
	"errors"
	"fmt"
	"strings"

	"github.com/idsync/idsync/mapping"
)

// Config is the [source.ldif] section: read people and groups from an LDIF
// export instead of a live directory.
type Config struct {
	// Path of the LDIF file. Required.
	Path string `toml:"path"`
	// IDAttribute holds each person's stable identifier; default entryUUID.
	// objectGUID values (16 bytes, base64 in the file) become GUID strings.
	IDAttribute string `toml:"id_attribute"`
	// UserClasses: an entry with one of these objectClasses is a person;
	// default inetOrgPerson, person, user.
	UserClasses []string `toml:"user_classes"`
	// GroupClasses: an entry with one of these objectClasses is a group;
	// default groupOfNames, groupOfUniqueNames, group.
	GroupClasses []string `toml:"group_classes"`
	// MemberAttributes list a group's members; default member, uniqueMember.
	MemberAttributes []string `toml:"member_attributes"`
	// BaseDN, when set, keeps only entries at or under it.
	BaseDN string `toml:"base_dn"`
}

func (c Config) withDefaults() Config {
	if c.IDAttribute == "" {
		c.IDAttribute = "entryUUID"
	}
	if len(c.UserClasses) == 0 {
		c.UserClasses = []string{"inetOrgPerson", "person", "user"}
	}
	if len(c.GroupClasses) == 0 {
		c.GroupClasses = []string{"groupOfNames", "groupOfUniqueNames", "group"}
	}
	if len(c.MemberAttributes) == 0 {
		c.MemberAttributes = []string{"member", "uniqueMember"}
	}
	return c
}

// Validate reports every problem in c at once, each message starting with
// the key it is about ("path: required"). It does not open the file.
func (c *Config) Validate() error {
	d := c.withDefaults()
	var errs []error
	if d.Path == "" {
		errs = append(errs, errors.New("path: required"))
	}
	if err := checkName(d.IDAttribute); err != nil {
		errs = append(errs, fmt.Errorf("id_attribute: %w", err))
	}
	lists := []struct {
		key   string
		names []string
	}{
		{"user_classes", d.UserClasses},
		{"group_classes", d.GroupClasses},
		{"member_attributes", d.MemberAttributes},
	}
	for _, l := range lists {
		for _, n := range l.names {
			if err := checkName(n); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", l.key, err))
			}
		}
	}
	if d.BaseDN != "" && !strings.Contains(d.BaseDN, "=") {
		errs = append(errs, fmt.Errorf("base_dn: %q is not a DN", d.BaseDN))
	}
	return errors.Join(errs...)
}

// Source reads an LDIF file. It holds no open file between reads, so the
// file may be replaced between runs.
type Source struct {
	cfg     Config
	base    string // normalised BaseDN, "" for all
	users   []string
	groups  []string
	members []string
	guid    bool
}

// New returns a Source for cfg after validating it.
func New(cfg Config) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Source{
		cfg:     cfg,
		users:   cfg.UserClasses,
		groups:  cfg.GroupClasses,
		members: cfg.MemberAttributes,
		guid:    strings.EqualFold(cfg.IDAttribute, "objectGUID"),
	}
	if cfg.BaseDN != "" {
		s.base = mapping.NormalizeDN(cfg.BaseDN)
	}
	return s, nil
}
