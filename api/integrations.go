package api

import (
	"context"
	"errors"
	"net/http"

	"cidproxy/config"
	"cidproxy/crm"
	"cidproxy/crm/service"
)

// CRM is what the integration routes need of the running integrations
// (crm/service.Service).
type CRM interface {
	Statuses(ctx context.Context) []service.Status
	IntegrationStatus(ctx context.Context, name string) (service.Status, error)
	DeadLetters(ctx context.Context, name string) ([]service.Entry, error)
	RetryDeadLetter(ctx context.Context, name, id string) error
	DropDeadLetter(ctx context.Context, name, id string) error
	CreateContact(ctx context.Context, integration, number, display string) (crm.Contact, string, error)
	ManualIntegration() string
	PutIntegration(ctx context.Context, c config.Integration) (created bool, err error)
	DeleteIntegration(ctx context.Context, name string) error
	Authorize(name, redirectURI string) (string, error)
	OAuthCallback() http.Handler
}

// oauthCallbackPath is where CRMs send the administrator's browser back
// after an OAuth2 consent; register PUBLIC_URL + this path with the CRM app.
const oauthCallbackPath = "/api/v1/oauth/callback"

// authorizeIntegration starts an OAuth2 consent and returns the CRM's
// consent URL for the administrator's browser.
func (s *Server) authorizeIntegration(w http.ResponseWriter, r *http.Request, c *call) error {
	cm, err := s.crmFor(c, r.URL.Path)
	if err != nil {
		return err
	}
	base := s.opts.PublicURL
	if base == "" {
		base = "http://" + r.Host
	}
	u, err := cm.Authorize(r.PathValue("name"), base+oauthCallbackPath)
	if err != nil {
		if errors.Is(err, service.ErrNoIntegration) {
			return crmProblem(err, r.PathValue("name"))
		}
		return problemf(http.StatusConflict, "conflict", "%v", err)
	}
	return writeJSON(w, http.StatusOK, map[string]string{"url": u, "redirect_uri": base + oauthCallbackPath})
}

// oauthCallback passes the CRM's redirect to the integrations (no token:
// the state parameter, single-use and short-lived, authenticates it).
func (s *Server) oauthCallback(w http.ResponseWriter, r *http.Request, _ *call) error {
	if s.opts.CRM == nil {
		return notFound("resource", r.URL.Path)
	}
	s.opts.CRM.OAuthCallback().ServeHTTP(w, r)
	return nil
}

// The integration routes are admin-only: extension tokens get 404.

func (s *Server) crmFor(c *call, path string) (CRM, error) {
	if err := requireAdmin(c, "resource", path); err != nil {
		return nil, err
	}
	if s.opts.CRM == nil {
		return nil, notFound("integration", "")
	}
	return s.opts.CRM, nil
}

func (s *Server) listIntegrations(w http.ResponseWriter, r *http.Request, c *call) error {
	cm, err := s.crmFor(c, r.URL.Path)
	if err != nil {
		if s.opts.CRM == nil && c.viewer.Admin {
			return writeJSON(w, http.StatusOK, map[string]any{"items": []service.Status{}})
		}
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": cm.Statuses(r.Context())})
}

func (s *Server) getIntegration(w http.ResponseWriter, r *http.Request, c *call) error {
	cm, err := s.crmFor(c, r.URL.Path)
	if err != nil {
		return err
	}
	st, err := cm.IntegrationStatus(r.Context(), r.PathValue("name"))
	if err != nil {
		return crmProblem(err, r.PathValue("name"))
	}
	return writeJSON(w, http.StatusOK, st)
}

// createIntegration adds an integration managed through the API (409 when
// the name exists).
func (s *Server) createIntegration(w http.ResponseWriter, r *http.Request, c *call) error {
	cm, err := s.crmFor(c, r.URL.Path)
	if err != nil {
		return err
	}
	var ic config.Integration
	if err := decodeJSON(r, &ic); err != nil {
		return err
	}
	if _, err := cm.IntegrationStatus(r.Context(), ic.Name); err == nil {
		return problemf(http.StatusConflict, "conflict", "integration %q exists: PUT /api/v1/integrations/%s replaces it", ic.Name, ic.Name)
	}
	return s.storeIntegration(w, r, cm, ic)
}

// putIntegration creates or replaces an integration managed through the
// API; secret fields left out keep their stored values.
func (s *Server) putIntegration(w http.ResponseWriter, r *http.Request, c *call) error {
	cm, err := s.crmFor(c, r.URL.Path)
	if err != nil {
		return err
	}
	var ic config.Integration
	if err := decodeJSON(r, &ic); err != nil {
		return err
	}
	if ic.Name == "" {
		ic.Name = r.PathValue("name")
	}
	if ic.Name != r.PathValue("name") {
		return invalid("name", "the body names %q, the path %q", ic.Name, r.PathValue("name"))
	}
	return s.storeIntegration(w, r, cm, ic)
}

func (s *Server) storeIntegration(w http.ResponseWriter, r *http.Request, cm CRM, ic config.Integration) error {
	created, err := cm.PutIntegration(r.Context(), ic)
	if err != nil {
		return crmProblem(err, ic.Name)
	}
	st, err := cm.IntegrationStatus(r.Context(), ic.Name)
	if err != nil {
		return err
	}
	return writePut(w, created, st)
}

func (s *Server) deleteIntegration(w http.ResponseWriter, r *http.Request, c *call) error {
	cm, err := s.crmFor(c, r.URL.Path)
	if err != nil {
		return err
	}
	if err := cm.DeleteIntegration(r.Context(), r.PathValue("name")); err != nil {
		return crmProblem(err, r.PathValue("name"))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deadLetter is one journal record that kept failing, as the API shows it.
type deadLetter struct {
	ID        string `json:"id"`
	CallID    string `json:"call_id"`
	Kind      string `json:"kind"`
	Direction string `json:"direction"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error"`
	Created   string `json:"created"`
}

func (s *Server) listDeadLetters(w http.ResponseWriter, r *http.Request, c *call) error {
	cm, err := s.crmFor(c, r.URL.Path)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	es, err := cm.DeadLetters(r.Context(), name)
	if err != nil {
		return crmProblem(err, name)
	}
	items := make([]deadLetter, 0, len(es))
	for _, e := range es {
		items = append(items, deadLetter{
			ID: e.Key[len(name)+1:], CallID: e.Event.CallID, Kind: string(e.Event.Kind), Direction: string(e.Event.Direction),
			Attempts: e.Attempts, LastError: e.LastError, Created: e.Created.UTC().Format("2006-01-02T15:04:05Z"),
		})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) retryDeadLetter(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.settleDeadLetter(w, r, c, CRM.RetryDeadLetter, http.StatusAccepted)
}

func (s *Server) dropDeadLetter(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.settleDeadLetter(w, r, c, CRM.DropDeadLetter, http.StatusNoContent)
}

// settleDeadLetter applies act (retry or drop) to the dead letter of the
// path and answers status.
func (s *Server) settleDeadLetter(w http.ResponseWriter, r *http.Request, c *call,
	act func(CRM, context.Context, string, string) error, status int) error {
	cm, err := s.crmFor(c, r.URL.Path)
	if err != nil {
		return err
	}
	name, id := r.PathValue("name"), r.PathValue("id")
	if err := act(cm, r.Context(), name, id); err != nil {
		return crmProblem(err, name+"/"+id)
	}
	w.WriteHeader(status)
	return nil
}

// createdContact answers POST /api/v1/calls/{id}/create-contact.
type createdContact struct {
	Integration string `json:"integration"`
	ContactID   string `json:"contact_id"` // the CRM's id
	Type        string `json:"type"`
	URL         string `json:"url,omitempty"`
	LocalID     string `json:"local_id,omitempty"` // the synced contact in the integration's phonebook
}

// createContactForCall creates a CRM contact for the external party of a
// recent call of the caller's extension (manual mode). The extension on
// the call or an admin may ask; others get 404.
func (s *Server) createContactForCall(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if s.opts.CRM == nil || s.opts.Stream == nil {
		return notFound("call", id)
	}
	var body struct {
		Integration string `json:"integration,omitempty"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
	}
	cl, ok := s.opts.Stream.Find(id)
	if !ok {
		return notFound("call", id)
	}
	ext, number, display := cl.Callee.Number, cl.Caller.Number, cl.Caller.Name
	if cl.Direction == "outbound" {
		ext, number, display = cl.Caller.Number, cl.Callee.Number, ""
	}
	if !c.viewer.Admin && c.viewer.Extension != ext {
		return notFound("call", id)
	}
	name := body.Integration
	if name == "" {
		name = s.opts.CRM.ManualIntegration()
	}
	ct, local, err := s.opts.CRM.CreateContact(r.Context(), name, number, display)
	if err != nil {
		return crmProblem(err, name)
	}
	return writeJSON(w, http.StatusCreated, createdContact{Integration: name, ContactID: ct.ID, Type: ct.Type, URL: ct.URL, LocalID: local})
}

// listExtensionCalls lists the extension's current and recent calls.
func (s *Server) listExtensionCalls(w http.ResponseWriter, r *http.Request, c *call) error {
	ext := r.PathValue("ext")
	if err := selfOrAdmin(c, ext); err != nil {
		return err
	}
	if s.opts.Stream == nil {
		return writeJSON(w, http.StatusOK, map[string]any{"items": []any{}})
	}
	cur, recent := s.opts.Stream.Current(ext)
	return writeJSON(w, http.StatusOK, map[string]any{"items": append(cur, recent...)})
}

// crmProblem maps the service's errors to problems.
func crmProblem(err error, id string) error {
	switch {
	case errors.Is(err, service.ErrNoIntegration), errors.Is(err, crm.ErrNotFound):
		return notFound("integration or record", id)
	case errors.Is(err, service.ErrContactCreation), errors.Is(err, service.ErrConfigured):
		return problemf(http.StatusConflict, "conflict", "%v", err)
	case errors.Is(err, service.ErrInvalid):
		return invalid("", "%v", err)
	}
	var se *crm.StatusError
	if errors.As(err, &se) {
		return problemf(http.StatusBadGateway, "crm-error", "the CRM answered %d", se.StatusCode)
	}
	return err
}

// SetCRM installs the running integrations (before the server serves).
func (s *Server) SetCRM(c CRM) { s.opts.CRM = c }

// writePut answers a PUT or POST that stores a resource: 201 when it was
// created, 200 when it replaced one.
func writePut(w http.ResponseWriter, created bool, v any) error {
	if created {
		return writeJSON(w, http.StatusCreated, v)
	}
	return writeJSON(w, http.StatusOK, v)
}
