package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/idsync/idsync/internal/notify"
	"github.com/idsync/idsync/sync"
)

// DaemonConfig is the [daemon] section, read by `idsync run`: the engine's
// schedules, time zone and stop grace (sync.EngineConfig), and whether the
// source is watched for changes.
type DaemonConfig struct {
	sync.EngineConfig
	// Watch follows the source's changes as they happen (OpenLDAP syncrepl;
	// the server needs the syncprov overlay and id_attribute = entryUUID).
	// Only the ldap source can watch.
	Watch bool
	// Notify is [daemon.notify]: the webhook told when runs keep failing,
	// a guard refuses a plan, and a run succeeds again.
	Notify notify.Config
}

// decodeDaemon decodes [daemon]: the engine's keys, then watch and notify.
func (c *Config) decodeDaemon(d *decoder, prim toml.Primitive) {
	tbl, ok := d.table(prim, "daemon")
	if !ok {
		return
	}
	extra := d.decodeFields(tbl, "daemon", &c.Daemon.EngineConfig)
	for _, k := range sortedKeys(extra) {
		if k == "watch" {
			d.decode(extra[k], "daemon.watch", &c.Daemon.Watch)
			continue
		}
		if k == "notify" {
			d.decodeStruct(extra[k], "daemon.notify", &c.Daemon.Notify)
			continue
		}
		d.unknown(join("daemon", k))
	}
}

// validateDaemon checks [daemon] and [admin].
func (c *Config) validateDaemon() []keyErr {
	var out []keyErr
	for _, p := range prefixed("daemon.", c.Daemon.EngineConfig.Validate()) {
		out = append(out, c.scheduleKey(p))
	}
	if c.Daemon.Watch && c.Source.Kind != "" && !canWatch(c.Source.Kind) {
		out = append(out, keyErr{"daemon.watch", fmt.Errorf("the %s source cannot watch for changes (only ldap can)", c.Source.Kind)})
	}
	out = append(out, prefixed("daemon.notify.", c.Daemon.Notify.Validate())...)
	return append(out, prefixed("admin.", c.Admin.Validate())...)
}

// scheduleKey turns a problem the engine reports as `schedule "NAME": KEY:
// what` (keyed "daemon") into one keyed daemon.schedule[i].KEY, for its line.
func (c *Config) scheduleKey(p keyErr) keyErr {
	msg := p.err.Error()
	if p.key != "daemon" || !strings.HasPrefix(msg, `schedule "`) {
		return p
	}
	for i, s := range c.Daemon.Schedules {
		prefix := fmt.Sprintf("schedule %q: ", s.Name)
		if rest, ok := strings.CutPrefix(msg, prefix); ok {
			key, what, found := strings.Cut(rest, ": ")
			if !found {
				return p
			}
			return keyErr{fmt.Sprintf("daemon.schedule[%d].%s", i, key), errors.New(what)}
		}
	}
	return p
}

// canWatch reports whether the source kind named name has a watcher.
func canWatch(name string) bool {
	k := find(sourceKinds, name)
	return k != nil && k.canWatch()
}

// adminPaths resolves the file paths of [admin] and [daemon.notify]
// against dir.
func (c *Config) adminPaths(dir string) {
	c.Admin.TLSCertFile = resolve(dir, c.Admin.TLSCertFile)
	c.Admin.TLSKeyFile = resolve(dir, c.Admin.TLSKeyFile)
	c.Admin.Token.File = resolve(dir, c.Admin.Token.File)
	c.Daemon.Notify.Webhook.File = resolve(dir, c.Daemon.Notify.Webhook.File)
}
