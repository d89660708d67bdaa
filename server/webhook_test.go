package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestWebhook: a new pending action and its outcome are announced with a
// plain text field; a failing endpoint is retried; the decision never waits.
func TestWebhook(t *testing.T) {
	got := make(chan map[string]any, 10)
	failures := 1
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failures > 0 {
			failures--
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Errorf("webhook body %q: %v", raw, err)
		}
		got <- m
	}))
	defer hook.Close()
	e := startEnv(t, envOpts{extraYAML: "approvals:\n  webhook:\n    url: " + hook.URL + "\n"})
	rec := e.pending("dev", "deploy/service.yaml", "3", "4")
	next := func() map[string]any {
		select {
		case m := <-got:
			return m
		case <-time.After(30 * time.Second): // bound on failure only
			t.Fatal("no webhook call")
			return nil
		}
	}
	m := next()
	if m["event"] != "approval.pending" || !strings.Contains(m["text"].(string), rec.GetActionId()) {
		t.Errorf("pending event = %v", m)
	}
	if action, _ := m["action"].(map[string]any); action["id"] != rec.GetActionId() {
		t.Errorf("action = %v", m["action"])
	}
	if strings.Contains(m["text"].(string), "replicas") {
		t.Errorf("webhook leaked content: %v", m["text"])
	}
	if _, err := e.approve(bobToken, rec.GetActionId(), "ok"); err != nil {
		t.Fatal(err)
	}
	if m := next(); m["event"] != "approval.succeeded" {
		t.Errorf("outcome event = %v", m)
	}
}
