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
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exit codes.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2 // plan --exit-code: changes are pending
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return exitError
	}
	var err error
	code := exitOK
	switch v, rest := findVerb(args); {
	case v != nil:
		code, err = v.run(ctx, rest, stdout, stderr)
	case args[0] == "config":
		err = errors.New(`usage: idsync config check [-c config.toml]`)
	case args[0] == "version" || args[0] == "--version":
		fmt.Fprintf(stdout, "idsync %s\n", version)
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		err = cmdHelp(ctx, args[1:], stdout)
	default:
		fmt.Fprintf(stderr, "idsync: unknown command %q\n\n%s", args[0], usage())
		return exitError
	}
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "idsync: %s\n", textLines(err.Error()))
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
