package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/idsync/idsync/sync"
)

// rowFormats says how a report (runs, audit) writes one row in each of
// its formats: json (one object per line), csv (a header, then a record
// per row) and text (an aligned table).
type rowFormats[R any] struct {
	json func(R) any
	// columns is the CSV header; csv returns a row's record.
	columns []string
	csv     func(R) []string
	// header names the text table's columns; text returns a row's cells.
	// Both are tab-separated; text escapes values from outside (see text).
	header string
	text   func(R) string
}

// rowWriter writes a report one row at a time.
type rowWriter[R any] struct {
	row   func(R) error
	flush func() error
}

// textBlock is how many rows of a text report are aligned together: the
// table is written a block at a time, not held whole until its end.
const textBlock = 4096

// writer returns the writer of format to w, or an error naming the
// formats when format is none of them. The output is buffered: flush
// writes the rest.
func (f rowFormats[R]) writer(format string, w io.Writer) (*rowWriter[R], error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	switch format {
	case "json":
		enc := json.NewEncoder(bw)
		return &rowWriter[R]{row: func(r R) error { return enc.Encode(f.json(r)) }, flush: bw.Flush}, nil
	case "csv":
		cw := csv.NewWriter(bw)
		if err := cw.Write(f.columns); err != nil {
			return nil, err
		}
		return &rowWriter[R]{row: func(r R) error { return cw.Write(f.csv(r)) }, flush: func() error {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
			return bw.Flush()
		}}, nil
	case "text":
		tw := tabwriter.NewWriter(bw, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, f.header)
		n := 0
		return &rowWriter[R]{row: func(r R) error {
			if _, err := io.WriteString(tw, f.text(r)+"\n"); err != nil {
				return err
			}
			if n++; n%textBlock == 0 {
				return tw.Flush()
			}
			return nil
		}, flush: func() error {
			if err := tw.Flush(); err != nil {
				return err
			}
			return bw.Flush()
		}}, nil
	}
	return nil, fmt.Errorf("--format must be text, json or csv, got %q", format)
}

// text makes a value safe for one line of a text report: control, bidi
// and line-separator characters (a newline or tab from the directory, an
// escape sequence in a server's answer) are shown escaped, as the plan
// shows them.
func text(s string) string { return sync.Escape(s) }

// textLines escapes each line of s (an error, a list of results) with
// text, keeping the line breaks idsync wrote.
func textLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = text(l)
	}
	return strings.Join(lines, "\n")
}
