package sqlsync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"runtime"
	"strings"
	"time"

	"cidproxy/config"
	"cidproxy/lookup"
	"cidproxy/store"
)

// Run outcomes.
const (
	OutcomeSuccess = "success" // every row synced
	OutcomePartial = "partial" // committed, but some rows were rejected
	OutcomeFailed  = "failed"  // nothing written
)

// gcEvery is how many rows a run reads between two garbage collections.
const gcEvery = 16 << 10

// maxRowErrors bounds the row errors a run keeps.
const maxRowErrors = 20

// Run is the result of one run.
type Run struct {
	Source    string    `json:"source"`
	Trigger   string    `json:"trigger"` // schedule or manual
	Started   time.Time `json:"started"`
	Duration  float64   `json:"duration_seconds"`
	Outcome   string    `json:"outcome"`
	Rows      int       `json:"rows"`
	Added     int       `json:"added"`
	Updated   int       `json:"updated"`
	Removed   int       `json:"removed"`
	Unchanged int       `json:"unchanged"`
	Failed    int       `json:"failed"`
	Error     string    `json:"error,omitempty"`  // why the run failed
	Errors    []string  `json:"errors,omitempty"` // rejected rows (first 20)
}

// run performs one run of src and returns its result.
func (s *Syncer) run(ctx context.Context, src *source, trigger string) Run {
	r := Run{Source: src.cfg.Name, Trigger: trigger, Started: time.Now().UTC()}
	err := s.sync(ctx, src, &r)
	r.Duration = time.Since(r.Started).Seconds()
	switch {
	case err != nil:
		r.Outcome, r.Error = OutcomeFailed, err.Error()
		r.Added, r.Updated, r.Removed = 0, 0, 0
	case r.Failed > 0:
		r.Outcome = OutcomePartial
	default:
		r.Outcome = OutcomeSuccess
	}
	return r
}

// rowState is what the last runs synced of one contact.
type rowState struct {
	hash uint64
	seen bool // in this run
}

// stateMap holds the rowState of each synced contact by idKey of its id
// (8 bytes a key instead of the id: half the memory for 500,000 rows).
type stateMap map[uint64]rowState

// idKey is the stateMap key of contact id.
func idKey(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

func (s *Syncer) sync(ctx context.Context, src *source, r *Run) error {
	dsn, err := config.ResolveSecret(src.cfg.DSN)
	if err != nil {
		return fmt.Errorf("dsn: %w", err)
	}
	red := newRedactor(dsn)
	state, err := s.loadState(ctx, src.cfg.Name)
	if err != nil {
		return err
	}
	b, err := s.db.NewSyncBulk()
	if err != nil {
		return err
	}
	defer b.Abort()
	pbs, err := s.phonebooks(ctx, src)
	if err != nil {
		return err
	}
	if err := s.query(ctx, src, dsn, func(vals []sql.NullString) error {
		return s.row(src, b, pbs, state, vals, r)
	}); err != nil {
		return red.err(err)
	}
	if err := s.removeMissing(src, b, pbs, state); err != nil {
		return err
	}
	state = nil //nolint:ineffassign // the state (tens of MB) is garbage before the commit
	if b.Len() == 0 {
		return nil
	}
	s.log.Debug("sql sync rows read, committing", "source", src.cfg.Name, "rows", r.Rows, "ops", b.Len())
	res, err := b.Commit(ctx)
	if err != nil {
		return err
	}
	r.Added, r.Updated, r.Removed = res.Added, res.Updated, res.Deleted
	return nil
}

// query runs src's filter in a read-only transaction with a statement
// timeout and calls fn for every row (vals are reused).
func (s *Syncer) query(ctx context.Context, src *source, dsn string, fn func([]sql.NullString) error) error {
	// The server's statement timeout fires first and says so; the deadline
	// is the backstop (SQL Server, a server that does not answer).
	ctx, cancel := context.WithTimeout(ctx, src.timeout()+5*time.Second)
	defer cancel()
	db, err := sql.Open(src.d.driver, dsn)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := beginReadOnly(ctx, db, src.d, src.timeout())
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	rows, err := tx.QueryContext(ctx, src.query)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	if cols, err := rows.Columns(); err != nil || len(cols) != len(src.columns) {
		return fmt.Errorf("query: %d columns, want %d: %v", len(cols), len(src.columns), err)
	}
	vals := make([]sql.NullString, len(src.columns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read row: %w", err)
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read rows: %w", err)
	}
	return nil
}

// beginReadOnly opens the run's transaction: read only where the
// database has it (PostgreSQL, MySQL/MariaDB), with a statement timeout.
// SQL Server has no read-only transactions: the filter check refuses
// writing statements, the context deadline bounds the time.
func beginReadOnly(ctx context.Context, db *sql.DB, d dialect, timeout time.Duration) (*sql.Tx, error) {
	opts := &sql.TxOptions{ReadOnly: d.driver != "sqlserver"}
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	ms := timeout.Milliseconds()
	switch d.driver {
	case "pgx":
		_, err = tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", ms))
	case "mysql":
		// MariaDB: max_statement_time (seconds); MySQL: max_execution_time (ms).
		if _, err = tx.ExecContext(ctx, fmt.Sprintf("SET SESSION max_statement_time = %.3f", timeout.Seconds())); err != nil {
			_, err = tx.ExecContext(ctx, fmt.Sprintf("SET SESSION max_execution_time = %d", ms))
		}
	}
	if err != nil {
		_ = tx.Rollback()
		return nil, fmt.Errorf("statement timeout: %w", err)
	}
	return tx, nil
}

// row stages one row unless it is unchanged since the last run.
func (s *Syncer) row(src *source, b *store.Bulk, pbs *phonebooks, st *syncState, vals []sql.NullString, r *Run) error {
	if r.Rows++; r.Rows%gcEvery == 0 {
		// The heap may otherwise grow to twice the daemon's live heap
		// (the index) with row garbage before the GC runs: peak RSS.
		runtime.GC()
	} else if r.Rows%1024 == 0 {
		time.Sleep(500 * time.Microsecond) // leave the CPUs to calls now and then
	}
	c := lookup.Contact{Source: src.tag()}
	for _, f := range src.fields {
		*f.set(&c) = strings.TrimSpace(vals[f.col].String)
	}
	pbName := src.phonebookName(colValue(vals, src.pbCol))
	key, h := rowKey(src, &c, vals, pbName)
	if key == "" {
		s.reject(r, "row %d: the id column %s is empty", r.Rows, src.cfg.Map["id"])
		return nil
	}
	c.ID = src.stableID("c", key)
	k := idKey(c.ID)
	old, known := st.m[k]
	if known && old.seen {
		s.reject(r, "row %d: id %q appears twice; the later row is skipped", r.Rows, clip(key))
		return nil
	}
	st.m[k] = rowState{hash: old.hash, seen: true}
	pbs.use(pbName)
	if known && old.hash == h {
		r.Unchanged++
		st.keep(c.ID, h)
		return nil
	}
	pb, err := pbs.id(b, pbName)
	if err != nil {
		return err
	}
	c.Phonebooks = []string{pb}
	if _, err := b.PutContact(c); err != nil {
		var fe *store.FieldError
		if !errors.As(err, &fe) {
			return err
		}
		s.reject(r, "row %d (id %s): field %s: %s", r.Rows, clip(key), fe.Field, reason(fe.Err))
		if known { // the contact synced before stays as it was
			st.keep(c.ID, old.hash)
		}
		return nil
	}
	st.keep(c.ID, h)
	st.dirty = true
	return nil
}

func colValue(vals []sql.NullString, i int) string {
	if i < 0 {
		return ""
	}
	return vals[i].String
}

// rowKey returns the row's key (the id column, else its mapped values)
// and a hash of everything the contact is made of.
func rowKey(src *source, c *lookup.Contact, vals []sql.NullString, pb string) (string, uint64) {
	h := fnv.New64a()
	var all strings.Builder
	for _, f := range src.fields {
		v := *f.set(c)
		h.Write([]byte(v))
		h.Write([]byte{0})
		all.WriteString(v)
		all.WriteByte(0)
	}
	h.Write([]byte("\x01" + pb))
	if src.idCol >= 0 {
		return strings.TrimSpace(vals[src.idCol].String), h.Sum64()
	}
	return all.String(), h.Sum64()
}

func (s *Syncer) reject(r *Run, format string, a ...any) {
	r.Failed++
	if len(r.Errors) < maxRowErrors {
		r.Errors = append(r.Errors, fmt.Sprintf(format, a...))
	}
}

// reason is a field error without the value (numbers stay out of
// results, emails and logs).
func reason(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "not a phone number"):
		return "not a phone number"
	case strings.Contains(msg, "needs first_name"):
		return "a contact needs first_name, last_name or company"
	case strings.Contains(msg, "longer than"):
		return "too long or not UTF-8"
	}
	return "invalid"
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// removeMissing stages, with remove_missing, the deletion of contacts
// synced before and absent now, and of the source's phonebooks no row
// uses any more; and the new state.
func (s *Syncer) removeMissing(src *source, b *store.Bulk, pbs *phonebooks, st *syncState) error {
	if err := st.finish(b, src.cfg.RemoveMissing); err != nil || !src.cfg.RemoveMissing {
		return err
	}
	return pbs.dropUnused(b)
}
