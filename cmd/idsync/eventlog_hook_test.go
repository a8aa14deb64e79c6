package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

// fakeEvents records the events a hook writes as "severity id message".
type fakeEvents struct {
	events []string
	err    error
}

var _ eventWriter = (*fakeEvents)(nil)

func (f *fakeEvents) add(sev string, eid uint32, msg string) error {
	f.events = append(f.events, fmt.Sprintf("%s %d %s", sev, eid, msg))
	return f.err
}
func (f *fakeEvents) Info(eid uint32, msg string) error    { return f.add("info", eid, msg) }
func (f *fakeEvents) Warning(eid uint32, msg string) error { return f.add("warning", eid, msg) }
func (f *fakeEvents) Error(eid uint32, msg string) error   { return f.add("error", eid, msg) }

func TestEventLogHook(t *testing.T) {
	cases := []struct {
		format string
		log    func(*logrus.Logger)
		want   []string
	}{
		{"text", func(l *logrus.Logger) { l.WithField("run", 3).Info("run applied") },
			[]string{`info 1 level=info msg="run applied" run=3`}},
		{"text", func(l *logrus.Logger) { l.Warn("slow") }, []string{"warning 2 level=warning msg=slow"}},
		{"text", func(l *logrus.Logger) { l.WithError(errors.New("bind refused")).Error("daemon: stopping") },
			[]string{`error 3 level=error msg="daemon: stopping" error="bind refused"`}},
		{"text", func(l *logrus.Logger) { l.Debug("below the level") }, nil},
		{"json", func(l *logrus.Logger) { l.Info("started") }, []string{`info 1 {"level":"info","msg":"started"}`}},
	}
	for _, c := range cases {
		ev := &fakeEvents{}
		l := logrus.New()
		l.SetOutput(io.Discard)
		l.AddHook(newEventLogHook(ev, c.format))
		c.log(l)
		if strings.Join(ev.events, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s: events\n%s\nwant\n%s", c.format, strings.Join(ev.events, "\n"), strings.Join(c.want, "\n"))
		}
	}
}

func TestEventLogHookError(t *testing.T) {
	h := newEventLogHook(&fakeEvents{err: errors.New("log full")}, "text")
	err := h.Fire(logrus.NewEntry(logrus.New()).WithField("k", "v"))
	if err == nil || err.Error() != "event log: log full" {
		t.Fatalf("Fire: %v, want the writer's error", err)
	}
}
