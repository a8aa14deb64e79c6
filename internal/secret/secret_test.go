package secret

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	s := New("hunter2")
	outs := []string{
		s.String(), fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x", s, s, s, s, s, s),
		fmt.Sprintf("%+v", struct{ P Secret }{s}),
		fmt.Sprintf("%v %+v %#v", struct{ p Secret }{s}, struct{ p Secret }{s}, struct{ p Secret }{s}),
		fmt.Sprintf("%v", []Secret{s}), fmt.Sprintf("%v", map[string]Secret{"k": s}),
	}
	b, _ := json.Marshal(struct{ P Secret }{s})
	outs = append(outs, string(b))
	for _, o := range outs {
		if strings.Contains(o, "hunter2") {
			t.Errorf("secret leaked: %s", o)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Fatal("Reveal lost the value")
	}
}

func TestRefLoad(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "pw")
	if err := os.WriteFile(f, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("IDSYNC_TEST_SECRET", "from-env")
	tests := []struct {
		ref     Ref
		want    string
		wantErr string
	}{
		{Ref{File: f}, "s3cret", ""},
		{Ref{Env: "IDSYNC_TEST_SECRET"}, "from-env", ""},
		{Ref{Env: "IDSYNC_TEST_UNSET"}, "", "environment variable IDSYNC_TEST_UNSET is not set or empty"},
		{Ref{File: filepath.Join(dir, "missing")}, "", "read secret file: open " + filepath.Join(dir, "missing")},
		{Ref{}, "", "set file or env"},
		{Ref{File: f, Env: "X"}, "", "set either file or env, not both"},
	}
	for _, tt := range tests {
		got, err := tt.ref.Load()
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("%+v: err = %v, want prefix %q", tt.ref, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.Reveal() != tt.want {
			t.Errorf("%+v: got %q, %v; want %q", tt.ref, got.Reveal(), err, tt.want)
		}
	}
}
