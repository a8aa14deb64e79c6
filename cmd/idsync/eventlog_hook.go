package main

import (
	"fmt"
	"strings"

	"github.com/sirupsen/logrus"
)

// eventWriter is the Windows Event Log as a log hook writes to it
// (*eventlog.Log of golang.org/x/sys/windows/svc/eventlog): each call adds
// one event of that severity with the event id eid and the text msg.
type eventWriter interface {
	Info(eid uint32, msg string) error
	Warning(eid uint32, msg string) error
	Error(eid uint32, msg string) error
}

// The event ids of idsync's events, one per severity (the message file
// that "idsync service install" registers accepts ids 1 to 1000).
const (
	eventInfo    uint32 = 1
	eventWarning uint32 = 2
	eventError   uint32 = 3
)

// eventLogHook sends each log entry to an eventWriter, formatted by f
// (the configured text or JSON format, without the time the Event Log
// records itself).
type eventLogHook struct {
	w eventWriter
	f logrus.Formatter
}

var _ logrus.Hook = (*eventLogHook)(nil)

// newEventLogHook returns the hook of w for the log format ("text" or
// "json").
func newEventLogHook(w eventWriter, format string) *eventLogHook {
	var f logrus.Formatter = &logrus.TextFormatter{DisableColors: true, DisableTimestamp: true}
	if format == "json" {
		f = &logrus.JSONFormatter{DisableTimestamp: true}
	}
	return &eventLogHook{w: w, f: f}
}

// Levels is every level: the logger's own level filters the entries.
func (h *eventLogHook) Levels() []logrus.Level { return logrus.AllLevels }

// Fire writes e as one event: errors and worse as errors, warnings as
// warnings, the rest as information.
func (h *eventLogHook) Fire(e *logrus.Entry) error {
	b, err := h.f.Format(e)
	if err != nil {
		return fmt.Errorf("event log: %w", err)
	}
	msg := strings.TrimRight(string(b), "\n")
	switch {
	case e.Level <= logrus.ErrorLevel:
		err = h.w.Error(eventError, msg)
	case e.Level == logrus.WarnLevel:
		err = h.w.Warning(eventWarning, msg)
	default:
		err = h.w.Info(eventInfo, msg)
	}
	if err != nil {
		return fmt.Errorf("event log: %w", err)
	}
	return nil
}
