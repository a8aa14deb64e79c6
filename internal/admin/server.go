package admin

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/internal/secret"
)

// DefaultShutdownTimeout bounds how long Run waits, once its context is
// done, for the requests in flight before it closes their connections.
const DefaultShutdownTimeout = 5 * time.Second

// Options are what a Server serves.
type Options struct {
	Status    StatusProvider // required
	Readiness Readiness      // required
	Metrics   *Metrics       // required
	// Runner, when set, serves POST /run; without it /run is 404.
	Runner Runner
	// Log receives the listener's messages; nil discards them.
	Log logrus.FieldLogger
	// ShutdownTimeout overrides DefaultShutdownTimeout when positive.
	ShutdownTimeout time.Duration
}

// Server is the admin HTTP listener.
type Server struct {
	ln       net.Listener
	srv      *http.Server
	log      logrus.FieldLogger
	shutdown time.Duration
}

// New validates cfg, loads the token and the TLS certificate, and binds the
// listener, so that a bad setting or a port in use shows at start-up. Call
// Run to serve, or Close to release the listener without serving.
func New(cfg Config, opts Options) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("admin: invalid config: %w", err)
	}
	if opts.Status == nil || opts.Readiness == nil || opts.Metrics == nil {
		return nil, errors.New("admin: Status, Readiness and Metrics are required")
	}
	log := opts.Log
	if log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		log = l
	}
	token, tlsConfig, err := loadFiles(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		return nil, fmt.Errorf("admin: listen: %w", err)
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	var h http.Handler = routes(opts, log)
	if !token.IsZero() {
		h = requireToken(token, log, h)
	}
	s := &Server{ln: ln, log: log, shutdown: DefaultShutdownTimeout}
	if opts.ShutdownTimeout > 0 {
		s.shutdown = opts.ShutdownTimeout
	}
	s.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          newErrorLog(log),
	}
	return s, nil
}

// loadFiles loads the token and the TLS certificate that cfg names, if any.
func loadFiles(cfg Config) (secret.Secret, *tls.Config, error) {
	var token secret.Secret
	if !cfg.Token.IsZero() {
		t, err := cfg.Token.Load()
		if err != nil {
			return secret.Secret{}, nil, fmt.Errorf("admin: token: %w", err)
		}
		token = t
	}
	if !cfg.TLS() {
		return token, nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return secret.Secret{}, nil, fmt.Errorf("admin: tls_cert_file, tls_key_file: %w", err)
	}
	return token, &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// Addr returns the address the listener is bound to (with the actual port
// when the configuration asked for port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close releases the listener of a Server whose Run was never called.
func (s *Server) Close() error { return s.ln.Close() }

// Run serves until ctx is done, then stops accepting, lets the requests in
// flight finish for up to the shutdown timeout, and closes what is left. It
// returns nil after a clean shutdown. Call it once.
func (s *Server) Run(ctx context.Context) error {
	s.log.WithField("address", s.Addr().String()).Info("admin: listening")
	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(s.ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("admin: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.shutdown)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if err != nil {
		err = errors.Join(fmt.Errorf("admin: shutdown after %s: %w", s.shutdown, err), s.srv.Close())
	}
	<-served // http.ErrServerClosed
	s.log.Info("admin: stopped")
	return err
}

// routes is the mux of the endpoints.
func routes(opts Options, log logrus.FieldLogger) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ready, reason := opts.Readiness.Ready()
		code := http.StatusOK
		if !ready {
			code = http.StatusServiceUnavailable
			if reason == "" {
				reason = "not ready"
			}
		}
		writeJSON(w, code, readyDoc{Ready: ready, Reason: reason}, log)
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		st, err := opts.Status.Status(r.Context())
		if err != nil {
			log.WithError(err).Error("admin: status")
			writeJSON(w, http.StatusInternalServerError, errorDoc{Error: err.Error()}, log)
			return
		}
		st.Version = StatusVersion
		writeJSON(w, http.StatusOK, st, log)
	})
	mux.Handle("GET /metrics", opts.Metrics.Handler())
	if opts.Runner != nil {
		mux.Handle("POST /run", runHandler(opts.Runner, log))
	}
	return mux
}

// readyDoc is the body of /readyz.
type readyDoc struct {
	Ready  bool   `json:"ready"`
	Reason string `json:"reason,omitempty"`
}

// errorDoc is the body of a failed /status.
type errorDoc struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any, log logrus.FieldLogger) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		log.WithError(err).Error("admin: encode response")
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// logWriter turns net/http's error log lines into warnings.
type logWriter struct{ log logrus.FieldLogger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Warn("admin: " + strings.TrimSpace(string(p)))
	return len(p), nil
}

func newErrorLog(log logrus.FieldLogger) *stdlog.Logger { return stdlog.New(logWriter{log}, "", 0) }
