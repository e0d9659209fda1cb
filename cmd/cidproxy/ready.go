package main

import (
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// readiness is what GET /readyz and cidproxy_ready report: ready only
// while the store is open with its index built and the SIP listeners are
// bound, and not once shutdown has begun.
type readiness struct {
	store, sip, closing atomic.Bool
	// cluster, set before the admin listener starts in cluster mode, says
	// why the node is not in the cluster (not connected to NATS, streams
	// not set up), nil when it is.
	cluster func() error
}

// state returns whether the daemon is ready, or what it waits for.
func (r *readiness) state() (bool, string) {
	switch {
	case r.closing.Load():
		return false, "shutting down"
	case !r.store.Load():
		return false, "store not open"
	case !r.sip.Load():
		return false, "SIP listeners not bound"
	}
	if r.cluster != nil {
		if err := r.cluster(); err != nil {
			return false, "cluster: " + err.Error()
		}
	}
	return true, "ready"
}

// ServeHTTP answers 200 "ready" or 503 with the reason.
func (r *readiness) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	ok, why := r.state()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	w.Write([]byte(why + "\n"))
}

// collector returns the cidproxy_ready gauge.
func (r *readiness) collector() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "cidproxy_ready",
		Help: "1 when the daemon is ready to take calls (store open, index built, SIP listeners bound), else 0; the same as GET /readyz.",
	}, func() float64 {
		if ok, _ := r.state(); ok {
			return 1
		}
		return 0
	})
}
