package crm

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cidproxy/crm/template"
)

// ErrNotAuthorized means an oauth2 integration has no token yet: an
// administrator must complete the authorization (OAuthHandler.Begin).
var ErrNotAuthorized = errors.New("crm: integration not authorized (complete the OAuth2 authorization)")

// ErrNoRefresh is returned by refresh for methods without tokens.
var ErrNoRefresh = errors.New("crm: authentication method has no token to refresh")

// Token lifetimes.
const (
	// DefaultBearerRefresh applies when TokenRefreshInterval is blank.
	DefaultBearerRefresh = 25 * time.Minute
	// refreshSkew refreshes tokens this long before they expire.
	refreshSkew = 60 * time.Second
)

// authState is what a request needs from the authenticator.
type authState struct {
	header string // Authorization value, "" for none
	token  string // access token used (for single-flight refresh)
	vars   map[string]string
}

// authenticator implements one AuthMethod.
type authenticator interface {
	prepare(ctx context.Context) (authState, error)
	// refresh replaces the token unless it already changed since stale.
	refresh(ctx context.Context, stale string) error
	canRefresh() bool
}

// noneAuth sends no credentials (custom fields only).
type noneAuth struct{}

func (noneAuth) prepare(context.Context) (authState, error) { return authState{}, nil }
func (noneAuth) refresh(context.Context, string) error      { return ErrNoRefresh }
func (noneAuth) canRefresh() bool                           { return false }

// basicAuth sends Authorization: Basic base64(Base64EncodedCredential).
type basicAuth struct{ header string }

func (a basicAuth) prepare(context.Context) (authState, error) {
	return authState{header: a.header, vars: map[string]string{"basic_string": strings.TrimPrefix(a.header, "Basic ")}}, nil
}
func (basicAuth) refresh(context.Context, string) error { return ErrNoRefresh }
func (basicAuth) canRefresh() bool                      { return false }

// newBasicAuth renders Base64EncodedCredential (default by CredentialType:
// {{.username}}:{{.password}} or {{.api_key}}) with the custom fields.
func newBasicAuth(t *template.Template, vars template.Vars) (basicAuth, error) {
	var cred string
	if p := t.Param(template.ScenarioAuth, "Base64EncodedCredential"); p != nil && strings.TrimSpace(p.Value) != "" {
		s, err := p.Render(vars)
		if err != nil {
			return basicAuth{}, fmt.Errorf("crm: Base64EncodedCredential: %w", err)
		}
		cred = s
	} else if strings.EqualFold(paramValue(t, "CredentialType"), "api_key") {
		cred = field(vars, "api_key")
	} else {
		cred = field(vars, "username") + ":" + field(vars, "password")
	}
	if strings.TrimSpace(cred) == "" || cred == ":" {
		return basicAuth{}, errors.New("crm: basic authentication: empty credential")
	}
	return basicAuth{header: "Basic " + base64.StdEncoding.EncodeToString([]byte(cred))}, nil
}

func paramValue(t *template.Template, name string) string {
	if p := t.Param(template.ScenarioAuth, name); p != nil {
		return strings.TrimSpace(p.Value)
	}
	return ""
}

// bearerInterval reads TokenRefreshInterval (minutes): blank = 25 min,
// 0 = never (returned as 0), invalid = default.
func bearerInterval(t *template.Template) time.Duration {
	s := paramValue(t, "TokenRefreshInterval")
	if s == "" {
		return DefaultBearerRefresh
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 || n > 60*24*365 {
		return DefaultBearerRefresh
	}
	return time.Duration(n * float64(time.Minute))
}

// tokenScheme is the Authorization scheme: the TokenType parameter when it
// names one (e.g. Zoho-oauthtoken), else Bearer.
func tokenScheme(t *template.Template) string {
	s := paramValue(t, "TokenType")
	if s == "" || strings.ContainsAny(s, " \r\n\t:") {
		return "Bearer"
	}
	return s
}

func flagOn(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
