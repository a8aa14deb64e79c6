package ldapsource

import (
	"strings"
	"testing"

	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
)

// TestReadTLS reads over StartTLS and ldaps:// with the test CA, and checks
// that verification is on: without ca_file, or for another server name, the
// read fails with an x509 error.
func TestReadTLS(t *testing.T) {
	t.Parallel()
	srv := generated(t, 10, 2, slapdtest.WithTLS())
	tests := []struct {
		name    string
		set     func(*Config)
		wantErr string // "" for success
	}{
		{"starttls", func(c *Config) { c.StartTLS, c.CAFile = true, srv.CAFile }, ""},
		{"ldaps", func(c *Config) { c.URL, c.CAFile = srv.LDAPSURL, srv.CAFile }, ""},
		{"ldaps localhost", func(c *Config) {
			c.URL, c.CAFile = strings.Replace(srv.LDAPSURL, "127.0.0.1", "localhost", 1), srv.CAFile
		}, ""},
		{"starttls without ca_file", func(c *Config) { c.StartTLS = true },
			"x509: certificate signed by unknown authority"},
		{"ldaps without ca_file", func(c *Config) { c.URL = srv.LDAPSURL },
			"x509: certificate signed by unknown authority"},
		{"ldaps wrong server_name", func(c *Config) {
			c.URL, c.CAFile, c.ServerName = srv.LDAPSURL, srv.CAFile, "ldap.example.net"
		}, "x509: certificate is valid for localhost"},
		{"ldaps insecure_skip_verify", func(c *Config) { c.URL, c.InsecureSkipVerify = srv.LDAPSURL, true }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, srv)
			tt.set(&cfg)
			got, err := readAll(t, cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr == "" && len(got) != 10:
				t.Errorf("read %d users, want 10", len(got))
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
