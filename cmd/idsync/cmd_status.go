package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/idsync/idsync/internal/admin"
)

// cmdStatus asks the running daemon's admin listener for its status and
// prints it as text.
func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("status", stderr)
	path := configFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, addr, err := daemonClient(*path)
	if err != nil {
		return err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return noDaemon("status: no answer", addr, err)
	}
	return admin.Render(stdout, st, time.Local)
}

// daemonClient reads the configuration at path and returns a client of the
// admin listener of the daemon it configures, and that listener's address.
func daemonClient(path string) (*admin.Client, string, error) {
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, "", err
	}
	c, err := admin.NewClient(cfg.Admin)
	if err != nil {
		return nil, "", err
	}
	return c, cfg.Admin.Addr(), nil
}

// noDaemon is the error of a verb whose daemon at addr did not answer.
func noDaemon(what, addr string, err error) error {
	return fmt.Errorf("%s from the daemon at %s: is `idsync run` running with this configuration? %w", what, addr, err)
}
