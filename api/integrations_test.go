package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"cidproxy/config"
	"cidproxy/crm"
	"cidproxy/crm/service"
	"cidproxy/sip/event"
)

// fakeCRM records what the integration routes ask of the service.
type fakeCRM struct {
	dead      map[string]service.Entry // id -> entry
	retried   []string
	created   []string // integration/number/display
	put       []config.Integration
	callbacks []string
}

func (f *fakeCRM) Statuses(ctx context.Context) []service.Status {
	st, _ := f.IntegrationStatus(ctx, "zoho")
	return []service.Status{st}
}

func (f *fakeCRM) IntegrationStatus(_ context.Context, name string) (service.Status, error) {
	if name != "zoho" {
		return service.Status{}, fmt.Errorf("%w: %q", service.ErrNoIntegration, name)
	}
	return service.Status{Name: "zoho", Template: "builtin:zoho", State: service.StateConnected,
		LinkedUsers: map[string]string{"1001": "u-1"}, DeadLetters: len(f.dead)}, nil
}

func (f *fakeCRM) DeadLetters(ctx context.Context, name string) ([]service.Entry, error) {
	if _, err := f.IntegrationStatus(ctx, name); err != nil {
		return nil, err
	}
	var out []service.Entry
	for _, e := range f.dead {
		out = append(out, e)
	}
	return out, nil
}

func (f *fakeCRM) RetryDeadLetter(_ context.Context, name, id string) error {
	if _, ok := f.dead[id]; !ok || name != "zoho" {
		return crm.ErrNotFound
	}
	f.retried = append(f.retried, id)
	delete(f.dead, id)
	return nil
}

func (f *fakeCRM) DropDeadLetter(_ context.Context, name, id string) error {
	if _, ok := f.dead[id]; !ok || name != "zoho" {
		return crm.ErrNotFound
	}
	delete(f.dead, id)
	return nil
}

func (f *fakeCRM) CreateContact(_ context.Context, integration, number, display string) (crm.Contact, string, error) {
	if integration != "zoho" {
		return crm.Contact{}, "", fmt.Errorf("%w: %q", service.ErrNoIntegration, integration)
	}
	f.created = append(f.created, integration+"/"+number+"/"+display)
	return crm.Contact{ID: "z-9", Type: "Leads", URL: "https://crm.example/z-9"}, "local-1", nil
}

func (f *fakeCRM) ManualIntegration() string { return "zoho" }

func (f *fakeCRM) Authorize(name, redirectURI string) (string, error) {
	if name != "zoho" {
		return "", fmt.Errorf("%w: %q", service.ErrNoIntegration, name)
	}
	return "https://accounts.zoho.com/oauth/v2/auth?redirect_uri=" + redirectURI, nil
}

func (f *fakeCRM) OAuthCallback() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.callbacks = append(f.callbacks, r.URL.Query().Get("state"))
		w.WriteHeader(http.StatusOK)
	})
}

func TestIntegrationAuthorizeAndCallback(t *testing.T) {
	f := &fakeCRM{}
	e := newStreamEnv(t, func(o *Options) { o.CRM = f; o.PublicURL = "https://pbx.example.com" })
	e.expect(req{method: "POST", path: "/api/v1/integrations/zoho/authorize", token: e.tok["1001"]}, 404)
	r := e.expect(req{method: "POST", path: "/api/v1/integrations/zoho/authorize", token: e.admin}, 200)
	if !strings.Contains(string(r.Body), "https://pbx.example.com/api/v1/oauth/callback") {
		t.Fatalf("authorize %s", r.Body)
	}
	e.expect(req{method: "POST", path: "/api/v1/integrations/nope/authorize", token: e.admin}, 404)
	// The CRM's redirect carries no token: the single-use state is checked by the service.
	e.expect(req{method: "GET", path: "/api/v1/oauth/callback?state=s1&code=c1"}, 200)
	if len(f.callbacks) != 1 || f.callbacks[0] != "s1" {
		t.Fatalf("callbacks %v", f.callbacks)
	}
}

func (f *fakeCRM) PutIntegration(_ context.Context, c config.Integration) (bool, error) {
	if c.Name == "zoho" {
		return false, fmt.Errorf("%w: zoho", service.ErrConfigured)
	}
	f.put = append(f.put, c)
	return true, nil
}

func (f *fakeCRM) DeleteIntegration(_ context.Context, name string) error {
	if name == "zoho" {
		return fmt.Errorf("%w: zoho", service.ErrConfigured)
	}
	return fmt.Errorf("%w: %q", service.ErrNoIntegration, name)
}

func TestIntegrationWritesAreAdminOnlyAndTyped(t *testing.T) {
	f := &fakeCRM{}
	e := newStreamEnv(t, func(o *Options) { o.CRM = f })
	body := map[string]any{"name": "desk", "template": "builtin:freshdesk", "fields": map[string]string{"domain": "acme", "api_key": "k"},
		"lookup": map[string]any{"budget": "250ms"}}
	e.expect(req{method: "POST", path: "/api/v1/integrations", token: e.tok["1001"], body: body}, 404)
	e.expect(req{method: "POST", path: "/api/v1/integrations", token: e.admin, body: map[string]any{"name": "x", "lookup": map[string]any{"budget": 300}}}, 400)
	e.expect(req{method: "POST", path: "/api/v1/integrations", token: e.admin, body: map[string]any{"name": "x", "bogus": 1}}, 400)
	e.expect(req{method: "PUT", path: "/api/v1/integrations/other", token: e.admin, body: body}, 422)
	e.expect(req{method: "PUT", path: "/api/v1/integrations/zoho", token: e.admin, body: map[string]any{"name": "zoho", "template": "builtin:zoho"}}, 409)
	e.expect(req{method: "DELETE", path: "/api/v1/integrations/zoho", token: e.admin}, 409)
	e.expect(req{method: "DELETE", path: "/api/v1/integrations/gone", token: e.admin}, 404)
	if len(f.put) != 0 {
		t.Fatalf("a refused request reached the service: %+v", f.put)
	}
	// POST of "desk": the fake reports zoho only, so the status read after
	// the write fails with not found; the write itself went through typed.
	e.do(req{method: "POST", path: "/api/v1/integrations", token: e.admin, body: body})
	if len(f.put) != 1 || f.put[0].Lookup.EffectiveBudget() != 250*time.Millisecond || f.put[0].Fields["api_key"] != "k" {
		t.Fatalf("put %+v", f.put)
	}
}

func TestIntegrationRoutesAreAdminOnlyAndShowNoSecrets(t *testing.T) {
	f := &fakeCRM{dead: map[string]service.Entry{
		"abc": {Key: "zoho/abc", Integration: "zoho", Attempts: 8, LastError: "crm: http status 500",
			Event: event.Event{CallID: "call-1", Kind: event.Ended, Direction: event.Inbound}},
	}}
	e := newStreamEnv(t, func(o *Options) { o.CRM = f })
	for _, path := range []string{"/api/v1/integrations", "/api/v1/integrations/zoho", "/api/v1/integrations/zoho/dead-letters"} {
		e.expect(req{method: "GET", path: path, token: e.tok["1001"]}, 404)
		e.expect(req{method: "GET", path: path}, 401)
	}
	r := e.expect(req{method: "GET", path: "/api/v1/integrations/zoho", token: e.admin}, 200)
	var st service.Status
	if err := json.Unmarshal([]byte(r.Body), &st); err != nil || st.State != "connected" || st.LinkedUsers["1001"] != "u-1" || st.DeadLetters != 1 {
		t.Fatalf("status %s (%v)", r.Body, err)
	}
	e.expect(req{method: "GET", path: "/api/v1/integrations/nope", token: e.admin}, 404)
	r = e.expect(req{method: "GET", path: "/api/v1/integrations/zoho/dead-letters", token: e.admin}, 200)
	if !strings.Contains(string(r.Body), `"id":"abc"`) || !strings.Contains(string(r.Body), `"call_id":"call-1"`) || !strings.Contains(string(r.Body), "500") {
		t.Fatalf("dead letters %s", r.Body)
	}
	e.expect(req{method: "POST", path: "/api/v1/integrations/zoho/dead-letters/abc/retry", token: e.tok["1001"]}, 404)
	e.expect(req{method: "POST", path: "/api/v1/integrations/zoho/dead-letters/abc/retry", token: e.admin}, 202)
	if len(f.retried) != 1 {
		t.Fatalf("retried %v", f.retried)
	}
	e.expect(req{method: "DELETE", path: "/api/v1/integrations/zoho/dead-letters/abc", token: e.admin}, 404)
}

func TestCreateContactForACallOfTheExtension(t *testing.T) {
	f := &fakeCRM{}
	e := newStreamEnv(t, func(o *Options) { o.CRM = f })
	ev := event.Event{Kind: event.Ringing, CallID: "c-42", Direction: event.Inbound,
		Caller: event.Party{Number: "+4930777", Name: "Max Muster"}, Callee: event.Party{Number: "1001"}}
	e.hub.HandleEvent(context.Background(), ev)
	// Another extension may not act on 1001's call, nor see its calls.
	e.expect(req{method: "POST", path: "/api/v1/calls/c-42/create-contact", token: e.tok["1002"]}, 404)
	e.expect(req{method: "GET", path: "/api/v1/extensions/1001/calls", token: e.tok["1002"]}, 404)
	r := e.expect(req{method: "GET", path: "/api/v1/extensions/1001/calls", token: e.tok["1001"]}, 200)
	if !strings.Contains(string(r.Body), `"call_id":"c-42"`) {
		t.Fatalf("calls %s", r.Body)
	}
	r = e.expect(req{method: "POST", path: "/api/v1/calls/c-42/create-contact", token: e.tok["1001"]}, 201)
	if !strings.Contains(string(r.Body), `"contact_id":"z-9"`) || len(f.created) != 1 || f.created[0] != "zoho/+4930777/Max Muster" {
		t.Fatalf("created %v, answer %s", f.created, r.Body)
	}
	e.expect(req{method: "POST", path: "/api/v1/calls/nope/create-contact", token: e.admin}, 404)
	e.expect(req{method: "POST", path: "/api/v1/calls/c-42/create-contact", token: e.admin, body: map[string]string{"integration": "other"}}, 404)
}
