package httpclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"cidproxy/crm/crmtest"
)

func okHandler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
}

func newTestClient(t *testing.T, srv *crmtest.Server, cfg Config) *Client {
	t.Helper()
	cfg.HTTP = srv.Client()
	if cfg.Template == "" {
		cfg.Template = "test"
	}
	cfg.Backoff = Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond}
	return New(cfg)
}

func get(url string) *Request {
	return &Request{Scenario: "SyncContactAuto", Method: http.MethodGet, URL: url, Idempotent: true}
}

func TestClientRetryPolicy(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		idempotent bool
		wantReqs   int
		wantStatus int
	}{
		{"400 no retry", 400, true, 1, 400},
		{"404 no retry", 404, true, 1, 404},
		{"401 no retry", 401, true, 1, 401},
		{"500 idempotent retried", 500, true, 3, 200},
		{"502 idempotent retried", 502, true, 3, 200},
		{"500 POST not retried", 500, false, 1, 500},
		{"503 POST retried", 503, false, 3, 200},
		{"429 POST retried", 429, false, 3, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := crmtest.NewServer(http.HandlerFunc(okHandler))
			defer srv.Close()
			srv.FailNext(2, crmtest.Fault{Status: tc.status, Body: `{"error":"x"}`})
			c := newTestClient(t, srv, Config{MaxRetries: 2})
			req := get("https://crm.example.com/x")
			req.Method, req.Idempotent = http.MethodPost, tc.idempotent
			resp, err := c.Do(context.Background(), req)
			if got := len(srv.Requests()); got != tc.wantReqs {
				t.Fatalf("requests = %d, want %d", got, tc.wantReqs)
			}
			if resp == nil || resp.StatusCode != tc.wantStatus {
				t.Fatalf("resp = %+v, err = %v, want status %d", resp, err, tc.wantStatus)
			}
			var se *StatusError
			if (tc.wantStatus != 200) != errors.As(err, &se) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestClientHonoursRetryAfter(t *testing.T) {
	srv := crmtest.NewServer(http.HandlerFunc(okHandler))
	defer srv.Close()
	srv.FailNext(1, crmtest.Fault{Status: 429, Header: http.Header{"Retry-After": {"1"}},
		Body: `{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT"}`})
	c := newTestClient(t, srv, Config{})
	start := time.Now()
	resp, err := c.Do(context.Background(), get("https://api.hubapi.com/x"))
	el := time.Since(start)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("resp %v err %v", resp, err)
	}
	if el < 950*time.Millisecond || el > 3*time.Second {
		t.Fatalf("elapsed %v, want about 1s (Retry-After: 1)", el)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Fatalf("requests = %d, want 2", n)
	}
}

func TestClientRetryAfterBeyondDeadlineGivesUp(t *testing.T) {
	srv := crmtest.NewServer(http.HandlerFunc(okHandler))
	defer srv.Close()
	srv.FailNext(1, crmtest.Fault{Status: 429, Header: http.Header{"Retry-After": {"30"}}})
	c := newTestClient(t, srv, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	resp, err := c.Do(ctx, get("https://crm.example.com/x"))
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 429 || resp.StatusCode != 429 {
		t.Fatalf("err = %v, want 429 StatusError", err)
	}
	if el := time.Since(start); el > 200*time.Millisecond {
		t.Fatalf("waited %v although Retry-After exceeds the deadline", el)
	}
}

func TestClientHangingServerRespectsDeadline(t *testing.T) {
	srv := crmtest.NewServer(http.HandlerFunc(okHandler))
	defer srv.Close()
	srv.FailNext(10, crmtest.Fault{Hang: true})
	c := newTestClient(t, srv, Config{Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Do(ctx, get("https://crm.example.com/hang"))
	el := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if el < 250*time.Millisecond || el > 800*time.Millisecond {
		t.Fatalf("returned after %v, want ~300ms", el)
	}
}

func TestClientPerAttemptTimeout(t *testing.T) {
	srv := crmtest.NewServer(http.HandlerFunc(okHandler))
	defer srv.Close()
	srv.FailNext(1, crmtest.Fault{Hang: true})
	c := newTestClient(t, srv, Config{Timeout: 100 * time.Millisecond})
	start := time.Now()
	resp, err := c.Do(context.Background(), get("https://crm.example.com/x"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("resp %v err %v: the retry after the attempt timeout should succeed", resp, err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("took %v", el)
	}
}

func TestClientConcurrencyLimit(t *testing.T) {
	const limit, calls = 3, 50
	srv := crmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(10 * time.Millisecond)
		okHandler(w, r)
	}))
	defer srv.Close()
	reg := prometheus.NewRegistry()
	c := newTestClient(t, srv, Config{MaxConcurrent: limit, Metrics: NewMetrics(reg)})
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < calls; i++ {
		wg.Go(func() {
			if _, err := c.Do(context.Background(), get("https://crm.example.com/s?i="+strconv.Itoa(i))); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d calls failed", failed.Load())
	}
	if got := srv.MaxInFlight(); got > limit || got < 2 {
		t.Fatalf("max in flight = %d, want <= %d (and the limit reached)", got, limit)
	}
	m := c.cfg.Metrics
	if got := testutil.ToFloat64(m.requests.WithLabelValues("test", "SyncContactAuto", OutcomeOK)); got != calls {
		t.Fatalf("requests_total ok = %v, want %d", got, calls)
	}
	if got := testutil.ToFloat64(m.inflight.WithLabelValues("test")); got != 0 {
		t.Fatalf("inflight gauge = %v after all calls", got)
	}
}

func TestClientBreakerOpensAndRecovers(t *testing.T) {
	srv := crmtest.NewServer(http.HandlerFunc(okHandler))
	defer srv.Close()
	srv.FailNext(3, crmtest.Fault{Status: 500})
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	c := newTestClient(t, srv, Config{MaxRetries: -1, BreakerThreshold: 3, BreakerCooldown: 150 * time.Millisecond, Metrics: m})
	for i := 0; i < 3; i++ {
		if _, err := c.Do(context.Background(), get("https://crm.example.com/x")); err == nil {
			t.Fatal("want 500 error")
		}
	}
	if _, err := c.Do(context.Background(), get("https://crm.example.com/x")); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("err = %v, want ErrCircuitOpen", err)
	}
	if n := len(srv.Requests()); n != 3 {
		t.Fatalf("server saw %d requests; an open breaker must not send", n)
	}
	if g := testutil.ToFloat64(m.breakerState.WithLabelValues("test")); g != 2 {
		t.Fatalf("breaker gauge = %v, want 2 (open)", g)
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := c.Do(context.Background(), get("https://crm.example.com/x")); err != nil {
		t.Fatalf("probe after cooldown: %v", err)
	}
	if s := c.Breaker().State(); s != BreakerClosed {
		t.Fatalf("state = %v, want closed", s)
	}
	if g := testutil.ToFloat64(m.breakerState.WithLabelValues("test")); g != 0 {
		t.Fatalf("breaker gauge = %v, want 0", g)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("test", "SyncContactAuto", OutcomeBreakerOpen)); got != 1 {
		t.Fatalf("breaker_open outcomes = %v", got)
	}
}

func TestClientBodyLimit(t *testing.T) {
	srv := crmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(make([]byte, 2048))
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{MaxBodyBytes: 1024})
	if _, err := c.Do(context.Background(), get("https://crm.example.com/x")); !errors.Is(err, errBodyTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("requests = %d; an oversized body is not retried", n)
	}
}

func TestClientErrorHidesQuery(t *testing.T) {
	c := New(Config{MaxRetries: -1, Timeout: time.Second})
	_, err := c.Do(context.Background(), get("http://127.0.0.1:1/search/4930999888?api_key=SECRETKEY123"))
	if err == nil {
		t.Fatal("want connection error")
	}
	if s := err.Error(); strings.Contains(s, "SECRETKEY123") || strings.Contains(s, "4930999888") || !strings.Contains(s, "http://127.0.0.1:1") {
		t.Fatalf("error leaks the URL: %s", s)
	}
}

// A redirect to another host is refused: the API key in the header and the
// query must not reach it, and the refusal is not retried (issue 10 defect 1).
func TestClientRefusesCrossHostRedirect(t *testing.T) {
	var other atomic.Int32
	b := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { other.Add(1) }))
	defer b.Close()
	var first atomic.Int32
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first.Add(1)
		http.Redirect(w, r, b.URL+"/steal", http.StatusFound)
	}))
	defer a.Close()
	c := New(Config{MaxRetries: 2, Backoff: Backoff{Base: time.Millisecond, Max: time.Millisecond}})
	req := get(a.URL + "/search?api_key=SECRETKEY123")
	req.Header = http.Header{"X-Api-Key": {"SECRETKEY123"}}
	_, err := c.Do(context.Background(), req)
	if !errors.Is(err, ErrCrossHostRedirect) {
		t.Fatalf("err = %v, want ErrCrossHostRedirect", err)
	}
	if other.Load() != 0 || first.Load() != 1 {
		t.Fatalf("other host saw %d requests, first host %d (want 0 and 1: no retry)", other.Load(), first.Load())
	}
}

// A same-host redirect is followed, without the Referer that would carry
// the first URL's key.
func TestClientSameHostRedirectDropsReferer(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusFound)
			return
		}
		got = r.Header.Clone()
		okHandler(w, r)
	}))
	defer srv.Close()
	c := New(Config{MaxRetries: -1})
	req := get(srv.URL + "/old?api_key=SECRETKEY123")
	req.Header = http.Header{"X-Api-Key": {"k"}}
	if resp, err := c.Do(context.Background(), req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("resp %v err %v", resp, err)
	}
	if got.Get("Referer") != "" || got.Get("X-Api-Key") != "k" {
		t.Fatalf("redirected request headers %v", got)
	}
}
