package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"cidproxy/lookup"
)

const prefixPhonebook = "v1/pb/"

func phonebookKey(id string) []byte { return []byte(prefixPhonebook + id) }

// isSyncedSource reports whether source names a sync (sql:NAME,
// crm:TEMPLATE), whose records are read-only.
func isSyncedSource(s string) bool {
	return strings.HasPrefix(s, "sql:") || strings.HasPrefix(s, "crm:")
}

// normGrants trims, sorts and deduplicates a grant list and checks that
// every entry is an extension number.
func normGrants(field string, l []string) ([]string, error) {
	out := make([]string, 0, len(l))
	for _, s := range l {
		s = strings.TrimSpace(s)
		if !validExtension(s) {
			return nil, &FieldError{field, fmt.Errorf("%w: %q is not an extension number", ErrInvalid, s)}
		}
		out = append(out, s)
	}
	slices.SortFunc(out, compareNumbers)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func (db *DB) validatePhonebook(p *lookup.Phonebook) error {
	if p.ID != "" && !validID(p.ID) {
		return &FieldError{"id", fmt.Errorf("%w: %q: use 1-%d of [A-Za-z0-9_.-]", ErrInvalid, p.ID, maxIDLen)}
	}
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" {
		return &FieldError{"name", fmt.Errorf("%w: a phonebook needs a name", ErrInvalid)}
	}
	if err := checkText("name", p.Name); err != nil {
		return err
	}
	if err := checkText("source", p.Source); err != nil {
		return err
	}
	var err error
	if p.View, err = normGrants("view", p.View); err != nil {
		return err
	}
	p.Manage, err = normGrants("manage", p.Manage)
	return err
}

// PutPhonebook creates (empty ID) or replaces a phonebook. Names are
// unique (case-insensitive; ErrConflict). A read-only (synced) phonebook
// keeps its name, source and flag: only its view grants may change
// (ErrReadOnly otherwise), and PutPhonebook cannot create one or mark one
// read-only (ErrInvalid; see SyncPhonebook). Creating one over the limit
// is ErrLimit. Source defaults to "manual".
func (db *DB) PutPhonebook(ctx context.Context, p lookup.Phonebook) (lookup.Phonebook, error) {
	return db.putPhonebook(ctx, p, false)
}

// SyncPhonebook is PutPhonebook for the sync code: it may create and
// rename read-only phonebooks (sql:/crm: sources are always read-only).
func (db *DB) SyncPhonebook(ctx context.Context, p lookup.Phonebook) (lookup.Phonebook, error) {
	return db.putPhonebook(ctx, p, true)
}

func (db *DB) putPhonebook(ctx context.Context, p lookup.Phonebook, sync bool) (lookup.Phonebook, error) {
	if err := ctx.Err(); err != nil {
		return p, err
	}
	if err := db.validatePhonebook(&p); err != nil {
		return p, err
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	db.mu.RLock()
	cur, exists := db.pbs[p.ID]
	n := len(db.pbs)
	clash := ""
	for _, o := range db.pbs {
		if o.ID != p.ID && strings.EqualFold(o.Name, p.Name) {
			clash = o.ID
		}
	}
	db.mu.RUnlock()
	if clash != "" {
		return p, fmt.Errorf("store: phonebook name %q is used by phonebook %s: %w", p.Name, clash, ErrConflict)
	}
	if !sync && exists && cur.ReadOnly {
		if p.Name != cur.Name || p.ManageAll || len(p.Manage) > 0 {
			return p, fmt.Errorf("store: phonebook %q comes from %s and is read-only (only view grants may change): %w", cur.Name, cur.Source, ErrReadOnly)
		}
		p.Source, p.ReadOnly = cur.Source, true
	}
	if p.Source == "" {
		p.Source = lookup.ContactSourceManual
	}
	if isSyncedSource(p.Source) {
		p.ReadOnly = true
	}
	if !sync && p.ReadOnly && !(exists && cur.ReadOnly) {
		return p, &FieldError{"read_only", fmt.Errorf("%w: read-only phonebooks and sources sql:/crm: are created by sync only", ErrInvalid)}
	}
	if !exists {
		if lim := db.tier().Phonebooks; n >= lim {
			return p, fmt.Errorf("store: phonebooks limit %d reached (%s): %w", lim, db.tierName(), ErrLimit)
		}
	}
	if p.ReadOnly { // synced phonebooks are read-only for everyone
		p.ManageAll, p.Manage = false, nil
	}
	if p.ID == "" {
		p.ID = db.ids.next()
	}
	err := db.update(func(txn *badger.Txn, rw *revWriter) error { return db.writePhonebook(txn, rw, &p) })
	if err != nil {
		return p, fmt.Errorf("store: put phonebook: %w", err)
	}
	db.mu.Lock()
	db.pbs[p.ID] = p
	db.mu.Unlock()
	db.ix.PutPhonebook(indexPhonebook(&p))
	return clonePhonebook(p), nil
}

// writePhonebook records the change and writes p with its new revision.
func (db *DB) writePhonebook(txn *badger.Txn, rw *revWriter, p *lookup.Phonebook) error {
	rev, err := rw.change(lookup.Change{Kind: lookup.KindPhonebook, ID: p.ID, Phonebooks: []string{p.ID}, Viewers: db.viewersOf(p.ID, p)})
	if err != nil {
		return err
	}
	p.Rev = rev
	return txn.Set(phonebookKey(p.ID), encodePhonebook(p))
}

func indexPhonebook(p *lookup.Phonebook) lookup.PhonebookEntry {
	return lookup.PhonebookEntry{ID: p.ID, Name: p.Name, ViewAll: p.ViewAll || p.ManageAll,
		View: slices.Concat(p.View, p.Manage)}
}

func clonePhonebook(p lookup.Phonebook) lookup.Phonebook {
	p.View = slices.Clone(p.View)
	p.Manage = slices.Clone(p.Manage)
	return p
}

// GetPhonebook returns phonebook id or ErrNotFound.
func (db *DB) GetPhonebook(ctx context.Context, id string) (lookup.Phonebook, error) {
	if err := ctx.Err(); err != nil {
		return lookup.Phonebook{}, err
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	p, ok := db.pbs[id]
	if !ok {
		return p, fmt.Errorf("store: phonebook %s: %w", maskID(id), ErrNotFound)
	}
	return clonePhonebook(p), nil
}

// ListPhonebooks returns every phonebook ordered by name
// (case-insensitive), then id.
func (db *DB) ListPhonebooks(ctx context.Context) ([]lookup.Phonebook, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	db.mu.RLock()
	out := make([]lookup.Phonebook, 0, len(db.pbs))
	for _, p := range db.pbs {
		out = append(out, clonePhonebook(p))
	}
	db.mu.RUnlock()
	slices.SortFunc(out, func(a, b lookup.Phonebook) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// PhonebookByName returns the phonebook named name (case-insensitive), for
// routing by phonebook and sync targets.
func (db *DB) PhonebookByName(ctx context.Context, name string) (lookup.Phonebook, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	for _, p := range db.pbs {
		if strings.EqualFold(p.Name, strings.TrimSpace(name)) {
			return clonePhonebook(p), nil
		}
	}
	return lookup.Phonebook{}, fmt.Errorf("store: phonebook named %q: %w", name, ErrNotFound)
}

// DeletePhonebook removes phonebook id and its memberships (not the
// contacts). A read-only phonebook cannot be deleted (ErrReadOnly). Each
// member contact gets a change (its visibility changed).
func (db *DB) DeletePhonebook(ctx context.Context, id string) error {
	p, err := db.GetPhonebook(ctx, id)
	if err != nil {
		return err
	}
	if p.ReadOnly {
		return fmt.Errorf("store: phonebook %q comes from %s and is read-only: %w", p.Name, p.Source, ErrReadOnly)
	}
	return db.deletePhonebook(ctx, id)
}

// DeleteSyncedPhonebook is DeletePhonebook for the sync code: it also
// deletes read-only phonebooks (their contacts stay; the sync deletes
// those with DeleteSynced).
func (db *DB) DeleteSyncedPhonebook(ctx context.Context, id string) error {
	if _, err := db.GetPhonebook(ctx, id); err != nil {
		return err
	}
	return db.deletePhonebook(ctx, id)
}

func (db *DB) deletePhonebook(ctx context.Context, id string) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	err := db.update(func(txn *badger.Txn, rw *revWriter) error {
		if _, err := rw.change(lookup.Change{Kind: lookup.KindPhonebook, ID: id, Deleted: true, Phonebooks: []string{id}, Viewers: db.viewersOf(id, nil)}); err != nil {
			return err
		}
		return txn.Delete(phonebookKey(id))
	})
	if err != nil {
		return fmt.Errorf("store: delete phonebook: %w", err)
	}
	db.mu.Lock()
	delete(db.pbs, id)
	db.mu.Unlock()
	db.ix.DeletePhonebook(id)
	// Memberships: contacts are rewritten without id. Not atomic with the
	// deletion above; a crash in between leaves ids of a deleted
	// phonebook on contacts, which reads and the index ignore.
	if err := db.dropMembership(ctx, id); err != nil {
		return fmt.Errorf("store: delete phonebook %s memberships: %w", id, err)
	}
	return nil
}

// knownPhonebooks drops ids of phonebooks that do not exist from l.
func (db *DB) knownPhonebooks(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	out := l[:0:0]
	for _, id := range l {
		if _, ok := db.pbs[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

// phonebooksGranting returns copies of the phonebooks whose view or manage
// grants name ext.
func (db *DB) phonebooksGranting(ext string) []lookup.Phonebook {
	db.mu.RLock()
	defer db.mu.RUnlock()
	var out []lookup.Phonebook
	for _, p := range db.pbs {
		if slices.Contains(p.View, ext) || slices.Contains(p.Manage, ext) {
			out = append(out, clonePhonebook(p))
		}
	}
	return out
}

// loadPhonebooks reads every phonebook into memory and the index.
func (db *DB) loadPhonebooks() error {
	return db.scan(context.Background(), prefixPhonebook, "", func(id string, v []byte) (bool, error) {
		p, err := decodePhonebook(id, v)
		if err != nil {
			return false, fmt.Errorf("store: phonebook %s: %w", id, err)
		}
		db.pbs[id] = p
		db.ix.PutPhonebook(indexPhonebook(&p))
		return true, nil
	})
}
