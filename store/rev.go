package store

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"cidproxy/lookup"
)

// Revisions. Every write bumps v1/meta/rev in its transaction and records
// one change per record it touched, with its own revision; the written
// records carry their revision (lookup.Contact.Rev and friends) for
// ETags. Changes are stored in blocks: v1/rev/<16 hex digits of the first
// revision> holds the changes of consecutive revisions (one write's, or up
// to changeBlock of a bulk import), so a 500,000-contact import adds 2,000
// keys, not 500,000. v1/meta/revfloor is the newest revision whose change
// was compacted away (0: none): Changes since a smaller revision answers
// ErrRevisionGone.
const (
	prefixRev   = "v1/rev/"
	keyRev      = "v1/meta/rev"
	keyRevFloor = "v1/meta/revfloor"
)

func revKey(rev uint64) []byte {
	b := make([]byte, 0, len(prefixRev)+16)
	b = append(b, prefixRev...)
	return hex.AppendEncode(b, binary.BigEndian.AppendUint64(nil, rev))
}

// kvWriter is what a Badger transaction and a WriteBatch have in common.
type kvWriter interface {
	Set(k, v []byte) error
	Delete(k []byte) error
}

// changeBlock is the most changes one change-log record holds.
const changeBlock = 256

// revWriter hands out revisions within one write and records the changes
// in blocks.
type revWriter struct {
	w     kvWriter
	next  uint64 // last revision handed out
	now   int64
	start uint64 // first revision of the pending block
	n     int    // changes in the pending block
	buf   []byte // pending block body
}

// change assigns ch the next revision, records it and returns the
// revision.
func (rw *revWriter) change(ch lookup.Change) (uint64, error) {
	rw.next++
	if rw.n == 0 {
		rw.start = rw.next
		rw.buf = rw.buf[:0]
	}
	rw.buf = appendChange(rw.buf, &ch)
	rw.n++
	if rw.n == changeBlock {
		return rw.next, rw.flush()
	}
	return rw.next, nil
}

func (rw *revWriter) flush() error {
	if rw.n == 0 {
		return nil
	}
	v := make([]byte, 0, len(rw.buf)+12)
	v = append(v, recordFormat)
	v = binary.AppendUvarint(v, uint64(max(rw.now, 0)))
	v = binary.AppendUvarint(v, uint64(rw.n))
	v = append(v, rw.buf...)
	rw.n = 0
	return rw.w.Set(revKey(rw.start), v)
}

func (rw *revWriter) finish() error {
	if err := rw.flush(); err != nil {
		return err
	}
	return rw.w.Set([]byte(keyRev), binary.BigEndian.AppendUint64(nil, rw.next))
}

// update runs fn in one transaction whose changes get consecutive
// revisions; db.wmu must be held. The revision advances only when the
// transaction commits.
func (db *DB) update(fn func(txn *badger.Txn, rw *revWriter) error) error {
	if err := db.finishPending(); err != nil {
		return err
	}
	if err := db.space.check(0); err != nil {
		return err
	}
	rw := &revWriter{next: db.rev.Load(), now: time.Now().Unix()}
	err := db.bdb.Update(func(txn *badger.Txn) error {
		rw.w = &guardedWriter{kvWriter: txn, g: db.space}
		if err := fn(txn, rw); err != nil {
			return err
		}
		return rw.finish()
	})
	if err == nil {
		db.rev.Store(rw.next)
	}
	db.space.count(err)
	return err
}

// batch is update for writes too large for one transaction: a WriteBatch
// (not atomic; the revision is written last). db.wmu must be held.
func (db *DB) batch(fn func(rw *revWriter) error) error {
	if err := db.finishPending(); err != nil {
		return err
	}
	if err := db.space.check(0); err != nil {
		return err
	}
	wb := db.bdb.NewWriteBatch()
	defer wb.Cancel()
	rw := &revWriter{w: &guardedWriter{kvWriter: wb, g: db.space}, next: db.rev.Load(), now: time.Now().Unix()}
	err := fn(rw)
	if err == nil {
		err = rw.finish()
	}
	if err == nil {
		err = wb.Flush()
	}
	if err == nil {
		db.rev.Store(rw.next)
	}
	db.space.count(err)
	return err
}

// Rev returns the store's current revision.
func (db *DB) Rev() uint64 { return db.rev.Load() }

// MaxChanges is the most changes one Changes call returns.
const MaxChanges = 10_000

// Changes returns up to limit (1..MaxChanges) changes with Rev > since,
// oldest first, and the current revision. A since older than the retained
// change log, or newer than the current revision, is ErrRevisionGone.
func (db *DB) Changes(ctx context.Context, since uint64, limit int) ([]lookup.Change, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	limit = min(max(limit, 1), MaxChanges)
	cur := db.rev.Load()
	if since < db.revFloor.Load() || since > cur {
		return nil, cur, fmt.Errorf("%w (since %d, kept from %d to %d)", ErrRevisionGone, since, db.revFloor.Load(), cur)
	}
	out := make([]lookup.Change, 0, min(uint64(limit), cur-since))
	err := db.bdb.View(func(txn *badger.Txn) error {
		start := blockStart(txn, since+1)
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte(prefixRev)
		opt.PrefetchSize = 16
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Seek(revKey(start)); it.Valid() && len(out) < limit; it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			first := revOfKey(it.Item().Key())
			err := it.Item().Value(func(v []byte) error {
				var err error
				out, _, _, err = decodeBlock(v, first, since, limit, out)
				return err
			})
			if err != nil {
				return fmt.Errorf("change block %d: %w", first, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, cur, fmt.Errorf("store: changes: %w", err)
	}
	return out, cur, nil
}

// blockStart returns the first revision of the block holding rev (rev
// itself when no block starts at or before it).
func blockStart(txn *badger.Txn, rev uint64) uint64 {
	opt := badger.DefaultIteratorOptions
	opt.Prefix = []byte(prefixRev)
	opt.PrefetchValues = false
	opt.Reverse = true
	it := txn.NewIterator(opt)
	defer it.Close()
	if it.Seek(revKey(rev)); it.Valid() {
		return revOfKey(it.Item().Key())
	}
	return rev
}

// CompactChanges drops change blocks whose changes are all beyond the
// newest keep or older than maxAge (0: no age bound), and returns how many
// changes it dropped. Clients whose revision falls before the retained
// log get ErrRevisionGone and resync.
func (db *DB) CompactChanges(ctx context.Context, keep int, maxAge time.Duration) (int, error) {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	cur, floor := db.rev.Load(), db.revFloor.Load()
	var cut uint64 // changes <= cut go by count
	if keep >= 0 && cur > uint64(keep) {
		cut = cur - uint64(keep)
	}
	oldest := time.Now().Add(-maxAge).Unix()
	var dead [][]byte
	newFloor, dropped := floor, 0
	err := db.bdb.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte(prefixRev)
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Seek(revKey(floor + 1)); it.Valid() && ctx.Err() == nil; it.Next() {
			first := revOfKey(it.Item().Key())
			var at int64
			var n int
			err := it.Item().Value(func(v []byte) error {
				var err error
				_, at, n, err = decodeBlock(v, first, 0, 0, nil)
				return err
			})
			last := first + uint64(n) - 1
			if err != nil || n == 0 || !(last <= cut || maxAge > 0 && at < oldest) {
				break
			}
			dead = append(dead, it.Item().KeyCopy(nil))
			newFloor, dropped = last, dropped+n
		}
		return ctx.Err()
	})
	if err != nil || len(dead) == 0 {
		return 0, err
	}
	if err := db.space.check(0); err != nil {
		return 0, err
	}
	wb := db.bdb.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range dead {
		if err := wb.Delete(k); err != nil {
			return 0, fmt.Errorf("store: compact changes: %w", err)
		}
	}
	if err := wb.Set([]byte(keyRevFloor), binary.BigEndian.AppendUint64(nil, newFloor)); err != nil {
		return 0, err
	}
	if err := wb.Flush(); err != nil {
		return 0, fmt.Errorf("store: compact changes: %w", err)
	}
	db.revFloor.Store(newFloor)
	return dropped, nil
}

func revOfKey(k []byte) uint64 {
	var b [8]byte
	if _, err := hex.Decode(b[:], k[len(prefixRev):]); err != nil {
		return 0
	}
	return binary.BigEndian.Uint64(b[:])
}

// loadRev reads the revision and the change log floor at Open.
func (db *DB) loadRev() error {
	for _, kv := range []struct {
		key string
		dst interface{ Store(uint64) }
	}{{keyRev, &db.rev}, {keyRevFloor, &db.revFloor}} {
		v, err := db.getRaw([]byte(kv.key))
		switch {
		case errors.Is(err, ErrNotFound):
			kv.dst.Store(0)
		case err != nil:
			return err
		case len(v) != 8:
			return fmt.Errorf("store: %s: %w", kv.key, errBadRecord)
		default:
			kv.dst.Store(binary.BigEndian.Uint64(v))
		}
	}
	return nil
}
