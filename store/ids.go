package store

import (
	"encoding/base32"
	"encoding/binary"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Ids are 13 characters of base32hex (0-9a-v) of a 64-bit big-endian
// value: milliseconds since the Unix epoch << 16 | a sequence. They sort in
// creation order, so lists come out oldest first and bulk imports write
// ascending keys (cheap memtable inserts, non-overlapping tables). Badger
// lets one process hold the store, so a generator per DB that starts above
// the largest stored id is enough to keep them unique.
var idEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

type idGen struct {
	mu   sync.Mutex
	last uint64
}

func (g *idGen) next() string {
	now := uint64(time.Now().UnixMilli()) << 16
	g.mu.Lock()
	v := max(g.last+1, now)
	g.last = v
	g.mu.Unlock()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return idEncoding.EncodeToString(b[:])
}

// observe makes the generator continue above id (a stored id).
func (g *idGen) observe(id string) {
	b, err := idEncoding.DecodeString(id)
	if err != nil || len(b) != 8 {
		return // not one of ours (ids may be given by callers)
	}
	v := binary.BigEndian.Uint64(b)
	g.mu.Lock()
	g.last = max(g.last, v)
	g.mu.Unlock()
}

// seedIDs observes the largest id under each prefix.
func (db *DB) seedIDs(prefixes ...string) error {
	return db.bdb.View(func(txn *badger.Txn) error {
		for _, p := range prefixes {
			opt := badger.DefaultIteratorOptions
			opt.Reverse, opt.PrefetchValues = true, false
			opt.Prefix = []byte(p)
			it := txn.NewIterator(opt)
			it.Seek([]byte(p + "\xff"))
			if it.Valid() {
				db.ids.observe(string(it.Item().Key()[len(p):]))
			}
			it.Close()
		}
		return nil
	})
}
