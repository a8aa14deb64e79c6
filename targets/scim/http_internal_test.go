package scim

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{" 2 ", 2 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"Thursday, 02-Jan-25 03:05:05 GMT", time.Minute, true}, // RFC 850, still valid HTTP-date
	}
	for _, tt := range tests {
		got, ok := retryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		status     int
		idempotent bool
		want       bool
	}{
		{429, false, true}, {429, true, true},
		{503, false, true}, {503, true, true},
		{500, true, true}, {502, true, true}, {504, true, true},
		{500, false, false}, {502, false, false}, {504, false, false}, // a POST may have happened
		{501, true, false}, {505, true, false},
		{400, true, false}, {401, true, false}, {404, true, false}, {409, false, false},
	}
	for _, tt := range tests {
		if got := retryable(tt.status, tt.idempotent); got != tt.want {
			t.Errorf("retryable(%d, idempotent=%v) = %v, want %v", tt.status, tt.idempotent, got, tt.want)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	c := &Client{cfg: Config{RetryMinWait: 100 * time.Millisecond, RetryMaxWait: time.Second}.withDefaults()}
	for attempt := range 70 {
		ceiling := min(time.Second, 100*time.Millisecond<<min(attempt, 20))
		for range 20 {
			d := c.backoff(attempt)
			if d < ceiling/2 || d > ceiling {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", attempt, d, ceiling/2, ceiling)
			}
		}
	}
}

func TestErrorDetail(t *testing.T) {
	const token = "s3cret-t0ken"
	tests := []struct {
		name, body, detail, scimType string
	}{
		{"scim error", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"userName taken"}`,
			"userName taken", "uniqueness"},
		{"numeric status", `{"status":400,"detail":"bad"}`, "bad", ""},
		{"token removed", `{"detail":"token ` + token + ` is invalid"}`, "token [redacted] is invalid", ""},
		{"plain text body", "<html>\n  Bad   Gateway\n</html>", "<html> Bad Gateway </html>", ""},
		{"other json", `{"error":"x"}`, "", ""},
		{"long detail truncated", `{"detail":"` + strings.Repeat("é", 300) + `"}`, strings.Repeat("é", 100) + "…", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, st := errorDetail([]byte(tt.body), token)
			if d != tt.detail || st != tt.scimType {
				t.Errorf("errorDetail = %q, %q; want %q, %q", d, st, tt.detail, tt.scimType)
			}
		})
	}
}

func TestChunk(t *testing.T) {
	var got [][2]int
	_ = chunk(250, 100, func(lo, hi int) error { got = append(got, [2]int{lo, hi}); return nil })
	if want := [][2]int{{0, 100}, {100, 200}, {200, 250}}; len(got) != 3 || got[0] != want[0] || got[2] != want[2] {
		t.Errorf("chunk(250, 100) = %v", got)
	}
	n := 0
	_ = chunk(0, 100, func(int, int) error { n++; return nil })
	if n != 0 {
		t.Errorf("chunk(0) called fn %d times", n)
	}
}

func TestWithDefaults(t *testing.T) {
	s := Config{URL: "https://x/scim/v2/"}.withDefaults()
	if s.URL != "https://x/scim/v2" || s.Timeout != DefaultTimeout || s.rateLimit != DefaultRateLimit || s.burst != 10 ||
		s.PageSize != DefaultPageSize || s.maxRetries != DefaultMaxRetries || s.UpdateMethod != UpdatePatch ||
		s.MaxMembersPerPatch != DefaultMaxMembersPerPatch || !s.enterprise || s.RetryMinWait != DefaultRetryMinWait ||
		s.RetryMaxWait != DefaultRetryMaxWait || s.excluded != "meta,groups" {
		t.Errorf("defaults: %+v", s)
	}
	zero, no := 0.0, false
	retries := 0
	s = Config{RateLimit: &zero, MaxRetries: &retries, EnterpriseExtension: &no, Burst: 3, ExcludedAttributes: &[]string{}}.withDefaults()
	if s.rateLimit != 0 || s.maxRetries != 0 || s.enterprise || s.burst != 3 || s.excluded != "" {
		t.Errorf("explicit zero values lost: %+v", s)
	}
	half := 0.5
	if s := (Config{RateLimit: &half}).withDefaults(); s.burst != 1 {
		t.Errorf("burst for rate 0.5 = %d, want 1", s.burst)
	}
}

func TestReadBody(t *testing.T) {
	body := strings.Repeat("0123456789", 1000)
	for _, tt := range []struct {
		name          string
		contentLength int64
		buf           []byte
	}{
		{"unknown length", -1, nil},
		{"exact length", int64(len(body)), nil},
		{"length too small", 10, nil},
		{"length too large", int64(len(body)) * 3, nil},
		{"reused buffer", -1, make([]byte, 5, 64)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readBody(iotest.HalfReader(strings.NewReader(body)), tt.contentLength, tt.buf[:0])
			if err != nil || string(got) != body {
				t.Errorf("readBody = %d bytes, %v; want %d bytes", len(got), err, len(body))
			}
		})
	}
	if _, err := readBody(iotest.ErrReader(io.ErrUnexpectedEOF), -1, nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read error = %v", err)
	}
}

// TestBodyBuffersReused: a released buffer of a kept size is handed out
// again; a larger one, or one more than the client keeps, is dropped.
func TestBodyBuffersReused(t *testing.T) {
	k := make(bodyBuffers, keptBodies)
	small := k.get()
	*small = append(*small, make([]byte, 1000)...)
	(&response{buf: small, kept: k}).release()
	if got := k.get(); got != small || len(*got) != 0 || cap(*got) < 1000 {
		t.Errorf("get after release = %p (len %d), want the released %p, emptied", got, len(*got), small)
	}
	big := new([]byte)
	*big = make([]byte, 0, maxKeptBody+1)
	(&response{buf: big, kept: k}).release()
	if len(k) != 0 {
		t.Error("a buffer larger than maxKeptBody was kept")
	}
	for range keptBodies + 2 {
		(&response{buf: new([]byte), kept: k}).release()
	}
	if len(k) != keptBodies {
		t.Errorf("%d buffers kept, want at most %d", len(k), keptBodies)
	}
	var none bodyBuffers // a Client built without New
	(&response{buf: none.get(), kept: none}).release()
}
