package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"cidproxy/config"
	"cidproxy/lookup"
	"cidproxy/store/storetest"
)

// changesBench is a store of benchRows contacts imported into a
// phonebook, followed by benchChanges single writes; shared by
// BenchmarkChangesSince and BenchmarkSearchText and removed by TestMain.
var (
	changesOnce sync.Once
	changesDB   *DB
	changesErr  error
	changesDir  string
)

const benchChanges = 1000

func bigLimits() Option {
	return WithLimits(config.Limits{Tiers: []config.LimitTier{{CompanyContacts: 1_000_000, Phonebooks: 1000, PersonalContacts: 1000}}})
}

func changesStore(b *testing.B) *DB {
	b.Helper()
	changesOnce.Do(func() {
		ctx := context.Background()
		changesDir, changesErr = os.MkdirTemp("", "cidproxy-bench-changes-")
		if changesErr != nil {
			return
		}
		db, err := Open(testConfig(filepath.Join(changesDir, "data")), nil, bigLimits())
		if err != nil {
			changesErr = err
			return
		}
		changesDB = db
		if _, err := db.PutExtension(ctx, lookup.Extension{Number: "1001", Name: "Alice"}); err != nil {
			changesErr = err
			return
		}
		pb, err := db.PutPhonebook(ctx, lookup.Phonebook{Name: "Customers", View: []string{"1001"}})
		if err != nil {
			changesErr = err
			return
		}
		path := filepath.Join(changesDir, "contacts.csv")
		f, err := os.Create(path)
		if err == nil {
			err = storetest.WriteContactsCSV(f, benchRows, 1)
			_ = f.Close()
		}
		if err == nil {
			f, err = os.Open(path)
		}
		if err != nil {
			changesErr = err
			return
		}
		defer f.Close()
		if _, err := db.ImportCSVInto(ctx, f, "", pb.ID); err != nil {
			changesErr = err
			return
		}
		for i := 0; i < benchChanges; i++ {
			if _, err := db.PutContact(ctx, lookup.Contact{Company: fmt.Sprintf("Later %d", i), Business: fmt.Sprintf("+49 40 %07d", i), Phonebooks: []string{pb.ID}}); err != nil {
				changesErr = err
				return
			}
		}
	})
	if changesErr != nil {
		b.Fatal(changesErr)
	}
	return changesDB
}

func closeChangesStore() {
	if changesDB != nil {
		_ = changesDB.Close()
	}
	if changesDir != "" {
		os.RemoveAll(changesDir)
	}
}

// BenchmarkChangesSince reads the last 1,000 changes of a store with
// 500,000 contacts (and 500,000 import changes before them): what
// GET /api/v1/sync?since=REV costs in the store.
func BenchmarkChangesSince(b *testing.B) {
	db := changesStore(b)
	ctx := context.Background()
	since := db.Rev() - benchChanges
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		chs, _, err := db.Changes(ctx, since, benchChanges)
		if err != nil || len(chs) != benchChanges {
			b.Fatalf("%d changes, %v", len(chs), err)
		}
		b.ReportMetric(float64(time.Since(t0).Microseconds())/1000, "ms/call")
	}
}

// BenchmarkSearchText searches 500,000 contacts: by name (folded
// substring, a first page of 100 of many matches, and a rare match), and
// by a partial number.
func BenchmarkSearchText(b *testing.B) {
	db := changesStore(b)
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		q    lookup.ContactQuery
	}{
		{"name-admin", lookup.ContactQuery{Viewer: lookup.Viewer{Admin: true}, Text: "MULLER"}},
		{"name-extension", lookup.ContactQuery{Viewer: lookup.Viewer{Extension: "1001"}, Text: "jürgen"}},
		{"rare", lookup.ContactQuery{Viewer: lookup.Viewer{Admin: true}, Text: "later 999"}},
		{"number-digits", lookup.ContactQuery{Viewer: lookup.Viewer{Extension: "1001"}, Number: "30 1234"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				cs, _, err := db.SearchContacts(ctx, bc.q)
				if err != nil || len(cs) == 0 {
					b.Fatalf("%d found, %v", len(cs), err)
				}
				b.ReportMetric(float64(time.Since(t0).Microseconds())/1000, "ms/search")
			}
		})
	}
}
