package sip

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"cidproxy/lookup"
)

// Lookup latency is labelled with the source that named the caller (or
// miss, timeout, error), and misses are counted (issue 16 item 6).
func TestLookupMetricsBySourceAndMisses(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg, func() float64 { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{m: m, log: slog.New(slog.DiscardHandler)}
	for _, a := range []answer{
		{lookup.Result{Name: "Anna", Source: lookup.SourceCompany}, nil},
		{lookup.Result{Name: "Berlin", Source: lookup.SourcePrefix}, nil},
		{lookup.Result{}, lookup.ErrNotFound},
		{lookup.Result{}, nil},
		{lookup.Result{}, context.DeadlineExceeded},
		{lookup.Result{}, errors.New("crm down")},
	} {
		m.lookupDone(time.Now(), a.res, a.err)
		p.answered(a)
	}
	if v := testutil.ToFloat64(m.lookupMisses); v != 2 {
		t.Errorf("misses %v, want 2", v)
	}
	want := `
# HELP cidproxy_lookup_misses_total Caller lookups that found no name (the INVITE went on unchanged); timeouts are counted apart.
# TYPE cidproxy_lookup_misses_total counter
cidproxy_lookup_misses_total 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "cidproxy_lookup_misses_total"); err != nil {
		t.Error(err)
	}
	mfs, _ := reg.Gather()
	counts := map[string]uint64{}
	for _, mf := range mfs {
		if mf.GetName() == "cidproxy_lookup_duration_seconds" {
			for _, s := range mf.GetMetric() {
				counts[s.GetLabel()[0].GetValue()] = s.GetHistogram().GetSampleCount()
			}
		}
	}
	for label, n := range map[string]uint64{"company": 1, "prefix": 1, "miss": 2, "timeout": 1, "error": 1, "personal": 0} {
		if counts[label] != n {
			t.Errorf("lookup_duration{result=%q} count %d, want %d (%v)", label, counts[label], n, counts)
		}
	}
	if n, err := testutil.GatherAndCount(reg, "cidproxy_sip_backlog_goroutines"); err != nil || n != 1 {
		t.Errorf("backlog gauge: %d %v", n, err)
	}
	if probs, err := testutil.GatherAndLint(reg); err != nil || len(probs) > 0 {
		t.Errorf("lint: %v %v", probs, err)
	}
}
