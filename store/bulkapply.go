package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"cidproxy/lookup"
)

// bigImport is the number of ops from which memorizing a bulk write
// collects garbage as it goes; bigImportBytes the resolved file size from
// which it first returns free memory to the OS.
const (
	bigImport      = 50_000
	bigImportBytes = 8 << 20
)

// yieldEvery is how many ops the bulk loops handle between two
// runtime.Gosched calls: a bulk write of 500,000 contacts keeps both CPUs
// busy for seconds, and the SIP goroutines must not wait behind it for
// their time slices (call latency during an import or a sync).
const yieldEvery = 1024

// yield pauses a bulk loop briefly so that the CPUs it keeps busy (with
// Badger's compactions and, for a sync, the database server) are free
// for calls now and then: a duty cycle, not only a Gosched.
func yield() { time.Sleep(500 * time.Microsecond) }

// keyBulk is the commit marker of a bulk write (see the package doc).
const keyBulk = "v1/meta/bulk"

// Bulk operation codes and flags.
const (
	opContact byte = iota + 1
	opPersonal
	opDeleteContact
	opPhonebook
	opDeletePhonebook
	opKV
	opDeleteKV
)

const (
	flagNew      byte = 1 << iota // the record does not exist yet
	flagExists                    // resolved at Commit: the record exists
	flagUnsynced                  // a delete by an import: the contact must not be synced
)

// bulkOp is one staged operation. Decoded ops alias the read buffer.
type bulkOp struct {
	op, flags byte
	id        string
	owner     string // personal contacts: extension; KV: namespace
	val       []byte // contact record base, phonebook record or KV value
	pbs       []string
	chpbs     []string // phonebooks of the change (resolved at Commit)
}

// append frames the op: uvarint body length, then op, flags, id, owner,
// val, pbs, chpbs.
func (o *bulkOp) append(dst []byte) []byte {
	var body []byte
	body = append(body, o.op, o.flags)
	body = appendString(body, o.id)
	body = appendString(body, o.owner)
	body = appendString(body, alias(o.val))
	body = appendStrings(body, o.pbs)
	body = appendStrings(body, o.chpbs)
	dst = binary.AppendUvarint(dst, uint64(len(body)))
	return append(dst, body...)
}

// bulkReader reads framed ops.
type bulkReader struct {
	br  *bufio.Reader
	buf []byte
	op  bulkOp
}

func newBulkReader(f *os.File) (*bulkReader, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return &bulkReader{br: bufio.NewReaderSize(f, 256<<10)}, nil
}

// next returns the next op (valid until the following call), nil at the end.
func (r *bulkReader) next() (*bulkOp, error) {
	n, err := binary.ReadUvarint(r.br)
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil || n < 2 || n > 64<<20 {
		return nil, fmt.Errorf("bulk record: %w", errBadRecord)
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.br, r.buf); err != nil {
		return nil, fmt.Errorf("bulk record: %w", err)
	}
	d := decoder{b: r.buf[2:]}
	o := &r.op
	o.op, o.flags = r.buf[0], r.buf[1]
	o.id, o.owner = alias(d.bytes()), alias(d.bytes())
	o.val = d.bytes()
	o.pbs = d.aliasList(o.pbs[:0])
	o.chpbs = d.aliasList(o.chpbs[:0])
	if d.err != nil {
		return nil, fmt.Errorf("bulk record: %w", d.err)
	}
	return o, nil
}

// bulkMarker is the value of keyBulk: the resolved file to apply, the
// revision it starts after, the company contact count after it and the
// change time.
type bulkMarker struct {
	file     string
	startRev uint64
	count    uint64
	now      int64
}

func (m *bulkMarker) encode() []byte {
	b := []byte{recordFormat}
	b = appendString(b, m.file)
	b = binary.AppendUvarint(b, m.startRev)
	b = binary.AppendUvarint(b, m.count)
	return binary.AppendUvarint(b, uint64(max(m.now, 0)))
}

func decodeMarker(b []byte) (bulkMarker, error) {
	if len(b) < 1 || b[0] != recordFormat {
		return bulkMarker{}, errBadRecord
	}
	d := decoder{b: b[1:]}
	m := bulkMarker{file: d.string(), startRev: d.uvarint(), count: d.uvarint(), now: int64(d.uvarint())}
	if d.err == nil && (m.file == "" || filepath.Base(m.file) != m.file) {
		d.err = errBadRecord
	}
	return m, d.err
}

// testCrash, when set by a test, is called at the named points of a bulk
// commit ("staged", "marked", "applying" every yieldEvery ops, "applied") to
// inject a crash.
var testCrash func(point string)

func crashPoint(p string) {
	if testCrash != nil {
		testCrash(p)
	}
}

// commitBulk writes the marker naming the resolved file, applies it and
// updates memory and the index. db.wmu must be held.
func (db *DB) commitBulk(p *bulkPlan) error {
	db.mu.RLock()
	count := max(db.nContacts+p.delta, 0)
	db.mu.RUnlock()
	m := bulkMarker{file: filepath.Base(p.path), startRev: db.rev.Load(), count: uint64(count), now: time.Now().Unix()}
	if err := db.space.check(bulkSpace(p.path)); err != nil { // refused before the marker: nothing written
		_ = os.Remove(p.path)
		return err
	}
	crashPoint("staged")
	if err := db.putRaw([]byte(keyBulk), m.encode()); err != nil {
		_ = os.Remove(p.path)
		return fmt.Errorf("store: bulk commit: %w", err)
	}
	crashPoint("marked")
	return db.finishMarked(m, true)
}

// finishBulk finishes a bulk write whose marker is in the store (one that
// a crash or an error interrupted) and, at Open (inProcess false), drops
// staging files no marker names. db.wmu must be held (or Open running).
func (db *DB) finishBulk(inProcess bool) error {
	v, err := db.getRaw([]byte(keyBulk))
	switch {
	case errors.Is(err, ErrNotFound):
		if !inProcess {
			db.dropStaging("")
		}
		return nil
	case err != nil:
		return err
	}
	m, err := decodeMarker(v)
	if err != nil {
		return fmt.Errorf("store: bulk marker: %w", err)
	}
	db.log.Warn("finishing an interrupted bulk write", "file", m.file)
	if err := db.finishMarked(m, inProcess); err != nil {
		return err
	}
	if !inProcess {
		db.dropStaging("")
	}
	return nil
}

// finishPending finishes a bulk write that failed after its marker in
// this process (a full disk) before any other write takes a revision;
// db.wmu must be held.
func (db *DB) finishPending() error {
	if !db.bulkPending.Load() {
		return nil
	}
	return db.finishBulk(true)
}

// finishMarked applies marker m's file, clears the marker and, in
// process, updates memory and the index; then removes the file.
func (db *DB) finishMarked(m bulkMarker, inProcess bool) error {
	path := filepath.Join(db.stagingDir(), m.file)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: bulk commit: the marked file is gone: %w", err)
	}
	defer f.Close()
	rev, err := db.applyBulk(f, m)
	if err != nil {
		// Revisions after db.rev are in use by the half-applied write:
		// no other write may take them before it is finished.
		db.bulkPending.Store(inProcess)
		return fmt.Errorf("store: bulk commit: %w", err)
	}
	crashPoint("applied")
	err = db.rawUpdate(func(txn *badger.Txn) error {
		if err := txn.Set([]byte(keyCount), binary.BigEndian.AppendUint64(nil, m.count)); err != nil {
			return err
		}
		return txn.Delete([]byte(keyBulk))
	})
	if err != nil {
		return fmt.Errorf("store: bulk commit: %w", err)
	}
	db.bulkPending.Store(false)
	if inProcess {
		db.rev.Store(rev)
		err = db.memorizeBulk(f, m)
	}
	_ = os.Remove(path)
	return err
}

// applyBulk writes every op of f with revisions after m.startRev (the
// same on a retry) and returns the last revision.
func (db *DB) applyBulk(f *os.File, m bulkMarker) (uint64, error) {
	r, err := newBulkReader(f)
	if err != nil {
		return 0, err
	}
	wb := db.bdb.NewWriteBatch()
	defer wb.Cancel()
	rw := &revWriter{w: &guardedWriter{kvWriter: wb, g: db.space}, next: m.startRev, now: m.now}
	var ed entryDecoder
	var val []byte
	for i := 0; ; i++ {
		o, err := r.next()
		if err != nil {
			return 0, err
		}
		if o == nil {
			break
		}
		if i%yieldEvery == yieldEvery-1 {
			crashPoint("applying")
			yield() // calls first (see yieldEvery)
		}
		if val, err = db.applyOp(rw, &ed, o, val); err != nil {
			return 0, err
		}
	}
	if err := rw.finish(); err != nil {
		return 0, err
	}
	return rw.next, wb.Flush()
}

func (db *DB) applyOp(rw *revWriter, ed *entryDecoder, o *bulkOp, val []byte) ([]byte, error) {
	ch := lookup.Change{Kind: lookup.KindContact, ID: o.id, Phonebooks: slices.Clone(o.chpbs)}
	switch o.op {
	case opPersonal:
		ch.Kind, ch.Owner = lookup.KindPersonal, o.owner
	case opDeleteContact:
		ch.Deleted = true
	case opPhonebook, opDeletePhonebook:
		ch.Kind, ch.Phonebooks, ch.Deleted = lookup.KindPhonebook, []string{o.id}, o.op == opDeletePhonebook
		ch.Viewers = db.bulkViewers(o)
	case opKV:
		return val, rw.w.Set(kvKey(o.owner, o.id), slices.Clone(o.val))
	case opDeleteKV:
		return val, rw.w.Delete(kvKey(o.owner, o.id))
	}
	rev, err := rw.change(ch)
	if err != nil {
		return val, err
	}
	switch o.op {
	case opPersonal:
		val = appendTrailer(append(val[:0], o.val...), rev, nil)
		return val, rw.w.Set(personalKey(o.owner, o.id), slices.Clone(val))
	case opContact:
		val = appendTrailer(append(val[:0], o.val...), rev, o.pbs)
		proj, err := ed.projection(nil, val)
		if err != nil {
			return val, err
		}
		if err := rw.w.Set(contactKey(o.id), slices.Clone(val)); err != nil {
			return val, err
		}
		return val, rw.w.Set(projKey(o.id), proj)
	case opDeleteContact:
		if err := rw.w.Delete(projKey(o.id)); err != nil {
			return val, err
		}
		return val, rw.w.Delete(contactKey(o.id))
	case opPhonebook:
		p, err := decodePhonebook(o.id, o.val)
		if err != nil {
			return val, err
		}
		p.Rev = rev
		return val, rw.w.Set(phonebookKey(o.id), encodePhonebook(&p))
	default: // opDeletePhonebook
		return val, rw.w.Delete(phonebookKey(o.id))
	}
}

// memorizeBulk brings counts, phonebooks and the index in step with an
// applied bulk write.
func (db *DB) memorizeBulk(f *os.File, m bulkMarker) error {
	r, err := newBulkReader(f)
	if err != nil {
		return err
	}
	db.mu.Lock()
	db.nContacts = int(m.count)
	db.mu.Unlock()
	if db.indexContacts {
		// Into an empty index (a first import or sync), size it once
		// instead of growing its maps step by step (peak RSS).
		db.ix.Reserve(int(m.count), 2*int(m.count))
	}
	if st, err := f.Stat(); err == nil && st.Size() > bigImportBytes {
		// The write phase leaves Badger's transient buffers as free heap;
		// hand it back before the index grows, so the peak is the larger
		// of the two phases, not their sum.
		debug.FreeOSMemory()
	}
	var ed entryDecoder
	var val []byte
	var dropped []string
	for i := 1; ; i++ {
		if i%bigImport == 0 {
			runtime.GC() // keep the heap near the growing index (peak RSS)
		}
		if i%yieldEvery == 0 {
			yield()
		}
		o, err := r.next()
		if err != nil || o == nil {
			for _, id := range dropped {
				db.ix.DeletePhonebook(id)
			}
			return err
		}
		if val, err = db.memorizeOp(&ed, o, val, &dropped); err != nil {
			return err
		}
	}
}

func (db *DB) memorizeOp(ed *entryDecoder, o *bulkOp, val []byte, dropped *[]string) ([]byte, error) {
	switch o.op {
	case opContact, opPersonal:
		val = appendTrailer(append(val[:0], o.val...), 0, o.pbs)
		e, err := ed.decode([]byte(o.id), val)
		if err != nil {
			return val, err
		}
		if o.op == opPersonal {
			e.Phonebooks = nil
			db.ix.PutPersonal(o.owner, e)
			db.addPersonal(o.owner, 1)
		} else if db.indexContacts {
			db.ix.PutContact(e)
		}
	case opDeleteContact:
		db.ix.DeleteContact(o.id)
	case opPhonebook:
		p, err := decodePhonebook(strings.Clone(o.id), o.val)
		if err != nil {
			return val, err
		}
		db.mu.Lock()
		db.pbs[p.ID] = p
		db.mu.Unlock()
		db.ix.PutPhonebook(indexPhonebook(&p))
	case opDeletePhonebook:
		db.mu.Lock()
		delete(db.pbs, o.id)
		db.mu.Unlock()
		*dropped = append(*dropped, strings.Clone(o.id))
	}
	return val, nil
}

// dropStaging removes staging files other than keep (at Open: leftovers
// of bulk writes that never reached their marker).
func (db *DB) dropStaging(keep string) {
	dir := db.stagingDir()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if ok, _ := filepath.Match(stagePattern, e.Name()); ok && e.Name() != keep {
			if err := os.Remove(filepath.Join(dir, e.Name())); err == nil {
				db.log.Info("dropped an unfinished bulk write", "file", e.Name())
			}
		}
	}
}
