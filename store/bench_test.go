package store

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"cidproxy/store/storetest"
)

const benchRows = 500_000

// bench500kDir is a store holding benchRows imported contacts, left by
// BenchmarkImportCSV500k for BenchmarkOpen500k; TestMain removes it.
var bench500kDir string

func TestMain(m *testing.M) {
	if dir := os.Getenv(writerEnv); dir != "" {
		runWriter(dir) // the child process of TestRestartAfterKill9; never returns
	}
	code := m.Run()
	closeChangesStore()
	if bench500kDir != "" {
		os.RemoveAll(filepath.Dir(bench500kDir))
	}
	os.Exit(code)
}

// procStatusMB reads a "VmRSS"/"VmHWM" line of /proc/self/status in MB (0
// where unavailable).
func procStatusMB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.Atoi(strings.Fields(rest)[0])
			return float64(kb) / 1024
		}
	}
	return 0
}

// resetPeakRSS restarts VmHWM (Linux clear_refs 5); errors are ignored.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func writeBenchCSV(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "contacts.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := storetest.WriteContactsCSV(f, benchRows, 1); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

func importInto(b *testing.B, dir, csvPath string, opts ...Option) {
	b.Helper()
	// 500,000 contacts need the 1,000+ extensions tier; lift the limit.
	db, err := Open(testConfig(dir), nil, append(opts, bigLimits())...)
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	n, err := db.ImportCSV(context.Background(), f, "")
	if err != nil || n != benchRows {
		b.Fatalf("import: %d %v", n, err)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkImportCSV500k imports 500,000 generated contacts (11 columns,
// 2-3 numbers each) into a fresh store: Open, ImportCSV, Close; "indexed"
// as the daemon does (the index is updated), "cli" as "cidproxy contacts
// import" does (WithoutContactIndex). It reports seconds per import and the
// peak RSS of the process during it.
func BenchmarkImportCSV500k(b *testing.B) {
	csvPath := writeBenchCSV(b)
	for _, bc := range []struct {
		name string
		opts []Option
	}{{"cli", []Option{WithoutContactIndex()}}, {"indexed", nil}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var dir string
			for i := 0; b.Loop(); i++ {
				runtime.GC()
				resetPeakRSS()
				dir = filepath.Join(b.TempDir(), "data"+strconv.Itoa(i))
				t0 := time.Now()
				importInto(b, dir, csvPath, bc.opts...)
				b.ReportMetric(time.Since(t0).Seconds(), "s/import")
				b.ReportMetric(procStatusMB("VmHWM"), "peak-RSS-MB")
			}
			keep, err := os.MkdirTemp("", "cidproxy-bench-")
			if err == nil && os.Rename(dir, filepath.Join(keep, "data")) == nil {
				if bench500kDir != "" {
					os.RemoveAll(filepath.Dir(bench500kDir))
				}
				bench500kDir = filepath.Join(keep, "data")
			}
		})
	}
}

// BenchmarkOpen500k opens a store of 500,000 contacts: Badger open plus
// the index rebuild (the start-up cost; s/search-ready adds the background
// load of the full search texts), and reports the heap and RSS
// with the index loaded. CIDPROXY_BENCH_STORE names an existing store
// (e.g. filled by "cidproxy contacts import") to skip the import.
func BenchmarkOpen500k(b *testing.B) {
	dir := bench500kDir
	if env := os.Getenv("CIDPROXY_BENCH_STORE"); env != "" {
		dir = env // an existing store of benchRows contacts
	} else if dir == "" {
		dir = filepath.Join(b.TempDir(), "data")
		importInto(b, dir, writeBenchCSV(b))
	}
	b.ReportAllocs()
	for b.Loop() {
		runtime.GC()
		t0 := time.Now()
		db, err := Open(testConfig(dir), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t0).Seconds(), "s/open")
		if db.Index().Contacts() != benchRows {
			b.Fatalf("%d contacts indexed", db.Index().Contacts())
		}
		<-db.SearchReady()
		b.ReportMetric(time.Since(t0).Seconds(), "s/search-ready")
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
		b.ReportMetric(procStatusMB("VmRSS"), "RSS-MB")
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
