package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestHandlerServesOnlyItsPrefixes(t *testing.T) {
	e := newEnv(t)
	h := e.server.Handler()
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/api/v1/me", http.StatusOK},
		{"/phonebook/json", http.StatusOK},
		{"/healthz", http.StatusNotFound},
		{"/api/v2/me", http.StatusNotFound},
	} {
		r := httptest.NewRequest("GET", tc.path, nil)
		r.Header.Set("Authorization", "Bearer "+e.admin)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.code {
			t.Errorf("%s: %d, want %d", tc.path, w.Code, tc.code)
		}
	}
}

func TestTwoServersShareARegistry(t *testing.T) {
	e := newEnv(t)
	reg := prometheus.NewRegistry()
	a := New(e.db, Options{Registerer: reg})
	b := New(e.db, Options{Registerer: reg})
	for _, s := range []*Server{a, b} {
		r := httptest.NewRequest("GET", "/api/v1/me", nil)
		r.Header.Set("Authorization", "Bearer "+e.admin)
		s.Handler().ServeHTTP(httptest.NewRecorder(), r)
	}
	if got := testutil.ToFloat64(a.metrics.requests.WithLabelValues("GET /api/v1/me", "200")); got != 2 {
		t.Errorf("shared counter = %v, want 2", got)
	}
}

// TestInternalErrorsDoNotLeak closes the store under the server: the
// client gets a generic 500, the log gets the cause.
func TestInternalErrorsDoNotLeak(t *testing.T) {
	e := newEnv(t)
	tok := e.admin
	e.must(e.db.Close())
	p := e.expect(req{method: "GET", path: "/api/v1/extensions", token: tok}, http.StatusInternalServerError).problem(t)
	if !strings.Contains(p.Detail, "internal error") || strings.Contains(strings.ToLower(p.Detail), "closed") {
		t.Errorf("detail %q", p.Detail)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "api request failed") || strings.Contains(logs, tok) {
		t.Errorf("500 not logged, or logged with the token:\n%s", logs)
	}
}
