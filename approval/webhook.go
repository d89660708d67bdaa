package approval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/airlock-dev/airlock/pipeline"
)

// WebhookConf configures the webhook that announces pending actions and
// outcomes. Delivery is asynchronous: it never blocks or changes a decision.
type WebhookConf struct {
	// URL receives a JSON POST per event; empty disables the webhook.
	URL string `yaml:"url"`
	// Timeout bounds one delivery attempt (default 5s).
	Timeout time.Duration `yaml:"timeout"`
	// Attempts is the number of tries per event, with exponential backoff
	// from 500ms (default 5).
	Attempts int `yaml:"attempts"`
	// Queue is how many events wait for delivery before new ones are
	// dropped (and logged) (default 1000).
	Queue int `yaml:"queue"`
}

// SetDefaults fills unset values.
func (c *WebhookConf) SetDefaults() {
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Attempts == 0 {
		c.Attempts = 5
	}
	if c.Queue == 0 {
		c.Queue = 1000
	}
}

// Validate names the bad key.
func (c *WebhookConf) Validate() error {
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("approvals.webhook.url: %q is not an http(s) URL", c.URL)
		}
	}
	if c.Attempts < 1 || c.Attempts > 20 {
		return errors.New("approvals.webhook.attempts: must be between 1 and 20")
	}
	return nil
}

// event is the webhook's JSON body. Text is a plain sentence, so that the
// body can go straight to a chat tool's incoming webhook.
type event struct {
	Text   string           `json:"text"`
	Event  string           `json:"event"`
	Record *pipeline.Record `json:"-"`
	Action *actionSummary   `json:"action"`
}

// actionSummary is what the webhook says about an action: no contents, no
// diffs.
type actionSummary struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	Workspace string    `json:"workspace"`
	Principal string    `json:"principal"`
	Kind      string    `json:"kind"`
	Paths     []string  `json:"paths"`
	Intent    string    `json:"intent"`
	Reasons   []string  `json:"reasons"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

type webhook struct {
	c      WebhookConf
	log    *zap.Logger
	queue  chan event
	client *http.Client
}

func newWebhook(c WebhookConf, log *zap.Logger) *webhook {
	c.SetDefaults()
	return &webhook{c: c, log: log, queue: make(chan event, c.Queue), client: &http.Client{Timeout: c.Timeout}}
}

// send queues ev without blocking.
func (w *webhook) send(ev event) {
	if w.c.URL == "" {
		return
	}
	r := ev.Record
	ev.Action = &actionSummary{ID: r.ID, Status: string(r.Status), Workspace: r.Workspace, Principal: r.Principal,
		Kind: r.Kind, Paths: r.Plan.AllPaths, Intent: r.Intent, ExpiresAt: r.ExpiresAt}
	for _, rs := range r.Decision.Reasons {
		ev.Action.Reasons = append(ev.Action.Reasons, rs.RuleID+": "+rs.Message)
	}
	select {
	case w.queue <- ev:
	default:
		w.log.Warn("webhook queue full; event dropped", zap.String("event", ev.Event), zap.String("action_id", r.ID))
	}
}

func (w *webhook) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-w.queue:
			w.deliver(ctx, ev)
		}
	}
}

func (w *webhook) deliver(ctx context.Context, ev event) {
	body, err := json.Marshal(ev)
	if err != nil {
		w.log.Error("webhook body", zap.Error(err))
		return
	}
	backoff := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := w.post(ctx, body)
		if err == nil {
			return
		}
		if attempt >= w.c.Attempts || ctx.Err() != nil {
			w.log.Warn("webhook delivery failed", zap.String("event", ev.Event), zap.String("action_id", ev.Action.ID), zap.Int("attempts", attempt), zap.Error(err))
			return
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

func (w *webhook) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.c.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

func pathsOf(r *pipeline.Record) string {
	if len(r.Plan.AllPaths) == 0 {
		return "no paths"
	}
	return strings.Join(r.Plan.AllPaths, ", ")
}

func reasonsOf(r *pipeline.Record) string {
	var parts []string
	for _, rs := range r.Decision.Reasons {
		parts = append(parts, rs.Message)
	}
	return strings.Join(parts, "; ")
}

func outcomeText(r *pipeline.Record) string {
	switch {
	case r.Failure != nil:
		return "approved, then " + string(r.Status) + ": " + r.Failure.Message
	default:
		return "approved and " + string(r.Status)
	}
}
