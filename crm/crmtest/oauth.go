package crmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// OAuth is a fake OAuth2 authorization server (authorization code, refresh
// token and client credentials grants). Parameters are accepted in the query
// string (Zoho style) or in an application/x-www-form-urlencoded body.
type OAuth struct {
	ClientID     string
	ClientSecret string
	// RotateRefresh issues a new refresh token on every refresh and
	// invalidates the old one (Xero/QuickBooks behaviour).
	RotateRefresh bool
	// ExpiresIn is the lifetime announced and enforced for access tokens.
	ExpiresIn time.Duration
	// Extra is merged into every successful token response (Zoho api_domain).
	Extra map[string]any
	// ExtraFor, if set, adds fields that depend on the token request (Zoho's
	// api_domain follows the data centre); it wins over Extra.
	ExtraFor func(r *http.Request) map[string]any
	// NoExpiresIn leaves expires_in out of token responses (Salesforce).
	NoExpiresIn bool
	// RequireForm lists form fields every token request must carry with
	// these values (Microsoft Entra ID's scope); a request without them is
	// answered 400 invalid_request.
	RequireForm map[string]string

	mu        sync.Mutex
	seq       int
	codes     map[string]string // code -> redirect_uri
	access    map[string]time.Time
	refresh   map[string]bool
	Refreshes int // successful refresh_token grants
}

// NewOAuth returns an OAuth server for one client.
func NewOAuth(clientID, clientSecret string) *OAuth {
	return &OAuth{
		ClientID: clientID, ClientSecret: clientSecret, ExpiresIn: time.Hour,
		codes: map[string]string{}, access: map[string]time.Time{}, refresh: map[string]bool{},
	}
}

// Authorize handles the browser leg: it checks client_id, response_type and
// redirect_uri, and "consents" at once by redirecting to redirect_uri with a
// code and the unchanged state.
func (o *OAuth) Authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != o.ClientID || (q.Has("response_type") && q.Get("response_type") != "code") || q.Get("redirect_uri") == "" {
		http.Error(w, "invalid_request", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	o.seq++
	code := fmt.Sprintf("code-%d", o.seq)
	o.codes[code] = q.Get("redirect_uri")
	o.mu.Unlock()
	u, _ := url.Parse(q.Get("redirect_uri"))
	v := u.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// Token handles the token endpoint.
func (o *OAuth) Token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	_ = r.ParseForm() // merges query and form body
	p := r.Form
	id, secret := p.Get("client_id"), p.Get("client_secret")
	if u, pw, ok := r.BasicAuth(); ok {
		id, secret = u, pw
	}
	if id != o.ClientID || secret != o.ClientSecret {
		writeJSON(w, http.StatusOK, map[string]any{"error": "invalid_client"}) // Zoho answers 200
		return
	}
	for k, v := range o.RequireForm {
		if r.PostForm.Get(k) != v {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request",
				"error_description": "The request body must contain the following parameter: '" + k + "'."})
			return
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	switch p.Get("grant_type") {
	case "authorization_code":
		redir, ok := o.codes[p.Get("code")]
		if !ok || redir != p.Get("redirect_uri") {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_code"})
			return
		}
		delete(o.codes, p.Get("code"))
		writeJSON(w, http.StatusOK, o.extraFor(r, o.issue(true)))
	case "refresh_token":
		rt := p.Get("refresh_token")
		if !o.refresh[rt] {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant"})
			return
		}
		o.Refreshes++
		if o.RotateRefresh {
			delete(o.refresh, rt)
		}
		writeJSON(w, http.StatusOK, o.extraFor(r, o.issue(o.RotateRefresh)))
	case "client_credentials":
		writeJSON(w, http.StatusOK, o.extraFor(r, o.issue(false)))
	default:
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type"})
	}
}

// issue creates tokens; o.mu is held.
func (o *OAuth) issue(withRefresh bool) map[string]any {
	o.seq++
	at := fmt.Sprintf("1000.access.%d", o.seq)
	o.access[at] = time.Now().Add(o.ExpiresIn)
	out := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(o.ExpiresIn.Seconds())}
	if o.NoExpiresIn {
		delete(out, "expires_in")
	}
	if withRefresh {
		rt := fmt.Sprintf("1000.refresh.%d", o.seq)
		o.refresh[rt] = true
		out["refresh_token"] = rt
	}
	for k, v := range o.Extra {
		out[k] = v
	}
	return out
}

func (o *OAuth) extraFor(r *http.Request, out map[string]any) map[string]any {
	if o.ExtraFor != nil {
		for k, v := range o.ExtraFor(r) {
			out[k] = v
		}
	}
	return out
}

// Valid reports whether an access token is known and unexpired.
func (o *OAuth) Valid(token string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	exp, ok := o.access[token]
	return ok && time.Now().Before(exp)
}

// ExpireAll invalidates every issued access token (refresh tokens survive),
// simulating expiry or revocation mid-run.
func (o *OAuth) ExpireAll() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k := range o.access {
		delete(o.access, k)
	}
}

// AddRefreshToken registers a refresh token issued earlier (tests of tools
// that start from a stored refresh token).
func (o *OAuth) AddRefreshToken(token string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refresh[token] = true
}

// AddAccessToken registers a static token (private-app tokens, tests).
func (o *OAuth) AddAccessToken(token string, ttl time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.access[token] = time.Now().Add(ttl)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
