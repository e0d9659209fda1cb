package store

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// fillChunk is how many records fillSearchText reads per write-lock hold.
const fillChunk = 1000

// SearchReady is closed once the index holds the full search text (first
// and last name, company, email) of every company contact. Open builds
// the index from projections, which carry the display name only, and
// fills the rest in the background; until then text search matches
// display names only.
func (db *DB) SearchReady() <-chan struct{} { return db.searchReady }

// startFill starts fillSearchText; Close stops and waits for it.
func (db *DB) startFill() {
	ctx, cancel := context.WithCancel(context.Background())
	db.fillStop = cancel
	db.fillDone = make(chan struct{})
	go func() {
		defer close(db.fillDone)
		if err := db.fillSearchText(ctx); err != nil && ctx.Err() == nil {
			db.log.Warn("search text not loaded; text search matches display names only", "err", err)
		}
	}()
}

// fillSearchText reads every company contact record in chunks, holding
// the write lock per chunk so no write interleaves, and gives the index
// its folded search text.
func (db *DB) fillSearchText(ctx context.Context) error {
	var ed entryDecoder
	after := ""
	for ctx.Err() == nil {
		n, last, err := db.fillChunk(ctx, &ed, after)
		if err != nil {
			return err
		}
		if n < fillChunk {
			close(db.searchReady)
			db.log.Debug("search text loaded")
			return nil
		}
		after = last
	}
	return ctx.Err()
}

func (db *DB) fillChunk(ctx context.Context, ed *entryDecoder, after string) (int, string, error) {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	n, last := 0, after
	err := db.bdb.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte(prefixContact)
		opt.PrefetchSize = 100
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Seek([]byte(prefixContact + after)); it.Valid() && n < fillChunk && ctx.Err() == nil; it.Next() {
			item := it.Item()
			id := item.Key()[len(prefixContact):]
			if after != "" && string(id) == after {
				continue
			}
			err := item.Value(func(v []byte) error {
				e, err := ed.decode(id, v)
				if err != nil {
					return fmt.Errorf("contact %s: %w", id, err)
				}
				db.ix.SetText(e.ID, e.Text)
				return nil
			})
			if err != nil {
				return err
			}
			n++
			last = string(id)
		}
		return nil
	})
	return n, last, err
}
