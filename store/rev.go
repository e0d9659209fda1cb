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

// Revisions. Every write bumps v1/meta/rev in its transaction and appends
// one v1/rev/<16 hex digits> change record per record it touched; the
// written records carry their revision (lookup.Contact.Rev and friends)
// for ETags. v1/meta/revfloor is the newest revision whose change record
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

// revWriter hands out revisions within one write and records the changes.
type revWriter struct {
	w    kvWriter
	next uint64 // last revision handed out
	now  int64
	buf  []byte
}

// change assigns ch the next revision, writes its change record and
// returns the revision.
func (rw *revWriter) change(ch lookup.Change) (uint64, error) {
	rw.next++
	ch.Rev = rw.next
	rw.buf = encodeChange(rw.buf[:0], &ch, rw.now)
	return ch.Rev, rw.w.Set(revKey(ch.Rev), append([]byte(nil), rw.buf...))
}

func (rw *revWriter) finish() error {
	return rw.w.Set([]byte(keyRev), binary.BigEndian.AppendUint64(nil, rw.next))
}

// update runs fn in one transaction whose changes get consecutive
// revisions; db.wmu must be held. The revision advances only when the
// transaction commits.
func (db *DB) update(fn func(txn *badger.Txn, rw *revWriter) error) error {
	rw := &revWriter{next: db.rev.Load(), now: time.Now().Unix()}
	err := db.bdb.Update(func(txn *badger.Txn) error {
		rw.w = txn
		if err := fn(txn, rw); err != nil {
			return err
		}
		return rw.finish()
	})
	if err == nil {
		db.rev.Store(rw.next)
	}
	return err
}

// batch is update for writes too large for one transaction: a WriteBatch
// (not atomic; the revision is written last). db.wmu must be held.
func (db *DB) batch(fn func(rw *revWriter) error) error {
	wb := db.bdb.NewWriteBatch()
	defer wb.Cancel()
	rw := &revWriter{w: wb, next: db.rev.Load(), now: time.Now().Unix()}
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
	var out []lookup.Change
	err := db.bdb.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte(prefixRev)
		opt.PrefetchSize = min(limit, 256)
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Seek(revKey(since + 1)); it.Valid() && len(out) < limit; it.Next() {
			if len(out)%256 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			var ch lookup.Change
			err := it.Item().Value(func(v []byte) error {
				var err error
				ch, _, err = decodeChange(v)
				return err
			})
			if err != nil {
				return fmt.Errorf("change %s: %w", it.Item().Key(), err)
			}
			out = append(out, ch)
		}
		return nil
	})
	if err != nil {
		return nil, cur, fmt.Errorf("store: changes: %w", err)
	}
	return out, cur, nil
}

// CompactChanges drops change records beyond the newest keep or older than
// maxAge (0: no age bound), and returns how many it dropped. Clients whose
// revision falls before the retained log get ErrRevisionGone and resync.
func (db *DB) CompactChanges(ctx context.Context, keep int, maxAge time.Duration) (int, error) {
	cur := db.rev.Load()
	floor := db.revFloor.Load()
	cut := floor // drop revisions <= cut
	if keep >= 0 && cur > uint64(keep) {
		cut = max(cut, cur-uint64(keep))
	}
	oldest := time.Now().Add(-maxAge).Unix()
	var dead [][]byte
	err := db.bdb.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte(prefixRev)
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Seek(revKey(floor + 1)); it.Valid() && ctx.Err() == nil; it.Next() {
			k := it.Item().KeyCopy(nil)
			rev := revOfKey(k)
			if rev > cut {
				if maxAge <= 0 {
					break
				}
				var at int64
				_ = it.Item().Value(func(v []byte) error { _, at, _ = decodeChange(v); return nil })
				if at >= oldest {
					break
				}
				cut = rev
			}
			dead = append(dead, k)
		}
		return ctx.Err()
	})
	if err != nil || cut == floor {
		return 0, err
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	wb := db.bdb.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range dead {
		if err := wb.Delete(k); err != nil {
			return 0, fmt.Errorf("store: compact changes: %w", err)
		}
	}
	if err := wb.Set([]byte(keyRevFloor), binary.BigEndian.AppendUint64(nil, cut)); err != nil {
		return 0, err
	}
	if err := wb.Flush(); err != nil {
		return 0, fmt.Errorf("store: compact changes: %w", err)
	}
	db.revFloor.Store(cut)
	return len(dead), nil
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

// Change record: format, kind code, flags (bit 0 deleted), unix time
// (uvarint), id, owner, uvarint n + n phonebook ids.
var kindCodes = []string{lookup.KindContact, lookup.KindPersonal, lookup.KindPhonebook, lookup.KindExtension, lookup.KindPrefix}

func encodeChange(dst []byte, ch *lookup.Change, now int64) []byte {
	var flags byte
	if ch.Deleted {
		flags = 1
	}
	dst = append(dst, recordFormat, byte(indexOf(kindCodes, ch.Kind)), flags)
	dst = binary.AppendUvarint(dst, uint64(max(now, 0)))
	dst = appendString(dst, ch.ID)
	dst = appendString(dst, ch.Owner)
	dst = binary.AppendUvarint(dst, uint64(len(ch.Phonebooks)))
	for _, p := range ch.Phonebooks {
		dst = appendString(dst, p)
	}
	return binary.BigEndian.AppendUint64(dst, ch.Rev)
}

func decodeChange(b []byte) (lookup.Change, int64, error) {
	if len(b) < 3 || b[0] != recordFormat || int(b[1]) >= len(kindCodes) {
		return lookup.Change{}, 0, errBadRecord
	}
	ch := lookup.Change{Kind: kindCodes[b[1]], Deleted: b[2]&1 != 0}
	d := decoder{b: b[3:]}
	at := int64(d.uvarint())
	ch.ID = d.string()
	ch.Owner = d.string()
	n := d.uvarint()
	if n > 1<<16 {
		return ch, 0, errBadRecord
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		ch.Phonebooks = append(ch.Phonebooks, d.string())
	}
	if d.err == nil && len(d.b) >= 8 {
		ch.Rev = binary.BigEndian.Uint64(d.b)
	}
	return ch, at, d.err
}
