//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// logDir and logs name the log file of each measured command.
var (
	logDir string
	logs   int
)

// measure is one run of a command, or the medians of several.
type measure struct {
	wall, cpu time.Duration
	rssMiB    float64
}

// pair runs a and b alternately n times each and returns, for each, the
// median wall and CPU time and the largest peak RSS.
func pair(n int, a, b []string) (measure, measure, error) {
	var ma, mb []measure
	for i := 0; i < n; i++ {
		for _, c := range []struct {
			args []string
			out  *[]measure
		}{{a, &ma}, {b, &mb}} {
			m, err := once(c.args[0], c.args[1:]...)
			if err != nil {
				return measure{}, measure{}, err
			}
			fmt.Printf("  %s %s: %.2f s, %.2f s CPU, %.0f MB\n", filepath.Base(c.args[0]), c.args[1], m.wall.Seconds(), m.cpu.Seconds(), m.rssMiB)
			*c.out = append(*c.out, m)
		}
	}
	return median(ma), median(mb), nil
}

// median returns the median wall and CPU times (the lower middle one of an
// even count) and the largest peak RSS of ms.
func median(ms []measure) measure {
	walls := make([]time.Duration, len(ms))
	cpus := make([]time.Duration, len(ms))
	var out measure
	for i, m := range ms {
		walls[i], cpus[i] = m.wall, m.cpu
		out.rssMiB = max(out.rssMiB, m.rssMiB)
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	out.wall, out.cpu = walls[(len(walls)-1)/2], cpus[(len(cpus)-1)/2]
	return out
}

// once runs the command with its output discarded and measures its wall
// time, CPU time and peak resident set size. A plan's exit code 2
// (changes pending) is a success here.
func once(name string, args ...string) (measure, error) {
	cmd := exec.Command(name, args...)
	logs++
	logFile, err := os.Create(filepath.Join(logDir, fmt.Sprintf("%02d-%s.log", logs, filepath.Base(name))))
	if err != nil {
		return measure{}, err
	}
	defer logFile.Close()
	var stderr strings.Builder
	cmd.Stderr = io.MultiWriter(&stderr, logFile)
	start := time.Now()
	err = cmd.Run()
	m := measure{wall: time.Since(start)}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 {
		err = nil
	}
	if err != nil {
		return m, fmt.Errorf("%s %s: %w\n%s", name, args[0], err, stderr.String())
	}
	m.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.rssMiB = float64(ru.Maxrss) / 1024 // Linux reports KiB
	}
	return m, nil
}

// row is one line of the results.
type row struct {
	name string
	m    measure
	base *measure // the ldapsearch run it is compared with, if any
}

// table collects the results.
type table struct {
	rows      []row
	reportRSS []float64 // peak RSS of the report runs
	noBrowser bool      // skip opening the HTML report in Chromium
}

func (t *table) add(name string, m measure, base *measure) {
	t.rows = append(t.rows, row{name, m, base})
}

// print writes the results and checks them against the budget of issue 9
// (a ceiling, not a score): plan <= 5x ldapsearch and peak RSS <= 300 MB at
// 100,000 people; every report format under 2 GB at 1,000,000.
func (t *table) print(size int) {
	fmt.Printf("\n%-58s %8s %8s %10s %7s\n", "measurement (medians of plan runs)", "wall s", "CPU s", "peak RSS", "ratio")
	for _, r := range t.rows {
		ratio := ""
		if r.base != nil {
			ratio = fmt.Sprintf("%.2fx", r.m.wall.Seconds()/r.base.wall.Seconds())
		}
		fmt.Printf("%-58s %8.2f %8.2f %7.0f MB %7s\n", r.name, r.m.wall.Seconds(), r.m.cpu.Seconds(), r.m.rssMiB, ratio)
	}
	fmt.Printf("\nbudget (issue 9): plan <= 5x ldapsearch and peak RSS <= 300 MB at 100,000 people; every report < 2 GB at 1,000,000\n")
	for _, r := range t.rows {
		if r.base == nil || !strings.HasPrefix(r.name, "idsync plan") {
			continue
		}
		ok := r.m.wall <= 5*r.base.wall && (size > 100000 || r.m.rssMiB <= 300)
		fmt.Printf("  %-56s %s\n", r.name, verdict(ok))
	}
	for i, rss := range t.reportRSS {
		fmt.Printf("  %-56s %s\n", fmt.Sprintf("report %d of %d: %.0f MB", i+1, len(t.reportRSS), rss), verdict(size > 1000000 || rss < 2048))
	}
}

func verdict(ok bool) string {
	if ok {
		return "within"
	}
	return "OVER"
}
