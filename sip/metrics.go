package sip

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"cidproxy/lookup"
)

// metrics are the proxy's Prometheus collectors. Label children are
// resolved once so the hot path does no map lookups.
type metrics struct {
	requests       *prometheus.CounterVec
	byMethod       map[sip.RequestMethod]prometheus.Counter
	otherMethod    prometheus.Counter
	retransByMeth  map[sip.RequestMethod]prometheus.Counter
	retransOther   prometheus.Counter
	byClass        [7]prometheus.Counter // index = status/100
	rewrittenVec   *prometheus.CounterVec
	lookupDur      [len(lookupResults)]prometheus.Observer // by lookupResult index
	lookupMisses   prometheus.Counter
	lookupTimeouts prometheus.Counter
	malformed      prometheus.Counter
	readPauses     prometheus.Counter
	overloaded     prometheus.Counter
	tcpRejected    prometheus.Counter
}

var knownMethods = []sip.RequestMethod{sip.INVITE, sip.ACK, sip.CANCEL, sip.BYE, sip.OPTIONS, sip.REGISTER,
	sip.INFO, sip.NOTIFY, sip.SUBSCRIBE, sip.MESSAGE, sip.REFER, sip.PRACK, sip.UPDATE, sip.PUBLISH}

var knownSources = []string{lookup.SourceExtension, lookup.SourcePersonal, lookup.SourceCompany,
	lookup.SourcePrefix, lookup.SourceCRM, "other"}

// lookupResults label cidproxy_lookup_duration_seconds: the source that
// named the caller (knownSources), or why none did.
var lookupResults = [...]string{lookup.SourceExtension, lookup.SourcePersonal, lookup.SourceCompany,
	lookup.SourcePrefix, lookup.SourceCRM, "other", "miss", "timeout", "error"}

// lookupResult is the index into lookupResults for a resolver's answer.
func lookupResult(r lookup.Result, err error) int {
	switch {
	case err == nil && r.Name != "":
		switch r.Source {
		case lookup.SourceExtension:
			return 0
		case lookup.SourcePersonal:
			return 1
		case lookup.SourceCompany:
			return 2
		case lookup.SourcePrefix:
			return 3
		case lookup.SourceCRM:
			return 4
		}
		return 5
	case err == nil, errors.Is(err, lookup.ErrNotFound):
		return 6
	case errors.Is(err, context.DeadlineExceeded):
		return 7
	}
	return 8
}

func newMetrics(reg prometheus.Registerer, activeDialogs func() float64, inFlight ...func() float64) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cidproxy_sip_requests_total", Help: "SIP requests received, by method (unknown methods count as other).",
		}, []string{"method"}),
		rewrittenVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cidproxy_sip_invites_rewritten_total", Help: "Initial INVITEs whose caller display name was set, by lookup source.",
		}, []string{"source"}),
		lookupMisses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cidproxy_lookup_misses_total", Help: "Caller lookups that found no name (the INVITE went on unchanged); timeouts are counted apart.",
		}),
		lookupTimeouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cidproxy_lookup_timeouts_total", Help: "Caller lookups that exceeded the lookup budget; the INVITE went on unchanged.",
		}),
		malformed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cidproxy_sip_malformed_total", Help: "SIP messages dropped or rejected because they could not be parsed.",
		}),
		tcpRejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cidproxy_sip_tcp_rejected_total", Help: "TCP/TLS connections closed at accept: over sip.tcp_max_conns or sip.tcp_max_conns_per_ip.",
		}),
		overloaded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cidproxy_sip_overload_rejects_total", Help: "Requests answered 503 because sip.max_pending requests were already being handled.",
		}),
		readPauses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cidproxy_sip_read_pauses_total",
			Help: "Times the SIP listeners paused reading because the proxy was behind (sip.max_backlog); packets wait in the socket buffers meanwhile.",
		}),
		byMethod: make(map[sip.RequestMethod]prometheus.Counter, len(knownMethods)),
	}
	responses := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cidproxy_sip_responses_total", Help: "SIP responses sent upstream (relayed or local), by class 1xx..6xx.",
	}, []string{"class"})
	lookupDur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cidproxy_lookup_duration_seconds",
		Help:    "Time the resolver took to answer a caller lookup (also late answers), by result: the source that named the caller, or miss, timeout, error.",
		Buckets: []float64{1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
	}, []string{"result"})
	for i, r := range lookupResults {
		m.lookupDur[i] = lookupDur.WithLabelValues(r)
	}
	active := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "cidproxy_dialogs_active", Help: "Calls currently tracked by the dialog tracker.",
	}, activeDialogs)
	retrans := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cidproxy_sip_retransmissions_total",
		Help: "SIP requests received again and absorbed by their server transaction (a new request is a transaction: cidproxy_sip_requests_total), by method.",
	}, []string{"method"})
	m.retransByMeth = make(map[sip.RequestMethod]prometheus.Counter, len(knownMethods))
	for _, meth := range knownMethods {
		m.retransByMeth[meth] = retrans.WithLabelValues(string(meth))
	}
	m.retransOther = retrans.WithLabelValues("other")
	collectors := []prometheus.Collector{retrans, m.requests, responses, m.rewrittenVec, lookupDur, m.lookupMisses, m.lookupTimeouts, m.malformed, m.readPauses, m.overloaded, m.tcpRejected, active,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cidproxy_sip_backlog_goroutines",
			Help: "Runnable goroutines waiting for a CPU: the backlog the listeners pause at (sip.max_backlog).",
		}, func() float64 { return float64(runnableGoroutines()) }),
	}
	for _, f := range inFlight {
		collectors = append(collectors, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cidproxy_sip_requests_in_flight", Help: "SIP requests the proxy is handling (server transactions being relayed).",
		}, f))
	}
	for _, c := range collectors {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, fmt.Errorf("sip: register metrics: %w", err)
			}
			return nil, fmt.Errorf("sip: metrics already registered (one proxy per registry): %w", err)
		}
	}
	for _, meth := range knownMethods {
		m.byMethod[meth] = m.requests.WithLabelValues(string(meth))
	}
	m.otherMethod = m.requests.WithLabelValues("other")
	for i := 1; i <= 6; i++ {
		m.byClass[i] = responses.WithLabelValues(fmt.Sprintf("%dxx", i))
	}
	for _, s := range knownSources {
		m.rewrittenVec.WithLabelValues(s)
	}
	return m, nil
}

func (m *metrics) request(meth sip.RequestMethod) {
	if c, ok := m.byMethod[meth]; ok {
		c.Inc()
		return
	}
	m.otherMethod.Inc()
}

// retransmission counts a request absorbed by its server transaction.
func (m *metrics) retransmission(req *sip.Request) {
	if c, ok := m.retransByMeth[req.Method]; ok {
		c.Inc()
		return
	}
	m.retransOther.Inc()
}

func (m *metrics) response(code int) {
	if i := code / 100; i >= 1 && i <= 6 {
		m.byClass[i].Inc()
	}
}

func (m *metrics) rewritten(source string) {
	for _, s := range knownSources {
		if s == source {
			m.rewrittenVec.WithLabelValues(s).Inc()
			return
		}
	}
	m.rewrittenVec.WithLabelValues("other").Inc()
}

// lookupDone records how long a lookup took and what it gave.
func (m *metrics) lookupDone(start time.Time, r lookup.Result, err error) {
	m.lookupDur[lookupResult(r, err)].Observe(time.Since(start).Seconds())
}
