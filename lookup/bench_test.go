package lookup

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

const (
	benchContacts = 500_000
	benchRules    = 10_000
)

var (
	benchOnce sync.Once
	benchIx   *Index
)

// benchNumber is the i-th contact number: Berlin-style "+4930" numbers,
// spread so prefixes and tails vary.
func benchNumber(i int) string { return fmt.Sprintf("+4930%08d", i*7919%100_000_000) }

// benchEntries generates n contacts with two numbers each (business and
// mobile), already normalised like the store keeps them.
func benchEntries(n int) []IndexEntry {
	es := make([]IndexEntry, n)
	for i := range es {
		es[i] = IndexEntry{
			ID:   fmt.Sprintf("c%07d", i),
			Name: fmt.Sprintf("First%d Last%d", i%5000, i),
			Keys: []string{benchNumber(i), fmt.Sprintf("+49171%07d", i)},
		}
	}
	return es
}

func benchIndex(b *testing.B) *Index {
	b.Helper()
	benchOnce.Do(func() {
		z := mustNormalizer(b, "DE")
		ix := NewIndex(z, 0)
		for _, e := range benchEntries(benchContacts) {
			ix.PutContact(e)
		}
		for i := 0; i < benchRules; i++ {
			if err := ix.PutRule(PrefixRule{ID: fmt.Sprintf("r%05d", i), Prefix: fmt.Sprintf("+4989%05d", i), Name: fmt.Sprintf("Rule %d", i)}); err != nil {
				b.Fatal(err)
			}
		}
		benchIx = ix
	})
	return benchIx
}

// runLookups looks up inputs round-robin, reports allocations and the p50
// and p99 of single lookups (clock overhead included).
func runLookups(b *testing.B, ix *Index, inputs []string, wantErr bool) {
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		in := inputs[i%len(inputs)]
		t0 := time.Now()
		_, err := ix.LookupNumber(in)
		d := time.Since(t0)
		if (err != nil) != wantErr {
			b.Fatalf("%q: %v", in, err)
		}
		if len(lat) < cap(lat) {
			lat = append(lat, d)
		} else {
			lat[i%len(lat)] = d
		}
		i++
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	}
}

func BenchmarkLookupHit(b *testing.B) {
	ix := benchIndex(b)
	var e164, national []string
	for i := 0; i < 4096; i++ {
		n := benchNumber(i * 97 % benchContacts)
		e164 = append(e164, n)
		national = append(national, "0"+n[3:])
	}
	b.Run("e164", func(b *testing.B) { runLookups(b, ix, e164, false) })
	b.Run("national", func(b *testing.B) { runLookups(b, ix, national, false) })
}

func BenchmarkLookupMiss(b *testing.B) {
	ix := benchIndex(b)
	var in []string
	for i := 0; i < 4096; i++ {
		in = append(in, fmt.Sprintf("+4940%08d", i))
	}
	runLookups(b, ix, in, true)
}

func BenchmarkLookupPrefix(b *testing.B) {
	ix := benchIndex(b)
	var in []string
	for i := 0; i < 4096; i++ {
		in = append(in, fmt.Sprintf("+4989%05d%03d", i*7%benchRules, i%1000))
	}
	runLookups(b, ix, in, false)
}

// BenchmarkIndexBuild builds the index from 500k pre-normalised entries
// (the in-memory part of a start; the store's benchmark adds Badger).
func BenchmarkIndexBuild(b *testing.B) {
	z := mustNormalizer(b, "DE")
	es := benchEntries(benchContacts)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		ix := NewIndex(z, 0)
		ix.Reserve(len(es), 2*len(es))
		for _, e := range es {
			ix.PutContact(e)
		}
		b.StopTimer()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
		runtime.KeepAlive(ix)
		b.StartTimer()
	}
}
