package sqlsync

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"cidproxy/config"
)

// xorSealer is a stand-in for crm.Sealer: reversible, and the plain text
// does not survive it.
type xorSealer struct{}

func (xorSealer) Seal(p []byte, _ string) ([]byte, error) {
	return bytes.Map(func(r rune) rune { return r ^ 0x55 }, p), nil
}
func (xorSealer) Open(p []byte, _ string) ([]byte, error) {
	return bytes.Map(func(r rune) rune { return r ^ 0x55 }, p), nil
}

// TestManagedSources: a source put through the API syncs, survives a new
// Syncer (restart) with its DSN sealed at rest, keeps its DSN when a PUT
// leaves it out, and its deletion removes its contacts; sources of the
// file cannot be changed, a literal DSN without a key is refused.
func TestManagedSources(t *testing.T) {
	ctx := context.Background()
	d := newTestDB(t, servers[0].driver, servers[0].dsn)
	d.insert(t, 1, "Ann", "", "", "+49 30 1111111", "", "")
	db := openStore(t)
	file := d.source("file")
	s, err := New(db, config.SQL{Sources: []config.SQLSource{file}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	api := d.source("api")
	if _, err := s.Put(ctx, api); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "${env:NAME} or ${file:PATH}") {
		t.Errorf("literal DSN without a key: %v", err)
	}
	if _, err := s.Put(ctx, file); !errors.Is(err, ErrConfigured) {
		t.Errorf("PUT over a file source: %v", err)
	}
	bad := api
	bad.Filter = "select * from x.y"
	if _, err := s.Put(ctx, bad); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "filter") {
		t.Errorf("bad filter: %v", err)
	}
	s.Close()

	s = newSyncer(t, db, nil, file)
	s.sealer = xorSealer{}
	if created, err := s.Put(ctx, api); err != nil || !created {
		t.Fatalf("Put = %v %v", created, err)
	}
	if r := syncNow(t, s, "api"); r.Added != 1 {
		t.Fatalf("sync of the managed source: %+v", r)
	}
	raw, _ := db.KV(kvNamespace).Get(ctx, sourceKey("api"))
	if bytes.Contains(raw, []byte(d.dsn)) {
		t.Errorf("the DSN is stored in clear: %s", raw)
	}
	s.Close()

	s2, err := New(db, config.SQL{Sources: []config.SQLSource{file}}, nil, nil, WithSealer(xorSealer{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s2.Close)
	st, err := s2.Source("api")
	if err != nil || st.Managed != "api" || len(st.Runs) != 1 {
		t.Fatalf("after restart: %+v %v", st, err)
	}
	noDSN := api
	noDSN.DSN, noDSN.RemoveMissing = "", true
	if created, err := s2.Put(ctx, noDSN); err != nil || created {
		t.Fatalf("replace without DSN: %v %v", created, err)
	}
	if r := syncNow(t, s2, "api"); r.Outcome != OutcomeSuccess || r.Unchanged != 1 {
		t.Errorf("sync with the kept DSN: %+v", r)
	}
	if err := s2.Delete(ctx, "file"); !errors.Is(err, ErrConfigured) {
		t.Errorf("delete of a file source: %v", err)
	}
	if err := s2.Delete(ctx, "api"); err != nil {
		t.Fatal(err)
	}
	if nameOf(db, "+49301111111") != "" {
		t.Error("the deleted source's contact is still there")
	}
	if _, err := s2.Source("api"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted source: %v", err)
	}
	if keys, _ := db.KV(kvNamespace).List(ctx, "api/"); len(keys) != 0 {
		t.Errorf("records left: %v", keys)
	}
}
