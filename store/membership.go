package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"cidproxy/lookup"
)

// membershipChunk is how many contacts one batch of a membership rewrite
// holds.
const membershipChunk = 1000

// membersOf returns the ids of the contacts whose projection lists
// phonebook pb (a scan of the small projection records).
func (db *DB) membersOf(ctx context.Context, pb string) ([]string, error) {
	var out []string
	var ed entryDecoder
	err := db.bdb.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte(prefixProj)
		opt.PrefetchSize = 256
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			item := it.Item()
			id := item.Key()[len(prefixProj):]
			err := item.Value(func(v []byte) error {
				e, err := ed.decodeProjection(id, v)
				if err == nil && slices.Contains(e.Phonebooks, pb) {
					out = append(out, string(id))
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// dropMembership rewrites every member of phonebook pb without it, a
// change per contact, in chunks. db.wmu must be held.
func (db *DB) dropMembership(ctx context.Context, pb string) error {
	ids, err := db.membersOf(ctx, pb)
	if err != nil {
		return err
	}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), membershipChunk)]
		ids = ids[len(chunk):]
		var entries []lookup.IndexEntry
		err := db.batch(func(rw *revWriter) error {
			for _, id := range chunk {
				c, err := db.GetContact(context.Background(), id)
				if err != nil {
					continue // deleted meanwhile
				}
				v, err := db.getRaw(contactKey(id))
				if err != nil {
					return err
				}
				keys, err := decodeContact(v, &lookup.Contact{})
				if err != nil {
					return err
				}
				before := c.Phonebooks
				c.Phonebooks = slices.DeleteFunc(slices.Clone(c.Phonebooks), func(s string) bool { return s == pb })
				rev, err := rw.change(lookup.Change{Kind: lookup.KindContact, ID: id, Phonebooks: union(before, []string{pb})})
				if err != nil {
					return err
				}
				c.Rev = rev
				e := entryOf(&c, keys)
				if err := rw.w.Set(contactKey(id), encodeContact(nil, &c, keys)); err != nil {
					return err
				}
				if err := rw.w.Set(projKey(id), encodeProjection(nil, &e)); err != nil {
					return err
				}
				entries = append(entries, e)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: rewrite members: %w", err)
		}
		if db.indexContacts {
			for _, e := range entries {
				db.ix.PutContact(e)
			}
		}
	}
	return nil
}
