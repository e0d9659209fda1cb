package cluster

import "github.com/prometheus/client_golang/prometheus"

// metrics are the cluster's Prometheus series.
type metrics struct {
	connected    prometheus.Gauge
	reconnects   prometheus.Counter
	forwarded    prometheus.Counter
	localPending prometheus.Gauge
	fanoutErrors prometheus.Counter
	leaseHeld    *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "cidproxy", Subsystem: "cluster", Name: "nats_connected",
			Help: "1 while the node is connected to a NATS server, else 0.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cidproxy", Subsystem: "cluster", Name: "nats_reconnects_total",
			Help: "Reconnections to a NATS server after a disconnection.",
		}),
		forwarded: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cidproxy", Subsystem: "cluster", Name: "journal_forwarded_total",
			Help: "Journal records written to the local outbox while NATS was unreachable and forwarded to the replicated one since.",
		}),
		localPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "cidproxy", Subsystem: "cluster", Name: "journal_local_pending",
			Help: "Journal records waiting in the local outbox for NATS (as of the last forwarding pass).",
		}),
		fanoutErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cidproxy", Subsystem: "cluster", Name: "popup_receive_errors_total",
			Help: "Popup stream messages from other nodes that could not be decoded.",
		}),
		leaseHeld: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "cidproxy", Subsystem: "cluster", Name: "lease_held",
			Help: "1 while this node holds the lease for the scheduled work, else 0.",
		}, []string{"lease"}),
	}
	if reg != nil {
		reg.MustRegister(m.connected, m.reconnects, m.forwarded, m.localPending, m.fanoutErrors, m.leaseHeld)
	}
	return m
}

func (m *metrics) setConnected(on bool) {
	if on {
		m.connected.Set(1)
	} else {
		m.connected.Set(0)
	}
}
