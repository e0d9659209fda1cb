package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockedError is the error Open returns when another process holds the
// data directory; errors.Is(err, ErrLocked) holds for it.
type LockedError struct {
	Dir string
	PID string // holder's pid from Badger's LOCK file, "" if unknown
	// Waited is how long Open waited for the lock (WithLockWait).
	Waited time.Duration
}

func (e *LockedError) Error() string {
	holder := "the running daemon"
	if e.PID != "" {
		holder = "pid " + e.PID + ", the running daemon"
	}
	if e.Waited > 0 {
		return fmt.Sprintf("store %s is still in use by another cidproxy process (%s) after waiting %s; stop it or use its API", e.Dir, holder, e.Waited)
	}
	return fmt.Sprintf("store %s is in use by another cidproxy process (%s); stop it or use its API", e.Dir, holder)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

func lockedError(dir string) error {
	e := &LockedError{Dir: dir}
	if b, err := os.ReadFile(filepath.Join(dir, "LOCK")); err == nil {
		if pid := strings.TrimSpace(string(b)); pid != fmt.Sprint(os.Getpid()) {
			e.PID = pid
		}
	}
	return e
}

// isLockError recognises Badger's lock failure, which Badger does not wrap
// with %w (y.Wrapf formats the cause into the text).
func isLockError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "Another process is using this Badger database") ||
		strings.Contains(s, "Cannot acquire directory lock")
}

// badgerLogger routes Badger's logs to slog: errors and warnings at warn,
// the rest at debug. Badger never writes to stderr. Badger reports its
// block cache statistics on Close as a warning (a multi-line histogram,
// nothing wrong): that one goes to debug.
type badgerLogger struct{ log *slog.Logger }

func (l badgerLogger) Errorf(f string, a ...any) { l.out(slog.LevelWarn, f, a) }
func (l badgerLogger) Warningf(f string, a ...any) {
	if strings.HasPrefix(f, "Cache life expectancy") {
		l.out(slog.LevelDebug, f, a)
		return
	}
	l.out(slog.LevelWarn, f, a)
}
func (l badgerLogger) Infof(f string, a ...any)  { l.out(slog.LevelDebug, f, a) }
func (l badgerLogger) Debugf(f string, a ...any) { l.out(slog.LevelDebug, f, a) }

func (l badgerLogger) out(lvl slog.Level, f string, a []any) {
	if !l.log.Enabled(context.Background(), lvl) {
		return
	}
	l.log.Log(context.Background(), lvl, strings.TrimSpace(fmt.Sprintf(f, a...)), "lib", "badger")
}
