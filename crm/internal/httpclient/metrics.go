package httpclient

import "github.com/prometheus/client_golang/prometheus"

// Outcome labels of cidproxy_crm_requests_total.
const (
	OutcomeOK           = "ok"
	OutcomeClientError  = "client_error"
	OutcomeServerError  = "server_error"
	OutcomeRateLimited  = "rate_limited"
	OutcomeTimeout      = "timeout"
	OutcomeNetworkError = "network_error"
	OutcomeBreakerOpen  = "breaker_open"
	OutcomeCanceled     = "canceled"
)

// Metrics holds the request collectors. One Metrics is shared by all
// clients; the template label is bounded by the installed templates.
type Metrics struct {
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	retries      *prometheus.CounterVec
	breakerState *prometheus.GaugeVec
	inflight     *prometheus.GaugeVec
}

// NewMetrics creates the collectors and registers them on reg (nil: not
// registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cidproxy_crm_requests_total",
			Help: "HTTP requests (attempts) sent to CRMs by template, scenario and outcome.",
		}, []string{"template", "scenario", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cidproxy_crm_request_duration_seconds",
			Help:    "Latency of HTTP requests (attempts) to CRMs.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"template", "scenario"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cidproxy_crm_retries_total",
			Help: "Retried CRM requests by template and scenario.",
		}, []string{"template", "scenario"}),
		breakerState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cidproxy_crm_breaker_state",
			Help: "Circuit breaker state per template: 0 closed, 1 half-open, 2 open.",
		}, []string{"template"}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cidproxy_crm_inflight_requests",
			Help: "CRM HTTP requests currently in flight per template.",
		}, []string{"template"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.retries, m.breakerState, m.inflight)
	}
	return m
}

// Requests returns the cidproxy_crm_requests_total counter of one label set
// (tests and status pages read it).
func (m *Metrics) Requests(template, scenario, outcome string) prometheus.Counter {
	return m.requests.WithLabelValues(template, scenario, outcome)
}
