package crm

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"cidproxy/crm/template"
)

// OAuth2 authorization-code flow limits.
const (
	stateTTL        = 10 * time.Minute
	maxPendingState = 64
	exchangeTimeout = 30 * time.Second
)

// ErrBadState is returned for a callback whose state is unknown, used or
// expired.
var ErrBadState = errors.New("crm: oauth2 callback: unknown or expired state")

// OAuthHandler runs the OAuth2 authorization-code flow for oauth2
// integrations. Begin returns the CRM's consent URL with a fresh state; the
// daemon mounts the handler on its admin listener at the redirect URI path,
// where the CRM sends the browser back with ?code=…&state=….
type OAuthHandler struct {
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	pending map[string]pendingAuth
}

type pendingAuth struct {
	it       *Integration
	redirect string
	expires  time.Time
}

// NewOAuthHandler returns a handler; logger may be nil.
func NewOAuthHandler(logger *slog.Logger) *OAuthHandler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &OAuthHandler{log: logger, now: time.Now, pending: map[string]pendingAuth{}}
}

// Begin starts an authorization for it and returns the URL to open in the
// administrator's browser. redirectURI must be the public URL of this
// handler, registered with the CRM application.
func (h *OAuthHandler) Begin(it *Integration, redirectURI string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("crm: oauth2 state: %w", err)
	}
	state := base64.RawURLEncoding.EncodeToString(b)
	u, err := it.AuthorizeURL(redirectURI, state)
	if err != nil {
		return "", err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	for s, p := range h.pending {
		if now.After(p.expires) {
			delete(h.pending, s)
		}
	}
	if len(h.pending) >= maxPendingState {
		return "", errors.New("crm: too many pending oauth2 authorizations")
	}
	h.pending[state] = pendingAuth{it: it, redirect: redirectURI, expires: now.Add(stateTTL)}
	return u, nil
}

// take removes and returns the pending authorization for state.
func (h *OAuthHandler) take(state string) (pendingAuth, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.pending[state]
	if !ok || state == "" {
		return pendingAuth{}, ErrBadState
	}
	delete(h.pending, state)
	if h.now().After(p.expires) {
		return pendingAuth{}, ErrBadState
	}
	return p, nil
}

// ServeHTTP handles the redirect back from the CRM.
func (h *OAuthHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	p, err := h.take(q.Get("state"))
	if err != nil {
		h.log.Warn("crm oauth2 callback rejected", "err", err)
		page(w, http.StatusBadRequest, "Authorization failed", "The authorization request is unknown or has expired. Start it again.")
		return
	}
	if e := q.Get("error"); e != "" {
		h.log.Warn("crm oauth2 denied", "template", p.it.Key(), "error", truncate(e, 64))
		page(w, http.StatusBadRequest, "Authorization failed", "The CRM answered: "+truncate(e, 64))
		return
	}
	code := q.Get("code")
	if code == "" {
		page(w, http.StatusBadRequest, "Authorization failed", "The CRM sent no authorization code.")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), exchangeTimeout)
	defer cancel()
	if err := p.it.ExchangeCode(ctx, code, p.redirect); err != nil {
		h.log.Warn("crm oauth2 code exchange failed", "template", p.it.Key(), "err", err)
		page(w, http.StatusBadGateway, "Authorization failed", "The token request to the CRM failed.")
		return
	}
	h.log.Info("crm oauth2 authorized", "template", p.it.Key())
	page(w, http.StatusOK, "Connected", "The CRM integration is authorized. You can close this window.")
}

func page(w http.ResponseWriter, status int, title, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>%s</title><h1>%s</h1><p>%s</p>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(msg))
}

// AuthorizeURL builds the consent URL: the rendered AuthEndPoint plus
// response_type=code, client_id (custom field, if not already present),
// redirect_uri, scope (Scope, as written: comma separated for Zoho), state,
// and the rendered AdditionalQueryString.
func (it *Integration) AuthorizeURL(redirectURI, state string) (string, error) {
	t := it.tpl
	if t.Auth() != template.AuthOAuth2 {
		return "", errors.New("crm: template does not use oauth2")
	}
	ep := t.Param(template.ScenarioAuth, "AuthEndPoint")
	if ep == nil || strings.TrimSpace(ep.Value) == "" {
		return "", errors.New("crm: AuthEndPoint is empty")
	}
	raw, err := ep.Render(it.fields)
	if err != nil {
		return "", fmt.Errorf("crm: AuthEndPoint: %w", err)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", errors.New("crm: AuthEndPoint is not an http(s) URL")
	}
	q := u.Query()
	setIfMissing(q, "response_type", "code")
	setIfMissing(q, "client_id", field(it.fields, "client_id"))
	setIfMissing(q, "redirect_uri", redirectURI)
	if p := t.Param(template.ScenarioAuth, "Scope"); p != nil && strings.TrimSpace(p.Value) != "" {
		s, err := p.Render(it.fields)
		if err != nil {
			return "", fmt.Errorf("crm: Scope: %w", err)
		}
		setIfMissing(q, "scope", strings.TrimSpace(s))
	}
	if p := t.Param(template.ScenarioAuth, "AdditionalQueryString"); p != nil && strings.TrimSpace(p.Value) != "" {
		s, err := p.Render(merge(maps.Clone(it.fields), map[string]string{"redirect_uri": redirectURI}))
		if err != nil {
			return "", fmt.Errorf("crm: AdditionalQueryString: %w", err)
		}
		extra, err := url.ParseQuery(strings.TrimPrefix(strings.TrimSpace(s), "?"))
		if err != nil {
			return "", fmt.Errorf("crm: AdditionalQueryString: %w", err)
		}
		for k, vs := range extra {
			q[k] = vs
		}
	}
	q.Set("state", state)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func setIfMissing(q url.Values, k, v string) {
	if v != "" && !q.Has(k) {
		q.Set(k, v)
	}
}
