package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"cidproxy/lookup"
)

// Bulk is one all-or-nothing write of many records: an import or a sync
// run. Records are staged in a file next to the store (nothing is visible
// yet) and Commit writes them; after Commit returns, or after a crash at
// any point followed by Open, either all of them or none are in the store
// and in the index. See the package documentation ("Bulk writes").
//
// A Bulk is used by one goroutine. Abort (or Commit) removes the staging
// file; call Abort in a defer.
type Bulk struct {
	db     *DB
	sync   bool
	f      *os.File
	w      *bufio.Writer
	n      int
	staged map[string]bool // phonebook ids put in this bulk
	buf    []byte
	err    error
}

// BulkResult counts what a committed Bulk changed.
type BulkResult struct {
	Added, Updated, Deleted int
	// Phonebooks created, updated or deleted.
	Phonebooks int
}

// NewBulk starts an import: new company or personal contacts written by
// the API or the CLI (never read-only ones).
func (db *DB) NewBulk() (*Bulk, error) { return db.newBulk(false) }

// NewSyncBulk starts a sync run: it may create, replace and delete
// read-only (synced) contacts and phonebooks, with ids chosen by the
// sync, and write KV records of the sync's own state in the same
// all-or-nothing write.
func (db *DB) NewSyncBulk() (*Bulk, error) { return db.newBulk(true) }

func (db *DB) newBulk(sync bool) (*Bulk, error) {
	if err := db.space.check(0); err != nil {
		return nil, err
	}
	dir := db.stagingDir()
	if db.spoolDir == "" { // a configured spool dir must exist
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: bulk staging: %w", err)
		}
	}
	f, err := os.CreateTemp(dir, stagePattern)
	if err != nil {
		return nil, fmt.Errorf("store: bulk staging: %w", err)
	}
	return &Bulk{db: db, sync: sync, f: f, w: bufio.NewWriterSize(f, 256<<10), staged: map[string]bool{}}, nil
}

// Staging files: stagePattern while records are added, redoSuffix once
// Commit resolved them (the file a commit marker names).
const (
	stagePattern = "cidproxy-bulk-*"
	redoSuffix   = ".redo"
)

// stagingDir is where bulk writes stage: WithSpoolDir, else <dir>/bulk.
func (db *DB) stagingDir() string {
	if db.spoolDir != "" {
		return db.spoolDir
	}
	return filepath.Join(db.dir, "bulk")
}

// Len returns how many operations are staged.
func (b *Bulk) Len() int { return b.n }

// Abort drops the staged records; it is safe after Commit and twice.
func (b *Bulk) Abort() {
	if b.f == nil {
		return
	}
	_ = b.f.Close()
	_ = os.Remove(b.f.Name())
	b.f = nil
}

func (b *Bulk) stage(op *bulkOp) error {
	if b.err != nil {
		return b.err
	}
	if b.f == nil {
		return errors.New("store: bulk already committed or aborted")
	}
	b.buf = op.append(b.buf[:0])
	if _, err := b.w.Write(b.buf); err != nil {
		b.err = fmt.Errorf("store: bulk staging: %w", err)
		return b.err
	}
	b.n++
	return nil
}

// PutContact stages a company contact and returns it with its id and
// keys resolved. An import always creates (a new id); a sync bulk keeps
// c.ID when set (replacing the stored contact) and marks the contact
// read-only. Phonebooks must exist or be staged in this bulk.
func (b *Bulk) PutContact(c lookup.Contact) (lookup.Contact, error) {
	c.Owner = ""
	fresh := !b.sync || c.ID == ""
	if fresh {
		c.ID = ""
	}
	keys, err := b.contactRecord(&c)
	if err != nil {
		return c, err
	}
	if fresh {
		c.ID = b.db.ids.next()
	}
	return c, b.stageContact("", &c, keys, fresh)
}

// UpdateContact stages new values for stored company contact c.ID (an
// import that merges; the stored contact must come from c.Source and not
// be synced).
func (b *Bulk) UpdateContact(c lookup.Contact) error {
	if b.sync || !validID(c.ID) {
		return fmt.Errorf("store: update in bulk: %w", ErrInvalid)
	}
	c.Owner = ""
	keys, err := b.contactRecord(&c)
	if err != nil {
		return err
	}
	return b.stageContact("", &c, keys, false)
}

// deleteUnsynced stages the deletion of company contact id, which must
// not be synced (an import that replaces).
func (b *Bulk) deleteUnsynced(id string) error {
	return b.stage(&bulkOp{op: opDeleteContact, flags: flagUnsynced, id: id})
}

// contactRecord validates c for this bulk and returns its number keys.
func (b *Bulk) contactRecord(c *lookup.Contact) ([]string, error) {
	if c.Source == "" && !b.sync {
		c.Source = lookup.ContactSourceCSV
	}
	synced := isSyncedSource(c.Source)
	if b.sync != synced || (!b.sync && c.ReadOnly) {
		return nil, &FieldError{"source", fmt.Errorf("%w: %q: read-only or synced contacts are written by sync only, and a sync writes sql:/crm: sources only", ErrInvalid, c.Source)}
	}
	c.ReadOnly = synced
	keys, err := b.db.validateContact(c)
	if err != nil {
		return nil, err
	}
	if c.Phonebooks, err = b.membership(c.Phonebooks); err != nil {
		return nil, err
	}
	if !b.sync {
		if err := b.db.checkWritable(nil, c); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// membership is validMembership that also accepts phonebooks staged here.
func (b *Bulk) membership(l []string) ([]string, error) {
	var known, staged []string
	for _, id := range l {
		if id = strings.TrimSpace(id); b.staged[id] {
			staged = append(staged, id)
		} else {
			known = append(known, id)
		}
	}
	out, err := b.db.validMembership(known)
	if err != nil || len(staged) == 0 {
		return out, err
	}
	return union(out, union(staged, nil)), nil
}

func (b *Bulk) stageContact(owner string, c *lookup.Contact, keys []string, fresh bool) error {
	op := bulkOp{op: opContact, id: c.ID, owner: owner, pbs: c.Phonebooks}
	if owner != "" {
		op.op, op.pbs = opPersonal, nil
	}
	if fresh {
		op.flags |= flagNew
	}
	op.val = encodeContactBase(nil, c, keys)
	return b.stage(&op)
}

// PutPersonal stages a new personal contact of extension owner (an
// import; the extension must exist).
func (b *Bulk) PutPersonal(ctx context.Context, owner string, c lookup.Contact) (lookup.Contact, error) {
	if _, err := b.db.GetExtension(ctx, owner); err != nil {
		return c, err
	}
	if b.sync {
		return c, fmt.Errorf("store: a sync does not write personal contacts: %w", ErrInvalid)
	}
	c.ID, c.Owner, c.Phonebooks = "", owner, nil
	keys, err := b.contactRecord(&c)
	if err != nil {
		return c, err
	}
	c.ID = b.db.ids.next()
	return c, b.stageContact(owner, &c, keys, true)
}

// DeleteContact stages the deletion of company contact id (sync only; a
// missing contact is skipped at Commit).
func (b *Bulk) DeleteContact(id string) error {
	if !b.sync {
		return fmt.Errorf("store: only a sync deletes in bulk: %w", ErrInvalid)
	}
	if !validID(id) {
		return fmt.Errorf("store: contact %s: %w", maskID(id), ErrInvalid)
	}
	return b.stage(&bulkOp{op: opDeleteContact, id: id})
}

// PutPhonebook stages a synced phonebook (sync only): created, or
// replaced when p.ID exists (an existing phonebook of another source is a
// conflict; a manual one is taken over only while it has no contacts).
// Contacts staged after it may list it.
func (b *Bulk) PutPhonebook(p lookup.Phonebook) (lookup.Phonebook, error) {
	if !b.sync || !isSyncedSource(p.Source) {
		return p, &FieldError{"source", fmt.Errorf("%w: bulk phonebooks come from a sync (sql:/crm: source)", ErrInvalid)}
	}
	if err := b.db.validatePhonebook(&p); err != nil {
		return p, err
	}
	p.ReadOnly, p.ManageAll, p.Manage = true, false, nil
	if p.ID == "" {
		p.ID = b.db.ids.next()
	}
	b.staged[p.ID] = true
	return p, b.stage(&bulkOp{op: opPhonebook, id: p.ID, val: encodePhonebook(&p)})
}

// DeletePhonebook stages the deletion of phonebook id (sync only). Its
// members keep the id, which reads ignore; delete or re-stage them.
func (b *Bulk) DeletePhonebook(id string) error {
	if !b.sync {
		return fmt.Errorf("store: only a sync deletes phonebooks in bulk: %w", ErrInvalid)
	}
	return b.stage(&bulkOp{op: opDeletePhonebook, id: id})
}

// PutKV stages key=val in KV namespace ns (a sync's own state, written
// with its contacts).
func (b *Bulk) PutKV(ns, key string, val []byte) error {
	if err := checkKV(ns, key); err != nil {
		return err
	}
	return b.stage(&bulkOp{op: opKV, id: key, owner: ns, val: val})
}

// DeleteKV stages the deletion of key in KV namespace ns.
func (b *Bulk) DeleteKV(ns, key string) error {
	if err := checkKV(ns, key); err != nil {
		return err
	}
	return b.stage(&bulkOp{op: opDeleteKV, id: key, owner: ns})
}

func checkKV(ns, key string) error {
	if ns == "" || strings.Contains(ns, "/") || key == "" || len(key) > maxKVKey {
		return fmt.Errorf("store: kv %q/%q: %w", ns, key, ErrInvalid)
	}
	return nil
}

// Commit writes everything staged, all or nothing, and updates the index.
// Over a limit it writes nothing (ErrLimit). Once the commit marker is
// written the write is no longer cancelled: an error after that point
// (a full disk) leaves the marker, and the next Commit or Open finishes
// the write.
func (b *Bulk) Commit(ctx context.Context) (BulkResult, error) {
	defer b.Abort()
	if b.err != nil {
		return BulkResult{}, b.err
	}
	if b.f == nil {
		return BulkResult{}, errors.New("store: bulk already committed or aborted")
	}
	if err := b.w.Flush(); err != nil {
		return BulkResult{}, fmt.Errorf("store: bulk staging: %w", err)
	}
	db := b.db
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if err := db.finishBulk(true); err != nil {
		return BulkResult{}, err
	}
	plan, err := db.prepareBulk(ctx, b.f)
	if err != nil {
		return BulkResult{}, err
	}
	if err := db.commitBulk(plan); err != nil {
		return BulkResult{}, err
	}
	return plan.res, nil
}
