package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// verb is one idsync command and its documentation.
type verb struct {
	name     string // as typed: "plan", "config check"
	synopsis string // its flags, for the usage line
	about    string // what it does
}

// run runs the command v with args (the arguments after its name) and
// returns the exit code.
func (v *verb) run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	switch v.name {
	case "plan":
		return cmdPlan(ctx, args, stdout, stderr)
	case "apply":
		return exitOK, cmdApply(ctx, args, stdout, stderr)
	case "config check":
		return exitOK, cmdConfigCheck(args, stdout, stderr)
	case "audit":
		return exitOK, cmdAudit(ctx, args, stdout, stderr)
	case "runs":
		return exitOK, cmdRuns(ctx, args, stdout, stderr)
	case "orphans adopt":
		return exitOK, cmdOrphansAdopt(ctx, args, stdout, stderr)
	case "run":
		return exitOK, cmdRun(ctx, args, stdout, stderr)
	case "status":
		return exitOK, cmdStatus(ctx, args, stdout, stderr)
	case "trigger":
		return exitOK, cmdTrigger(ctx, args, stdout, stderr)
	}
	return exitError, fmt.Errorf("no command %q", v.name)
}

// verbs are idsync's commands, in the order "idsync help" lists them.
var verbs = []verb{
	{"plan", "[-c config.toml] [--format text|json] [--out FILE] [--exit-code] [--target NAME]",
		`Reads the source and the targets and prints what apply would change, and
why. Nothing is written to a target. plan works while an apply runs. It
exits 0 when it worked, 2 with --exit-code when changes are pending, and 1
on any error.`},
	{"apply", "[-c config.toml] [--allow-deletes N] [--allow-role-removals N] [--allow-shrink] [--allow-missing] [--report FILE] [--target NAME] [-q]",
		`Plans, checks the guards on the whole plan, then performs it. Only one
apply runs on a state database at a time; a second one is refused, naming
the process that holds it.`},
	{"config check", "[-c config.toml]",
		`Checks the configuration without touching a server: every key, type and
expression, and every secret reference (the file exists and is readable,
the environment variable is set). Secrets are never printed.`},
	{"audit", "[-c config.toml] [--target NAME] [--run ID] [--user NAME] [--format text|json|csv]",
		`Prints the audit: every change applied (or refused) to a target, when,
in which run, with what outcome (applied, refused, failed, pending,
unconfirmed) and why, oldest first. --format csv writes the columns time,
run, target, kind, action, status, user_name, source_id, target_id, detail,
error and reasons (joined with "; ") under a header row.`},
	{"run", "[-c config.toml]",
		`Runs idsync as a daemon in the foreground (for systemd, containers and
debugging): a full run at start, then the runs of the [daemon] schedules
and, with daemon.watch = true, a run after each change the LDAP source
reports (syncrepl). Every run is a full pass for now, incremental ones
too. It serves /healthz, /readyz, /status, /metrics and POST /run
("idsync trigger") on [admin] listen. It holds the state database as its
writer while it runs, so a manual "idsync apply" is refused, naming its
pid; plan, runs, audit, status and trigger keep working. SIGINT or SIGTERM stop it: the run in flight may finish for
daemon.stop_grace. SIGHUP reloads the configuration file: an invalid one
is logged and ignored; a valid one replaces the schedules, source, mapping,
guards, targets and log level ([state], [admin], log.format,
daemon.watch and [daemon.notify] need a restart).`},
	{"status", "[-c config.toml]",
		`Asks the running daemon ("idsync run") for its status on its admin
listener ([admin] listen and token) and prints it: the watcher, and per
target the next scheduled runs, the last runs and the last error. It fails
when no daemon answers.`},
	{"trigger", "[-c config.toml] [--dry-run] [--no-wait]",
		`Asks the running daemon ("idsync run") for a full run now, on its admin
listener (POST /run, [admin] listen and token), and prints the outcome. It
waits for the run to end (a run already queued may serve the request)
unless --no-wait, which returns once the run is queued. --dry-run stops
the run after the plan. It fails when no daemon answers or the run failed.`},
	{"runs", "[-c config.toml] [--target NAME] [--limit N] [--format text|json|csv]",
		`Lists the recent runs, newest first: mode, start and end, status, people
read from the source, and a summary or the error. --format csv writes the
columns id, target, mode, started, finished, status, source_count, summary
and error under a header row.`},
	{"orphans adopt", "[-c config.toml] --target NAME --account USERNAME --person ID|DN",
		`Links an orphan account (one the plan lists as an orphan: no source
person is linked to it) to a source person, after review. The person must
be in the target's scope and not disabled, and have no account linked
there; the account must be linked to nobody. The link is audited
("orphan/adopt"); the next apply updates the account to the rules. It
waits for no apply: it is refused while one runs.`},
}

// findVerb returns the verb args start with and the arguments after it.
func findVerb(args []string) (*verb, []string) {
	for i := range verbs {
		words := strings.Fields(verbs[i].name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == verbs[i].name {
			return &verbs[i], args[len(words):]
		}
	}
	return nil, args
}

// usage is the text "idsync help" prints.
func usage() string {
	var b strings.Builder
	b.WriteString("idsync keeps SaaS accounts in step with your directory.\n\nUsage:\n")
	for _, v := range verbs {
		fmt.Fprintf(&b, "  idsync %-7s %s\n", v.name, v.synopsis)
	}
	b.WriteString(`  idsync version
  idsync help [COMMAND]

The configuration file is -c, else $IDSYNC_CONFIG, else /etc/idsync/config.toml.
"idsync help COMMAND" or "idsync COMMAND --help" shows a command's flags.
`)
	return b.String()
}

// errHelp is returned after a command printed its usage on request.
var errHelp = errors.New("help requested")

// verbUsage makes fs print its command's usage: synopsis, description and
// flags.
func verbUsage(fs *flag.FlagSet, name string) {
	fs.Usage = func() {
		w := fs.Output()
		v, _ := findVerb(strings.Fields(name))
		if v == nil {
			fmt.Fprintf(w, "Usage: idsync %s\n", name)
			fs.PrintDefaults()
			return
		}
		fmt.Fprintf(w, "Usage: idsync %s %s\n\n%s\n\nFlags:\n", v.name, v.synopsis, v.about)
		fs.PrintDefaults()
	}
}

// cmdHelp prints the usage, or one command's usage and flags.
func cmdHelp(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage())
		return nil
	}
	v, rest := findVerb(args)
	if v == nil && len(args) == 1 && args[0] == "config" {
		v, rest = findVerb([]string{"config", "check"})
	}
	if v == nil || len(rest) > 0 {
		return fmt.Errorf("help: no command %q (see idsync help)", strings.Join(args, " "))
	}
	_, err := v.run(ctx, []string{"--help"}, stdout, stdout)
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}
