package service

import (
	"context"
	"testing"
	"time"

	"cidproxy/config"
	"cidproxy/lookup"
)

// TestRefreshForgetsContactGoneFromCRM: a synced contact older than
// hit_ttl whose CRM record was deleted is removed when the background
// refresh finds no match, so it stops naming calls.
func TestRefreshForgetsContactGoneFromCRM(t *testing.T) {
	e := newEnv(t, func(c *config.Integration) { c.Lookup.HitTTL = config.Duration(time.Millisecond) })
	addZohoContact(e.z, "c-gone", "Gina", "Gone", "+49 30 5550999")
	r := e.resolver()
	ctx := context.Background()
	q := lookup.Query{Number: "+49305550999", Callee: "1001"}
	first, err := r.Lookup(ctx, q)
	if err != nil || first.Name != "Gina Gone" {
		t.Fatalf("first lookup %+v, %v", first, err)
	}
	if !e.z.DeleteRecord("Contacts", "c-gone") {
		t.Fatal("record not deleted")
	}
	time.Sleep(5 * time.Millisecond)
	if res, err := r.Lookup(ctx, q); err != nil || res.Name != "Gina Gone" {
		t.Fatalf("stale lookup %+v, %v: want the stored name at once", res, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := e.db.GetContact(ctx, first.ContactID); err != nil {
			if _, ok := e.svc.refs.get(first.ContactID); ok {
				t.Fatal("reference kept for a removed contact")
			}
			if res, err := r.Lookup(ctx, q); err == nil {
				t.Fatalf("removed contact still names the call: %+v", res)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the contact the CRM deleted is still in the phonebook")
}
