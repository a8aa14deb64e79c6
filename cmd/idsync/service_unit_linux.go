package main

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
	"time"
)

// unitParams are what the systemd unit of `idsync service install`
// depends on.
type unitParams struct {
	Exe       string        // the idsync binary, absolute
	Config    string        // the configuration file, absolute
	ReadWrite string        // a directory outside /var/lib/idsync the state database is in, or ""
	Grace     time.Duration // daemon.stop_grace
}

// unitTemplate is the unit `idsync service install` writes: the same
// hardening as packaging/systemd/idsync.service. kardianos/service renders
// it as a template of its own, so it must not contain "{{" once filled in.
var unitTemplate = template.Must(template.New("unit").Parse(`# Written by "idsync service install"; "idsync service uninstall" removes it.
[Unit]
Description=idsync: keep SaaS accounts in step with the directory
Documentation=https://github.com/idsync/idsync
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=idsync
ExecStart={{.Exe}} run --config {{.Config}}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=10s
# A stop lets the run in flight finish for daemon.stop_grace ({{.Grace}});
# systemd waits that long and a margin before it kills the daemon.
TimeoutStopSec={{.StopTimeout}}
# Batch scheduling, so that full reconciliations do not preempt a directory
# server on the same host.
CPUSchedulingPolicy=batch
StateDirectory=idsync
StateDirectoryMode=0750
{{- if .ReadWrite}}
ReadWritePaths={{.ReadWrite}}
{{- end}}
# Least privilege: idsync needs the network, its state directory and to read
# its configuration and secrets; nothing else.
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
CapabilityBoundingSet=
UMask=0077

[Install]
WantedBy=multi-user.target
`))

// renderUnit returns the systemd unit of p.
func renderUnit(p unitParams) (string, error) {
	for _, s := range []string{p.Exe, p.Config, p.ReadWrite} {
		if strings.ContainsAny(s, "\n\r") || strings.Contains(s, "{{") {
			return "", fmt.Errorf("unit: the path %q cannot be written in a systemd unit", s)
		}
	}
	var b bytes.Buffer
	err := unitTemplate.Execute(&b, map[string]string{
		"Exe":         systemdWord(p.Exe),
		"Config":      systemdWord(p.Config),
		"ReadWrite":   systemdWord(p.ReadWrite),
		"Grace":       p.Grace.String(),
		"StopTimeout": fmt.Sprintf("%ds", int((p.Grace + serviceStopMargin).Seconds())),
	})
	if err != nil {
		return "", fmt.Errorf("unit: %w", err)
	}
	return b.String(), nil
}

// systemdWord writes s as one word of a unit's command line or path list:
// specifiers (%) and variables ($) escaped, quoted when it holds a space,
// a quote or a backslash.
func systemdWord(s string) string {
	s = strings.NewReplacer("%", "%%", "$", "$$").Replace(s)
	if !strings.ContainsAny(s, " \t\"'\\;") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
