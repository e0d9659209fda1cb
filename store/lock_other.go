//go:build !unix

package store

// probeLock relies on Badger's own lock error on platforms without flock.
func probeLock(string) error { return nil }

// underLock runs fn (no flock here).
func underLock(_ string, fn func() error) error { return fn() }
