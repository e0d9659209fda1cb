package sqlsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"cidproxy/config"
)

// Errors of sources managed through the API.
var (
	// ErrInvalid: the source's settings are refused (the message says why).
	ErrInvalid = errors.New("sqlsync: invalid source")
	// ErrConfigured: the source comes from the configuration file, which
	// the API does not change.
	ErrConfigured = errors.New("sqlsync: source is configured in the file")
)

// Sealer encrypts secrets at rest (crm.Sealer).
type Sealer interface {
	Seal(plain []byte, aad string) ([]byte, error)
	Open(sealed []byte, aad string) ([]byte, error)
}

// managed is the stored record of a source managed through the API
// (KV "NAME/source"): its settings with the DSN sealed when it is a
// literal, or the ${env:}/${file:} reference as it is.
type managed struct {
	Source    config.SQLSource `json:"source"`
	SealedDSN []byte           `json:"sealed_dsn,omitempty"`
}

var (
	reSourceName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	reSecretRef  = regexp.MustCompile(`^\$\{(env|file):[^}]+\}$`)
)

func sourceKey(name string) string { return name + "/source" }

// loadManaged adds the sources stored through the API (a name the file
// configures wins).
func (s *Syncer) loadManaged() error {
	keys, err := s.db.KV(kvNamespace).List(context.Background(), "")
	if err != nil {
		return err
	}
	for _, k := range keys {
		name, ok := strings.CutSuffix(k, "/source")
		if !ok || strings.Contains(name, "/") {
			continue
		}
		if _, clash := s.sources[name]; clash {
			s.log.Warn("sql source managed through the API is shadowed by the configuration file", "source", name)
			continue
		}
		cfg, err := s.readManaged(name)
		if err == nil {
			var src *source
			if src, err = compile(cfg); err == nil {
				s.add(src)
				continue
			}
		}
		s.log.Error("sql source managed through the API not loaded", "source", name, "err", err)
	}
	return nil
}

func (s *Syncer) readManaged(name string) (config.SQLSource, error) {
	b, err := s.db.KV(kvNamespace).Get(context.Background(), sourceKey(name))
	if err != nil {
		return config.SQLSource{}, err
	}
	var m managed
	if err := json.Unmarshal(b, &m); err != nil {
		return config.SQLSource{}, err
	}
	if len(m.SealedDSN) > 0 {
		if s.sealer == nil {
			return config.SQLSource{}, errors.New("its DSN is sealed and no key is loaded")
		}
		dsn, err := s.sealer.Open(m.SealedDSN, "sqlsync/"+name)
		if err != nil {
			return config.SQLSource{}, fmt.Errorf("unseal DSN: %w", err)
		}
		m.Source.DSN = string(dsn)
	}
	return m.Source, nil
}

// Put creates or replaces a source managed through the API; an empty DSN
// keeps the stored one. It reports whether the source is new. A source
// from the configuration file is ErrConfigured, a running one ErrBusy,
// invalid settings ErrInvalid.
func (s *Syncer) Put(ctx context.Context, cfg config.SQLSource) (bool, error) {
	if !reSourceName.MatchString(cfg.Name) {
		return false, fmt.Errorf("%w: name %q: use 1-40 lower-case letters, digits, - or _", ErrInvalid, cfg.Name)
	}
	s.srcMu.Lock()
	defer s.srcMu.Unlock()
	old := s.sources[cfg.Name]
	if old != nil && old.fromFile {
		return false, fmt.Errorf("%w: %q", ErrConfigured, cfg.Name)
	}
	if cfg.DSN == "" && old != nil {
		cfg.DSN = old.cfg.DSN
	}
	src, err := compile(cfg)
	if err != nil {
		return false, fmt.Errorf("%w: %s", ErrInvalid, strings.TrimPrefix(err.Error(), "sql source "+cfg.Name+": "))
	}
	rec := managed{Source: cfg}
	if !reSecretRef.MatchString(strings.TrimSpace(cfg.DSN)) {
		if s.sealer == nil {
			return false, fmt.Errorf("%w: dsn: give ${env:NAME} or ${file:PATH} (no key to seal a literal DSN at rest)", ErrInvalid)
		}
		if rec.SealedDSN, err = s.sealer.Seal([]byte(cfg.DSN), "sqlsync/"+cfg.Name); err != nil {
			return false, err
		}
		rec.Source.DSN = ""
	}
	if old != nil {
		if !old.run.TryLock() {
			return false, ErrBusy
		}
		defer old.run.Unlock()
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return false, err
	}
	if err := s.db.KV(kvNamespace).Put(ctx, sourceKey(cfg.Name), b); err != nil {
		return false, err
	}
	s.add(src)
	return old == nil, s.schedule(src)
}

// Delete removes a source managed through the API together with the
// contacts and phonebooks it synced (one all-or-nothing write) and its
// history.
func (s *Syncer) Delete(ctx context.Context, name string) error {
	s.srcMu.Lock()
	defer s.srcMu.Unlock()
	src, ok := s.sources[name]
	switch {
	case !ok:
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	case src.fromFile:
		return fmt.Errorf("%w: %q", ErrConfigured, name)
	case !src.run.TryLock():
		return ErrBusy
	}
	defer src.run.Unlock()
	if err := s.dropSynced(ctx, src); err != nil {
		return err
	}
	if id, ok := s.entries[name]; ok {
		s.cron.Remove(id)
		delete(s.entries, name)
	}
	delete(s.sources, name)
	for i, n := range s.names {
		if n == name {
			s.names = append(s.names[:i], s.names[i+1:]...)
			break
		}
	}
	return nil
}

// dropSynced deletes src's contacts, phonebooks, state and records.
func (s *Syncer) dropSynced(ctx context.Context, src *source) error {
	name := src.cfg.Name
	b, err := s.db.NewSyncBulk()
	if err != nil {
		return err
	}
	defer b.Abort()
	st, err := s.loadState(ctx, name)
	if err != nil {
		return err
	}
	if err := st.finish(b, true); err != nil { // nothing seen: everything goes
		return err
	}
	pbs, err := s.phonebooks(ctx, src)
	if err != nil {
		return err
	}
	if err := pbs.dropUnused(b); err != nil {
		return err
	}
	if err := errors.Join(b.DeleteKV(kvNamespace, sourceKey(name)), b.DeleteKV(kvNamespace, name+"/runs")); err != nil {
		return err
	}
	_, err = b.Commit(ctx)
	return err
}
