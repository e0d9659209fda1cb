package sqlsync

import (
	"context"
	"testing"
)

// fakeLeaser grants or refuses every lease and records the names asked.
type fakeLeaser struct {
	grant bool
	names []string
}

func (f *fakeLeaser) Do(ctx context.Context, name string, fn func(context.Context)) (bool, error) {
	f.names = append(f.names, name)
	if !f.grant {
		return false, nil
	}
	fn(ctx)
	return true, nil
}

// TestScheduledSyncTakesLease: with a Leaser, a scheduled run happens only
// on the node that gets lease sqlsync.SOURCE; Sync Now is not leased.
func TestScheduledSyncTakesLease(t *testing.T) {
	eachServer(t, func(t *testing.T, d *testDB) {
		db := openStore(t)
		d.insert(t, 1, "Ann", "Alt", "", "+49 30 1111111", "", "")
		s := newSyncer(t, db, nil, d.source("erp"))
		l := &fakeLeaser{}
		s.SetLeaser(l)
		src, err := s.lookup("erp")
		if err != nil {
			t.Fatal(err)
		}
		s.scheduled(src)
		if st, _ := s.Source("erp"); len(st.Runs) != 0 || len(l.names) != 1 || l.names[0] != "sqlsync.erp" {
			t.Fatalf("lease refused: runs %d, leases asked %v", len(st.Runs), l.names)
		}
		l.grant = true
		s.scheduled(src)
		st, _ := s.Source("erp")
		if len(st.Runs) != 1 || st.Runs[0].Trigger != "schedule" || st.Runs[0].Added != 1 {
			t.Fatalf("lease granted: runs %+v", st.Runs)
		}
		syncNow(t, s, "erp")
		if len(l.names) != 2 {
			t.Fatalf("Sync Now asked for a lease: %v", l.names)
		}
	})
}
