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

// A request sent again with the same branch is absorbed by its server
// transaction and counted by method (issue 16 item 6); the transaction
// itself counts once in cidproxy_sip_requests_total.
func TestRetransmissionsCounted(t *testing.T) {
	e := newEnv(t, false, nil)
	u := newRawUA(t, e.proxyAddr())
	invite := "INVITE sip:1001@" + e.proxyAddr() + " SIP/2.0\n" +
		"Via: SIP/2.0/UDP " + u.addr() + ";branch=z9hG4bK-retrans-1\n" +
		"From: <sip:+4930123456@" + u.addr() + ">;tag=rt1\n" +
		"To: <sip:1001@" + e.proxyAddr() + ">\n" +
		"Call-ID: retrans-1\nCSeq: 1 INVITE\n" +
		"Max-Forwards: 0\n" + // answered 483 by the proxy itself
		"Content-Length: 0\n\n"
	u.send("%s", invite)
	if res := u.recvResponse(2 * time.Second); res == nil || res.StatusCode != 483 {
		t.Fatalf("INVITE answered %v, want 483", res)
	}
	u.send("%s", invite)
	if res := u.recvResponse(2 * time.Second); res == nil || res.StatusCode != 483 {
		t.Fatalf("retransmitted INVITE answered %v, want the 483 again", res)
	}
	if v := testutil.ToFloat64(e.p.m.retransByMeth["INVITE"]); v != 1 {
		t.Errorf("retransmissions{INVITE} = %v, want 1", v)
	}
	if v := testutil.ToFloat64(e.p.m.byMethod["INVITE"]); v != 1 {
		t.Errorf("requests{INVITE} = %v, want 1 (a retransmission is no new transaction)", v)
	}
}
