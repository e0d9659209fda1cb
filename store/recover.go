package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// lockPoll is how often waitLock tries the data directory's lock.
const lockPoll = 100 * time.Millisecond

// waitLock waits up to wait for the data directory's lock: a daemon
// restarted right after kill -9 finds it still held while the old
// process exits. On time-out the *LockedError names the holder's pid and
// how long it waited.
func waitLock(dir string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := probeLock(dir)
		var le *LockedError
		if !errors.As(err, &le) || !time.Now().Before(deadline) {
			if le != nil {
				le.Waited = wait
			}
			return err
		}
		time.Sleep(lockPoll)
	}
}

// memHeader is the size of the header Badger writes at the start of a
// memtable write-ahead log (.mem) file before any entry.
const memHeader = 20

// dropEmptyMemtables removes memtable write-ahead logs (.mem files) that
// hold not even their header: a process killed (or out of disk space)
// right after creating one leaves it empty, and Badger then refuses to
// open the directory ("while opening fid: N: Create a new file"). Such a
// file holds no entry, so nothing is lost.
func dropEmptyMemtables(dir string, log *slog.Logger) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".mem") || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || info.Size() >= memHeader {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("store: remove empty write-ahead log: %w", err)
		}
		log.Warn("removed an empty memtable write-ahead log left by an interrupted process", "file", e.Name())
	}
	return nil
}

// checkOpenSpace refuses to open when the file system is so full that
// Badger could not replay and flush its write-ahead log (it would die
// with SIGBUS); below the write reserve it opens and warns: reads and
// calls work, writes are refused until space is freed.
func (g *spaceGuard) checkOpenSpace(memtable int64, log *slog.Logger) error {
	if g.free == nil {
		return nil
	}
	free, err := g.free(g.dir)
	if err != nil {
		return nil
	}
	need := uint64(2*memtable) + 4<<20
	if free < need {
		return fmt.Errorf("store %s: only %s free on its file system; opening needs at least %s (Badger replays and flushes its write-ahead log); free space and start again: %w",
			g.dir, mib(free), mib(need), &DiskFullError{Dir: g.dir, Free: free, Reserve: need})
	}
	if free < g.reserve {
		log.LogAttrs(context.Background(), slog.LevelWarn, "store file system nearly full: writes are refused until space is freed; reads and calls continue",
			slog.String("dir", g.dir), slog.String("free", mib(free)), slog.String("reserve", mib(g.reserve)))
	}
	return nil
}
