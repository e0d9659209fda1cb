package lookup

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

const (
	benchPhonebooks = 500
	benchExtensions = 1000
	benchPersonal   = 500 // per extension
)

var (
	calleeOnce sync.Once
	calleeIx   *Index
)

func benchExt(e int) string { return fmt.Sprintf("%d", 2000+e) }

// benchPersonalNumber is personal contact j of extension e.
func benchPersonalNumber(e, j int) string { return fmt.Sprintf("+49172%03d%04d", e%1000, j) }

// calleeIndex is benchIndex's 500,000 contacts (each in phonebook i%500
// and in (i/500)%500), 500 phonebooks, 1,000 extensions (extension e views
// phonebooks e%500 and (e+250)%500) and 500 personal contacts per
// extension.
func calleeIndex(b *testing.B) *Index {
	b.Helper()
	calleeOnce.Do(func() {
		ix := NewIndex(mustNormalizer(b, "DE"), 0)
		for p := 0; p < benchPhonebooks; p++ {
			var view []string
			for e := 0; e < benchExtensions; e++ {
				if e%benchPhonebooks == p || (e+250)%benchPhonebooks == p {
					view = append(view, benchExt(e))
				}
			}
			ix.PutPhonebook(PhonebookEntry{ID: fmt.Sprintf("pb%03d", p), Name: fmt.Sprintf("Book %d", p), View: view})
		}
		for e := 0; e < benchExtensions; e++ {
			ix.PutExtension(benchExt(e), fmt.Sprintf("Ext %d", e))
			for j := 0; j < benchPersonal; j++ {
				ix.PutPersonal(benchExt(e), IndexEntry{ID: fmt.Sprintf("p%04d%04d", e, j), Name: "Personal", Keys: []string{benchPersonalNumber(e, j)}})
			}
		}
		es := benchEntries(benchContacts)
		ix.Reserve(len(es), 2*len(es))
		for i, e := range es {
			e.Phonebooks = []string{fmt.Sprintf("pb%03d", i%benchPhonebooks), fmt.Sprintf("pb%03d", (i/benchPhonebooks)%benchPhonebooks)}
			ix.PutContact(e)
		}
		for i := 0; i < benchRules; i++ {
			_ = ix.PutRule(PrefixRule{ID: fmt.Sprintf("r%05d", i), Prefix: fmt.Sprintf("+4989%05d", i), Name: "Rule"})
		}
		calleeIx = ix
	})
	return calleeIx
}

// BenchmarkResolvePerCallee resolves callers for a callee through the
// per-callee chain: a company contact visible through a phonebook, a
// personal contact, another extension, and a company contact the callee
// may not see (falls through to "not found"). It reports p50/p99 of single
// resolutions (clock overhead included) and allocations.
func BenchmarkResolvePerCallee(b *testing.B) {
	ix := calleeIndex(b)
	r := ix.Resolver(false)
	type q struct{ number, callee, source string }
	var company, personal, extension, hidden []q
	for i := 0; i < 4096; i++ {
		c := i * 97 % benchContacts
		e := c % benchPhonebooks // views phonebook c%500
		company = append(company, q{benchNumber(c), benchExt(e), SourceCompany})
		pe := i % benchExtensions
		personal = append(personal, q{benchPersonalNumber(pe, i%benchPersonal), benchExt(pe), SourcePersonal})
		extension = append(extension, q{benchExt((i + 1) % benchExtensions), benchExt(i % benchExtensions), SourceExtension})
		// Extension e views e%500 and (e+250)%500; pick one that sees
		// neither of c's phonebooks.
		for he := (c + 125) % benchPhonebooks; ; he = (he + 1) % benchPhonebooks {
			if views := []int{he, (he + 250) % benchPhonebooks}; !slices.Contains(views, c%benchPhonebooks) && !slices.Contains(views, (c/benchPhonebooks)%benchPhonebooks) {
				hidden = append(hidden, q{benchNumber(c), benchExt(he), ""})
				break
			}
		}
	}
	for _, bc := range []struct {
		name string
		qs   []q
	}{{"company", company}, {"personal", personal}, {"extension", extension}, {"hidden", hidden}} {
		b.Run(bc.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, 1<<16)
			b.ReportAllocs()
			i := 0
			ctx := context.Background()
			for b.Loop() {
				in := bc.qs[i%len(bc.qs)]
				t0 := time.Now()
				res, err := r.Lookup(ctx, Query{Number: in.number, Callee: in.callee})
				d := time.Since(t0)
				if in.source != "" && (err != nil || res.Source != in.source) || in.source == "" && err != ErrNotFound {
					b.Fatalf("%+v: %+v %v", in, res, err)
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
		})
	}
	runtime.KeepAlive(ix)
}
