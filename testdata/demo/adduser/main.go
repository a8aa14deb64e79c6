// Command adduser creates one SCIM user by hand, the way someone would in
// a SaaS admin console, for make demo (so the demo needs nothing but Go):
//
//	go run ./testdata/demo/adduser BASE_URL TOKEN_FILE USER.json
package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "adduser:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: adduser BASE_URL TOKEN_FILE USER.json")
	}
	token, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	body, err := os.ReadFile(args[2])
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(args[0], "/")+"/Users", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
		return fmt.Errorf("POST /Users: %s: %s", res.Status, msg)
	}
	return nil
}
