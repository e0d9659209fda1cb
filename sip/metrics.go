package sip

import (
	"errors"
	"fmt"

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
	byClass        [7]prometheus.Counter // index = status/100
	rewrittenVec   *prometheus.CounterVec
	lookupDur      prometheus.Histogram
	lookupTimeouts prometheus.Counter
	malformed      prometheus.Counter
	readPauses     prometheus.Counter
}

var knownMethods = []sip.RequestMethod{sip.INVITE, sip.ACK, sip.CANCEL, sip.BYE, sip.OPTIONS, sip.REGISTER,
	sip.INFO, sip.NOTIFY, sip.SUBSCRIBE, sip.MESSAGE, sip.REFER, sip.PRACK, sip.UPDATE, sip.PUBLISH}

var knownSources = []string{lookup.SourceExtension, lookup.SourcePersonal, lookup.SourceCompany,
	lookup.SourcePrefix, lookup.SourceCRM, "other"}

func newMetrics(reg prometheus.Registerer, activeDialogs func() float64) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cidproxy_sip_requests_total", Help: "SIP requests received, by method (unknown methods count as other).",
		}, []string{"method"}),
		rewrittenVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cidproxy_sip_invites_rewritten_total", Help: "Initial INVITEs whose caller display name was set, by lookup source.",
		}, []string{"source"}),
		lookupDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "cidproxy_lookup_duration_seconds",
			Help:    "Time the resolver took to answer a caller lookup (also late answers).",
			Buckets: []float64{1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
		}),
		lookupTimeouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cidproxy_lookup_timeouts_total", Help: "Caller lookups that exceeded the lookup budget; the INVITE went on unchanged.",
		}),
		malformed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cidproxy_sip_malformed_total", Help: "SIP messages dropped or rejected because they could not be parsed.",
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
	active := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "cidproxy_dialogs_active", Help: "Calls currently tracked by the dialog tracker.",
	}, activeDialogs)
	for _, c := range []prometheus.Collector{m.requests, responses, m.rewrittenVec, m.lookupDur, m.lookupTimeouts, m.malformed, m.readPauses, active} {
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
