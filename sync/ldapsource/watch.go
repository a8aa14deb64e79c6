package ldapsource

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"
	"github.com/sirupsen/logrus"
)

// Event is one batch of directory changes reported by Watcher.Watch. Its
// fields are exactly those of sync.WatchEvent (this package does not import
// sync), so sync.WatchEvent(e) converts it; the field comments there are
// the contract.
type Event struct {
	// Changed are the entryUUIDs of people added, modified, renamed or
	// moved, or come into the watched scope.
	Changed []string
	// Deleted are the entryUUIDs of entries (people or groups) deleted or
	// gone out of the watched scope.
	Deleted []string
	// Groups are the DNs of groups added, modified or renamed.
	Groups []string
	// Full asks for a full reconciliation.
	Full bool
	// Cookie is the resume point to save once the event is handled; nil
	// when it does not move.
	Cookie []byte
	// Tombstones says Deleted are deletions (the AD watcher's tombstones).
	Tombstones bool
}

// Watcher follows an OpenLDAP directory with syncrepl (RFC 4533,
// refreshAndPersist; the server needs the syncprov overlay) over the
// people and groups of a Config. It implements sync.Watcher through
// sync.WatcherFunc (see Event).
type Watcher struct {
	src     *Source
	log     logrus.FieldLogger
	base    string
	filter  string
	groupOC map[string]bool
	opts    watchOptions
}

// WatchOption configures a Watcher.
type WatchOption func(*watchOptions)

type watchOptions struct {
	backoff    Backoff
	maxPending int
	state      func(connected bool, err error)
}

// WithStateFunc has Watch tell f when it has connected (and bound) to the
// server, and when the connection was lost and a reconnection is to come
// (with the error). f must return quickly.
func WithStateFunc(f func(connected bool, err error)) WatchOption {
	return func(o *watchOptions) { o.state = f }
}

// WithBackoff replaces the wait before each reconnection (default
// DefaultBackoff).
func WithBackoff(b Backoff) WatchOption { return func(o *watchOptions) { o.backoff = b } }

// WithMaxPending bounds the IDs one event carries (default
// DefaultMaxPending): a refresh that finds more changes than that (after a
// long disconnection) yields one event with Full set instead of a list.
func WithMaxPending(n int) WatchOption { return func(o *watchOptions) { o.maxPending = n } }

// DefaultMaxPending is WithMaxPending's default.
const DefaultMaxPending = 10000

// groupClasses are the object classes that make an entry a group.
var groupClasses = []string{"groupOfNames", "groupOfUniqueNames", "group", "groupOfURLs", "posixGroup"}

// NewWatcher validates cfg like New. syncrepl names entries by entryUUID,
// so id_attribute must be entryUUID. The watched search is one subtree
// search under the common suffix of users.base_dn and groups.base_dn for
// (|users.filter groups.filter); an entry is a group when it has one of
// the object classes groupOfNames, groupOfUniqueNames, group, groupOfURLs
// or posixGroup. The search may report people outside users.base_dn's
// scope (users.scope one, or elsewhere under the common suffix): reading
// them again finds them out of scope.
//
// The server needs the syncprov overlay, and bind_dn needs no size limit
// (the first refresh reads every entry in scope). Without a syncprov
// session log (syncprov-sessionlog, or syncprov-sessionlog-source with
// accesslog to survive a restart of slapd), every reconnection with a
// cookie that is behind yields a full reconciliation.
func NewWatcher(cfg Config, log logrus.FieldLogger, opts ...WatchOption) (*Watcher, error) {
	src, err := New(cfg, log)
	if err != nil {
		return nil, err
	}
	c := src.cfg
	if !c.isAD() && !strings.EqualFold(c.IDAttribute, "entryUUID") {
		return nil, fmt.Errorf("ldap: watch: id_attribute must be entryUUID for syncrepl, got %q", c.IDAttribute)
	}
	w := &Watcher{src: src, log: log, base: c.Users.BaseDN, filter: c.Users.Filter, groupOC: map[string]bool{}}
	if c.Groups.BaseDN != "" {
		if w.base, err = commonSuffix(c.Users.BaseDN, c.Groups.BaseDN); err != nil {
			return nil, err
		}
		w.filter = "(|" + c.Users.Filter + c.Groups.Filter + ")"
	}
	for _, g := range groupClasses {
		w.groupOC[strings.ToLower(g)] = true
	}
	w.opts = watchOptions{backoff: DefaultBackoff, maxPending: DefaultMaxPending}
	for _, o := range opts {
		o(&w.opts)
	}
	if w.opts.maxPending < 1 {
		w.opts.maxPending = DefaultMaxPending
	}
	if w.opts.backoff == nil {
		w.opts.backoff = DefaultBackoff
	}
	return w, nil
}

// commonSuffix returns the longest DN both a and b are under (or equal to).
func commonSuffix(a, b string) (string, error) {
	da, err := ldap.ParseDN(a)
	if err != nil {
		return "", fmt.Errorf("ldap: watch: users.base_dn: %w", err)
	}
	db, err := ldap.ParseDN(b)
	if err != nil {
		return "", fmt.Errorf("ldap: watch: groups.base_dn: %w", err)
	}
	n := 0
	for n < len(da.RDNs) && n < len(db.RDNs) &&
		da.RDNs[len(da.RDNs)-1-n].EqualFold(db.RDNs[len(db.RDNs)-1-n]) {
		n++
	}
	if n == 0 {
		return "", fmt.Errorf("ldap: watch: users.base_dn %q and groups.base_dn %q have no common suffix", a, b)
	}
	return (&ldap.DN{RDNs: da.RDNs[len(da.RDNs)-n:]}).String(), nil
}

// Watch implements sync.Watcher's contract (see there) with syncrepl:
// events come in the server's order, each persist-phase change as its own
// event carrying the cookie of that change, and the changes found by a
// refresh (at start and after each reconnection) as one event at the end
// of the refresh. Starting without a cookie yields one event with Full
// set once the initial refresh is done. A cookie the server refuses
// (e-syncRefreshRequired, or protocolError or unwillingToPerform on the
// request) yields the same after a fresh start without cookie. A bind
// refused or a server without syncprov is returned as an error; any other
// failure reconnects after the backoff and resumes from the last cookie
// fn accepted.
//
// With flavour = "ad" it follows Active Directory with DirSync and change
// notifications instead (see adSession and adFinal).
func (w *Watcher) Watch(ctx context.Context, cookie []byte, fn func(Event) error) error {
	if w.src.cfg.isAD() {
		return w.loop(ctx, cookie, fn, w.adSession, w.adFinal)
	}
	return w.loop(ctx, cookie, fn, w.session, w.syncreplFinal)
}

// sessionFunc connects and follows the directory from cookie, passing
// each event to emit, until the connection fails; progressed says it got
// as far as a bound connection.
type sessionFunc func(ctx context.Context, cookie []byte, emit func(Event) error) (progressed bool, err error)

// finalFunc sorts the error a session ended with: restart says start
// again at once without the cookie (the server refused it), a non-nil
// error ends Watch with it, and neither means reconnect after the backoff.
type finalFunc func(err error, cookie []byte) (restart bool, final error)

// loop is Watch's reconnection loop, shared by both flavours: it runs
// session from the last cookie fn accepted until fn fails, ctx ends, or
// final says the error is for good.
func (w *Watcher) loop(ctx context.Context, cookie []byte, fn func(Event) error, session sessionFunc, final finalFunc) error {
	attempt := 0
	for {
		progressed, err := session(ctx, cookie, func(e Event) error {
			if err := fn(e); err != nil {
				return &fnError{err}
			}
			if e.Cookie != nil {
				cookie = e.Cookie
			}
			return nil
		})
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("ldap: watch: %w", cerr)
		}
		var fe *fnError
		if errors.As(err, &fe) {
			return fe.err
		}
		restart, ferr := final(err, cookie)
		if ferr != nil {
			return ferr
		}
		if restart {
			cookie = nil
			continue
		}
		if progressed {
			attempt = 0
		}
		attempt++
		if w.opts.state != nil {
			w.opts.state(false, err)
		}
		w.log.WithError(err).WithField("attempt", attempt).Warn("ldap: watch: connection lost, reconnecting")
		if err := w.opts.backoff(ctx, attempt); err != nil {
			return fmt.Errorf("ldap: watch: %w", err)
		}
	}
}

// syncreplFinal is the finalFunc of the syncrepl watcher.
func (w *Watcher) syncreplFinal(err error, cookie []byte) (bool, error) {
	switch {
	case refused(err, cookie):
		w.log.WithError(err).Warn("ldap: watch: the server refused the cookie: starting again without it (full reconciliation)")
		return true, nil
	case ldap.IsErrorAnyOf(err, ldap.LDAPResultSizeLimitExceeded, ldap.LDAPResultAdminLimitExceeded):
		return false, fmt.Errorf("%w (a syncrepl consumer reads every entry in scope at its first start: "+
			"give %q no size limit, e.g. limits dn.exact=%q size=unlimited in slapd.conf)",
			err, w.src.cfg.BindDN, w.src.cfg.BindDN)
	case permanent(err):
		return false, err
	}
	return false, nil
}

// fnError carries an error of the caller's fn out of a session unchanged.
type fnError struct{ err error }

func (e *fnError) Error() string { return e.err.Error() }
func (e *fnError) Unwrap() error { return e.err }

// refused reports whether err is the server refusing cookie (without a
// cookie there is nothing to start over from). slapd answers a cookie
// newer than its own state (a directory restored from a backup, a cookie
// from another server) with unwillingToPerform.
func refused(err error, cookie []byte) bool {
	return len(cookie) > 0 && (errors.Is(err, errCookieIgnored) || ldap.IsErrorAnyOf(err,
		ldap.LDAPResultSyncRefreshRequired, ldap.LDAPResultProtocolError, ldap.LDAPResultUnwillingToPerform))
}

// permanent reports errors that reconnecting cannot fix.
func permanent(err error) bool {
	return ldap.IsErrorAnyOf(err,
		ldap.LDAPResultInvalidCredentials, ldap.LDAPResultInsufficientAccessRights,
		ldap.LDAPResultUnavailableCriticalExtension, ldap.LDAPResultNoSuchObject,
		ldap.LDAPResultInappropriateAuthentication, ldap.LDAPResultConfidentialityRequired,
		ldap.LDAPResultFilterError, ldap.LDAPResultProtocolError)
}
