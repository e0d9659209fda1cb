package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cidproxy/config"
	"cidproxy/crm"
	"cidproxy/crm/builtin"
	"cidproxy/crm/template"
	"cidproxy/lookup"
)

// Store is what the service needs of the contact store.
type Store interface {
	PhonebookByName(ctx context.Context, name string) (lookup.Phonebook, error)
	SyncPhonebook(ctx context.Context, p lookup.Phonebook) (lookup.Phonebook, error)
	SyncContact(ctx context.Context, c lookup.Contact) (lookup.Contact, error)
	GetContact(ctx context.Context, id string) (lookup.Contact, error)
	DeleteSynced(ctx context.Context, id string) error
	ListExtensions(ctx context.Context) ([]lookup.Extension, error)
	GetExtension(ctx context.Context, number string) (lookup.Extension, error)
}

// Options are the service's dependencies.
type Options struct {
	Store Store
	// KV keeps tokens, synced-contact references and (without Outbox) the
	// journal outbox; values that hold secrets or call data are sealed.
	KV     crm.KV
	Sealer *crm.Sealer
	// Outbox is the journal's durable queue; nil: one over KV.
	Outbox Outbox
	// Normalize returns a number's canonical key (store's normalizer).
	Normalize  func(string) (string, error)
	HTTP       *http.Client
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Location   *time.Location
	// Timeout bounds one HTTP attempt (default 10 s).
	Timeout time.Duration
	// BreakerCooldown is how long a CRM's open circuit breaker waits
	// before a probe (0: the crm package's default, 30 s).
	BreakerCooldown time.Duration
	Now             func() time.Time
	// Misses returns the miss cache of an integration; nil keeps each in
	// memory (newTTLSet). A cluster shares them between nodes.
	Misses func(integration string) MissCache
}

// Service runs the configured integrations. Build it with New, start its
// background work with Run; it is safe for concurrent use.
type Service struct {
	opts   Options
	log    *slog.Logger
	m      *metrics
	crmM   *crm.Metrics
	cur    atomic.Pointer[members]
	refs   *refIndex
	legs   *legIndex
	outbox Outbox
	wake   chan struct{}
	local  lookup.Source // the local sources (set by Resolver)
	ringQ  chan ringTask
	oauth  *crm.OAuthHandler

	applyMu  sync.Mutex      // serialises Apply, Configure, Put/DeleteIntegration
	fromFile map[string]bool // integrations of the configuration file

	runMu  sync.Mutex
	runCtx context.Context // set by Run: integrations added later start under it
	runWG  sync.WaitGroup
}

// members is one immutable set of running integrations; Apply swaps it.
type members struct {
	list   []*Integration
	byName map[string]*Integration
	// alwaysQuery is set when some integration asks the CRM even for
	// callers a local source knows.
	alwaysQuery bool
	// ringWork is set when some integration creates tickets or contacts.
	ringWork bool
}

func newMembers(list []*Integration) *members {
	m := &members{list: list, byName: make(map[string]*Integration, len(list))}
	for _, in := range list {
		m.byName[in.name] = in
		m.alwaysQuery = m.alwaysQuery || in.cfg.Lookup.AlwaysQuery
		m.ringWork = m.ringWork || in.cfg.CreateContact.Mode == "auto" || in.it.Template().Feature(template.FeatureCreateNewTicket)
	}
	return m
}

// members returns the running integrations.
func (s *Service) members() *members { return s.cur.Load() }

// Integration is one running integration.
type Integration struct {
	s    *Service
	cfg  config.Integration
	it   *crm.Integration
	name string
	// tpl fingerprints the template file it was built from, so that a
	// reload rebuilds it when only the file changed.
	tpl string

	misses  MissCache
	flight  flightGroup
	pending atomic.Int64 // call-path searches under way
	pbMu    sync.Mutex
	pbID    string

	stop context.CancelFunc // ends run (Apply replaced or removed it)

	usersMu     sync.RWMutex
	users       map[string]string // extension -> CRM user id
	usersLoaded bool
	statusMu    sync.Mutex
	lastErr     string
	lastErrAt   time.Time
}

// newMisses returns the miss cache of integration name.
func (s *Service) newMisses(name string) MissCache {
	if s.opts.Misses != nil {
		return s.opts.Misses(name)
	}
	return newTTLSet(100_000)
}

// New builds the integrations of cfgs. A template that cannot be loaded or
// a secret that cannot be resolved is an error naming the integration; a
// CRM that cannot be reached is not (it is retried in the background).
func New(ctx context.Context, cfgs []config.Integration, opts Options) (*Service, error) {
	if opts.Store == nil || opts.KV == nil || opts.Sealer == nil || opts.Normalize == nil {
		return nil, errors.New("crm service: Store, KV, Sealer and Normalize are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	s := &Service{
		opts: opts, log: opts.Logger.With("component", "crm"),
		legs: newLegIndex(), wake: make(chan struct{}, 1), ringQ: make(chan ringTask, ringQueue),
	}
	s.outbox = opts.Outbox
	if s.outbox == nil {
		s.outbox = NewKVOutbox(opts.KV, opts.Sealer)
	}
	refs, err := loadRefs(ctx, opts.KV)
	if err != nil {
		return nil, err
	}
	s.refs = refs
	s.reloadLegs(ctx)
	s.oauth = crm.NewOAuthHandler(s.log)
	s.crmM = crm.NewMetrics(opts.Registerer)
	s.cur.Store(newMembers(nil))
	s.m = newMetrics(opts.Registerer, s)
	if err := s.Configure(ctx, cfgs); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadTemplate loads builtin:NAME or a template file.
func LoadTemplate(ref string, loc *time.Location) (*template.Template, error) {
	opts := []template.Option{template.WithLocation(loc)}
	if key, ok := strings.CutPrefix(ref, "builtin:"); ok {
		if !builtin.Has(key) {
			return nil, fmt.Errorf("unknown built-in template %q (have %s)", key, strings.Join(builtin.Keys(), ", "))
		}
		return builtin.Load(key, opts...)
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	t, err := template.Parse(data, opts...)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", ref, err)
	}
	return t, nil
}

func (s *Service) build(ctx context.Context, c config.Integration) (*Integration, error) {
	t, err := LoadTemplate(c.Template, s.opts.Location)
	if err != nil {
		return nil, err
	}
	fields, err := ResolveFields(c.Fields)
	if err != nil {
		return nil, err
	}
	it, err := crm.New(ctx, crm.Config{
		ID: c.Name, Template: t, Fields: fields, KV: s.opts.KV, Sealer: s.opts.Sealer,
		HTTP: s.opts.HTTP, Metrics: s.crmM, Logger: s.opts.Logger, Location: s.opts.Location,
		Timeout: s.opts.Timeout, Now: s.opts.Now, BreakerCooldown: s.opts.BreakerCooldown,
		Settings: crm.Settings{
			SyncTypes: c.Sync.ContactTypes, CreateType: c.CreateContact.Type,
			Subject: c.Journal.Subject, Description: c.Journal.Description, Associations: c.Users.Map,
		},
	})
	if err != nil {
		return nil, err
	}
	if err := seedToken(ctx, it, fields); err != nil {
		return nil, err
	}
	return &Integration{s: s, cfg: c, it: it, name: c.Name, tpl: templateStamp(c.Template), misses: s.newMisses(c.Name)}, nil
}

// templateStamp fingerprints a template file's content ("" for a
// built-in template or an unreadable file).
func templateStamp(ref string) string {
	if strings.HasPrefix(ref, "builtin:") {
		return ""
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// seedToken installs fields.refresh_token (a Zoho "self client" grant,
// a token from another installation) when the integration has no stored
// token yet, so an OAuth2 integration works without the browser consent.
func seedToken(ctx context.Context, it *crm.Integration, fields map[string]string) error {
	rt := fields["refresh_token"]
	if rt == "" {
		return nil
	}
	it.Redactor().Add(rt)
	if t := it.Token(); t.AccessToken != "" || t.RefreshToken != "" {
		return nil
	}
	if err := it.SetToken(ctx, crm.Token{RefreshToken: rt}); err != nil {
		return fmt.Errorf("refresh_token: %w", err)
	}
	return nil
}

// Integrations returns the running integrations in configuration order.
func (s *Service) Integrations() []*Integration { return s.members().list }

// Get returns the integration called name, or nil.
func (s *Service) Get(name string) *Integration { return s.members().byName[name] }

// Outbox returns the journal's outbox.
func (s *Service) Outbox() Outbox { return s.outbox }

// Name returns the integration's name.
func (in *Integration) Name() string { return in.name }

// CRM returns the underlying crm.Integration.
func (in *Integration) CRM() *crm.Integration { return in.it }

// Config returns the integration's configuration.
func (in *Integration) Config() config.Integration { return in.cfg }

func (in *Integration) fail(err error) {
	in.statusMu.Lock()
	in.lastErr, in.lastErrAt = in.it.Redactor().String(err.Error()), in.s.opts.Now()
	in.statusMu.Unlock()
}

// Run starts every integration (GetGlobalInfo, users), then runs the
// journal worker and periodic refreshes until ctx is done. Integrations
// added by Apply later start under the same ctx.
func (s *Service) Run(ctx context.Context) error {
	s.runMu.Lock()
	s.runCtx = ctx
	for _, in := range s.members().list {
		s.startLocked(in)
	}
	s.runMu.Unlock()
	s.runWG.Go(func() { s.runJournal(ctx) })
	s.runWG.Go(func() { s.runRing(ctx) })
	<-ctx.Done()
	s.runWG.Wait()
	return ctx.Err()
}

// startLocked runs in's background work (s.runMu held, Run started).
func (s *Service) startLocked(in *Integration) {
	if s.runCtx == nil || in.stop != nil {
		return
	}
	ctx, stop := context.WithCancel(s.runCtx)
	in.stop = stop
	s.runWG.Go(func() { in.run(ctx) })
}

// run starts one integration, retrying GetGlobalInfo with backoff, and
// refreshes the user links every 15 minutes.
func (in *Integration) run(ctx context.Context) {
	delay := 5 * time.Second
	warned := false
	for {
		err := in.it.Start(ctx)
		if err == nil {
			break
		}
		if errors.Is(err, crm.ErrNotAuthorized) {
			// OAuth2 consent pending (POST /api/v1/integrations/NAME/authorize).
			if !warned {
				in.s.log.Warn("crm integration waits for authorization", "integration", in.name)
				warned = true
			}
			if !sleep(ctx, 5*time.Second) {
				return
			}
			continue
		}
		in.fail(err)
		in.s.log.Warn("crm integration start failed; retrying", "integration", in.name, "in", delay, "err", in.it.Redactor().String(err.Error()))
		if !sleep(ctx, delay) {
			return
		}
		delay = min(delay*2, 5*time.Minute)
	}
	for {
		in.loadUsers(ctx)
		if !sleep(ctx, 15*time.Minute) {
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
