package admin

import (
	"strings"
	"testing"

	"github.com/idsync/idsync/internal/secret"
)

func TestConfigValidate(t *testing.T) {
	tok := secret.Ref{Env: "IDSYNC_ADMIN_TOKEN"}
	tests := []struct {
		name string
		cfg  Config
		want string // "" for valid; else every line of the error, joined by "|"
	}{
		{"default", Config{}, ""},
		{"loopback v4", Config{Listen: "127.0.0.1:9000"}, ""},
		{"loopback v6", Config{Listen: "[::1]:9000"}, ""},
		{"localhost", Config{Listen: "localhost:9000"}, ""},
		{"port 0", Config{Listen: "127.0.0.1:0"}, ""},
		{"remote with token", Config{Listen: "192.0.2.10:9464", Token: tok}, ""},
		{"wildcard with token", Config{Listen: ":9464", Token: tok}, ""},
		{"loopback with token", Config{Token: tok}, ""},
		{"tls", Config{TLSCertFile: "c.pem", TLSKeyFile: "k.pem"}, ""},
		{"remote without token", Config{Listen: "192.0.2.10:9464"},
			`listen: "192.0.2.10" is not a loopback address: set token to serve beyond this machine`},
		{"name without token", Config{Listen: "admin.example.com:9464"},
			`listen: "admin.example.com" is not a loopback address: set token to serve beyond this machine`},
		{"empty host without token", Config{Listen: ":9464"},
			`listen: ":9464" listens on every interface: set token, or listen on 127.0.0.1`},
		{"0.0.0.0 without token", Config{Listen: "0.0.0.0:9464"},
			`listen: "0.0.0.0:9464" listens on every interface: set token, or listen on 127.0.0.1`},
		{":: without token", Config{Listen: "[::]:9464"},
			`listen: "[::]:9464" listens on every interface: set token, or listen on 127.0.0.1`},
		{"no port", Config{Listen: "127.0.0.1"}, `listen: must be host:port, got "127.0.0.1"`},
		{"bad port", Config{Listen: "127.0.0.1:http"}, `listen: port must be a number from 0 to 65535, got "http"`},
		{"port too big", Config{Listen: "127.0.0.1:70000"}, `listen: port must be a number from 0 to 65535, got "70000"`},
		{"token both", Config{Token: secret.Ref{File: "f", Env: "E"}}, "token: set either file or env, not both"},
		{"tls half", Config{TLSCertFile: "c.pem"}, "tls_cert_file, tls_key_file: set both or neither"},
		{"all at once", Config{Listen: "0.0.0.0:x", TLSKeyFile: "k.pem"},
			`listen: port must be a number from 0 to 65535, got "x"|` +
				`listen: "0.0.0.0:x" listens on every interface: set token, or listen on 127.0.0.1|` +
				"tls_cert_file, tls_key_file: set both or neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			got := ""
			if err != nil {
				got = strings.ReplaceAll(err.Error(), "\n", "|")
			}
			if got != tt.want {
				t.Errorf("Validate() = %q\nwant         %q", got, tt.want)
			}
		})
	}
}

func TestConfigDefaultAddr(t *testing.T) {
	if got := (Config{}).Addr(); got != "127.0.0.1:9464" || DefaultListen != "127.0.0.1:9464" {
		t.Errorf("Addr() = %q, want 127.0.0.1:9464", got)
	}
	if got := (Config{Listen: "[::1]:1"}).Addr(); got != "[::1]:1" {
		t.Errorf("Addr() = %q", got)
	}
}
