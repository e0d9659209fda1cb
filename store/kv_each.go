package store

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Each calls fn with every key that starts with prefix and its value (valid
// during the call only), in key order, until fn returns an error.
func (kv *KV) Each(ctx context.Context, prefix string, fn func(key string, val []byte) error) error {
	base := prefixKV + kv.ns + "/"
	err := kv.db.bdb.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte(base + prefix)
		opt.PrefetchSize = 256
		it := txn.NewIterator(opt)
		defer it.Close()
		i := 0
		for it.Rewind(); it.Valid(); it.Next() {
			if i++; i%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			key := string(it.Item().Key()[len(base):])
			if err := it.Item().Value(func(v []byte) error { return fn(key, v) }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: kv each: %w", err)
	}
	return nil
}
