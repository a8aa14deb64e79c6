package main

import (
	"context"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource"
	"github.com/idsync/idsync/sync/ldif"
	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
)

// This file is the one place that lists every kind of source and target.
// Adding a kind is one package plus one entry here: its section's Go type,
// the component's Config.Validate, the section's file paths and secret
// references, and its constructor. Nothing registers itself.

// sourceKinds are the kinds of [source] (kind = "..." and its section).
var sourceKinds = []kind[sync.Source]{
	spec[ldapsource.Config, sync.Source]{
		name: "ldap", validate: (*ldapsource.Config).Validate,
		paths: func(c *ldapsource.Config) []*string {
			return []*string{&c.CAFile, &c.BindPassword.File, &c.Kerberos.Keytab, &c.Kerberos.Krb5Conf}
		},
		secrets: func(c *ldapsource.Config) map[string]secret.Ref {
			return map[string]secret.Ref{"bind_password": c.BindPassword}
		},
		build: func(c ldapsource.Config, log logrus.FieldLogger, _ *shared) (sync.Source, error) {
			return ldapsource.New(c, log.WithField("source", "ldap"))
		},
		watch: func(c ldapsource.Config, log logrus.FieldLogger, state func(bool, error)) (sync.Watcher, error) {
			var opts []ldapsource.WatchOption
			if state != nil {
				opts = append(opts, ldapsource.WithStateFunc(state))
			}
			w, err := ldapsource.NewWatcher(c, log.WithField("source", "ldap"), opts...)
			if err != nil {
				return nil, err
			}
			return sync.WatcherFunc(func(ctx context.Context, cookie []byte, fn func(sync.WatchEvent) error) error {
				return w.Watch(ctx, cookie, func(e ldapsource.Event) error { return fn(sync.WatchEvent(e)) })
			}), nil
		},
	},
	spec[ldif.Config, sync.Source]{
		name: "ldif", validate: (*ldif.Config).Validate,
		paths: func(c *ldif.Config) []*string { return []*string{&c.Path} },
		build: func(c ldif.Config, _ logrus.FieldLogger, _ *shared) (sync.Source, error) { return ldif.New(c) },
	},
}

// targetKinds are the kinds of [[target]] (kind = "..." and its section).
var targetKinds = []kind[targets.Target]{
	spec[scim.Config, targets.Target]{
		name: "scim", validate: (*scim.Config).Validate,
		paths:   func(c *scim.Config) []*string { return []*string{&c.CAFile, &c.Token.File} },
		secrets: func(c *scim.Config) map[string]secret.Ref { return map[string]secret.Ref{"token": c.Token} },
		build: func(c scim.Config, log logrus.FieldLogger, sh *shared) (targets.Target, error) {
			if sh == nil {
				return scim.New(c, log)
			}
			return scim.New(c, log, scim.WithTenants(sh.tenants))
		},
	},
}
