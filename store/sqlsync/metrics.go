package sqlsync

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	runs         *prometheus.CounterVec
	rows         *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	lastSuccess  *prometheus.GaugeVec
	notifyErrors *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "cidproxy", Subsystem: "sql_sync", Name: "runs_total",
			Help: "SQL sync runs by source and outcome (success, partial, failed)."}, []string{"source", "outcome"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "cidproxy", Subsystem: "sql_sync", Name: "rows_total",
			Help: "Rows of committed SQL sync runs by result (added, updated, removed, unchanged, failed)."}, []string{"source", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "cidproxy", Subsystem: "sql_sync", Name: "duration_seconds",
			Help: "Duration of SQL sync runs.", Buckets: prometheus.ExponentialBuckets(0.1, 3, 9)}, []string{"source"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "cidproxy", Subsystem: "sql_sync", Name: "last_success_timestamp_seconds",
			Help: "Unix time of the last SQL sync run that committed."}, []string{"source"}),
		notifyErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "cidproxy", Subsystem: "sql_sync", Name: "notify_errors_total",
			Help: "SQL sync result emails and webhooks that failed."}, []string{"source", "channel"}),
	}
	if reg != nil {
		reg.MustRegister(m.runs, m.rows, m.duration, m.lastSuccess, m.notifyErrors)
	}
	return m
}

func (m *metrics) observe(r Run) {
	m.runs.WithLabelValues(r.Source, r.Outcome).Inc()
	m.duration.WithLabelValues(r.Source).Observe(r.Duration)
	if r.Outcome == OutcomeFailed {
		return
	}
	for res, n := range map[string]int{"added": r.Added, "updated": r.Updated, "removed": r.Removed, "unchanged": r.Unchanged, "failed": r.Failed} {
		m.rows.WithLabelValues(r.Source, res).Add(float64(n))
	}
	m.lastSuccess.WithLabelValues(r.Source).Set(float64(r.Started.Unix() + int64(r.Duration)))
}
