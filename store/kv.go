package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// KV is a namespaced key-value space in the store (keys v1/kv/<ns>/<key>)
// for other packages: CRM templates, encrypted tokens. Safe for concurrent
// use. Values are opaque; encrypt secrets before putting them.
type KV struct {
	db *DB
	ns string
}

// KV returns the key-value space of namespace (non-empty, without "/").
// It panics on an invalid namespace, which is a programming error.
func (db *DB) KV(namespace string) *KV {
	if namespace == "" || strings.Contains(namespace, "/") {
		panic(fmt.Sprintf("store: invalid KV namespace %q", namespace))
	}
	return &KV{db: db, ns: namespace}
}

// maxKVKey bounds key length.
const maxKVKey = 512

func (kv *KV) check(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if key == "" || len(key) > maxKVKey {
		return fmt.Errorf("store: kv %s: key must have 1-%d bytes", kv.ns, maxKVKey)
	}
	return nil
}

// Get returns the value of key or an error wrapping ErrNotFound.
func (kv *KV) Get(ctx context.Context, key string) ([]byte, error) {
	if err := kv.check(ctx, key); err != nil {
		return nil, err
	}
	v, err := kv.db.getRaw(kvKey(kv.ns, key))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: kv %s/%s: %w", kv.ns, key, ErrNotFound)
	}
	return v, err
}

// Put stores val under key, replacing any previous value.
func (kv *KV) Put(ctx context.Context, key string, val []byte) error {
	if err := kv.check(ctx, key); err != nil {
		return err
	}
	v := append([]byte(nil), val...)
	return kv.db.putRaw(kvKey(kv.ns, key), v)
}

// Delete removes key; deleting a missing key is not an error.
func (kv *KV) Delete(ctx context.Context, key string) error {
	if err := kv.check(ctx, key); err != nil {
		return err
	}
	err := kv.db.rawUpdate(func(txn *badger.Txn) error { return txn.Delete(kvKey(kv.ns, key)) })
	if err != nil {
		return fmt.Errorf("store: kv delete: %w", err)
	}
	return nil
}

// List returns the keys that start with prefix, sorted.
func (kv *KV) List(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	base := prefixKV + kv.ns + "/"
	err := kv.db.bdb.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Prefix = []byte(base + prefix)
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			out = append(out, string(it.Item().Key()[len(base):]))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: kv list: %w", err)
	}
	return out, nil
}
