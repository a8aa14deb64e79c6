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
	case "audit verify":
		return exitOK, cmdAuditVerify(ctx, args, stdout, stderr)
	case "audit export":
		return exitOK, cmdAuditExport(ctx, args, stdout, stderr)
	case "audit redact":
		return exitOK, cmdAuditRedact(ctx, args, stdout, stderr)
	case "audit prune":
		return exitOK, cmdAuditPrune(ctx, args, stdout, stderr)
	case "audit checkpoint":
		return exitOK, cmdAuditCheckpoint(ctx, args, stdout, stderr)
	case "report access":
		return exitOK, cmdReportAccess(ctx, args, stdout, stderr)
	case "report leavers":
		return exitOK, cmdReportLeavers(ctx, args, stdout, stderr)
	case "runs":
		return exitOK, cmdRuns(ctx, args, stdout, stderr)
	case "explain":
		return exitOK, cmdExplain(ctx, args, stdout, stderr)
	case "review":
		return exitOK, cmdReview(ctx, args, stdout, stderr)
	case "orphans adopt":
		return exitOK, cmdOrphansAdopt(ctx, args, stdout, stderr)
	case "run":
		return exitOK, cmdRun(ctx, args, stdout, stderr)
	case "status":
		return exitOK, cmdStatus(ctx, args, stdout, stderr)
	case "trigger":
		return exitOK, cmdTrigger(ctx, args, stdout, stderr)
	case "service":
		return cmdService(ctx, args, stdout, stderr)
	}
	return exitError, fmt.Errorf("no command %q", v.name)
}

// verbs are idsync's commands, in the order "idsync help" lists them.
var verbs = []verb{
	{"plan", "[-c config.toml] [--format text|json|csv|html] [--out FILE] [--exit-code] [--target NAME]",
		`Reads the source and the targets and prints what apply would change, and
why. Nothing is written to a target. plan works while an apply runs. The
format defaults to the --out file's extension (.json, .csv, .html, .txt),
else text. A JSON plan is a saved plan: each change carries a fingerprint
of what it was computed from, for apply --plan. It exits 0 when it worked,
2 with --exit-code when changes are pending, and 1 on any error.`},
	{"apply", "[-c config.toml] [--plan FILE [--all-or-nothing]] [--allow-deletes N] [--allow-role-removals N] [--allow-shrink] [--allow-missing] [--report FILE [--report-format F]] [--target NAME] [-q]",
		`Plans, checks the guards on the whole plan, then performs it. With --plan
it applies only the changes of that saved plan (idsync plan --out
plan.json) whose inputs have not moved since: a moved change is refused
and named (with --all-or-nothing, the whole target is), a change the saved
plan lacks is not applied, and a plan older than [plans] max_age or edited
after it was written is refused. Only one apply runs on a state database
at a time; a second one is refused, naming the process that holds it. It
exits 1 when any change was refused or failed.`},
	{"explain", "[-c config.toml] [--target NAME] [--format text|json] PERSON",
		`Explains one person (a userName, a source ID or a DN): the source entry,
whether it is in scope and disabled and by which rule, each attribute with
its rule and the source values it read, the groups (nested ones with their
path) and each role with the rule that gives it; then per target the link,
the account the target holds and its groups, and what would change and
why. Nothing is written to a target; the dry run is recorded like a plan.`},
	{"review", "[-c config.toml] [--target NAME] [--role ROLE] [--format csv|html|text|json] [--out FILE]",
		`Writes the access review: per target and role, every current holder of
the role (the members of its group in the target) with why they hold it:
the rule and group path that gives it ("kept"), why the next apply takes
it away ("revoke"), or that idsync does not manage the account
("unmanaged"). The input of a certification campaign; docs/reports.md
lists the CSV columns. Nothing is written to a target.`},
	{"config check", "[-c config.toml]",
		`Checks the configuration without touching a server: every key, type and
expression, and every secret reference (the file exists and is readable,
the environment variable is set). Secrets are never printed.`},
	// The audit's sub-commands come before "audit" itself: findVerb takes
	// the first verb the arguments start with.
	{"audit verify", "[-c config.toml] [--head SEQ:HASH] [--checkpoints]",
		`Checks the audit against its hash chain (docs/audit.md): every chain
entry's hash, the chain's head, and every audit record against the digest
chained for it. An edited, deleted, inserted, reordered or truncated record
is found; the first bad one is named and the exit code is 1. Redactions and
retention prunes verify. --head takes a head logged at the end of a run
("audit chain head" in the log) and fails unless the chain still holds it:
that catches a rewrite of the whole database. Every audit checkpoint is
checked against the digest chained for it (an inserted, deleted, restored
or edited one is found); --checkpoints also reads each one's state (a
report access checks the one it starts from).`},
	{"audit export", "[-c config.toml] --since DATE [--target NAME] [--format jsonl|csv]",
		`Writes the audit records at or after DATE for a SIEM, oldest first: one
JSON object per line (jsonl), or CSV with the columns id, time, run, target,
kind, action, status, user_name, source_id, target_id, detail, error,
reasons (joined with "; "), rules (space-separated), members (a JSON array)
and redacted (the fields removed, space-separated). DATE is 2006-01-02
(midnight UTC) or RFC 3339.`},
	{"audit redact", "[-c config.toml] [--reason TEXT] PERSON",
		`Removes a person's personal data from the audit (an erasure request):
their userName, IDs, accounts, reasons and error text, and their entry in
group changes, are replaced by salted digests, so that the chain still
verifies. The records keep when a change happened, in which run and target,
its kind, action, outcome and the rules it followed. PERSON is a userName
(every person who had it), a source ID or an account ID. --reason is
recorded in the chain: a ticket number, not personal data. Needs the state
database to itself (not while an apply or the daemon runs).`},
	{"audit prune", "[-c config.toml] --older-than AGE|DATE [--anonymise]",
		`Applies a retention period: the audit records older than AGE (730d,
8760h) or than DATE are deleted or, with --anonymise, kept without their
personal fields. The oldest records go first, up to the first one that is
newer or still pending. One chain entry records it; the chain still
verifies. Needs the state database to itself.`},
	{"audit checkpoint", "[-c config.toml]",
		`Makes the audit checkpoints due now: one every 100,000 records, each
holding what report access rebuilds from the records up to it, so that a
report starts from the checkpoint before its date rather than from the
first record. The records are verified as they are read; an audit that
does not verify gets none. Every apply run makes them at its end: this is
for a database upgraded with a large audit, or after an error.`},
	{"report access", "[-c config.toml] --at DATE [--target NAME] [--role ROLE] [--person PERSON] [--format text|json|csv]",
		`Prints who had which account and roles in each target at DATE, with the
audit records and rules that gave them, rebuilt from the audit: from the
last checkpoint at or before DATE (see audit checkpoint), the records after
it. What the report reads is verified first (the checkpoint, the records up
to the next checkpoint and the chain after it to its head); the report is
refused, naming the first bad record, when it does not verify. Changes whose outcome is unknown (pending,
unconfirmed) count and are marked. --format csv writes the columns target,
user_name, source_id, account_id, active, account_since, account_record,
account_reasons, role, role_since, role_record, role_reason and unconfirmed
(one row per account and role).`},
	{"report leavers", "[-c config.toml] --since DATE [--target NAME] [--threshold AGE] [--format text|json|csv]",
		`Lists each leaver seen at or after DATE, per target: when idsync saw them
leave (the start of the run that read the source and planned the
revocation), when the target accepted the disable or delete, and the delay,
with p50, p95 and the maximum of the revoked ones. Those over --threshold
(default 24h; a leaver not revoked yet counts until now) are marked and
counted. Refused when the audit chain does not verify. --format csv writes
target, user_name, source_id, account_id, detected, revoked, delay_seconds,
action, record, attempts and over_threshold.`},
	{"audit", "[-c config.toml] [--target NAME] [--run ID] [--user NAME] [--format text|json|csv]",
		`Prints the audit: every change applied (or refused) to a target, when,
in which run, with what outcome (applied, refused, failed, pending,
unconfirmed) and why, oldest first. --format csv writes the columns time,
run, target, kind, action, status, user_name, source_id, target_id, detail,
error and reasons (joined with "; ") under a header row.`},
	{"run", "[-c config.toml]",
		`Runs idsync as a daemon in the foreground (for systemd, containers and
debugging): a full run at start, then the runs of the [daemon] schedules
and, with daemon.watch = true, an incremental run over the people each
change the LDAP source reports (syncrepl) touches; a schedule with mode =
"incremental" polls for what changed since (modifyTimestamp). It serves /healthz, /readyz, /status, /metrics and POST /run
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
	{"trigger", "[-c config.toml] [--incremental] [--dry-run] [--no-wait]",
		`Asks the running daemon ("idsync run") for a full run now (with
--incremental, an incremental run over what changed since the last full
run or poll), on its admin listener (POST /run, [admin] listen and token),
and prints the outcome. It
waits for the run to end (a run already queued may serve the request)
unless --no-wait, which returns once the run is queued. --dry-run stops
the run after the plan. It fails when no daemon answers or the run failed.`},
	{"service", "[-c config.toml] install|uninstall|start|stop|restart|status",
		`Manages idsync as a system service that runs "idsync run": on Linux a
systemd unit (/etc/systemd/system/idsync.service, hardened, as the user
idsync, Restart=on-failure; needs root), on Windows a service started at
boot and restarted after a failure, logging to the Event Log (needs an
Administrator prompt). install checks the configuration and registers
"idsync run --config FILE" with its absolute path (on Windows "run
--service --config FILE"); it does not start it. stop lets the run in
flight finish for daemon.stop_grace. status prints running, stopped or
not installed, and exits 1 unless running. The .deb and .rpm install their
own unit: use "systemctl enable --now idsync" there.`},
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
	width := 0
	for _, v := range verbs {
		width = max(width, len(v.name))
	}
	for _, v := range verbs {
		fmt.Fprintf(&b, "  idsync %-*s %s\n", width, v.name, v.synopsis)
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
