package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"cidproxy/lookup"
	"cidproxy/store/storetest"
)

// The crash tests run an import in a child process (this test binary,
// selected by crashChildEnv) and kill it with SIGKILL: at an injected
// point of the commit, or after a delay. The parent then opens the store
// and checks that none or all of the import is visible, and that the
// index, the contact count and the stored records agree.
const crashChildEnv = "CIDPROXY_BULK_CRASH_CHILD"

const crashRows = 20_000

func init() {
	if spec := os.Getenv(crashChildEnv); spec != "" {
		os.Exit(crashChild(spec))
	}
}

// crashChild runs "DIR,PATH,POINT,N": import crashRows contacts into the
// store in DIR through PATH ("api": ImportContacts, "csv": ImportCSV) and
// SIGKILL itself at the Nth call of crash point POINT ("none": never).
func crashChild(spec string) int {
	f := strings.Split(spec, ",")
	dir, path, point := f[0], f[1], f[2]
	nth, _ := strconv.Atoi(f[3])
	calls := 0
	testCrash = func(p string) {
		if p != point {
			return
		}
		if calls++; calls < nth {
			return
		}
		time.Sleep(300 * time.Millisecond) // let Badger's background commits land
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
	db, err := Open(testConfig(dir), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	fmt.Println("importing")
	ctx := context.Background()
	if path == "csv" {
		var buf bytes.Buffer
		_ = storetest.WriteContactsCSV(&buf, crashRows, 1)
		_, err = db.ImportCSV(ctx, &buf, "")
	} else {
		_, err = db.ImportContacts(ctx, crashContacts(), "", "", false)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 4
	}
	_ = db.Close()
	return 0
}

func crashContacts() []lookup.Contact {
	cs := make([]lookup.Contact, crashRows)
	for i := range cs {
		cs[i] = lookup.Contact{FirstName: "Crash", LastName: strconv.Itoa(i), Business: storetest.Number(i)}
	}
	return cs
}

// runCrashChild runs the child and returns once it exited (killed or not).
func runCrashChild(t *testing.T, dir, path, point string, nth int, killAfter time.Duration) (killed bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%s,%s,%d", crashChildEnv, dir, path, point, nth))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if killAfter > 0 {
		timer := time.AfterFunc(killAfter, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		defer timer.Stop()
	}
	err := cmd.Wait()
	if err == nil {
		return false
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
	}
	t.Fatalf("child: %v: %s", err, stderr.String())
	return false
}

// rawContactKeys counts v1/c/ keys with Badger alone (before Open can
// finish an interrupted write), to show what the crash left behind.
func rawContactKeys(t *testing.T, dir string) int {
	t.Helper()
	bdb, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	n := 0
	_ = bdb.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Prefix = []byte(prefixContact)
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n
}

// checkAllOrNothing opens the store and returns how many contacts it has,
// failing unless that is 0 or crashRows and the index, the count and the
// projections agree with the records, and no staging file is left.
func checkAllOrNothing(t *testing.T, dir string) int {
	t.Helper()
	db := openTest(t, dir)
	n, err := db.count(prefixContact)
	if err != nil {
		t.Fatal(err)
	}
	proj, _ := db.count(prefixProj)
	_, counted, _ := db.Limits()
	if n != 0 && n != crashRows {
		t.Errorf("after the crash: %d of %d contacts stored", n, crashRows)
	}
	if proj != n || counted != n || db.Index().Contacts() != n {
		t.Errorf("records %d, projections %d, count %d, index %d: they must agree", n, proj, counted, db.Index().Contacts())
	}
	for _, i := range []int{0, crashRows / 2, crashRows - 1} {
		_, err := db.Index().LookupNumber(storetest.Number(i))
		if (err == nil) != (n > 0) {
			t.Errorf("lookup of row %d with %d contacts stored: %v", i, n, err)
		}
	}
	if left, _ := os.ReadDir(db.stagingDir()); len(left) != 0 {
		t.Errorf("staging files left: %v", left)
	}
	if _, err := db.getRaw([]byte(keyBulk)); err == nil {
		t.Error("bulk marker left after Open")
	}
	_ = db.Close()
	return n
}

// TestBulkCrashAtEachPoint kills the importing process at each point of a
// bulk commit: before the marker nothing is visible, after it everything
// (Open finishes the write), including mid-way through the Badger writes.
func TestBulkCrashAtEachPoint(t *testing.T) {
	cases := []struct {
		path, point string
		nth, want   int
	}{
		{"api", "staged", 1, 0},
		{"api", "marked", 1, crashRows},
		{"api", "applying", crashRows / 2048, crashRows}, // half-way
		{"csv", "applying", crashRows / 2048, crashRows},
		{"api", "applied", 1, crashRows},
	}
	for _, tc := range cases {
		t.Run(tc.path+"-"+tc.point, func(t *testing.T) {
			dir := t.TempDir()
			if !runCrashChild(t, dir, tc.path, tc.point, tc.nth, 0) {
				t.Fatal("the child was not killed")
			}
			if tc.point == "applying" {
				// The crash really left a partial write behind.
				if raw := rawContactKeys(t, dir); raw == 0 || raw >= crashRows {
					t.Errorf("raw contacts after a crash mid-write: %d, want some but not all", raw)
				}
			}
			if got := checkAllOrNothing(t, dir); got != tc.want {
				t.Errorf("contacts after reopening: %d, want %d", got, tc.want)
			}
		})
	}
}

// TestBulkCrashKilledAnytime kills the import after a range of delays
// (not at a chosen point, like kill -9 from outside): every outcome is
// none or all.
func TestBulkCrashKilledAnytime(t *testing.T) {
	start := time.Now()
	dir := t.TempDir()
	if runCrashChild(t, dir, "api", "none", 0, 0) {
		t.Fatal("the child was killed without a kill")
	}
	full := time.Since(start)
	if got := checkAllOrNothing(t, dir); got != crashRows {
		t.Fatalf("uninterrupted import: %d contacts", got)
	}
	for _, frac := range []float64{0.1, 0.25, 0.5, 0.75} {
		dir := t.TempDir()
		killed := runCrashChild(t, dir, "api", "none", 0, time.Duration(frac*float64(full)))
		got := checkAllOrNothing(t, dir)
		t.Logf("killed at %.0f%% of %v: %v, %d contacts", frac*100, full, killed, got)
	}
}
