// Package metrics holds Airlock's Prometheus metrics: decisions, executions,
// approvals, policy reloads, audit and sandbox failures. A nil *Metrics is
// valid and records nothing, so domain packages need no checks.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one registry of Airlock's metrics.
type Metrics struct {
	reg             *prometheus.Registry
	decisions       *prometheus.CounterVec
	decisionLatency *prometheus.HistogramVec
	executions      *prometheus.CounterVec
	execLatency     *prometheus.HistogramVec
	pending         prometheus.Gauge
	reloads         *prometheus.CounterVec
	auditErrors     prometheus.Counter
	sandboxFailures prometheus.Counter
	shadowDiffs     *prometheus.CounterVec
}

// latency buckets from 50us to 10s: decisions live at the low end,
// commands at the high end.
var buckets = prometheus.ExponentialBucketsRange(0.00005, 10, 20)

// New registers every metric (and the Go and process collectors).
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airlock_decisions_total", Help: "Policy decisions by effect, action kind and workspace.",
		}, []string{"effect", "kind", "workspace"}),
		decisionLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "airlock_decision_duration_seconds", Help: "Time to plan and decide an action.", Buckets: buckets,
		}, []string{"kind"}),
		executions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airlock_executions_total", Help: "Executed actions by outcome status, kind and workspace.",
		}, []string{"status", "kind", "workspace"}),
		execLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "airlock_execution_duration_seconds", Help: "Time to execute an allowed or approved action.", Buckets: buckets,
		}, []string{"kind"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "airlock_pending_approvals", Help: "Actions waiting for human approval.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airlock_policy_reloads_total", Help: "Policy reloads by result (ok, error).",
		}, []string{"result"}),
		auditErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "airlock_audit_write_errors_total", Help: "Audit events that could not be stored (the request failed closed).",
		}),
		sandboxFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "airlock_sandbox_failures_total", Help: "Commands whose sandbox could not start.",
		}),
		shadowDiffs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airlock_shadow_differences_total", Help: "Decisions where the shadow policy disagreed with the enforced one.",
		}, []string{"enforced", "shadow"}),
	}
	m.reg.MustRegister(m.decisions, m.decisionLatency, m.executions, m.execLatency, m.pending, m.reloads,
		m.auditErrors, m.sandboxFailures, m.shadowDiffs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Decision counts a decision and its latency.
func (m *Metrics) Decision(kind, workspace, effect string, d time.Duration) {
	if m == nil {
		return
	}
	m.decisions.WithLabelValues(effect, kind, workspace).Inc()
	m.decisionLatency.WithLabelValues(kind).Observe(d.Seconds())
}

// Execution counts an execution outcome and its latency.
func (m *Metrics) Execution(kind, workspace, status string, d time.Duration) {
	if m == nil {
		return
	}
	m.executions.WithLabelValues(status, kind, workspace).Inc()
	m.execLatency.WithLabelValues(kind).Observe(d.Seconds())
}

// Pending sets the number of pending approvals.
func (m *Metrics) Pending(n int) {
	if m == nil {
		return
	}
	m.pending.Set(float64(n))
}

// PolicyReload counts a reload attempt ("ok" or "error").
func (m *Metrics) PolicyReload(result string) {
	if m == nil {
		return
	}
	m.reloads.WithLabelValues(result).Inc()
}

// AuditWriteError counts an audit event that could not be stored.
func (m *Metrics) AuditWriteError() {
	if m == nil {
		return
	}
	m.auditErrors.Inc()
}

// SandboxFailure counts a sandbox that could not start.
func (m *Metrics) SandboxFailure() {
	if m == nil {
		return
	}
	m.sandboxFailures.Inc()
}

// ShadowDifference counts a shadow decision that differs from the enforced one.
func (m *Metrics) ShadowDifference(enforced, shadow string) {
	if m == nil {
		return
	}
	m.shadowDiffs.WithLabelValues(enforced, shadow).Inc()
}
