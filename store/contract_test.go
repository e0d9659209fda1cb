package store_test

import (
	"cidproxy/api"
	"cidproxy/store"
)

// *store.DB is the store the management API runs on.
var _ api.Store = (*store.DB)(nil)
