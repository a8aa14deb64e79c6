package duration_test

import (
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/idsync/idsync/internal/duration"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: `d = "30s"`, want: 30 * time.Second},
		{in: `d = "1h30m"`, want: 90 * time.Minute},
		{in: `d = 30`, wantErr: "a duration needs a unit"},
		{in: `d = 1.5`, wantErr: "a duration needs a unit"},
		{in: `d = "30"`, wantErr: `"30" is not a duration`},
		{in: `d = "soon"`, wantErr: `"soon" is not a duration`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var v struct{ D duration.Duration }
			_, err := toml.Decode(tt.in, &v)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Decode(%s) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%s): %v", tt.in, err)
			}
			if v.D.Duration != tt.want {
				t.Errorf("Decode(%s) = %v, want %v", tt.in, v.D.Duration, tt.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	var b strings.Builder
	if err := toml.NewEncoder(&b).Encode(struct{ D duration.Duration }{duration.Of(90 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	var v struct{ D duration.Duration }
	if _, err := toml.Decode(b.String(), &v); err != nil {
		t.Fatalf("decode %q: %v", b.String(), err)
	}
	if v.D.Duration != 90*time.Second {
		t.Errorf("round trip = %v, want 1m30s", v.D.Duration)
	}
}
