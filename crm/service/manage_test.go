package service

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cidproxy/config"
	"cidproxy/crm/crmtest"
	"cidproxy/lookup"
)

func TestManagedIntegrationsPersistAndHideSecrets(t *testing.T) {
	f := crmtest.NewFreshdesk("key-1")
	t.Cleanup(f.Close)
	f.AddContact(map[string]any{"id": 7, "name": "Rachel Green", "phone": "+4930222"})
	logs := &bytes.Buffer{}
	db := newStore(t, logs)
	fileOne := config.Integration{Name: "zoho", Template: "builtin:zoho", Fields: map[string]string{"client_id": zid, "client_secret": zsecret}}
	svc := newService(t, db, logs, prometheus.NewRegistry(), f.Client(), fileOne)
	ctx := context.Background()
	desk := config.Integration{Name: "desk", Template: "builtin:freshdesk",
		Fields: map[string]string{"domain": "acme", "api_key": "key-1"}, Lookup: config.IntegrationLookup{Budget: config.Dur(time.Second)}}
	created, err := svc.PutIntegration(ctx, desk)
	if err != nil || !created {
		t.Fatalf("put: %v %v", created, err)
	}
	// The new integration names callers at once ...
	res, err := svc.Resolver(db.Resolver()).Lookup(ctx, lookup.Query{Number: "+4930222"})
	if err != nil || res.Name != "Rachel Green" || res.Integration != "desk" {
		t.Fatalf("lookup through the managed integration: %+v %v", res, err)
	}
	// ... its secret is never shown ...
	st, err := svc.IntegrationStatus(ctx, "desk")
	if err != nil || st.Origin != "api" || st.Config.Fields["domain"] != "acme" {
		t.Fatalf("status %+v %v", st, err)
	}
	if _, shown := st.Config.Fields["api_key"]; shown {
		t.Fatal("api_key shown")
	}
	if zs, _ := svc.IntegrationStatus(ctx, "zoho"); zs.Origin != "file" || zs.Config.Fields["client_secret"] != "" {
		t.Fatalf("file integration status %+v", zs)
	}
	// ... is sealed at rest ...
	raw, err := svc.opts.KV.Get(ctx, managedPrefix+"desk")
	if err != nil || bytes.Contains(raw, []byte("key-1")) {
		t.Fatalf("stored in clear: %v", err)
	}
	// ... and a PUT without it keeps it.
	desk.Fields = map[string]string{"domain": "acme"}
	desk.Lookup.Budget = config.Dur(2 * time.Second)
	if created, err := svc.PutIntegration(ctx, desk); err != nil || created {
		t.Fatalf("replace: %v %v", created, err)
	}
	if got := svc.Get("desk").cfg.Fields["api_key"]; got != "key-1" {
		t.Fatalf("api_key after a PUT without it: %q", got)
	}
	// A restart loads it again; the file's integration cannot be changed here.
	svc2 := newService(t, db, logs, prometheus.NewRegistry(), f.Client(), fileOne)
	if svc2.Get("desk") == nil || svc2.Get("desk").cfg.Lookup.EffectiveBudget() != 2*time.Second {
		t.Fatal("managed integration lost at restart")
	}
	if _, err := svc2.PutIntegration(ctx, config.Integration{Name: "zoho", Template: "builtin:zoho"}); !errors.Is(err, ErrConfigured) {
		t.Fatalf("changing the file's integration: %v", err)
	}
	if err := svc2.DeleteIntegration(ctx, "zoho"); !errors.Is(err, ErrConfigured) {
		t.Fatalf("deleting the file's integration: %v", err)
	}
	if err := svc2.DeleteIntegration(ctx, "desk"); err != nil || svc2.Get("desk") != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := svc2.DeleteIntegration(ctx, "desk"); !errors.Is(err, ErrNoIntegration) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestManagedIntegrationRefusals(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	for name, c := range map[string]config.Integration{
		"bad name":        {Name: "Bad Name", Template: "builtin:zoho"},
		"no template":     {Name: "x"},
		"unknown builtin": {Name: "x", Template: "builtin:nope"},
		"env reference":   {Name: "x", Template: "builtin:freshdesk", Fields: map[string]string{"api_key": "${env:HOME}"}},
		"file reference":  {Name: "x", Template: "builtin:freshdesk", Fields: map[string]string{"api_key": "${file:/etc/passwd}"}},
		"bad mode":        {Name: "x", Template: "builtin:freshdesk", CreateContact: config.CreateContact{Mode: "sometimes"}},
	} {
		if _, err := e.svc.PutIntegration(ctx, c); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if e.svc.Get("x") != nil {
		t.Fatal("a refused integration runs")
	}
}

func TestApplyKeepsUnchangedInstances(t *testing.T) {
	e := newEnv(t, nil)
	before := e.svc.Get("zoho")
	cfg := before.cfg
	if err := e.svc.Apply(context.Background(), []config.Integration{cfg}); err != nil {
		t.Fatal(err)
	}
	if e.svc.Get("zoho") != before {
		t.Fatal("an unchanged integration was rebuilt (its caches lost)")
	}
	cfg.Lookup.Budget = config.Dur(time.Millisecond)
	if err := e.svc.Apply(context.Background(), []config.Integration{cfg}); err != nil {
		t.Fatal(err)
	}
	if e.svc.Get("zoho") == before || e.svc.Get("zoho").cfg.Lookup.EffectiveBudget() != time.Millisecond {
		t.Fatal("a changed integration was not replaced")
	}
	bad := cfg
	bad.Template = "/nonexistent.xml"
	err := e.svc.Apply(context.Background(), []config.Integration{bad})
	if err == nil || !strings.Contains(err.Error(), "zoho") || e.svc.Get("zoho").cfg.Template != "builtin:zoho" {
		t.Fatalf("a bad configuration replaced the running one: %v", err)
	}
}

func TestOAuthConsentAuthorizesARunningIntegration(t *testing.T) {
	z := crmtest.NewZoho(zid, zsecret)
	t.Cleanup(z.Close)
	logs := &bytes.Buffer{}
	db := newStore(t, logs)
	svc := newService(t, db, logs, prometheus.NewRegistry(), z.Client(), config.Integration{
		Name: "zoho", Template: "builtin:zoho", Fields: map[string]string{"client_id": zid, "client_secret": zsecret}})
	ctx := context.Background()
	if st, _ := svc.IntegrationStatus(ctx, "zoho"); st.State != StateNotAuthorized {
		t.Fatalf("state before consent %q", st.State)
	}
	const redirect = "https://pbx.example.com/api/v1/oauth/callback"
	u, err := svc.Authorize("zoho", redirect)
	if err != nil {
		t.Fatal(err)
	}
	browser := z.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, _ := url.Parse(resp.Header.Get("Location"))
	if !strings.HasPrefix(cb.String(), redirect+"?") {
		t.Fatalf("redirected to %s", cb)
	}
	rec := httptest.NewRecorder()
	svc.OAuthCallback().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, cb.RequestURI(), nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("callback %d %s", rec.Code, rec.Body)
	}
	if st, _ := svc.IntegrationStatus(ctx, "zoho"); st.State != StateConnected || st.TokenExpiry.IsZero() {
		t.Fatalf("state after consent %+v", st)
	}
	// A replayed callback (same state) is refused.
	rec = httptest.NewRecorder()
	svc.OAuthCallback().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, cb.RequestURI(), nil))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("replayed callback %d", rec.Code)
	}
	if _, err := svc.Authorize("nope", redirect); !errors.Is(err, ErrNoIntegration) {
		t.Fatalf("unknown integration: %v", err)
	}
}
