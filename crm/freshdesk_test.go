package crm

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"cidproxy/crm/builtin"
	"cidproxy/crm/crmtest"
)

const fdKey = "Fd4pIk3yAbCdEf123456"

func newFreshdesk(t *testing.T, key string) (*crmtest.Freshdesk, *Integration) {
	t.Helper()
	f := crmtest.NewFreshdesk(fdKey)
	t.Cleanup(f.Close)
	it := newIntegration(t, Config{Template: loadBuiltin(t, builtin.Freshdesk), HTTP: f.Client(),
		Fields: map[string]string{"domain": "acme", "api_key": key}})
	return f, it
}

func TestFreshdeskBasicAuthSearch(t *testing.T) {
	f, it := newFreshdesk(t, fdKey)
	f.AddContact(map[string]any{"id": 432, "name": "Rachel Green", "phone": "+4930222", "mobile": nil, "email": "rachel@example.com", "description": "VIP"})
	got, err := it.SearchContact(context.Background(), "+4930222")
	if err != nil {
		t.Fatal(err)
	}
	r := f.Requests()
	wantURL := "acme.freshdesk.com/api/v2/search/contacts?query=%22phone:%27%2B4930222%27%20OR%20mobile:%27%2B4930222%27%22"
	if len(r) != 1 || r[0].URL != wantURL {
		t.Fatalf("URL\n got %s\nwant %s", r[0].URL, wantURL)
	}
	if q := r[0].Query.Get("query"); q != `"phone:'+4930222' OR mobile:'+4930222'"` {
		t.Fatalf("decoded query %s", q)
	}
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(fdKey+":X"))
	if a := r[0].Header.Get("Authorization"); a != wantAuth {
		t.Fatalf("Authorization %q, want %q", a, wantAuth)
	}
	want := Contact{ID: "432", Type: "Contacts", FirstName: "Rachel Green", Email: "rachel@example.com", Business: "+4930222",
		Remark: "VIP", URL: "https://acme.freshdesk.com/a/contacts/432"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v", got)
	}
}

func TestFreshdeskWrongKeyNoRetry(t *testing.T) {
	f, it := newFreshdesk(t, "wrong-key-000")
	_, err := it.SearchContact(context.Background(), "1")
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 401 {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.Requests()); n != 1 {
		t.Fatalf("%d requests: basic auth cannot refresh, so no retry", n)
	}
}

func TestFreshdeskTicketLifecycle(t *testing.T) {
	f, it := newFreshdesk(t, fdKey)
	rec := answeredCall(nil)
	rec.Answer, rec.End = rec.Start, rec.Start // ticket at ring time
	id, err := it.CreateTicket(context.Background(), rec)
	if err != nil || id != "101" {
		t.Fatalf("ticket id %q, %v", id, err)
	}
	r := findReq(f.Requests(), "POST", "acme.freshdesk.com/api/v2/tickets")
	jsonEqual(t, r[0].Body, `{"subject":"Inbound Completed - from Ada Lovelace <+49301234567> to Desk 1 <201>",
		"description":"2026-11-23 11:00:00 Inbound Completed - from Ada Lovelace <+49301234567> to Desk 1 <201> 00:00:00",
		"phone":"+49301234567","name":"Ada Lovelace","status":2,"priority":1,"source":3}`)

	f.Reset()
	rec = answeredCall(nil)
	rec.TicketID = id
	if err := it.LogCall(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	if len(reqs) != 2 || reqs[0].Method != "PUT" || reqs[0].URL != "acme.freshdesk.com/api/v2/tickets/101" ||
		reqs[1].Method != "POST" || reqs[1].URL != "acme.freshdesk.com/api/v2/tickets/101/notes" {
		t.Fatalf("requests %+v", reqs)
	}
	desc := "2026-11-23 11:00:00 Incoming Call from Ada Lovelace <+49301234567> to Desk 1 <201> 00:01:00"
	jsonEqual(t, reqs[0].Body, `{"description":"2026-11-23 11:00:00 Inbound Completed - from Ada Lovelace <+49301234567> to Desk 1 <201> 00:01:00"}`)
	jsonEqual(t, reqs[1].Body, `{"body":"`+desc+` Recording: https://pbx.example.com/rec/1.wav","private":true}`)
	if n := f.Notes(101); len(n) != 1 {
		t.Fatalf("notes %v", n)
	}
	// Without a ticket the journal request renders an empty URL and is skipped.
	f.Reset()
	if err := it.LogCall(context.Background(), answeredCall(nil)); err != nil || len(f.Requests()) != 0 {
		t.Fatalf("err %v, requests %+v", err, f.Requests())
	}
}

func TestFreshdeskAgentsAndContactCreation(t *testing.T) {
	f, it := newFreshdesk(t, fdKey)
	f.AddAgent(map[string]any{"id": 9001, "available": true, "contact": map[string]any{"name": "Joey Tribbiani", "email": "joey@example.com"}})
	users, err := it.Users(context.Background())
	if err != nil || len(users) != 1 || users[0] != (User{ID: "9001", FirstName: "Joey Tribbiani", Email: "joey@example.com"}) {
		t.Fatalf("%+v %v", users, err)
	}
	c, err := it.CreateContact(context.Background(), NewContact{FirstName: "Monica", LastName: "Geller", Number: "+4930333"})
	if err != nil || c.ID != "101" || c.URL != "https://acme.freshdesk.com/a/contacts/101" {
		t.Fatalf("%+v %v", c, err)
	}
	r := findReq(f.Requests(), "POST", "acme.freshdesk.com/api/v2/contacts")
	jsonEqual(t, r[0].Body, `{"name":"Monica Geller","phone":"+4930333"}`)
}
