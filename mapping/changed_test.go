package mapping

import (
	"testing"
	"time"
)

func TestChangeTime(t *testing.T) {
	tests := []struct {
		name  string
		attrs Attrs
		want  string // RFC 3339, "" for zero
	}{
		{"modifyTimestamp", Attrs{{Name: "modifytimestamp", Values: []string{"20261201093000Z"}}}, "2026-12-01T09:30:00Z"},
		{"whenChanged with a fraction", Attrs{{Name: "whenchanged", Values: []string{"20261201093000.0Z"}}}, "2026-12-01T09:30:00Z"},
		{"an offset", Attrs{{Name: "modifytimestamp", Values: []string{"20261201103000+0100"}}}, "2026-12-01T09:30:00Z"},
		{"modifyTimestamp first", Attrs{{Name: "whenchanged", Values: []string{"20260101000000Z"}}, {Name: "modifytimestamp", Values: []string{"20261201093000Z"}}}, "2026-12-01T09:30:00Z"},
		{"unparsable, the next one", Attrs{{Name: "modifytimestamp", Values: []string{"yesterday"}}, {Name: "whenchanged", Values: []string{"20261201093000Z"}}}, "2026-12-01T09:30:00Z"},
		{"none", Attrs{{Name: "uid", Values: []string{"ann"}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ChangeTime(&Entry{ID: "1", Attrs: tt.attrs})
			s := ""
			if !got.IsZero() {
				s = got.Format(time.RFC3339)
			}
			if s != tt.want {
				t.Errorf("ChangeTime = %q, want %q", s, tt.want)
			}
		})
	}
}
