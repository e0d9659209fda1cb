package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"cidproxy/lookup"
)

// bulkPlan is a staged bulk write resolved against the store: the file
// to apply and what it changes.
type bulkPlan struct {
	path     string
	delta    int            // company contacts
	personal map[string]int // new personal contacts per extension
	pbDelta  int
	res      BulkResult
}

// prepareBulk resolves every staged op against the current store (does
// the record exist, which phonebooks the change concerns), checks the
// limits and writes the resolved ops to a new file, synced to disk.
// Nothing is written to the store. db.wmu must be held.
func (db *DB) prepareBulk(ctx context.Context, stage *os.File) (*bulkPlan, error) {
	r, err := newBulkReader(stage)
	if err != nil {
		return nil, fmt.Errorf("store: bulk staging: %w", err)
	}
	out, err := os.CreateTemp(db.stagingDir(), stagePattern+redoSuffix)
	if err != nil {
		return nil, fmt.Errorf("store: bulk commit: %w", err)
	}
	p := &bulkPlan{path: out.Name(), personal: map[string]int{}}
	err = db.resolveOps(ctx, r, bufio.NewWriterSize(out, 256<<10), p)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = db.checkPlan(p)
	}
	if err != nil {
		_ = os.Remove(p.path)
		return nil, err
	}
	return p, nil
}

func (db *DB) resolveOps(ctx context.Context, r *bulkReader, w *bufio.Writer, p *bulkPlan) error {
	var buf []byte
	err := db.bdb.View(func(txn *badger.Txn) error {
		for i := 0; ; i++ {
			if i%yieldEvery == 0 {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				yield()
			}
			o, err := r.next()
			if err != nil || o == nil {
				return err
			}
			keep, err := db.resolveOp(txn, o, p)
			if err != nil {
				return err
			}
			if keep {
				buf = o.append(buf[:0])
				if _, err := w.Write(buf); err != nil {
					return err
				}
			}
		}
	})
	if err == nil {
		err = w.Flush()
	}
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) &&
		!errors.Is(err, ErrConflict) && !errors.Is(err, ErrReadOnly) {
		return fmt.Errorf("store: bulk commit: %w", err)
	}
	return err
}

// resolveOp fills o's flags and change phonebooks and counts it; false
// drops it (deleting what does not exist).
func (db *DB) resolveOp(txn *badger.Txn, o *bulkOp, p *bulkPlan) (bool, error) {
	switch o.op {
	case opContact:
		o.chpbs = o.pbs
		if o.flags&flagNew != 0 {
			p.delta++
			p.res.Added++
			return true, nil
		}
		old, found, err := storedContact(txn, o.id)
		if err != nil || !found {
			p.delta++
			p.res.Added++
			return err == nil, err
		}
		if src := sourceOf(o.val); old.Source != src {
			return false, fmt.Errorf("store: contact %s comes from %s, not %s: %w", o.id, old.Source, src, ErrConflict)
		}
		o.flags |= flagExists
		o.chpbs = union(old.Phonebooks, o.pbs)
		p.res.Updated++
	case opPersonal:
		p.personal[o.owner]++
		p.res.Added++
	case opDeleteContact:
		old, found, err := storedContact(txn, o.id)
		if err != nil || !found {
			return false, err
		}
		if unsynced := o.flags&flagUnsynced != 0; old.ReadOnly == unsynced {
			return false, fmt.Errorf("store: contact %s comes from %s (read-only %t): %w", o.id, old.Source, old.ReadOnly, ErrReadOnly)
		}
		o.chpbs = old.Phonebooks
		p.delta--
		p.res.Deleted++
	case opPhonebook, opDeletePhonebook:
		return db.resolvePhonebook(o, p)
	}
	return true, nil
}

func (db *DB) resolvePhonebook(o *bulkOp, p *bulkPlan) (bool, error) {
	db.mu.RLock()
	cur, exists := db.pbs[o.id]
	db.mu.RUnlock()
	if exists && !cur.ReadOnly {
		// A sync takes over an existing phonebook only while it is empty.
		if o.op == opDeletePhonebook {
			return false, fmt.Errorf("store: phonebook %q is not synced: %w", cur.Name, ErrReadOnly)
		}
		if ids, err := db.membersOf(context.Background(), o.id); err != nil || len(ids) > 0 {
			return false, errors.Join(err, fmt.Errorf("store: phonebook %q has %d contacts; a sync takes over only an empty phonebook: %w", cur.Name, len(ids), ErrConflict))
		}
	}
	if o.op == opDeletePhonebook {
		if !exists {
			return false, nil
		}
		p.pbDelta--
		p.res.Phonebooks++
		return true, nil
	}
	np, err := decodePhonebook(o.id, o.val)
	if err != nil {
		return false, err
	}
	if exists && cur.ReadOnly && cur.Source != np.Source {
		return false, fmt.Errorf("store: phonebook %q comes from %s, not %s: %w", cur.Name, cur.Source, np.Source, ErrConflict)
	}
	if clash := db.phonebookNamed(np.Name, o.id); clash != "" {
		return false, fmt.Errorf("store: phonebook name %q is used by phonebook %s: %w", np.Name, clash, ErrConflict)
	}
	if !exists {
		p.pbDelta++
	}
	p.res.Phonebooks++
	return true, nil
}

// phonebookNamed returns the id of another phonebook named name.
func (db *DB) phonebookNamed(name, except string) string {
	db.mu.RLock()
	defer db.mu.RUnlock()
	for _, o := range db.pbs {
		if o.ID != except && strings.EqualFold(o.Name, name) {
			return o.ID
		}
	}
	return ""
}

// storedContact reads company contact id within txn.
func storedContact(txn *badger.Txn, id string) (lookup.Contact, bool, error) {
	item, err := txn.Get(contactKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return lookup.Contact{}, false, nil
	}
	if err != nil {
		return lookup.Contact{}, false, err
	}
	c := lookup.Contact{ID: id}
	err = item.Value(func(v []byte) error {
		_, err := decodeContact(v, &c)
		return err
	})
	return c, err == nil, err
}

// sourceOf returns the source field of a record base.
func sourceOf(base []byte) string {
	var c lookup.Contact
	_, _ = decodeContact(base, &c)
	return c.Source
}

// checkPlan checks the limits against what the plan adds.
func (db *DB) checkPlan(p *bulkPlan) error {
	if p.delta > 0 {
		if err := db.checkContacts(p.delta); err != nil {
			return err
		}
	}
	for owner, n := range p.personal {
		if err := db.checkPersonal(owner, n); err != nil {
			return err
		}
	}
	if p.pbDelta > 0 {
		db.mu.RLock()
		n := len(db.pbs)
		db.mu.RUnlock()
		if lim := db.tier().Phonebooks; n+p.pbDelta > lim {
			return fmt.Errorf("store: phonebooks limit %d reached (%s; %d stored, %d more asked): %w", lim, db.tierName(), n, p.pbDelta, ErrLimit)
		}
	}
	return nil
}
