package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"cidproxy/config"
	"cidproxy/crm"
	"cidproxy/crm/internal/httpclient"
)

// Integration states reported by Status.
const (
	StateConnected     = "connected"
	StateNotAuthorized = "not_authorized" // OAuth2 consent pending
	StateAuthFailed    = "auth_failed"
	StateBreakerOpen   = "breaker_open"
	StateFailing       = "failing" // the last request failed
)

// Status is what GET /api/v1/integrations/{name} shows. It holds no
// secret: field values are never part of it.
type Status struct {
	Name          string            `json:"name"`
	Template      string            `json:"template"`
	State         string            `json:"state"`
	LastError     string            `json:"last_error,omitempty"`
	LastErrorAt   time.Time         `json:"last_error_at,omitzero"`
	TokenExpiry   time.Time         `json:"token_expiry,omitzero"`
	LinkedUsers   map[string]string `json:"linked_users"`
	Phonebook     string            `json:"phonebook"`
	SyncedCount   int               `json:"synced_contacts"`
	CachedMisses  int               `json:"cached_misses"`
	Outbox        int               `json:"outbox_depth"`
	DeadLetters   int               `json:"dead_letters"`
	Journal       bool              `json:"journal"`
	CreateContact string            `json:"create_contact"`
	LookupBudget  string            `json:"lookup_budget"`
	// Config is the integration's configuration without secret values;
	// Origin says where it is managed: "file" or "api".
	Config config.Integration `json:"config"`
	Origin string             `json:"origin"`
}

// Status reports the state of the integration.
func (in *Integration) Status(ctx context.Context) Status {
	st := Status{
		Name: in.name, Template: in.cfg.Template, LinkedUsers: in.Links(), Phonebook: in.phonebookName(),
		CachedMisses: in.misses.Len(), Journal: in.cfg.Journal.Enabled,
		CreateContact: modeOrOff(in.cfg.CreateContact.Mode), LookupBudget: in.cfg.Lookup.EffectiveBudget().String(),
		TokenExpiry: in.it.Token().Expiry, Origin: "api",
	}
	var fromFile bool
	st.Config, fromFile = in.PublicConfig()
	if fromFile {
		st.Origin = "file"
	}
	in.statusMu.Lock()
	st.LastError, st.LastErrorAt = in.lastErr, in.lastErrAt
	in.statusMu.Unlock()
	st.State = StateConnected
	switch {
	case !in.it.Authorized():
		st.State = StateNotAuthorized
	case in.it.Client().Breaker().State() == httpclient.BreakerOpen:
		st.State = StateBreakerOpen
	case st.LastError != "" && (strings.Contains(st.LastError, "401") || strings.Contains(st.LastError, "token")):
		st.State = StateAuthFailed
	}
	in.s.refs.mu.RLock()
	for _, r := range in.s.refs.byID {
		if r.Integration == in.name {
			st.SyncedCount++
		}
	}
	in.s.refs.mu.RUnlock()
	if dead, err := in.s.outbox.DeadLetters(ctx, in.name); err == nil {
		st.DeadLetters = len(dead)
	}
	if p, _, err := in.s.outbox.Depth(ctx); err == nil {
		st.Outbox = p
	}
	return st
}

func modeOrOff(m string) string {
	if m == "" {
		return "off"
	}
	return m
}

// ErrNoIntegration is returned for an unknown integration name.
var ErrNoIntegration = errors.New("no such integration")

func (s *Service) integration(name string) (*Integration, error) {
	in := s.members().byName[name]
	if in == nil {
		return nil, fmt.Errorf("%w: %q", ErrNoIntegration, name)
	}
	return in, nil
}

// DeadLetters lists integration name's dead letters.
func (s *Service) DeadLetters(ctx context.Context, name string) ([]Entry, error) {
	if _, err := s.integration(name); err != nil {
		return nil, err
	}
	return s.outbox.DeadLetters(ctx, name)
}

// RetryDeadLetter moves dead letter id (the key's part after "name/") of
// integration name back to the outbox.
func (s *Service) RetryDeadLetter(ctx context.Context, name, id string) error {
	if _, err := s.integration(name); err != nil {
		return err
	}
	if err := s.outbox.Retry(ctx, name+"/"+id, s.opts.Now()); err != nil {
		return err
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// DropDeadLetter deletes dead letter id of integration name for good.
func (s *Service) DropDeadLetter(ctx context.Context, name, id string) error {
	if _, err := s.integration(name); err != nil {
		return err
	}
	return s.outbox.Drop(ctx, name+"/"+id)
}

// NewContactURL returns the CRM's new-contact page of integration name
// (popup.new_contact_url); false when none is configured.
func (s *Service) NewContactURL(name string) (string, bool) {
	in := s.members().byName[name]
	if in == nil || in.cfg.Popup.NewContactURL == "" {
		return "", false
	}
	return in.cfg.Popup.NewContactURL, true
}

// ErrContactCreation is wrapped when a contact cannot be created.
var ErrContactCreation = errors.New("contact creation refused")

// CreateContact creates a contact for number (with the SIP display name
// as its name, if any) in integration name's CRM, stores it in the
// integration's phonebook and returns it. A contact created for the number
// lately (the CRM's search index lags) is returned instead of a second one.
func (s *Service) CreateContact(ctx context.Context, name, number, display string) (crm.Contact, string, error) {
	in, err := s.integration(name)
	if err != nil {
		return crm.Contact{}, "", err
	}
	if in.cfg.CreateContact.Mode == "" || in.cfg.CreateContact.Mode == "off" {
		return crm.Contact{}, "", fmt.Errorf("%w: create_contact.mode is off for %s", ErrContactCreation, name)
	}
	return in.createContact(ctx, number, display)
}

func (in *Integration) createContact(ctx context.Context, number, display string) (crm.Contact, string, error) {
	first, last := splitName(display, number)
	c, err := in.it.CreateContact(ctx, crm.NewContact{Type: in.cfg.CreateContact.Type, FirstName: first, LastName: last, Number: number})
	if err != nil {
		in.fail(err)
		return c, "", err
	}
	in.s.m.contactsCreated.WithLabelValues(in.name).Inc()
	if key, err := in.s.opts.Normalize(number); err == nil {
		in.misses.Del(key)
	}
	if c.ID == "" {
		return c, "", nil // the template maps no id: nothing to link locally
	}
	id, err := in.remember(ctx, c, number)
	if err != nil {
		in.s.log.Warn("created crm contact not stored", "integration", in.name, "err", err)
	}
	return c, id, nil
}

// splitName turns a SIP display name into first and last name; a name
// that is only the number (or empty) leaves the first name empty and the
// number as the last name, as the CRMs require a last name.
func splitName(display, number string) (string, string) {
	d := strings.TrimSpace(strings.Trim(display, `"`))
	if d == "" || digitsOnly(d) == digitsOnly(number) {
		return "", number
	}
	if f, l, ok := strings.Cut(d, " "); ok {
		return f, strings.TrimSpace(l)
	}
	return "", d
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Statuses reports every integration, in configuration order.
func (s *Service) Statuses(ctx context.Context) []Status {
	out := make([]Status, 0, len(s.members().list))
	for _, in := range s.members().list {
		out = append(out, in.Status(ctx))
	}
	return out
}

// IntegrationStatus reports integration name.
func (s *Service) IntegrationStatus(ctx context.Context, name string) (Status, error) {
	in, err := s.integration(name)
	if err != nil {
		return Status{}, err
	}
	return in.Status(ctx), nil
}

// ManualIntegration names the first integration whose create_contact.mode
// is manual or auto ("" when none): the default target of a contact
// creation asked for a call.
func (s *Service) ManualIntegration() string {
	for _, in := range s.members().list {
		if m := in.cfg.CreateContact.Mode; m == "manual" || m == "auto" {
			return in.name
		}
	}
	return ""
}

// Authorize starts the OAuth2 consent of integration name and returns the
// URL to open in the administrator's browser; the CRM sends the browser
// back to redirectURI, where OAuthCallback must be served.
func (s *Service) Authorize(name, redirectURI string) (string, error) {
	in, err := s.integration(name)
	if err != nil {
		return "", err
	}
	return s.oauth.Begin(in.it, redirectURI)
}

// OAuthCallback serves the CRM's redirect back after the consent.
func (s *Service) OAuthCallback() http.Handler { return s.oauth }
