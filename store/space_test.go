package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cidproxy/config"
	"cidproxy/lookup"
)

// smallConfig keeps Badger's files small so a 20 MiB file system holds a store.
func smallConfig(dir string) config.Store {
	return config.Store{Dir: dir, MemTableSize: 1 << 20, BlockCacheSize: 1 << 20, IndexCacheSize: 1 << 20}
}

// smallFS returns a directory on a fresh tmpfs of size bytes and a
// function that fills it until about leave bytes are free (returning
// the filler file). Without permission to mount it falls back to a
// plain directory whose free space the store sees through an injected
// statfs (fake), and says so.
type smallFS struct {
	dir  string
	real bool
	fake uint64 // free bytes the injected statfs reports (fallback)
}

func newSmallFS(t *testing.T, size int) *smallFS {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Logf("mount tmpfs: %v: falling back to an injected statfs (no real full disk)", err)
		return &smallFS{dir: dir, fake: uint64(size)}
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	t.Logf("store on a real %d MiB tmpfs", size>>20)
	return &smallFS{dir: dir, real: true}
}

// opts returns the store options: the injected statfs in the fallback.
func (fs *smallFS) opts(o ...Option) []Option {
	if fs.real {
		return o
	}
	return append(o, func(op *options) { op.free = func(string) (uint64, error) { return fs.fake, nil } })
}

func (fs *smallFS) free(t *testing.T) uint64 {
	t.Helper()
	if !fs.real {
		return fs.fake
	}
	n, err := statfsFree(fs.dir)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// fill writes a filler file until at most leave bytes are free.
func (fs *smallFS) fill(t *testing.T, leave uint64) string {
	t.Helper()
	name := filepath.Join(fs.dir, fmt.Sprintf("filler-%d", time.Now().UnixNano()))
	if !fs.real {
		fs.fake = leave
		return name
	}
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for fs.free(t) > leave {
		if _, err := f.Write(chunk[:min(uint64(len(chunk)), fs.free(t)-leave)]); err != nil {
			break // ENOSPC: full
		}
	}
	return name
}

// release removes a filler file (fallback: reports size free).
func (fs *smallFS) release(t *testing.T, name string, size uint64) {
	t.Helper()
	if !fs.real {
		fs.fake = size
		return
	}
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
}

func writeErrors(t *testing.T, db *DB, reason string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := db.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "cidproxy_store_write_errors_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no cidproxy_store_write_errors_total{reason=%q}", reason)
	return 0
}

// TestFullDiskRefusesWrites fills the store's file system (a 20 MiB
// tmpfs): writes then fail with ErrDiskFull before Badger sees them (on
// the old code Badger died with SIGBUS writing into a memory-mapped
// page), the metric counts them, reads and number lookups keep working,
// and once space is freed writes work again without reopening.
func TestFullDiskRefusesWrites(t *testing.T) {
	ctx := context.Background()
	fs := newSmallFS(t, 20<<20)
	const reserve = 4 << 20
	db, err := Open(smallConfig(fs.dir), slog.New(slog.DiscardHandler), fs.opts(WithFreeSpaceReserve(reserve))...)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	anna, err := db.PutContact(ctx, lookup.Contact{FirstName: "Anna", Business: "+49 30 1234567"})
	if err != nil {
		t.Fatal(err)
	}
	filler := fs.fill(t, 1<<20)
	t.Logf("free after filling: %d KiB", fs.free(t)>>10)

	// More than the space left: on the old code this ends in SIGBUS.
	remark := strings.Repeat("x", 1000)
	for i := 0; i < 1000; i++ {
		_, err = db.PutContact(ctx, lookup.Contact{FirstName: fmt.Sprint("Bulk", i), Business: fmt.Sprintf("+49 40 %07d", i), Remark: remark})
		if err != nil {
			break
		}
	}
	var dfe *DiskFullError
	if !errors.Is(err, ErrDiskFull) || !errors.As(err, &dfe) || dfe.Reserve != reserve {
		t.Fatalf("write on a full disk: %v, want ErrDiskFull", err)
	}
	if !strings.Contains(err.Error(), "writes are refused until space is freed") {
		t.Errorf("error text %q", err)
	}
	if _, err := db.ImportContacts(ctx, []lookup.Contact{{FirstName: "Imp", Business: "+49 89 1234567"}}, "", "", false); !errors.Is(err, ErrDiskFull) {
		t.Errorf("import on a full disk: %v, want ErrDiskFull", err)
	}
	if _, err := db.KV("t").Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Errorf("KV read on a full disk: %v", err)
	}
	if err := db.KV("t").Put(ctx, "k", []byte("v")); !errors.Is(err, ErrDiskFull) {
		t.Errorf("KV put on a full disk: %v, want ErrDiskFull", err)
	}
	if got, err := db.GetContact(ctx, anna.ID); err != nil || got.FirstName != "Anna" {
		t.Errorf("read on a full disk: %+v, %v", got, err)
	}
	mustLookup(t, db, "030 1234567", anna.ID)
	if n := writeErrors(t, db, "disk_full"); n < 3 {
		t.Errorf("cidproxy_store_write_errors_total{reason=disk_full} = %v, want >= 3", n)
	}

	fs.release(t, filler, 19<<20)
	bob, err := db.PutContact(ctx, lookup.Contact{FirstName: "Bob", Business: "+49 30 7654321"})
	if err != nil {
		t.Fatalf("write after space was freed: %v", err)
	}
	mustLookup(t, db, "030 7654321", bob.ID)
	if err := db.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	db2, err := Open(smallConfig(fs.dir), slog.New(slog.DiscardHandler), fs.opts()...)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db2.Close()
	if _, err := db2.GetContact(ctx, bob.ID); err != nil {
		t.Errorf("contact written after freeing space, after reopen: %v", err)
	}
}

// TestOpenOnNearlyFullDisk: a store whose file system is too full for
// Badger to replay its write-ahead log refuses to open with an error that
// says so; with a little more space it opens read-mostly (reads work,
// writes are refused) instead of crashing.
func TestOpenOnNearlyFullDisk(t *testing.T) {
	ctx := context.Background()
	fs := newSmallFS(t, 20<<20)
	reserve := WithFreeSpaceReserve(10 << 20)
	db, err := Open(smallConfig(fs.dir), slog.New(slog.DiscardHandler), fs.opts(reserve)...)
	if err != nil {
		t.Fatal(err)
	}
	anna, err := db.PutContact(ctx, lookup.Contact{FirstName: "Anna", Business: "+49 30 1234567"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	filler := fs.fill(t, 512<<10)
	_, err = Open(smallConfig(fs.dir), slog.New(slog.DiscardHandler), fs.opts(reserve)...)
	if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "opening needs at least") {
		t.Fatalf("open on a full disk: %v, want ErrDiskFull saying what it needs", err)
	}
	fs.release(t, filler, 19<<20)
	fs.fill(t, 8<<20) // above the 6 MiB Open needs, below the 10 MiB reserve
	db, err = Open(smallConfig(fs.dir), slog.New(slog.DiscardHandler), fs.opts(reserve)...)
	if err != nil {
		t.Fatalf("open on a nearly full disk: %v", err)
	}
	defer db.Close()
	if _, err := db.GetContact(ctx, anna.ID); err != nil {
		t.Errorf("read: %v", err)
	}
	mustLookup(t, db, "+4930 1234567", anna.ID)
	if _, err := db.PutContact(ctx, lookup.Contact{FirstName: "Bob"}); !errors.Is(err, ErrDiskFull) {
		t.Errorf("write below the reserve: %v, want ErrDiskFull", err)
	}
}

// TestOpenRemovesEmptyMemtable: a process killed right after creating a
// memtable write-ahead log leaves an empty .mem file; the old code then
// failed to open ("while opening fid: N: Create a new file").
func TestOpenRemovesEmptyMemtable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openTest(t, dir)
	c, err := db.PutContact(ctx, lookup.Contact{FirstName: "Anna", Business: "+49 30 1234567"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "00099.mem"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(testConfig(dir), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open with an empty .mem file: %v", err)
	}
	defer db2.Close()
	if _, err := db2.GetContact(ctx, c.ID); err != nil {
		t.Errorf("contact after reopen: %v", err)
	}
}

// TestOpenWaitsForLock: with WithLockWait, Open waits while another
// process holds the directory lock (flock, as Badger takes it) and opens
// once it is released; past the wait the error says who holds it and
// how long Open waited.
func TestOpenWaitsForLock(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "LOCK"), []byte("4242\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hold := func() *os.File {
		f, err := os.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := hold()
	_, err := Open(testConfig(dir), nil, WithLockWait(300*time.Millisecond))
	var le *LockedError
	if !errors.As(err, &le) || le.PID != "4242" || !strings.Contains(err.Error(), "after waiting 300ms") {
		t.Fatalf("open while locked: %v", err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		f.Close() // releases the flock
	}()
	db, err := Open(testConfig(dir), nil, WithLockWait(10*time.Second))
	if err != nil {
		t.Fatalf("open after the lock was released: %v", err)
	}
	db.Close()
}

// writerEnv names the data directory of runWriter, the child process of
// TestRestartAfterKill9.
const writerEnv = "CIDPROXY_TEST_STORE_WRITER"

// runWriter opens the store in dir and writes contacts until killed,
// printing "ready" after the first one.
func runWriter(dir string) {
	ctx := context.Background()
	db, err := Open(smallConfig(dir), nil)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		if _, err := db.PutContact(ctx, lookup.Contact{ID: fmt.Sprintf("c%07d", i), FirstName: "Writer", Business: fmt.Sprintf("+49 30 %07d", i)}); err != nil {
			fmt.Println("write:", err)
			os.Exit(1)
		}
		if i == 0 {
			fmt.Println("ready")
		}
	}
}

// TestRestartAfterKill9 kills a process in the middle of writing with
// SIGKILL and opens the store at once (as a restarting daemon does): Open
// waits for the dying process's lock and the contacts it wrote are there.
func TestRestartAfterKill9(t *testing.T) {
	dir := t.TempDir()
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), writerEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if strings.TrimSpace(line) != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("writer: %q", line)
		}
		time.Sleep(time.Duration(100+round*150) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		db, err := Open(smallConfig(dir), nil, WithLockWait(10*time.Second))
		cmd.Wait()
		if err != nil {
			t.Fatalf("round %d: open right after kill -9: %v", round, err)
		}
		if _, err := db.GetContact(context.Background(), "c0000000"); err != nil {
			t.Errorf("round %d: first contact of the killed writer: %v", round, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
