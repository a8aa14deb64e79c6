package admin

import (
	"testing"

	"github.com/idsync/idsync/internal/secret"
)

func TestClientURL(t *testing.T) {
	t.Setenv("IDSYNC_TEST_ADMIN_TOKEN", "t")
	tok := secret.Ref{Env: "IDSYNC_TEST_ADMIN_TOKEN"}
	cert, key := selfSigned(t)
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{}, "http://127.0.0.1:9464"},
		{Config{Listen: "[::1]:9000"}, "http://[::1]:9000"},
		{Config{Listen: "localhost:9000"}, "http://localhost:9000"},
		{Config{Listen: ":9464", Token: tok}, "http://127.0.0.1:9464"},
		{Config{Listen: "0.0.0.0:9464", Token: tok}, "http://127.0.0.1:9464"},
		{Config{Listen: "[::]:9464", Token: tok}, "http://127.0.0.1:9464"},
		{Config{Listen: "admin.example.com:9464", Token: tok}, "http://admin.example.com:9464"},
		{Config{TLSCertFile: cert, TLSKeyFile: key}, "https://127.0.0.1:9464"},
	}
	for _, tt := range tests {
		c, err := NewClient(tt.cfg)
		if err != nil {
			t.Errorf("NewClient(%+v): %v", tt.cfg, err)
			continue
		}
		if c.base != tt.want {
			t.Errorf("NewClient(%+v) talks to %s, want %s", tt.cfg, c.base, tt.want)
		}
	}
	if _, err := NewClient(Config{Listen: "0.0.0.0:9464"}); err == nil {
		t.Error("NewClient accepted a configuration that Validate refuses")
	}
}
