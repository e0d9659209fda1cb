package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"

	"cidproxy/lookup"

	"github.com/dgraph-io/badger/v4"
)

func writeSpoolRecord(w *bufio.Writer, id string, val []byte) {
	var hdr [2 * binary.MaxVarintLen64]byte
	h := binary.AppendUvarint(hdr[:0], uint64(len(id)))
	h = binary.AppendUvarint(h, uint64(len(val)))
	_, _ = w.Write(h)
	_, _ = w.WriteString(id)
	_, _ = w.Write(val)
}

// eachSpoolRecord reads the spool from the start.
func eachSpoolRecord(f *os.File, fn func(id string, val []byte) error) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(f, 256<<10)
	var buf []byte
	for {
		idLen, err := binary.ReadUvarint(br)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		valLen, err := binary.ReadUvarint(br)
		if err != nil {
			return err
		}
		need := int(idLen + valLen)
		if cap(buf) < need {
			buf = make([]byte, need)
		}
		buf = buf[:need]
		if _, err := io.ReadFull(br, buf); err != nil {
			return err
		}
		if err := fn(string(buf[:idLen]), buf[idLen:]); err != nil {
			return err
		}
	}
}

// writeSpool writes the spooled records (contact bases), members of
// phonebook when not empty. Once it starts it is not cancelled.
func (db *DB) writeSpool(spool *os.File, n int, phonebook string) error {
	var pbs []string
	if phonebook != "" {
		pbs = []string{phonebook}
	}
	return db.writeBulk("", n, func(fn func(id string, base []byte, pbs []string) error) error {
		return eachSpoolRecord(spool, func(id string, base []byte) error { return fn(id, base, pbs) })
	})
}

// bigImport is the size from which a bulk import returns free memory to
// the OS between writing and indexing.
const bigImport = 50_000

// writeBulk writes n new contacts that each (a function calling fn per
// contact with its id, record base and phonebooks) yields, company
// contacts or, with owner, personal contacts of owner: one WriteBatch,
// a revision and change per contact, then the index. db.wmu must be held
// and limits checked.
func (db *DB) writeBulk(owner string, n int, each func(fn func(id string, base []byte, pbs []string) error) error) error {
	var entries []lookup.IndexEntry // personal contacts only (small)
	var ed entryDecoder
	var val, proj []byte
	kind := lookup.KindContact
	if owner != "" {
		kind = lookup.KindPersonal
	}
	err := db.batch(func(rw *revWriter) error {
		err := each(func(id string, base []byte, pbs []string) error {
			rev, err := rw.change(lookup.Change{Kind: kind, ID: id, Owner: owner, Phonebooks: pbs})
			if err != nil {
				return err
			}
			val = appendTrailer(append(val[:0], base...), rev, pbs)
			if owner != "" {
				e, err := ed.decode([]byte(id), val)
				if err != nil {
					return err
				}
				entries = append(entries, lookup.IndexEntry{ID: id, Name: e.Name, Keys: slices.Clone(e.Keys), Text: e.Text})
				return rw.w.Set(personalKey(owner, id), slices.Clone(val))
			}
			if proj, err = ed.projection(proj[:0], val); err != nil {
				return err
			}
			if err := rw.w.Set(contactKey(id), slices.Clone(val)); err != nil {
				return err
			}
			return rw.w.Set(projKey(id), slices.Clone(proj))
		})
		return err
	})
	if err == nil && owner == "" {
		err = db.bdb.Update(func(txn *badger.Txn) error { return addCount(txn, n) })
	}
	if err != nil {
		return fmt.Errorf("store: import write: %w", err)
	}
	if owner != "" {
		db.addPersonal(owner, n)
		for _, e := range entries {
			db.ix.PutPersonal(owner, e)
		}
		return nil
	}
	db.addContacts(n)
	if !db.indexContacts {
		return nil
	}
	if n >= bigImport {
		// The write phase leaves Badger's transient buffers as free heap;
		// hand it back before the index grows, so the peak is the larger
		// of the two phases, not their sum.
		debug.FreeOSMemory()
	}
	i := 0
	return each(func(id string, base []byte, pbs []string) error {
		val = appendTrailer(append(val[:0], base...), 0, pbs)
		e, err := ed.decode([]byte(id), val)
		if err != nil {
			return err
		}
		db.ix.PutContact(e)
		if i++; i%bigImport == 0 {
			runtime.GC() // keep the heap near the growing index (peak RSS)
		}
		return nil
	})
}
