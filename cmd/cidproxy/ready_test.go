package main

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestReadinessTransitions(t *testing.T) {
	var r readiness
	reg := prometheus.NewRegistry()
	reg.MustRegister(r.collector())
	check := func(step string, code int, body string, gauge float64) {
		t.Helper()
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		if rec.Code != code || rec.Body.String() != body+"\n" {
			t.Errorf("%s: %d %q, want %d %q", step, rec.Code, rec.Body.String(), code, body)
		}
		if g := testutil.ToFloat64(reg); g != gauge {
			t.Errorf("%s: cidproxy_ready %v, want %v", step, g, gauge)
		}
	}
	check("start", 503, "store not open", 0)
	r.store.Store(true)
	check("store open", 503, "SIP listeners not bound", 0)
	r.sip.Store(true)
	check("listening", 200, "ready", 1)
	var clusterErr error = errors.New("not connected to NATS")
	r.cluster = func() error { return clusterErr }
	check("cluster down", 503, "cluster: not connected to NATS", 0)
	clusterErr = nil
	check("cluster up", 200, "ready", 1)
	r.closing.Store(true)
	check("closing", 503, "shutting down", 0)
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The daemon becomes ready, says so on /readyz and in cidproxy_ready,
// passes promtool's metric checks and logs each HTTP request at INFO
// without query strings.
func TestDaemonReadyMetricsAccessLog(t *testing.T) {
	base, _, stop, out := startDaemon(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := httpGet(t, base+"/readyz")
		if code == 200 && body == "ready\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz: %d %q", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, metrics := httpGet(t, base+"/metrics")
	if !strings.Contains(metrics, "\ncidproxy_ready 1\n") {
		t.Errorf("cidproxy_ready not 1")
	}
	for _, name := range []string{"cidproxy_sip_requests_in_flight", "cidproxy_sip_backlog_goroutines", "cidproxy_lookup_misses_total", `cidproxy_lookup_duration_seconds_bucket{result="company"`} {
		if !strings.Contains(metrics, "\n"+name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool missing: run scripts/install-deps.sh (Debian package prometheus)")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(metrics)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, b)
	}
	httpGet(t, base+"/phonebook/yealink?token=secret-token-value&number=%2B4930999")
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	logs := out.String()
	if want := `"level":"INFO","msg":"http request","component":"admin","method":"GET","route":"GET /phonebook/{format}","status":401`; !strings.Contains(logs, want) {
		t.Errorf("access log lacks %s", want)
	}
	// Probes and scrapes come every few seconds: DEBUG, not INFO.
	if strings.Contains(logs, `"route":"GET /readyz"`) || strings.Contains(logs, `"route":"GET /metrics"`) {
		t.Error("probes logged at INFO")
	}
	if strings.Contains(logs, "secret-token-value") || strings.Contains(logs, "4930999") {
		t.Error("access log shows a query string")
	}
}
