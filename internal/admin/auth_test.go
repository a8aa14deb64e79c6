package admin

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/internal/secret"
)

// FuzzRequireToken checks that a request gets through exactly when its
// Authorization header is the Bearer scheme (any case) and the token, and
// that no answer or log line repeats the header.
func FuzzRequireToken(f *testing.F) {
	const token = "tok-3f9a"
	for _, seed := range []string{"", "Bearer " + token, "bearer " + token, "BEARER  " + token + " ", "Bearer", "Bearer ",
		"Basic " + token, token, "Bearer " + token + "x", "Bearer\t" + token, "Bearer " + strings.Repeat("a", 300)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		var logs strings.Builder
		l := logrus.New()
		l.SetOutput(&logs)
		l.SetFormatter(&logrus.TextFormatter{DisableTimestamp: true})
		reached := false
		h := requireToken(secret.New(token), l, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
		req := httptest.NewRequest(http.MethodGet, "/status", nil)
		req.Header["Authorization"] = []string{header}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		scheme, cred, _ := strings.Cut(header, " ")
		want := strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(cred) == token
		if reached != want {
			t.Fatalf("header %q: reached %v, want %v", header, reached, want)
		}
		if !reached && rec.Code != http.StatusUnauthorized {
			t.Fatalf("header %q: code %d, want 401", header, rec.Code)
		}
		// A refusal's answer and log line do not depend on the header's
		// contents (beyond whether a Bearer credential was presented).
		body, _ := io.ReadAll(rec.Body)
		if !reached && string(body) != "unauthorized: send Authorization: Bearer <token>\n" {
			t.Fatalf("header %q: body %q", header, body)
		}
		presented := strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(cred) != ""
		wantLog := fmt.Sprintf("level=warning msg=\"admin: refused a request without the right token\" path=/status presented=%v remote=\"192.0.2.1:1234\"\n", presented)
		if !reached && logs.String() != wantLog {
			t.Fatalf("header %q: log %q, want %q", header, logs.String(), wantLog)
		}
	})
}
