package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"cidproxy/config"
	"cidproxy/lookup"
	"cidproxy/store"
)

// TestDiskFullIs507: on a store whose file system has less free space
// than the reserve, writes answer 507 Insufficient Storage (without the
// server's paths), reads keep working.
func TestDiskFullIs507(t *testing.T) {
	ctx := context.Background()
	cfg := config.Store{Dir: t.TempDir()}
	db, err := store.Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := db.CreateToken(ctx, lookup.Viewer{Admin: true}, "t")
	if err != nil {
		t.Fatal(err)
	}
	anna, err := db.PutContact(ctx, lookup.Contact{FirstName: "Anna", Business: "+4930123456"})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = store.Open(cfg, nil, store.WithFreeSpaceReserve(1<<60)) // more than any disk has free
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := httptest.NewServer(New(db, Options{}).Handler())
	defer srv.Close()
	e := &env{t: t, srv: srv}
	for _, q := range []req{
		{method: "POST", path: "/api/v1/contacts", body: `{"first_name":"Bob"}`},
		{method: "PATCH", path: "/api/v1/contacts/" + anna.ID, body: `{"first_name":"Ann"}`},
		{method: "DELETE", path: "/api/v1/contacts/" + anna.ID},
		{method: "POST", path: "/api/v1/contacts/import", body: "first_name\nCarl\n", ctype: "text/csv"},
		{method: "POST", path: "/api/v1/phonebooks", body: `{"name":"x"}`},
	} {
		q.token = admin
		r := e.expect(q, http.StatusInsufficientStorage)
		if strings.Contains(string(r.Body), cfg.Dir) {
			t.Errorf("%s %s: 507 body reveals the data directory: %s", q.method, q.path, r.Body)
		}
	}
	e.expect(req{method: "GET", path: "/api/v1/contacts/" + anna.ID, token: admin}, http.StatusOK)
}
