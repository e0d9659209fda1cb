//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// underLock runs fn holding the same flock Badger takes on dir, so no
// other process opens the store meanwhile (ErrLocked if one holds it).
func underLock(dir string, fn func() error) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EAGAIN) {
		return lockedError(dir)
	}
	if err != nil {
		return fn() // no flock on this file system: Badger reports its own errors
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return fn()
}

// probeLock tries the same flock Badger takes on the directory and releases
// it at once, so a held lock is reported as ErrLocked even if Badger's
// error text changes.
func probeLock(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EAGAIN) {
		return lockedError(dir)
	}
	if err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}
	return nil
}
