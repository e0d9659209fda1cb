package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"cidproxy/lookup"
)

// TestConcurrentReadersAndWriters resolves and searches while contacts,
// memberships and grants change (run with -race). Readers must only ever
// see a company name or not-found, never a contact of a phonebook the
// callee was never granted.
func TestConcurrentReadersAndWriters(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	db := f.db
	c := f.contact(t, lookup.Contact{Company: "Flapping", Business: "+49 30 1111111", Phonebooks: []string{f.sales.ID}})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				res, err := resolve(db, "030 1111111", "1002") // 1002 never sees Sales or Hidden
				if err == nil && res.Source == lookup.SourceCompany {
					errs <- fmt.Errorf("1002 saw %+v", res)
					return
				}
				if err != nil && !errors.Is(err, lookup.ErrNotFound) {
					errs <- err
					return
				}
				if _, _, err := db.SearchContacts(ctx, lookup.ContactQuery{Viewer: lookup.Viewer{Extension: "1001"}, Text: "flap"}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < 200; i++ {
		if i%2 == 0 {
			c.Phonebooks = []string{f.hidden.ID}
		} else {
			c.Phonebooks = []string{f.sales.ID}
		}
		var err error
		if c, err = db.PutContact(ctx, c); err != nil {
			t.Fatal(err)
		}
		f.sales.View = []string{"1001", "1003"}[:1+i%2]
		if _, err := db.PutPhonebook(ctx, f.sales); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
