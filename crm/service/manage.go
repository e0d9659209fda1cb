package service

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"cidproxy/config"
	"cidproxy/crm"
)

// Errors of the integration management calls.
var (
	// ErrConfigured: the integration is defined in the configuration file,
	// which wins at every start; change it there.
	ErrConfigured = errors.New("integration is defined in the configuration file")
	// ErrInvalid wraps a configuration error of a managed integration.
	ErrInvalid = errors.New("invalid integration")
)

const managedPrefix = "integration/"

// Apply makes cfgs the running integrations: new ones are built and
// started, changed ones replaced (calls in flight keep the instance they
// hold; the old one's background work stops), removed ones stopped. If a
// configuration cannot be built nothing changes and the error names it.
func (s *Service) Apply(ctx context.Context, cfgs []config.Integration) error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	return s.applyLocked(ctx, cfgs)
}

func (s *Service) applyLocked(ctx context.Context, cfgs []config.Integration) error {
	old := s.members()
	list := make([]*Integration, 0, len(cfgs))
	for _, c := range cfgs {
		if in := old.byName[c.Name]; in != nil && reflect.DeepEqual(in.cfg, c) && in.tpl == templateStamp(c.Template) {
			list = append(list, in)
			continue
		}
		in, err := s.build(ctx, c)
		if err != nil {
			return fmt.Errorf("crm.integrations %s: %w", c.Name, err)
		}
		list = append(list, in)
	}
	next := newMembers(list)
	s.cur.Store(next)
	s.runMu.Lock()
	defer s.runMu.Unlock()
	for _, in := range old.list {
		if next.byName[in.name] != in && in.stop != nil {
			in.stop()
		}
	}
	for _, in := range list {
		s.startLocked(in)
	}
	return nil
}

// Configure sets the file's integrations (at start and on reload) and
// runs them together with those managed through the API; a managed one
// with the name of a file one is shadowed by it.
func (s *Service) Configure(ctx context.Context, fromFile []config.Integration) error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	managed, err := s.loadManaged(ctx)
	if err != nil {
		return err
	}
	s.fromFile = map[string]bool{}
	all := slices.Clone(fromFile)
	for _, c := range fromFile {
		s.fromFile[c.Name] = true
	}
	for _, c := range managed {
		if !s.fromFile[c.Name] {
			all = append(all, c)
		}
	}
	return s.applyLocked(ctx, all)
}

func (s *Service) loadManaged(ctx context.Context) ([]config.Integration, error) {
	keys, err := s.opts.KV.List(ctx, managedPrefix)
	if err != nil {
		return nil, fmt.Errorf("crm: managed integrations: %w", err)
	}
	sec := crm.NewSecretStore(s.opts.KV, s.opts.Sealer)
	var out []config.Integration
	for _, k := range keys {
		var c config.Integration
		if err := sec.GetJSON(ctx, k, &c); err != nil {
			return nil, fmt.Errorf("crm: managed integration %s: %w", strings.TrimPrefix(k, managedPrefix), err)
		}
		out = append(out, c)
	}
	return out, nil
}

// PutIntegration creates or replaces an integration managed through the
// API. Its fields are sealed in the store; a secret field left out keeps
// its stored value (the API never shows secrets, so a client cannot send
// them back). created reports a new integration.
func (s *Service) PutIntegration(ctx context.Context, c config.Integration) (created bool, err error) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if s.fromFile[c.Name] {
		return false, fmt.Errorf("%w: %s", ErrConfigured, c.Name)
	}
	for k, v := range c.Fields {
		if reSecretRef.MatchString(strings.TrimSpace(v)) {
			// ${env:} and ${file:} read the daemon's machine: only the
			// configuration file (its owner) may use them.
			return false, fmt.Errorf("%w: field %s: ${env:...} and ${file:...} are for the configuration file only", ErrInvalid, k)
		}
	}
	cfg := config.Default()
	cfg.CRM.Integrations = []config.Integration{c}
	if err := cfg.Validate(); err != nil {
		return false, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	sec := crm.NewSecretStore(s.opts.KV, s.opts.Sealer)
	var old config.Integration
	err = sec.GetJSON(ctx, managedPrefix+c.Name, &old)
	created = errors.Is(err, crm.ErrNotFound)
	if err != nil && !created {
		return false, err
	}
	fields := maps.Clone(c.Fields)
	if fields == nil {
		fields = map[string]string{}
	}
	for k, v := range old.Fields {
		if _, given := fields[k]; !given && crm.IsSecretField(k) {
			fields[k] = v
		}
	}
	c.Fields = fields
	if _, err := s.build(ctx, c); err != nil { // template and secrets resolve
		return false, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := sec.PutJSON(ctx, managedPrefix+c.Name, c); err != nil {
		return false, err
	}
	return created, s.applyManagedLocked(ctx)
}

// DeleteIntegration removes an integration managed through the API. Its
// phonebook and outbox records stay (records of removed integrations go
// to the dead letters).
func (s *Service) DeleteIntegration(ctx context.Context, name string) error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if s.fromFile[name] {
		return fmt.Errorf("%w: %s", ErrConfigured, name)
	}
	if _, err := s.opts.KV.Get(ctx, managedPrefix+name); err != nil {
		return fmt.Errorf("%w: %q", ErrNoIntegration, name)
	}
	if err := s.opts.KV.Delete(ctx, managedPrefix+name); err != nil {
		return err
	}
	return s.applyManagedLocked(ctx)
}

// applyManagedLocked keeps the file's integrations and applies the stored
// managed ones (s.applyMu held).
func (s *Service) applyManagedLocked(ctx context.Context) error {
	managed, err := s.loadManaged(ctx)
	if err != nil {
		return err
	}
	var all []config.Integration
	for _, in := range s.members().list {
		if s.fromFile[in.name] {
			all = append(all, in.cfg)
		}
	}
	for _, c := range managed {
		if !s.fromFile[c.Name] {
			all = append(all, c)
		}
	}
	return s.applyLocked(ctx, all)
}

// PublicConfig returns the integration's configuration without secret
// field values, and whether it comes from the configuration file.
func (in *Integration) PublicConfig() (c config.Integration, fromFile bool) {
	c = in.cfg
	c.Fields = map[string]string{}
	secret := map[string]bool{}
	for _, p := range in.it.Template().CustomFields() {
		if p.Editor == "password" {
			secret[p.Name] = true
		}
	}
	for k, v := range in.cfg.Fields {
		if secret[k] || crm.IsSecretField(k) {
			continue
		}
		c.Fields[k] = v
	}
	in.s.applyMu.Lock()
	fromFile = in.s.fromFile[in.name]
	in.s.applyMu.Unlock()
	return c, fromFile
}
