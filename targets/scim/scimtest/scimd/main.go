// Command scimd runs scimtest's in-memory SCIM 2.0 server until SIGINT or
// SIGTERM: the local SCIM endpoint of `make demo`, and a target for manual
// and scale runs. Data lives in memory only.
//
//	scimd -token-file token.txt -addr-file scim.addr [-listen 127.0.0.1:0] [-seed users.json] [-write-log]
//
// -seed creates the users of a JSON array of SCIM User resources at start,
// e.g. a hand-made account no source person is linked to (an orphan).
// -write-log records every successful write with the time it finished and
// serves them at /_writes?after=N (bearer token required): the benchmark
// of idsync's change latency reads them (cmd/idsync-bench -watch).
// Once listening it writes the base URL (http://HOST:PORT/scim/v2) to the
// -addr-file and to stdout.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/idsync/idsync/targets/scim/scimtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scimd:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("scimd", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	tokenFile := fs.String("token-file", "", "file holding the bearer token (required)")
	addrFile := fs.String("addr-file", "", "file to write the base URL to once listening")
	maxMembers := fs.Int("max-members-per-patch", 0, "reject group PATCHes with more member changes (0: no limit)")
	profile := fs.String("profile", "", "imitate an application: "+strings.Join(scimtest.Profiles(), ", "))
	seedFile := fs.String("seed", "", "JSON file with an array of SCIM User resources to create at start (e.g. an orphan)")
	recordWrites := fs.Bool("write-log", false, "record successful writes and serve them at "+WritesPath+"?after=N (benchmarks)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tokenFile == "" {
		return errors.New("-token-file is required")
	}
	if err := scimtest.CheckProfile(*profile); err != nil {
		return err
	}
	b, err := os.ReadFile(*tokenFile)
	if err != nil {
		return err
	}
	token := strings.TrimRight(string(b), "\r\n")
	if token == "" {
		return fmt.Errorf("token file %s is empty", *tokenFile)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := scimtest.NewServer(scimtest.Options{Token: token, MaxMembersPerPatch: *maxMembers, Profile: *profile})
	if *seedFile != "" {
		if err := seed(srv, *seedFile); err != nil {
			_ = ln.Close()
			return err
		}
	}
	handler := scimtest.Mount(scimtest.BasePath, srv)
	if *recordWrites {
		handler = (&writeLog{token: token}).handler(handler)
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()

	base := "http://" + ln.Addr().String() + scimtest.BasePath
	if *addrFile != "" {
		if err := writeAtomic(*addrFile, base+"\n"); err != nil {
			_ = hs.Close()
			return err
		}
	}
	fmt.Fprintln(stdout, base)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return hs.Shutdown(shutdown)
}

// seed creates the users in a JSON array of SCIM User resources.
func seed(srv *scimtest.Server, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var users []map[string]any
	if err := json.Unmarshal(b, &users); err != nil {
		return fmt.Errorf("seed %s: %w", path, err)
	}
	for i, u := range users {
		if _, err := srv.SeedResource("User", u); err != nil {
			return fmt.Errorf("seed %s: user %d: %w", path, i+1, err)
		}
	}
	return nil
}

// writeAtomic writes data to path via a temporary file and a rename, so a
// reader polling for the file never sees it half written.
func writeAtomic(path, data string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".scimd-addr-*")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(data); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
