package crm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"cidproxy/crm/builtin"
	"cidproxy/crm/template"
)

// ManagerConfig holds what every integration of a daemon shares.
type ManagerConfig struct {
	KV       KV      // templates, sealed fields and tokens
	Sealer   *Sealer // required
	Metrics  *Metrics
	Logger   *slog.Logger
	HTTP     *http.Client
	Location *time.Location // PBX time zone
	Timeout  time.Duration  // per HTTP attempt
}

// Manager owns the daemon's integrations: it resolves template keys
// (built-in first, then custom templates from the KV), keeps custom field
// values sealed in the KV, and runs the OAuth2 callback for all of them.
type Manager struct {
	cfg       ManagerConfig
	secrets   *SecretStore
	templates *TemplateStore
	oauth     *OAuthHandler

	mu  sync.RWMutex
	its map[string]*Integration
}

// NewManager returns a Manager over cfg.KV.
func NewManager(cfg ManagerConfig) (*Manager, error) {
	if cfg.KV == nil || cfg.Sealer == nil {
		return nil, errors.New("crm: manager needs a KV and a Sealer")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{
		cfg: cfg, secrets: NewSecretStore(cfg.KV, cfg.Sealer),
		templates: NewTemplateStore(cfg.KV, builtin.Has), oauth: NewOAuthHandler(cfg.Logger),
		its: map[string]*Integration{},
	}, nil
}

// Templates is the custom template store (upload, download, delete).
func (m *Manager) Templates() *TemplateStore { return m.templates }

// OAuth is the OAuth2 callback handler to mount on the admin listener.
func (m *Manager) OAuth() *OAuthHandler { return m.oauth }

// Template returns the template key: a built-in one or a custom upload.
func (m *Manager) Template(ctx context.Context, key string) (*template.Template, error) {
	opts := []template.Option{template.WithLocation(m.cfg.Location)}
	if builtin.Has(key) {
		return builtin.Load(key, opts...)
	}
	return m.templates.Load(ctx, key, opts...)
}

// Configure creates (or replaces) integration id from template key. Non-nil
// fields are sealed into the KV first; nil fields load the stored ones.
func (m *Manager) Configure(ctx context.Context, id, key string, fields map[string]string, s Settings) (*Integration, error) {
	if !templateKeyRE.MatchString(id) {
		return nil, fmt.Errorf("crm: bad integration id %q", id)
	}
	t, err := m.Template(ctx, key)
	if err != nil {
		return nil, err
	}
	if fields != nil {
		if err := m.secrets.SaveFields(ctx, id, fields); err != nil {
			return nil, err
		}
	} else if fields, err = m.secrets.LoadFields(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	it, err := New(ctx, Config{
		ID: id, Template: t, Fields: fields, Settings: s, KV: m.cfg.KV, Sealer: m.cfg.Sealer,
		HTTP: m.cfg.HTTP, Metrics: m.cfg.Metrics, Logger: m.cfg.Logger, Location: m.cfg.Location, Timeout: m.cfg.Timeout,
	})
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.its[id] = it
	m.mu.Unlock()
	return it, nil
}

// Get returns integration id, or nil.
func (m *Manager) Get(id string) *Integration {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.its[id]
}

// IDs returns the configured integration ids, sorted.
func (m *Manager) IDs() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ids := make([]string, 0, len(m.its))
	for id := range m.its {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Remove forgets integration id and deletes its sealed fields and token.
func (m *Manager) Remove(ctx context.Context, id string) error {
	m.mu.Lock()
	delete(m.its, id)
	m.mu.Unlock()
	return errors.Join(m.secrets.Delete(ctx, fieldsKey(id)), m.secrets.Delete(ctx, "crm/token/"+id))
}

// StartAll runs GetGlobalInfo for every authorized integration (at daemon
// start). Integrations still waiting for OAuth2 are skipped.
func (m *Manager) StartAll(ctx context.Context) error {
	var errs []error
	for _, id := range m.IDs() {
		err := m.Get(id).Start(ctx)
		if err != nil && !errors.Is(err, ErrNotAuthorized) {
			errs = append(errs, fmt.Errorf("crm: %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}
