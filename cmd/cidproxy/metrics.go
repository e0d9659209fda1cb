package main

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"cidproxy/sip/event"
)

// newRegistry returns the daemon's private registry with runtime, process
// and build-info metrics.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	bi := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "cidproxy_build_info",
		Help:        "Build information; the value is always 1.",
		ConstLabels: prometheus.Labels{"version": Version, "goversion": runtime.Version()},
	})
	bi.Set(1)
	reg.MustRegister(bi)
	return reg
}

// busCollector reports event bus counters at scrape time.
type busCollector struct{ bus *event.Bus }

var (
	descEmitted = prometheus.NewDesc("cidproxy_events_emitted_total", "Call lifecycle events published, by kind.", []string{"kind"}, nil)
	descDropped = prometheus.NewDesc("cidproxy_events_dropped_total", "Call lifecycle events dropped because a subscriber queue was full.", []string{"subscriber", "kind"}, nil)
	descQueued  = prometheus.NewDesc("cidproxy_events_queued", "Events waiting in a subscriber queue.", []string{"subscriber"}, nil)
)

func (c busCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descEmitted
	ch <- descDropped
	ch <- descQueued
}

func (c busCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.bus.Stats() {
		if s.Subscriber == "" {
			ch <- prometheus.MustNewConstMetric(descEmitted, prometheus.CounterValue, float64(s.Emitted), string(s.Kind))
			continue
		}
		ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(s.Dropped), s.Subscriber, string(s.Kind))
		if s.Kind == event.Kinds[0] {
			ch <- prometheus.MustNewConstMetric(descQueued, prometheus.GaugeValue, float64(s.Queued), s.Subscriber)
		}
	}
}
