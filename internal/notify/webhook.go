package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/targets/retry"
)

// The kinds of Event.
const (
	RunFailed    = "run_failed"
	GuardTripped = "guard_tripped"
	Recovered    = "recovered"
)

// Event is what happened, as posted under "idsync".
type Event struct {
	Event               string    `json:"event"`
	Target              string    `json:"target,omitempty"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	Error               string    `json:"error,omitempty"`
	Hint                string    `json:"hint,omitempty"`
	Time                time.Time `json:"time"`
}

// Body is the JSON document posted: Text for chat tools, IDSync for machines.
type Body struct {
	Text   string `json:"text"`
	IDSync Event  `json:"idsync"`
}

// text is the human line of e.
func (e Event) text() string {
	var s string
	switch e.Event {
	case RunFailed:
		s = fmt.Sprintf("idsync: %d run(s) in a row failed; nothing more is applied until a run succeeds", e.ConsecutiveFailures)
	case GuardTripped:
		s = "idsync: a guard refused the plan; nothing was applied"
	case Recovered:
		s = fmt.Sprintf("idsync: a run succeeded again after %d failed run(s)", e.ConsecutiveFailures)
	default:
		s = "idsync: " + e.Event
	}
	if e.Target != "" {
		s += " (targets: " + e.Target + ")"
	}
	if e.Error != "" {
		s += ". Error: " + e.Error
	}
	if e.Hint != "" {
		s += ". " + e.Hint
	}
	return s
}

// Sender delivers one event. Send returns when the event was accepted or
// definitely failed; it must honour ctx.
type Sender interface {
	Send(ctx context.Context, e Event) error
}

var _ Sender = (*Webhook)(nil)

// Webhook posts events to an incoming-webhook URL, retrying bounded.
type Webhook struct {
	url     secret.Secret
	client  *http.Client
	retrier *retry.Retrier
}

// retryPolicy bounds the retries of one event.
var retryPolicy = retry.Policy{MaxRetries: 3, MinWait: time.Second, MaxWait: 30 * time.Second, MaxTotalWait: time.Minute}

// NewWebhook loads the URL of cfg (Validate first) and checks it.
// client nil means a client with cfg's timeout; opts go to the Retrier
// (retry.WithClock in tests).
func NewWebhook(cfg Config, client *http.Client, opts ...retry.Option) (*Webhook, error) {
	cfg = cfg.withDefaults()
	raw, err := cfg.Webhook.Load()
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	if _, err := checkURL(raw.Reveal(), cfg.AllowInsecureHTTP); err != nil {
		return nil, err
	}
	if client == nil {
		client = &http.Client{Timeout: cfg.Timeout.Duration}
	}
	return &Webhook{url: raw, client: client, retrier: retry.New(retryPolicy, 0, 1, opts...)}, nil
}

// Send posts e, retrying on 429, 5xx and connection errors. Errors never
// contain the URL.
func (w *Webhook) Send(ctx context.Context, e Event) error {
	body, err := json.Marshal(Body{Text: e.text(), IDSync: e})
	if err != nil {
		return fmt.Errorf("webhook: encode: %w", err)
	}
	err = w.retrier.Do(ctx, func(ctx context.Context, _ int) error { return w.post(ctx, body) })
	if err != nil {
		return fmt.Errorf("webhook: %s: %w", e.Event, err)
	}
	return nil
}

// post makes one attempt. A repeated chat message is harmless, so every
// retryable status is retried.
func (w *Webhook) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url.Reveal(), bytes.NewReader(body))
	if err != nil {
		return errors.New("post: cannot build the request")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) { // it quotes the URL: keep only the cause
			err = uerr.Err
		}
		return retry.Again(fmt.Errorf("post: %w", err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("post: status %d", resp.StatusCode)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		return retry.Throttled(err, resp.Header.Get("Retry-After"))
	}
	if retry.RetryableStatus(resp.StatusCode, true) {
		return retry.Again(err)
	}
	return err
}
