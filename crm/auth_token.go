package crm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"cidproxy/crm/internal/httpclient"
	"cidproxy/crm/template"
)

// tokenAuth implements oauth2 and bearertoken: it keeps the access token,
// refreshes it before expiry (single flight), persists every new token
// (sealed) before using it, and renders the TokenEndPoint with the custom
// fields.
type tokenAuth struct {
	oauth2   bool
	scheme   string        // Authorization scheme (Bearer, Zoho-oauthtoken)
	interval time.Duration // bearertoken: TokenRefreshInterval (0 = never)
	endpoint *template.Parameter
	// scope (bearertoken) and extraFields (TokenRequestFields) add fields
	// to token requests; nil when the template has none.
	scope, extraFields *template.Parameter
	static             string // bearertoken without TokenEndPoint: the AccessToken field
	// noProactive (NoNeedRefreshAccessToken=1): refresh only when the CRM
	// rejects the token, never by expiry or interval.
	noProactive bool

	fields  template.Vars
	client  *httpclient.Client
	secrets *SecretStore
	key     string // secret store key of the token
	now     func() time.Time
	log     *slog.Logger
	metrics *Metrics
	tplKey  string
	redact  *Redactor

	mu  sync.Mutex // held while refreshing: single flight
	tok Token
}

func (a *tokenAuth) canRefresh() bool { return a.static == "" }

// current returns the token under the lock.
func (a *tokenAuth) current() Token {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.tok
}

func (a *tokenAuth) prepare(ctx context.Context) (authState, error) {
	if a.static != "" {
		return a.state(Token{AccessToken: a.static}), nil
	}
	t := a.current()
	if a.due(t) {
		if err := a.refresh(ctx, t.AccessToken); err != nil {
			return authState{}, err
		}
		t = a.current()
	}
	return a.state(t), nil
}

func (a *tokenAuth) state(t Token) authState {
	vars := map[string]string{"AccessToken": t.AccessToken, "RefreshToken": t.RefreshToken}
	for k, v := range t.Extra {
		if _, ok := vars[k]; !ok {
			vars[k] = v
		}
	}
	return authState{header: a.scheme + " " + t.AccessToken, token: t.AccessToken, vars: vars}
}

// due reports whether t must be refreshed before use.
func (a *tokenAuth) due(t Token) bool {
	now := a.now()
	switch {
	case t.AccessToken == "":
		return true
	case a.noProactive, !a.oauth2 && a.interval == 0:
		return false // TokenRefreshInterval 0: never refresh automatically
	case !t.Expiry.IsZero() && !now.Add(refreshSkew).Before(t.Expiry):
		return true
	case !a.oauth2 && a.interval > 0 && !now.Before(t.Obtained.Add(a.interval)):
		return true
	}
	return false
}

// refresh gets a new token unless the current one differs from stale (a
// concurrent caller refreshed already).
func (a *tokenAuth) refresh(ctx context.Context, stale string) error {
	if a.static != "" {
		return ErrNoRefresh
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tok.AccessToken != stale && !a.due(a.tok) {
		return nil
	}
	var form url.Values
	if a.oauth2 {
		if a.tok.RefreshToken == "" {
			return ErrNotAuthorized
		}
		form = url.Values{"grant_type": {"refresh_token"}, "refresh_token": {a.tok.RefreshToken}}
	}
	t, err := a.request(ctx, form, true)
	a.metrics.tokenRefresh(a.tplKey, err)
	if err != nil {
		a.log.Warn("crm token refresh failed", "template", a.tplKey, "err", a.redact.String(err.Error()))
		return err
	}
	if t.RefreshToken == "" {
		t.RefreshToken = a.tok.RefreshToken // not rotated
	}
	for k, v := range a.tok.Extra { // a refresh may omit instance_url and the like
		if _, ok := t.Extra[k]; !ok {
			if t.Extra == nil {
				t.Extra = map[string]string{}
			}
			t.Extra[k] = v
		}
	}
	return a.store(ctx, t)
}

// store persists t (sealed) and then makes it current. a.mu is held.
func (a *tokenAuth) store(ctx context.Context, t Token) error {
	a.redact.Add(t.AccessToken, t.RefreshToken)
	if a.secrets != nil {
		if err := a.secrets.PutJSON(ctx, a.key, t); err != nil {
			// A rotated refresh token that cannot be saved is lost on
			// restart; use it anyway (the old one is dead) and say so.
			a.log.Error("crm token not persisted", "template", a.tplKey, "err", err)
			a.tok = t
			return fmt.Errorf("crm: persist token: %w", err)
		}
	}
	a.tok = t
	a.log.Info("crm token stored", "template", a.tplKey, "expires", t.Expiry)
	return nil
}

// request posts form to the TokenEndPoint. The client credentials custom
// fields (client_id, client_secret) are added to the form unless the
// rendered URL already carries them; bearertoken adds
// grant_type=client_credentials unless the URL has a grant_type, and the
// Scope (client credentials, RFC 6749 §4.4.2: Microsoft Entra ID needs it);
// TokenRequestFields (a query string such as "resource=…&audience=…") adds
// fields to every token request.
func (a *tokenAuth) request(ctx context.Context, form url.Values, idempotent bool) (Token, error) {
	if a.endpoint == nil || strings.TrimSpace(a.endpoint.Value) == "" {
		return Token{}, errors.New("crm: TokenEndPoint is empty")
	}
	raw, err := a.endpoint.Render(a.fields)
	if err != nil {
		return Token{}, fmt.Errorf("crm: TokenEndPoint: %w", err)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return Token{}, errors.New("crm: TokenEndPoint is not an http(s) URL")
	}
	if form == nil {
		form = url.Values{}
	}
	q := u.Query()
	if !a.oauth2 && !q.Has("grant_type") && !form.Has("grant_type") {
		form.Set("grant_type", "client_credentials")
	}
	if err := a.addFields(form, q); err != nil {
		return Token{}, err
	}
	for _, k := range []string{"client_id", "client_secret"} {
		if v := field(a.fields, k); v != "" && !q.Has(k) && !form.Has(k) {
			form.Set(k, v)
		}
	}
	req := &httpclient.Request{
		Scenario: template.ScenarioAuth, Method: http.MethodPost, URL: u.String(), Idempotent: idempotent,
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}},
		Body:   []byte(form.Encode()),
	}
	resp, err := a.client.Do(ctx, req)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) {
			if _, perr := ParseTokenResponse(se.Body, a.now()); perr != nil && errors.Is(perr, ErrTokenResponse) {
				return Token{}, fmt.Errorf("crm: token endpoint: http %d: %w", se.StatusCode, perr)
			}
		}
		return Token{}, fmt.Errorf("crm: token endpoint: %w", err)
	}
	return ParseTokenResponse(resp.Body, a.now())
}

// addFields adds the bearertoken Scope and the TokenRequestFields to form,
// except fields the form or the endpoint's query (q) already have.
func (a *tokenAuth) addFields(form, q url.Values) error {
	set := func(k, v string) {
		if v != "" && !q.Has(k) && !form.Has(k) {
			form.Set(k, v)
		}
	}
	if !a.oauth2 && a.scope != nil {
		s, err := a.scope.Render(a.fields)
		if err != nil {
			return fmt.Errorf("crm: Scope: %w", err)
		}
		set("scope", strings.TrimSpace(s))
	}
	if a.extraFields == nil {
		return nil
	}
	s, err := a.extraFields.Render(a.fields)
	if err != nil {
		return fmt.Errorf("crm: TokenRequestFields: %w", err)
	}
	extra, err := url.ParseQuery(strings.TrimPrefix(strings.TrimSpace(s), "?"))
	if err != nil {
		return fmt.Errorf("crm: TokenRequestFields: %w", err)
	}
	for k := range extra {
		set(k, extra.Get(k))
	}
	return nil
}

// exchange trades an authorization code for tokens (oauth2).
func (a *tokenAuth) exchange(ctx context.Context, code, redirectURI string) error {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}}
	t, err := a.request(ctx, form, false)
	a.metrics.tokenRefresh(a.tplKey, err)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.store(ctx, t)
}

// load reads the persisted token, if any.
func (a *tokenAuth) load(ctx context.Context) error {
	if a.secrets == nil || a.static != "" {
		return nil
	}
	var t Token
	err := a.secrets.GetJSON(ctx, a.key, &t)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	a.redact.Add(t.AccessToken, t.RefreshToken)
	a.mu.Lock()
	a.tok = t
	a.mu.Unlock()
	return nil
}
