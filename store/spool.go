package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

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

// writeSpool writes the spooled records with a WriteBatch, then indexes
// them. Once it starts it is not cancelled.
func (db *DB) writeSpool(spool *os.File, n int) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	wb := db.bdb.NewWriteBatch()
	defer wb.Cancel()
	var ed entryDecoder
	err := eachSpoolRecord(spool, func(id string, val []byte) error {
		proj, err := ed.projection(nil, val)
		if err != nil {
			return err
		}
		if err := wb.Set(contactKey(id), append([]byte(nil), val...)); err != nil {
			return err
		}
		return wb.Set(projKey(id), proj)
	})
	if err == nil {
		err = wb.Flush()
	}
	if err == nil {
		err = db.bdb.Update(func(txn *badger.Txn) error { return addCount(txn, n) })
	}
	if err != nil {
		return fmt.Errorf("store: import write: %w", err)
	}
	if !db.indexContacts {
		return nil
	}
	return eachSpoolRecord(spool, func(id string, val []byte) error {
		e, err := ed.decode([]byte(id), val)
		if err != nil {
			return err
		}
		db.ix.PutContact(e)
		return nil
	})
}
