package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

// scrape GETs /metrics and parses the text exposition.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// counter returns the value of family's series with exactly these labels
// (0 when there is none).
func counter(t *testing.T, fams map[string]*dto.MetricFamily, family string, labels map[string]string) float64 {
	t.Helper()
	f := fams[family]
	if f == nil {
		return 0
	}
series:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				continue series
			}
		}
		return m.GetCounter().GetValue()
	}
	return 0
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestMetricsEndpoint makes real decisions and reads them back from a real
// HTTP scrape of the admin handler; readiness follows the store.
func TestMetricsEndpoint(t *testing.T) {
	e := startEnv(t, envOpts{})
	admin := httptest.NewServer(e.app.AdminHandler())
	defer admin.Close()

	actions := []struct {
		ws     string
		action *airlockv1.Action
		effect airlockv1.Effect
	}{
		{"dev", readA(".env"), airlockv1.Effect_EFFECT_DENY},
		{"dev", readA(".env"), airlockv1.Effect_EFFECT_DENY},
		{"dev", readA(".env"), airlockv1.Effect_EFFECT_DENY},
		{"dev", writeA(".env", "X=1\n"), airlockv1.Effect_EFFECT_DENY},
		{"prod", writeA("README.md", "# x\n"), airlockv1.Effect_EFFECT_DENY},
		{"dev", writeA("src/m1.go", "package app\n"), airlockv1.Effect_EFFECT_ALLOW},
		{"dev", writeA("src/m2.go", "package app\n"), airlockv1.Effect_EFFECT_ALLOW},
		{"dev", editA("deploy/service.yaml", "3", "4"), airlockv1.Effect_EFFECT_ESCALATE},
	}
	for _, a := range actions {
		rec, err := e.submit(a.ws, a.action)
		if err != nil || rec.GetDecision().GetEffect() != a.effect {
			t.Fatalf("%v: %v %v", a.action, rec.GetDecision().GetEffect(), err)
		}
	}
	fams := scrape(t, admin.URL)
	cases := []struct {
		name   string
		family string
		labels map[string]string
		want   float64
	}{
		{"deny reads in dev", "airlock_decisions_total", map[string]string{"effect": "deny", "kind": "read_file", "workspace": "dev"}, 3},
		{"deny writes in dev", "airlock_decisions_total", map[string]string{"effect": "deny", "kind": "write_file", "workspace": "dev"}, 1},
		{"deny writes in prod", "airlock_decisions_total", map[string]string{"effect": "deny", "kind": "write_file", "workspace": "prod"}, 1},
		{"allow writes in dev", "airlock_decisions_total", map[string]string{"effect": "allow", "kind": "write_file", "workspace": "dev"}, 2},
		{"escalated edit", "airlock_decisions_total", map[string]string{"effect": "escalate", "kind": "edit_file", "workspace": "dev"}, 1},
		{"no allowed reads", "airlock_decisions_total", map[string]string{"effect": "allow", "kind": "read_file", "workspace": "dev"}, 0},
		{"executed writes", "airlock_executions_total", map[string]string{"status": "succeeded", "kind": "write_file", "workspace": "dev"}, 2},
		{"no audit write errors", "airlock_audit_write_errors_total", map[string]string{}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := counter(t, fams, tc.family, tc.labels); got != tc.want {
				t.Errorf("%s%v = %v, want %v", tc.family, tc.labels, got, tc.want)
			}
		})
	}
	if fams["airlock_decision_duration_seconds"].GetMetric()[0].GetHistogram().GetSampleCount() == 0 {
		t.Error("decision latency histogram is empty")
	}

	if c := get(t, admin.URL+"/healthz"); c != http.StatusOK {
		t.Fatalf("/healthz = %d", c)
	}
	if c := get(t, admin.URL+"/readyz"); c != http.StatusOK {
		t.Fatalf("/readyz = %d before the store closed", c)
	}
	if err := e.app.Store.Close(); err != nil {
		t.Fatal(err)
	}
	if c := get(t, admin.URL+"/readyz"); c != http.StatusServiceUnavailable {
		t.Fatalf("/readyz = %d with the store closed, want 503", c)
	}
	if c := get(t, admin.URL+"/healthz"); c != http.StatusOK {
		t.Fatalf("/healthz = %d: the process is still up", c)
	}
}
