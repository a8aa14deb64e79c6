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
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	c, err := admin.NewClient(cfg.Admin)
	if err != nil {
		return err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return fmt.Errorf("status: no answer from the daemon at %s: is `idsync run` running with this configuration? %w", cfg.Admin.Addr(), err)
	}
	return admin.Render(stdout, st, time.Local)
}
