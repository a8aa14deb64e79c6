// Command idsync reads people from an LDAP directory (or an LDIF export),
// maps them to accounts and roles, and keeps SCIM 2.0 targets in step:
// joiners get accounts, movers get their changes, leavers lose access, and
// orphans are reported. Run "idsync help" for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/idsync/idsync/internal/batch"
	"github.com/idsync/idsync/internal/gctune"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// heapTarget is the heap size gctune lets a run grow to between
// collections. At 100k people a plan then collects twice instead of 12
// times and a fully linked one peaks at about 300 MB RSS (make bench),
// under the 400 MB idsync aims for at that size.
const heapTarget = 320 << 20

// exit codes.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2 // plan --exit-code: changes are pending
)

func main() {
	// idsync is a batch job: on Linux it tells the scheduler so, which
	// keeps it from preempting a directory server on the same host each
	// time the server hands it data (see internal/batch). Best effort: a
	// run works the same under the default policy, for example where a
	// sandbox refuses the call.
	_ = batch.Enter()
	// A run builds up the people of the source and the accounts of the
	// target and holds them until the plan is made. With a fixed GOGC the
	// collector re-marks that growing heap every time it grows by GOGC
	// percent; gctune instead lets the heap grow towards heapTarget
	// between collections while the live heap is well below it, and
	// collects at GOGC 75 as it gets near. GOGC, when set, wins.
	if os.Getenv("GOGC") == "" {
		gctune.Start(gctune.Config{Target: heapTarget, Min: 75, Max: 400})
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `idsync keeps SaaS accounts in step with your directory.

Usage:
  idsync plan   [-c config.toml] [--format text|json] [--out FILE] [--exit-code] [--target NAME]
  idsync apply  [-c config.toml] [--allow-deletes N] [--allow-shrink] [--allow-missing] [--report FILE] [--target NAME]
  idsync config check [-c config.toml]
  idsync audit  [-c config.toml] [--target NAME] [--run ID] [--user NAME] [--format text|json]
  idsync runs   [-c config.toml] [--target NAME] [--limit N]
  idsync version

The configuration file is -c, else $IDSYNC_CONFIG, else /etc/idsync/config.toml.
plan exits 0 when nothing would change, 2 with --exit-code when changes are
pending, and 1 on any error.
`

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError
	}
	var err error
	code := exitOK
	switch args[0] {
	case "plan":
		code, err = cmdPlan(ctx, args[1:], stdout, stderr)
	case "apply":
		err = cmdApply(ctx, args[1:], stdout, stderr)
	case "config":
		if len(args) < 2 || args[1] != "check" {
			err = errors.New(`usage: idsync config check [-c config.toml]`)
			break
		}
		err = cmdConfigCheck(args[2:], stdout, stderr)
	case "audit":
		err = cmdAudit(ctx, args[1:], stdout, stderr)
	case "runs":
		err = cmdRuns(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "idsync %s\n", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "idsync: unknown command %q\n\n%s", args[0], usage)
		return exitError
	}
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "idsync: %v\n", err)
		}
		return exitError
	}
	return code
}

// errUsage is returned after a flag set already printed its complaint.
var errUsage = errors.New("usage")

func defaultConfigPath() string {
	if p := os.Getenv("IDSYNC_CONFIG"); p != "" {
		return p
	}
	return "/etc/idsync/config.toml"
}
