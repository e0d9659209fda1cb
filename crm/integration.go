package crm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"cidproxy/crm/internal/httpclient"
	"cidproxy/crm/template"
)

// Config configures one Integration (one configured template instance).
type Config struct {
	// ID names the instance: KV namespace of its token and the log field.
	// Empty = the template Key.
	ID       string
	Template *template.Template // parsed without errors
	// Fields are the values of the template's custom fields (client_id,
	// api_key, domain, ...), as entered by the administrator.
	Fields   map[string]string
	Settings Settings

	KV      KV      // token persistence; nil keeps tokens in memory only
	Sealer  *Sealer // required when KV is set
	HTTP    *http.Client
	Metrics *Metrics
	Logger  *slog.Logger

	Location         *time.Location   // PBX time zone for {{.Time}}; nil = Local
	Now              func() time.Time // nil = time.Now
	Timeout          time.Duration    // per HTTP attempt
	MaxRetries       int
	Backoff          Backoff
	BreakerThreshold int
	BreakerCooldown  time.Duration
	OnExchange       func(Exchange) // sees every HTTP attempt (the template test tool prints them)
}

// Settings are the administrator's feature choices for an integration.
type Settings struct {
	// SyncTypes limits contact search to these request names of
	// SyncContactAuto (Contacts, Leads, ...); empty = all.
	SyncTypes []string
	// CreateType is the CreateNewContact request name; empty = the first.
	CreateType string
	// Subject and Description override the CallJournal/CreateNewTicket
	// defaults when the template enables them (EnableSubject/EnableDescription).
	Subject     string
	Description string
	// PlayCallRecording overrides the template default when
	// EnablePlayCallRecording is 1.
	PlayCallRecording *bool
	// Associations maps extension numbers to CRM user ids (manual
	// association; see AssociateByEmail for the automatic one).
	Associations map[string]string
}

// Integration runs one template against one CRM account. It is safe for
// concurrent use.
type Integration struct {
	id       string
	tpl      *template.Template
	fields   template.Vars
	settings Settings
	client   *httpclient.Client
	auth     authenticator
	tokens   *tokenAuth // nil unless oauth2/bearertoken
	redact   *Redactor
	log      *slog.Logger
	loc      *time.Location
	now      func() time.Time

	mu      sync.RWMutex
	globals map[string]string
	recent  map[string]recentEntry // contacts created lately (see CreateContact)
	flight  singleflight.Group     // identical concurrent searches
	// disabled caches per scenario the outputs an Enable switch turns off.
	disabled sync.Map // *template.Scenario -> map[string]bool
}

// New builds an Integration and loads its persisted token. It does not
// contact the CRM; call Start for GetGlobalInfo.
func New(ctx context.Context, cfg Config) (*Integration, error) {
	t := cfg.Template
	if t == nil {
		return nil, errors.New("crm: no template")
	}
	if t.Auth() == "" {
		return nil, fmt.Errorf("crm: template %s: unknown authentication method", t.Key)
	}
	it := &Integration{
		id: cfg.ID, tpl: t, fields: template.Vars{}, settings: cfg.Settings,
		redact: &Redactor{}, log: cfg.Logger, loc: cfg.Location, now: cfg.Now, globals: map[string]string{},
		recent: map[string]recentEntry{},
	}
	if it.id == "" {
		it.id = t.Key
	}
	if it.log == nil {
		it.log = slog.New(slog.DiscardHandler)
	}
	it.log = it.log.With("component", "crm", "template", t.Key)
	if it.loc == nil {
		it.loc = time.Local
	}
	if it.now == nil {
		it.now = time.Now
	}
	merge(it.fields, cfg.Fields)
	for _, p := range t.CustomFields() {
		if p.Editor == "list" && field(it.fields, p.Name) == "" {
			it.fields[p.Name], _, _ = strings.Cut(p.Value, ",") // the first option is the default
		}
	}
	it.registerSecrets()
	it.client = httpclient.New(httpclient.Config{
		Template: t.Key, MaxConcurrent: t.MaxConcurrent(httpclient.DefaultMaxConcurrent), Timeout: cfg.Timeout,
		MaxRetries: cfg.MaxRetries, Backoff: cfg.Backoff, BreakerThreshold: cfg.BreakerThreshold,
		BreakerCooldown: cfg.BreakerCooldown, HTTP: cfg.HTTP, Metrics: cfg.Metrics.httpMetrics(), Logger: it.log,
		OnExchange: cfg.OnExchange,
	})
	var secrets *SecretStore
	if cfg.KV != nil {
		if cfg.Sealer == nil {
			return nil, errors.New("crm: a Sealer is required to persist tokens")
		}
		secrets = NewSecretStore(cfg.KV, cfg.Sealer)
	}
	if err := it.setupAuth(ctx, secrets, cfg.Metrics); err != nil {
		return nil, err
	}
	return it, nil
}

// registerSecrets masks password-type custom fields and well-known secret
// field names in all output.
func (it *Integration) registerSecrets() {
	for _, p := range it.tpl.CustomFields() {
		if p.Editor == "password" {
			it.redact.Add(field(it.fields, p.Name))
		}
	}
	for k := range it.fields {
		if isSecretName(k) {
			it.redact.Add(field(it.fields, k))
		}
	}
}

func (it *Integration) setupAuth(ctx context.Context, secrets *SecretStore, m *Metrics) error {
	t := it.tpl
	switch t.Auth() {
	case template.AuthNone:
		it.auth = noneAuth{}
	case template.AuthBasic:
		a, err := newBasicAuth(t, it.fields)
		if err != nil {
			return err
		}
		it.redact.Add(a.header, a.header[len("Basic "):])
		it.auth = a
	default:
		ta := &tokenAuth{
			oauth2: t.Auth() == template.AuthOAuth2, scheme: tokenScheme(t), interval: bearerInterval(t),
			endpoint: t.Param(template.ScenarioAuth, "TokenEndPoint"),
			scope:    t.Param(template.ScenarioAuth, "Scope"), extraFields: t.Param(template.ScenarioAuth, "TokenRequestFields"), fields: it.fields,
			client: it.client, secrets: secrets, key: "crm/token/" + it.id, now: it.now, log: it.log,
			metrics: m, tplKey: t.Key, redact: it.redact,
			noProactive: flagOn(paramValue(t, "NoNeedRefreshAccessToken")),
		}
		if !ta.oauth2 && (ta.endpoint == nil || ta.endpoint.Value == "") {
			ta.static = firstNonEmpty(field(it.fields, "AccessToken"), field(it.fields, "access_token"), field(it.fields, "token"))
			if ta.static == "" {
				return errors.New("crm: bearertoken needs a TokenEndPoint or an AccessToken field")
			}
			it.redact.Add(ta.static)
		}
		if err := ta.load(ctx); err != nil {
			return err
		}
		it.auth, it.tokens = ta, ta
	}
	return nil
}

// Key returns the template Key.
func (it *Integration) Key() string { return it.tpl.Key }

// ID returns the instance id.
func (it *Integration) ID() string { return it.id }

// Template returns the template the integration runs.
func (it *Integration) Template() *template.Template { return it.tpl }

// Client returns the integration's HTTP client (breaker state, tests).
func (it *Integration) Client() *httpclient.Client { return it.client }

// Redactor masks this integration's secrets (fields, tokens) in text.
func (it *Integration) Redactor() *Redactor { return it.redact }

// Authorized reports whether requests can be authenticated: always for
// none/basic/static bearer; for oauth2 once a token was obtained.
func (it *Integration) Authorized() bool {
	if it.tokens == nil || it.tokens.static != "" || !it.tokens.oauth2 {
		return true
	}
	t := it.tokens.current()
	return t.AccessToken != "" || t.RefreshToken != ""
}

// ExchangeCode completes an oauth2 authorization (called by OAuthHandler).
func (it *Integration) ExchangeCode(ctx context.Context, code, redirectURI string) error {
	if it.tokens == nil || !it.tokens.oauth2 {
		return errors.New("crm: template does not use oauth2")
	}
	return it.tokens.exchange(ctx, code, redirectURI)
}

// SetToken installs a token obtained elsewhere (the template test tool's
// --refresh-token, a migration) and persists it like an exchanged one.
func (it *Integration) SetToken(ctx context.Context, t Token) error {
	if it.tokens == nil || it.tokens.static != "" {
		return errors.New("crm: authentication method has no token")
	}
	if t.Obtained.IsZero() {
		t.Obtained = it.now()
	}
	it.tokens.mu.Lock()
	defer it.tokens.mu.Unlock()
	return it.tokens.store(ctx, t)
}

// Token returns a copy of the current token (zero if none), for the admin
// UI's status (never print it unmasked).
func (it *Integration) Token() Token {
	if it.tokens == nil {
		return Token{}
	}
	return it.tokens.current()
}

// baseVars returns the custom fields, the global variables and the values
// of the token response (api_domain, instance_url): what every request and
// every contact URL may use.
func (it *Integration) baseVars() template.Vars {
	v := maps.Clone(it.fields)
	it.mu.RLock()
	merge(v, it.globals)
	it.mu.RUnlock()
	if it.tokens != nil {
		merge(v, it.tokens.current().Extra)
	}
	return v
}

// Globals returns a copy of the GetGlobalInfo variables.
func (it *Integration) Globals() map[string]string {
	it.mu.RLock()
	defer it.mu.RUnlock()
	return maps.Clone(it.globals)
}

func isSecretName(k string) bool {
	switch k {
	case "password", "client_secret", "api_key", "apikey", "token", "AccessToken", "access_token", "secret", "api_token":
		return true
	}
	return false
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
