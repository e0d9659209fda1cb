package stream

import (
	"errors"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the popup stream's Prometheus series.
type metrics struct {
	clients       prometheus.Gauge
	popups        *prometheus.CounterVec
	dropped       *prometheus.CounterVec
	claims        prometheus.Counter
	publishErrors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		clients: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "cidproxy", Subsystem: "popup", Name: "clients",
			Help: "Browser event streams connected now.",
		}),
		popups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "cidproxy", Subsystem: "popup", Name: "popups_total",
			Help: "Popups sent to extension streams, by phase (ringing, answered, ended).",
		}, []string{"phase"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "cidproxy", Subsystem: "popup", Name: "clients_dropped_total",
			Help: "Event stream clients dropped: slow (buffer full) or write_timeout (stalled connection).",
		}, []string{"reason"}),
		claims: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cidproxy", Subsystem: "popup", Name: "opened_total",
			Help: "Popups claimed by a browser tab to open (at most one per popup).",
		}),
		publishErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cidproxy", Subsystem: "popup", Name: "publish_errors_total",
			Help: "Stream messages that could not be encoded or published.",
		}),
	}
	for _, p := range []string{"ringing", "answered", "ended"} {
		m.popups.WithLabelValues(p)
	}
	for _, r := range []string{"slow", "write_timeout"} {
		m.dropped.WithLabelValues(r)
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.clients, m.popups, m.dropped, m.claims, m.publishErrors} {
			if err := reg.Register(c); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
				panic(err)
			}
		}
	}
	return m
}

// sortNewest orders calls by their last event, newest first.
func sortNewest(cs []Call) {
	slices.SortFunc(cs, func(a, b Call) int { return b.At.Compare(a.At) })
}
