package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/internal/secret"
)

// requireToken lets a request through to next only when it carries
// "Authorization: Bearer <token>". The comparison takes the same time
// whatever the presented value (both sides are hashed first, so not even
// the length leaks). Refusals are logged without the header.
func requireToken(token secret.Secret, log logrus.FieldLogger, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token.Reveal()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearer(r.Header.Get("Authorization"))
		sum := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 || !ok {
			log.WithFields(logrus.Fields{"remote": r.RemoteAddr, "path": r.URL.Path, "presented": ok}).
				Warn("admin: refused a request without the right token")
			w.Header().Set("WWW-Authenticate", `Bearer realm="idsync"`)
			http.Error(w, "unauthorized: send Authorization: Bearer <token>", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearer returns the credentials of a Bearer authorization header (the
// scheme is case-insensitive, RFC 9110 §11.1).
func bearer(h string) (string, bool) {
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	cred = strings.TrimSpace(cred)
	return cred, cred != ""
}
