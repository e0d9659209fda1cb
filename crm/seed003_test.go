package crm

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"cidproxy/crm/crmtest"
	"cidproxy/crm/template"
	"cidproxy/internal/testsupport"
)

const seedAPIKey = "seed-api-key-SECRET-987"

// seedDesk fakes the helpdesk of seed 003's extended configurations.
func seedDesk(t *testing.T) *crmtest.Server {
	srv := crmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") != seedAPIKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.Host + r.URL.Path {
		case "desk.example.eu/api/v1/departments":
			fmt.Fprint(w, `{"data":[{"id":"dep-1","name":"Sales"},{"id":"dep-2","name":"Support"}]}`)
		case "desk.example.eu/api/v1/organizations":
			fmt.Fprint(w, `{"data":[{"id":"1","portalName":""},{"id":"2","portalName":"acmeportal"}]}`)
		case "acme.example.com/api/v2/users/search.json":
			fmt.Fprint(w, `{"users":[{"id":35436,"name":"Johnny Agent","phone":"+15551230000"},{"id":35437,"name":"Jane Roe","phone":null}],"count":2}`)
		case "acme.example.com/api/v2/users/35436/identities":
			fmt.Fprint(w, `{"identities":[{"type":"email","value":"johnny@example.com"},{"type":"phone_number","value":"+15551230000"},
				{"type":"phone_number","value":"+15551230001"},{"type":"phone_number","value":"+15551230002"}]}`)
		case "acme.example.com/api/v2/users/35437/identities":
			fmt.Fprint(w, `{"identities":[{"type":"phone_number","value":"+15559990000"},{"type":"phone_number","value":"+15559990001"}]}`)
		case "desk.acme.example/api/v1/tickets":
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id":"tk-555","subject":"x"}`)
		case "desk.acme.example/api/v1/tickets/tk-555/comments", "desk.acme.example/api/v1/calls":
			fmt.Fprint(w, `{"ok":true}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func seedIntegration(t *testing.T, srv *crmtest.Server) (*Integration, *testsupport.Buffer) {
	raw, err := os.ReadFile("testdata/seed.xml")
	if err != nil {
		t.Fatal(err)
	}
	logger, logs := newLogger()
	return newIntegration(t, Config{Template: mustParse(t, string(raw)), HTTP: srv.Client(), Logger: logger,
		Fields: map[string]string{"subdomain": "acme", "domain_suffix": "eu", "domain": "desk.acme.example", "api_key": seedAPIKey}}), logs
}

func TestSeedGetGlobalInfo(t *testing.T) {
	srv := seedDesk(t)
	it, _ := seedIntegration(t, srv)
	if err := it.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	g := it.Globals()
	if g["DepartmentId"] != "dep-1" || g["PortalName"] != "acmeportal" {
		t.Fatalf("globals %v", g)
	}
	r := srv.Requests()
	if len(r) != 2 || r[0].URL != "desk.example.eu/api/v1/departments" || r[1].URL != "desk.example.eu/api/v1/organizations" {
		t.Fatalf("requests %+v", r)
	}
}

func TestSeedNextChainBackfill(t *testing.T) {
	srv := seedDesk(t)
	it, _ := seedIntegration(t, srv)
	got, err := it.SearchContact(context.Background(), "+1 555 123")
	if err != nil {
		t.Fatal(err)
	}
	urls := []string{}
	for _, r := range srv.Requests() {
		urls = append(urls, r.URL)
		if r.Header.Get("X-Auth-Token") != seedAPIKey || r.Header.Get("Authorization") != "" {
			t.Errorf("%s: headers %v", r.URL, r.Header)
		}
	}
	wantURLs := []string{"acme.example.com/api/v2/users/search.json?query=%2B1%20555%20123",
		"acme.example.com/api/v2/users/35436/identities", "acme.example.com/api/v2/users/35437/identities"}
	if strings.Join(urls, "\n") != strings.Join(wantURLs, "\n") {
		t.Fatalf("URLs\n%s\nwant\n%s", strings.Join(urls, "\n"), strings.Join(wantURLs, "\n"))
	}
	want := []Contact{
		{ID: "35436", Type: "Users", FirstName: "Johnny Agent", Email: "johnny@example.com", Business: "+15551230000",
			Business2: "+15551230001", BusinessFax: "+15551230002", URL: "https://acme.example.com/agent/users/35436"},
		{ID: "35437", Type: "Users", FirstName: "Jane Roe", Business2: "+15559990001", URL: "https://acme.example.com/agent/users/35437"},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestSeedTicketIDFeedsLaterRequests(t *testing.T) {
	srv := seedDesk(t)
	it, logs := seedIntegration(t, srv)
	if err := it.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.Reset()
	rec := answeredCall(&Contact{ID: "35436", Type: "Users"})
	rec.CrmUserID = "agent-9"
	id, err := it.CreateTicket(context.Background(), rec)
	if err != nil || id != "tk-555" {
		t.Fatalf("%q %v", id, err)
	}
	rec.TicketID = id
	if err := it.LogCall(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()
	if len(r) != 3 || r[0].URL != "desk.acme.example/api/v1/tickets" || r[1].URL != "desk.acme.example/api/v1/tickets/tk-555/comments" ||
		r[2].URL != "desk.acme.example/api/v1/calls" {
		t.Fatalf("requests %+v", r)
	}
	desc := "2026-11-23 11:00:00 Inbound Completed - from Ada Lovelace <+49301234567> to Desk 1 <201> 00:01:00"
	jsonEqual(t, r[0].Body, `{"departmentId":"dep-1","subject":"Inbound Completed - from Ada Lovelace <+49301234567> to Desk 1 <201>",
		"contactId":"35436","phone":"+49301234567","description":"`+desc+`"}`)
	jsonEqual(t, r[1].Body, `{"isPublic":"false","contentType":"plainText","content":"`+desc+`"}`)
	// Every call-journal variable of the seed.
	jsonEqual(t, r[2].Body, `{"time":"2026-11-23 11:00:00","start":1795428000,"end":"1795428065","startMs":"1795428000000",
		"from":"Ada Lovelace <+49301234567>","to":"Desk 1 <201>","callerName":"Ada Lovelace","callerNumber":"+49301234567",
		"calleeName":"Desk 1","calleeNumber":"201","crmId":"agent-9","ext":"Grace Hopper <grace@example.com>",
		"contactType":"Users","contactNumber":"+49301234567","contactId":"35436","ticketId":"tk-555","callDuration":"65",
		"talk":"00:01:00","talkSec":60,"direction":"Inbound","status":"Completed","logStatus":"Incoming Call",
		"disposition":"ANSWERED","recording":"0","subject":"Extension Call",
		"description":"Call: 2026-11-23 11:00:00 Incoming Call from Ada Lovelace <+49301234567> to Desk 1 <201> 00:01:00",
		"utc":"`+utcStamp(t, it)+`"}`)
	if strings.Contains(logs.String(), seedAPIKey) {
		t.Fatal("API key in the logs")
	}
}

// utcStamp is what the template's TimeFormat gives for callStart with the
// seed's format string; its rule is tested in package template.
func utcStamp(t *testing.T, it *Integration) string {
	s, err := it.tpl.RenderString(`{{TimeFormat .StartTimeUnix "yyyy-MM-ddTHH:mm:ss.000Zz" "1"}}`, template.CtxPlain, template.Vars{"StartTimeUnix": "1795428000"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
