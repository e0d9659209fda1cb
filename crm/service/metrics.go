package service

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	lookups             *prometheus.CounterVec
	lookupSeconds       *prometheus.HistogramVec
	journalAdded        *prometheus.CounterVec
	journalSent         *prometheus.CounterVec
	journalSkipped      *prometheus.CounterVec
	journalErrors       *prometheus.CounterVec
	journalRedeliveries *prometheus.CounterVec
	contactsCreated     *prometheus.CounterVec
	ringDropped         prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, s *Service) *metrics {
	m := &metrics{
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "cidproxy", Subsystem: "crm", Name: "lookups_total",
			Help: "Caller lookups asked of a CRM integration, by outcome (hit, miss, budget_exceeded, error, breaker_open, cached)."}, []string{"integration", "outcome"}),
		lookupSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "cidproxy", Subsystem: "crm", Name: "lookup_duration_seconds",
			Help:    "Time an INVITE waited for a CRM search that answered within the budget.",
			Buckets: []float64{.005, .01, .025, .05, .1, .2, .3, .5, 1, 2}}, []string{"integration"}),
		journalAdded: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "cidproxy", Subsystem: "journal", Name: "records_total",
			Help: "Journal records written to the outbox at a call's end."}, []string{"integration"}),
		journalSent: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "cidproxy", Subsystem: "journal", Name: "sent_total",
			Help: "Journal records the CRM accepted."}, []string{"integration"}),
		journalSkipped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "cidproxy", Subsystem: "journal", Name: "skipped_total",
			Help: "Outbox records not sent, by reason (not_linked, answered_elsewhere, ring_group_leg, not_journaled)."}, []string{"integration", "reason"}),
		journalErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "cidproxy", Subsystem: "journal", Name: "write_errors_total",
			Help: "Journal records that could not be written to the outbox."}, []string{"integration"}),
		journalRedeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "cidproxy", Subsystem: "journal", Name: "redeliveries_total",
			Help: "Records sent again after a restart interrupted a delivery (the CRM may have it twice)."}, []string{"integration"}),
		contactsCreated: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "cidproxy", Subsystem: "crm", Name: "contacts_created_total",
			Help: "Contacts created in the CRM for unknown callers."}, []string{"integration"}),
		ringDropped: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "cidproxy", Subsystem: "crm", Name: "ring_tasks_dropped_total",
			Help: "Ring-time CRM tasks (tickets, contact creation) dropped because their queue was full."}),
	}
	if reg == nil {
		return m
	}
	reg.MustRegister(m.lookups, m.lookupSeconds, m.journalAdded, m.journalSent, m.journalSkipped, m.journalErrors,
		m.journalRedeliveries, m.contactsCreated, m.ringDropped, collector{s})
	return m
}

func (m *metrics) lookup(integration, outcome string) {
	m.lookups.WithLabelValues(integration, outcome).Inc()
}

func (m *metrics) lookupDuration(integration string, d time.Duration) {
	m.lookupSeconds.WithLabelValues(integration).Observe(d.Seconds())
}

// collector reports sizes at scrape time.
type collector struct{ s *Service }

var (
	descOutbox = prometheus.NewDesc("cidproxy_journal_outbox_depth", "Journal records waiting for delivery.", nil, nil)
	descDead   = prometheus.NewDesc("cidproxy_journal_dead_letters", "Journal records that kept failing (see the integrations API).", nil, nil)
	descMisses = prometheus.NewDesc("cidproxy_crm_cache_entries", "Numbers cached by a CRM integration (kind miss: no contact; synced: contacts in its phonebook).", []string{"integration", "kind"}, nil)
	descExpiry = prometheus.NewDesc("cidproxy_crm_token_expiry_seconds", "Seconds until the integration's access token expires (negative: expired).", []string{"integration"}, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descOutbox
	ch <- descDead
	ch <- descMisses
	ch <- descExpiry
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if p, d, err := c.s.outbox.Depth(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(p))
		ch <- prometheus.MustNewConstMetric(descDead, prometheus.GaugeValue, float64(d))
	}
	synced := map[string]int{}
	c.s.refs.mu.RLock()
	for _, r := range c.s.refs.byID {
		synced[r.Integration]++
	}
	c.s.refs.mu.RUnlock()
	for _, in := range c.s.members().list {
		ch <- prometheus.MustNewConstMetric(descMisses, prometheus.GaugeValue, float64(in.misses.Len()), in.name, "miss")
		ch <- prometheus.MustNewConstMetric(descMisses, prometheus.GaugeValue, float64(synced[in.name]), in.name, "synced")
		if t := in.it.Token(); !t.Expiry.IsZero() {
			ch <- prometheus.MustNewConstMetric(descExpiry, prometheus.GaugeValue, time.Until(t.Expiry).Seconds(), in.name)
		}
	}
}
