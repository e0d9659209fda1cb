package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
)

// ErrDiskFull is returned by a write when the store's file system has
// less free space than the reserve (Options WithFreeSpaceReserve): the
// write is refused before Badger sees it. Badger memory-maps its files,
// and a write into a mapped page the file system cannot back kills the
// process with SIGBUS, so the store must never run into a full disk.
// Reads, lookups and calls keep working; writes work again as soon as
// space is freed. The API answers 507.
var ErrDiskFull = errors.New("store: not enough free disk space")

// DiskFullError is the error a refused write returns; errors.Is(err,
// ErrDiskFull) holds for it.
type DiskFullError struct {
	Dir           string
	Free, Reserve uint64 // bytes
}

func (e *DiskFullError) Error() string {
	return fmt.Sprintf("store %s: only %s free on its file system, below the reserve of %s: writes are refused until space is freed (reads and calls continue)",
		e.Dir, mib(e.Free), mib(e.Reserve))
}

// Is makes errors.Is(err, ErrDiskFull) true.
func (e *DiskFullError) Is(target error) bool { return target == ErrDiskFull }

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// spaceCheckEvery is how many bytes a large write (an import) may add
// between two free-space checks.
const spaceCheckEvery = 1 << 20

// defaultReserve is the free space kept when none is configured: the
// memtable's write-ahead log may grow to twice its size before a flush
// writes it as a table (another memtable), and compactions rewrite
// tables before deleting the old ones.
func defaultReserve(memtable int64) uint64 {
	return uint64(4*memtable) + 32<<20
}

// spaceGuard refuses writes when the file system of dir has less than
// reserve bytes free.
type spaceGuard struct {
	dir     string
	reserve uint64
	// free reports the bytes available to this process on dir's file
	// system (statfs; tests inject one).
	free func(dir string) (uint64, error)
	// refused counts writes refused for space; failed counts writes
	// Badger failed (cidproxy_store_write_errors_total).
	refused, failed atomic.Uint64
}

// check fails with a *DiskFullError when less than the reserve plus need
// bytes are free. A statfs failure does not block writes.
func (g *spaceGuard) check(need uint64) error {
	if g.free == nil {
		return nil
	}
	free, err := g.free(g.dir)
	if err != nil || free >= g.reserve+need {
		return nil
	}
	g.refused.Add(1)
	return &DiskFullError{Dir: g.dir, Free: free, Reserve: g.reserve}
}

// count records a failed write for the metric (refusals are counted by
// check).
func (g *spaceGuard) count(err error) {
	if err != nil && !isRefusal(err) {
		g.failed.Add(1)
	}
}

// isRefusal reports whether a write error is the store's own answer
// (bad value, limit, conflict, no space, cancelled) rather than a failed
// Badger write.
func isRefusal(err error) bool {
	var fe *FieldError
	for _, e := range []error{ErrDiskFull, ErrInvalid, ErrNotFound, ErrReadOnly, ErrLimit, ErrConflict, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return true
		}
	}
	return errors.As(err, &fe)
}

// bulkSpace estimates the disk space applying a bulk write's resolved
// file takes: its records land in the write-ahead log, then in tables
// (and values over the threshold in the value log).
func bulkSpace(path string) uint64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return 3 * uint64(fi.Size())
}

// guardedWriter checks the free space every spaceCheckEvery bytes a
// large write adds, so an import stops cleanly before the disk fills.
type guardedWriter struct {
	kvWriter
	g *spaceGuard
	n int
}

func (w *guardedWriter) Set(k, v []byte) error {
	if w.n += len(k) + len(v); w.n >= spaceCheckEvery {
		w.n = 0
		if err := w.g.check(0); err != nil {
			return err
		}
	}
	return w.kvWriter.Set(k, v)
}
