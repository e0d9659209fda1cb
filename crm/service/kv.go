package service

import (
	"context"
	"errors"
	"fmt"

	"cidproxy/crm"
	"cidproxy/store"
)

// StoreKV adapts a store key-value space to crm.KV (store.ErrNotFound
// becomes crm.ErrNotFound).
func StoreKV(kv *store.KV) crm.KV { return storeKV{kv} }

type storeKV struct{ *store.KV }

func (k storeKV) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := k.KV.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", crm.ErrNotFound, key)
	}
	return v, err
}
