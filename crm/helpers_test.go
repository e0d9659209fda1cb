package crm

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"cidproxy/crm/builtin"
	"cidproxy/crm/crmtest"
	"cidproxy/crm/template"
	"cidproxy/internal/testsupport"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func newLogger() (*slog.Logger, *testsupport.Buffer) {
	lb := &testsupport.Buffer{}
	return slog.New(slog.NewJSONHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

func testSealer(t *testing.T) *Sealer {
	t.Helper()
	s, err := NewSealer(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func loadBuiltin(t *testing.T, key string) *template.Template {
	t.Helper()
	tpl, err := builtin.Load(key, template.WithLocation(testLoc))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func mustParse(t *testing.T, xml string) *template.Template {
	t.Helper()
	tpl, err := template.Parse([]byte(xml), template.WithLocation(testLoc))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return tpl
}

func newIntegration(t *testing.T, cfg Config) *Integration {
	t.Helper()
	if cfg.Location == nil {
		cfg.Location = testLoc
	}
	if cfg.Backoff == (Backoff{}) {
		cfg.Backoff = Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond}
	}
	it, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return it
}

// authorize runs the OAuth2 browser leg against a fake: Begin, follow the
// consent redirect, deliver the callback to the handler.
func authorize(t *testing.T, it *Integration, srv *crmtest.Server) (authURL string) {
	t.Helper()
	h := NewOAuthHandler(nil)
	const redirect = "https://pbx.example.com/api/crm/oauth/callback"
	u, err := h.Begin(it, redirect)
	if err != nil {
		t.Fatal(err)
	}
	browser := srv.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("consent page: status %d", resp.StatusCode)
	}
	cb, _ := url.Parse(resp.Header.Get("Location"))
	if !strings.HasPrefix(cb.String(), redirect+"?") {
		t.Fatalf("redirected to %s", cb)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, cb.RequestURI(), nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("callback: %d %s", rec.Code, rec.Body)
	}
	return u
}

// findReq returns the recorded requests whose URL starts with prefix.
func findReq(reqs []crmtest.Recorded, method, prefix string) []crmtest.Recorded {
	var out []crmtest.Recorded
	for _, r := range reqs {
		if r.Method == method && strings.HasPrefix(r.URL, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// jsonEqual compares a JSON body with want (decoded, so key order and
// spacing do not matter).
func jsonEqual(t *testing.T, body []byte, want string) {
	t.Helper()
	if !json.Valid(body) {
		t.Fatalf("body is not valid JSON: %s", body)
	}
	var got, exp any
	_ = json.Unmarshal(body, &got)
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	gb, _ := json.Marshal(got)
	eb, _ := json.Marshal(exp)
	if !bytes.Equal(gb, eb) {
		t.Fatalf("body\n got %s\nwant %s", gb, eb)
	}
}

var testLoc = time.FixedZone("CET", 3600)

func crmtestFault500() crmtest.Fault {
	return crmtest.Fault{Status: 500, Body: `{"code":"INTERNAL_ERROR"}`}
}

func replaceAll(s, old, new string) string { return strings.ReplaceAll(s, old, new) }
