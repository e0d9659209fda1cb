package crm

import (
	"github.com/prometheus/client_golang/prometheus"

	"cidproxy/crm/internal/httpclient"
)

// Metrics holds the crm collectors: the HTTP client's (requests, latency,
// retries, breaker, in flight) and the token refreshes. One Metrics is
// shared by all integrations; the template label is the template Key
// (bounded by the number of installed templates).
type Metrics struct {
	http           *httpclient.Metrics
	tokenRefreshes *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them on reg (nil: not
// registered, useful in tests that do not look at metrics).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		http: httpclient.NewMetrics(reg),
		tokenRefreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cidproxy_crm_token_refreshes_total",
			Help: "Access token refreshes by template and outcome (ok, failed).",
		}, []string{"template", "outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.tokenRefreshes)
	}
	return m
}

// httpMetrics returns the client collectors (nil for a nil m).
func (m *Metrics) httpMetrics() *httpclient.Metrics {
	if m == nil {
		return nil
	}
	return m.http
}

func (m *Metrics) tokenRefresh(template string, err error) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	m.tokenRefreshes.WithLabelValues(template, outcome).Inc()
}
