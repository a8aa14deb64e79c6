// Package secret holds credentials so that they cannot leak by accident:
// a Secret prints as "[redacted]" in every format, log field and JSON
// document, and a Ref says where to load one from (a file or an environment
// variable; never the configuration file itself).
package secret

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

const redacted = "[redacted]"

// Secret is a credential. Its zero value is the empty secret.
//
// The value sits behind a pointer so that even a Secret in an unexported
// struct field, which fmt prints without calling its methods, shows as an
// address and never as the credential.
type Secret struct{ p *string }

// New wraps s.
func New(s string) Secret { return Secret{p: &s} }

// Reveal returns the credential itself. Call it only where the value is sent
// to the server that needs it.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

// String returns "[redacted]".
func (s Secret) String() string { return redacted }

// GoString returns "[redacted]", also for %#v.
func (s Secret) GoString() string { return redacted }

// Format prints "[redacted]" for every verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON encodes the secret as "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText encodes the secret as "[redacted]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Ref says where a secret comes from. Exactly one field is set.
type Ref struct {
	// File is a path whose contents (trailing newlines removed) are the secret.
	File string `toml:"file"`
	// Env is the name of an environment variable that holds the secret.
	Env string `toml:"env"`
}

// IsZero reports whether no source is configured.
func (r Ref) IsZero() bool { return r.File == "" && r.Env == "" }

// Validate checks that exactly one source is set. It does not read it.
func (r Ref) Validate() error {
	switch {
	case r.File != "" && r.Env != "":
		return errors.New("set either file or env, not both")
	case r.IsZero():
		return errors.New("set file or env")
	}
	return nil
}

// Load reads the secret. An unreadable file, an unset variable or an empty
// value is an error that names the file or variable, never the value.
func (r Ref) Load() (Secret, error) {
	if err := r.Validate(); err != nil {
		return Secret{}, err
	}
	if r.File != "" {
		b, err := os.ReadFile(r.File)
		if err != nil {
			return Secret{}, fmt.Errorf("read secret file: %w", err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return Secret{}, fmt.Errorf("secret file %s is empty", r.File)
		}
		return New(v), nil
	}
	v, ok := os.LookupEnv(r.Env)
	if !ok || v == "" {
		return Secret{}, fmt.Errorf("environment variable %s is not set or empty", r.Env)
	}
	return New(v), nil
}

// UnmarshalTOML decodes { file = "..." } or { env = "..." }. A plain string
// is refused without repeating it: secrets are not written in the
// configuration file.
func (r *Ref) UnmarshalTOML(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return errors.New(`must be { file = "/path" } or { env = "VARIABLE" }: secrets are not written in the configuration`)
	}
	var errs []error
	for k, x := range m {
		s, isString := x.(string)
		switch {
		case k != "file" && k != "env":
			errs = append(errs, fmt.Errorf("unknown key %q (use file or env)", k))
		case !isString:
			errs = append(errs, fmt.Errorf("%s must be a string", k))
		case k == "file":
			r.File = s
		default:
			r.Env = s
		}
	}
	return errors.Join(errs...)
}
