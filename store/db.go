package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	boptions "github.com/dgraph-io/badger/v4/options"

	"cidproxy/config"
	"cidproxy/lookup"
)

// ErrNotFound is returned when a contact, rule or KV key does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrLocked is returned by Open when another process (normally the running
// daemon) holds the data directory; Badger allows one process per
// directory. The error returned wraps it with the directory and the
// holder's pid.
var ErrLocked = errors.New("store: data directory is locked")

// DB is the open store plus the lookup index built from it.
type DB struct {
	bdb  *badger.DB
	log  *slog.Logger
	dir  string
	norm *lookup.Normalizer
	ix   *lookup.Index

	// wmu serialises writes so the index sees them in the order Badger
	// committed them.
	wmu sync.Mutex

	gcInterval    time.Duration
	indexContacts bool
	spoolDir      string
	ids           idGen
	space         *spaceGuard // free-space check before writes (space.go)
	// bulkPending: a bulk write failed after its commit marker; the next
	// write finishes it first (bulkapply.go).
	bulkPending atomic.Bool

	rev, revFloor atomic.Uint64 // see rev.go
	limits        config.Limits
	allCompany    bool
	keepChanges   int
	changeAge     time.Duration

	// mu guards the in-memory copies below; writers also hold wmu.
	mu        sync.RWMutex
	exts      map[string]lookup.Extension
	pbs       map[string]lookup.Phonebook
	personalN map[string]int // personal contacts per extension
	nContacts int            // company contacts

	searchReady chan struct{} // closed when search texts are loaded
	fillStop    context.CancelFunc
	fillDone    chan struct{}
}

// Option configures Open.
type Option func(*options)

type options struct {
	lookup        config.Lookup
	gcInterval    time.Duration
	indexContacts bool
	spoolDir      string
	limits        config.Limits
	keepChanges   int
	changeAge     time.Duration
	lockWait      time.Duration
	reserve       uint64
	free          func(dir string) (uint64, error)
}

// WithLockWait makes Open wait up to d for the data directory's lock
// (a daemon restarted right after kill -9 finds it held while the old
// process exits) instead of failing at once with ErrLocked.
func WithLockWait(d time.Duration) Option { return func(o *options) { o.lockWait = d } }

// WithFreeSpaceReserve sets the free space (bytes) kept on the store's
// file system: writes are refused with ErrDiskFull below it. 0 keeps the
// default, 4 x the memtable size + 32 MiB.
func WithFreeSpaceReserve(n uint64) Option { return func(o *options) { o.reserve = n } }

// WithChangeRetention bounds the change log: the newest keep changes and
// at most maxAge old (0: no age bound). Run compacts it on the GC
// interval. Default: 1,000,000 changes, 30 days.
func WithChangeRetention(keep int, maxAge time.Duration) Option {
	return func(o *options) { o.keepChanges, o.changeAge = keep, maxAge }
}

// WithLookup sets the number matching configuration (default region and
// last-N digits) of the index; the default is config.Default().Lookup.
func WithLookup(l config.Lookup) Option { return func(o *options) { o.lookup = l } }

// WithGCInterval sets how often Run collects value-log garbage (default
// 10 minutes).
func WithGCInterval(d time.Duration) Option { return func(o *options) { o.gcInterval = d } }

// WithSpoolDir sets where bulk writes (imports, syncs) stage their
// records (default: <store dir>/bulk, created as needed; a directory given
// here must exist). It must survive a reboot, as the store's data does: a
// bulk write interrupted after its commit marker is finished from it at
// the next Open.
func WithSpoolDir(dir string) Option { return func(o *options) { o.spoolDir = dir } }

// WithoutContactIndex leaves contacts out of the index (prefix rules are
// still indexed): for one-shot commands such as a CSV import or export,
// which then need neither the time nor the memory of the index.
// Index().LookupNumber then finds prefix rules only.
func WithoutContactIndex() Option { return func(o *options) { o.indexContacts = false } }

// Open opens (creating if needed) the store in cfg.Dir with Badger options
// tuned for a small footprint, and builds the lookup index from it.
func Open(cfg config.Store, log *slog.Logger, opts ...Option) (*DB, error) {
	def := config.Default()
	o := options{lookup: def.Lookup, gcInterval: 10 * time.Minute, indexContacts: true,
		limits: def.Limits, keepChanges: 1_000_000, changeAge: 30 * 24 * time.Hour, free: statfsFree}
	for _, f := range opts {
		f(&o)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "store")
	norm, err := lookup.NewNormalizer(o.lookup.DefaultRegion)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := waitLock(cfg.Dir, o.lockWait); err != nil {
		return nil, err
	}
	bopts := badgerOptions(cfg, log)
	space := &spaceGuard{dir: cfg.Dir, reserve: o.reserve, free: o.free}
	switch {
	case space.reserve > 0:
	case cfg.MinFreeSpace > 0:
		space.reserve = uint64(cfg.MinFreeSpace)
	default:
		space.reserve = defaultReserve(bopts.MemTableSize)
	}
	if err := space.checkOpenSpace(bopts.MemTableSize, log); err != nil {
		return nil, err
	}
	if err := underLock(cfg.Dir, func() error { return dropEmptyMemtables(cfg.Dir, log) }); err != nil {
		return nil, err
	}
	bdb, err := badger.Open(bopts)
	if err != nil {
		if isLockError(err) {
			return nil, lockedError(cfg.Dir)
		}
		return nil, fmt.Errorf("store: open %s: %w", cfg.Dir, err)
	}
	db := &DB{bdb: bdb, log: log, dir: cfg.Dir, norm: norm, space: space,
		ix: lookup.NewIndex(norm, o.lookup.MatchLastDigits), gcInterval: o.gcInterval, indexContacts: o.indexContacts, spoolDir: o.spoolDir,
		limits: o.limits, allCompany: o.lookup.IdentifyFromAllCompanyContacts, keepChanges: o.keepChanges, changeAge: o.changeAge,
		exts: make(map[string]lookup.Extension), pbs: make(map[string]lookup.Phonebook), personalN: make(map[string]int),
		searchReady: make(chan struct{})}
	if err := db.init(); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	if db.indexContacts {
		db.startFill()
	} else {
		close(db.searchReady)
	}
	return db, nil
}

// badgerOptions are the "small footprint" options measured in
// dependencies.md §2, sized from the configuration.
func badgerOptions(cfg config.Store, log *slog.Logger) badger.Options {
	memtable := int64(cfg.MemTableSize)
	if memtable <= 0 {
		memtable = 8 << 20
	}
	opts := badger.DefaultOptions(cfg.Dir)
	if cfg.BlockCacheSize <= 0 {
		// Badger panics on compressed tables without a block cache.
		opts = opts.WithCompression(boptions.None)
	}
	return opts.
		WithLogger(badgerLogger{log}).
		WithMemTableSize(memtable).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBlockCacheSize(max(int64(cfg.BlockCacheSize), 0)).
		WithIndexCacheSize(max(int64(cfg.IndexCacheSize), 0)).
		WithValueLogFileSize(64 << 20).
		WithValueThreshold(128).
		WithNumCompactors(2).
		WithNumGoroutines(2).
		WithCompactL0OnClose(true).
		WithMetricsEnabled(false).
		WithDetectConflicts(false).
		WithSyncWrites(cfg.SyncWrites)
}

// init checks the layout version and builds the index, recomputing the
// stored number keys first when the normaliser changed.
func (db *DB) init() error {
	schema, err := db.getRaw([]byte(keySchema))
	switch {
	case errors.Is(err, ErrNotFound):
		if err := db.putRaw([]byte(keySchema), []byte(schemaVersion)); err != nil {
			return err
		}
	case err != nil:
		return err
	case string(schema) != schemaVersion:
		return fmt.Errorf("store: %s has layout version %q, this build reads %q", db.dir, schema, schemaVersion)
	}
	if err := db.finishBulk(false); err != nil {
		return err
	}
	fp := fmt.Sprintf("%s/%d", db.norm.Region(), lookup.DefaultShortMax)
	stored, err := db.getRaw([]byte(keyNorm))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if err == nil && string(stored) != fp {
		db.log.Info("number normalisation changed, recomputing number keys", "was", string(stored), "now", fp)
		if err := db.rewriteContacts(true); err != nil {
			return err
		}
	}
	if string(stored) != fp {
		if err := db.putRaw([]byte(keyNorm), []byte(fp)); err != nil {
			return err
		}
	}
	if err := db.migrateProjections(); err != nil {
		return err
	}
	if err := db.seedIDs(prefixContact, prefixRule, prefixPhonebook); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := db.loadRev(); err != nil {
		return err
	}
	if err := db.bdb.View(func(txn *badger.Txn) error {
		n, err := readCount(txn)
		db.nContacts = int(n)
		return err
	}); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := db.loadExtensions(); err != nil {
		return err
	}
	if err := db.loadPhonebooks(); err != nil {
		return err
	}
	if err := db.loadPersonal(); err != nil {
		return err
	}
	return db.LoadIndex()
}

// Resolver returns the per-callee caller-name source (extension
// directory, the callee's personal contacts, company contacts in
// phonebooks the callee may view, prefix rules); see lookup.Index.Resolver.
// It follows lookup.identify_from_all_company_contacts of WithLookup.
func (db *DB) Resolver() *lookup.Resolver { return db.ix.Resolver(db.allCompany) }

// Index returns the lookup index kept in step with the store. It is a
// lookup.Source (company and prefix results).
func (db *DB) Index() *lookup.Index { return db.ix }

// Normalizer returns the number normaliser of the index.
func (db *DB) Normalizer() *lookup.Normalizer { return db.norm }

// Dir returns the data directory.
func (db *DB) Dir() string { return db.dir }

// Close stops the background search-text load, flushes and closes Badger.
func (db *DB) Close() error {
	if db.fillStop != nil {
		db.fillStop()
		<-db.fillDone
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if err := db.bdb.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Run collects value-log garbage every GC interval until ctx ends. Values
// are small and normally stay in the LSM tree, so this rarely has work.
func (db *DB) Run(ctx context.Context) error {
	t := time.NewTicker(db.gcInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if n, err := db.CompactChanges(ctx, db.keepChanges, db.changeAge); err != nil {
				db.log.Warn("change log compaction failed", "err", err)
			} else if n > 0 {
				db.log.Debug("change log compacted", "dropped", n)
			}
			db.collectGarbage(ctx)
		}
	}
}

func (db *DB) collectGarbage(ctx context.Context) {
	if db.space.check(0) != nil {
		return // GC rewrites value-log files before deleting the old ones
	}
	for i := 0; i < 16 && ctx.Err() == nil; i++ { // bounded: one vlog file per pass
		err := db.bdb.RunValueLogGC(0.5)
		if err != nil {
			if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
				db.log.Warn("value log gc failed", "err", err)
			}
			return
		}
		db.log.Debug("value log gc rewrote a file")
	}
}

func (db *DB) getRaw(k []byte) ([]byte, error) {
	var v []byte
	err := db.bdb.View(func(txn *badger.Txn) error {
		it, err := txn.Get(k)
		if err != nil {
			return err
		}
		v, err = it.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get: %w", err)
	}
	return v, nil
}

func (db *DB) putRaw(k, v []byte) error {
	if err := db.rawUpdate(func(txn *badger.Txn) error { return txn.Set(k, v) }); err != nil {
		return fmt.Errorf("store: put: %w", err)
	}
	return nil
}

// rawUpdate is bdb.Update behind the free-space check, counting failures.
func (db *DB) rawUpdate(fn func(txn *badger.Txn) error) error {
	if err := db.space.check(0); err != nil {
		return err
	}
	err := db.bdb.Update(fn)
	db.space.count(err)
	return err
}
