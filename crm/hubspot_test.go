package crm

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"cidproxy/crm/builtin"
	"cidproxy/crm/crmtest"
	"cidproxy/internal/testsupport"
)

const hubToken = "pat-eu1-11111111-2222-3333-4444-555555555555"

func newHubSpot(t *testing.T, maxConc int) (*crmtest.HubSpot, *Integration, *testsupport.Buffer) {
	t.Helper()
	h := crmtest.NewHubSpot("hub-client", "hub-secret")
	t.Cleanup(h.Close)
	h.OAuth.AddAccessToken(hubToken, 3600e9)
	tpl := loadBuiltin(t, builtin.HubSpot)
	if maxConc > 0 {
		tpl.MaxConcurrentRequest = strconv.Itoa(maxConc)
	}
	logger, logs := newLogger()
	it := newIntegration(t, Config{Template: tpl, Fields: map[string]string{"access_token": hubToken}, HTTP: h.Client(), Logger: logger})
	return h, it, logs
}

func TestHubSpotPrivateAppSearch(t *testing.T) {
	h, it, _ := newHubSpot(t, 0)
	if err := it.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.AddContact("501", map[string]any{"firstname": "Maria", "lastname": "Johnson", "phone": "+4930111", "email": "maria@example.com", "company": "HubSpot"})
	h.AddContact("502", map[string]any{"firstname": "Brian", "lastname": "Halligan", "mobilephone": "+4930111"})
	h.AddContact("503", map[string]any{"firstname": "Other", "phone": "+4930999"})
	h.Reset()
	got, err := it.SearchContact(context.Background(), "+4930111")
	if err != nil {
		t.Fatal(err)
	}
	r := h.Requests()
	if len(r) != 1 || r[0].Method != "POST" || r[0].URL != "api.hubapi.com/crm/v3/objects/contacts/search" {
		t.Fatalf("requests %+v", r)
	}
	if a := r[0].Header.Get("Authorization"); a != "Bearer "+hubToken {
		t.Fatalf("Authorization %q", a)
	}
	if ct := r[0].Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	jsonEqual(t, r[0].Body, `{"filterGroups":[{"filters":[{"propertyName":"phone","operator":"EQ","value":"+4930111"}]},
		{"filters":[{"propertyName":"mobilephone","operator":"EQ","value":"+4930111"}]}],
		"properties":["firstname","lastname","company","email","phone","mobilephone","fax","address","city","state","zip","country"],"limit":20}`)
	base := "https://app.hubspot.com/contacts/" + strconv.Itoa(crmtest.HubSpotPortalID) + "/record/0-1/"
	want := []Contact{
		{ID: "501", Type: "Contacts", FirstName: "Maria", LastName: "Johnson", Company: "HubSpot", Email: "maria@example.com", Business: "+4930111", URL: base + "501"},
		{ID: "502", Type: "Contacts", FirstName: "Brian", LastName: "Halligan", Mobile: "+4930111", URL: base + "502"},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %+v", got)
	}
}

func TestHubSpotNoMatchAndCallEngagement(t *testing.T) {
	h, it, _ := newHubSpot(t, 0)
	got, err := it.SearchContact(context.Background(), "+1555")
	if err != nil || len(got) != 0 {
		t.Fatalf("%v %v", got, err)
	}
	it.settings.Associations = map[string]string{"201": "77"}
	h.Reset()
	rec := answeredCall(&Contact{ID: "501", Type: "Contacts"})
	if err := it.LogCall(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	r := findReq(h.Requests(), "POST", "api.hubapi.com/crm/v3/objects/calls")
	if len(r) != 1 {
		t.Fatalf("%+v", h.Requests())
	}
	jsonEqual(t, r[0].Body, `{"properties":{"hs_timestamp":"1795428000000","hs_call_title":"Inbound call Completed",
		"hs_call_body":"2026-11-23 11:00:00 Inbound Completed - from Ada Lovelace <+49301234567> to Desk 1 <201> 00:01:00",
		"hs_call_duration":"60000","hs_call_from_number":"+49301234567","hs_call_to_number":"201",
		"hs_call_direction":"INBOUND","hs_call_status":"COMPLETED","hubspot_owner_id":"77",
		"hs_call_recording_url":"https://pbx.example.com/rec/1.wav"},
		"associations":[{"to":{"id":"501"},"types":[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":194}]}]}`)
	// A missed call from an unknown number: no association, NO_ANSWER.
	h.Reset()
	rec = answeredCall(nil)
	rec.Answer, rec.RecordPath, rec.RecordingEnabled = time.Time{}, "", false
	if err := it.LogCall(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	r = findReq(h.Requests(), "POST", "api.hubapi.com/crm/v3/objects/calls")
	if !contains(string(r[0].Body), `"associations":[]`) || !contains(string(r[0].Body), `"NO_ANSWER"`) {
		t.Fatalf("missed call body %s", r[0].Body)
	}
}

func TestHubSpotCreateContactAndOwners(t *testing.T) {
	h, it, _ := newHubSpot(t, 0)
	h.AddOwner(map[string]any{"id": "77", "email": "grace@example.com", "firstName": "Grace", "lastName": "Hopper", "userId": 9, "archived": false})
	users, err := it.Users(context.Background())
	if err != nil || len(users) != 1 || users[0] != (User{"77", "Grace", "Hopper", "grace@example.com"}) {
		t.Fatalf("%+v %v", users, err)
	}
	c, err := it.CreateContact(context.Background(), NewContact{FirstName: "New", LastName: "Caller", Number: "+4930777"})
	if err != nil || c.ID != "5001" {
		t.Fatalf("%+v %v", c, err)
	}
	r := findReq(h.Requests(), "POST", "api.hubapi.com/crm/v3/objects/contacts")
	jsonEqual(t, r[0].Body, `{"properties":{"firstname":"New","lastname":"Caller","phone":"+4930777"}}`)
}

func TestHubSpotConcurrencyNeverAboveLimit(t *testing.T) {
	h, it, _ := newHubSpot(t, 4)
	for i := 0; i < 50; i++ {
		h.AddContact(strconv.Itoa(600+i), map[string]any{"firstname": "Maria", "phone": fmt.Sprintf("+4930111%02d", i)})
	}
	h.SetDelay(5 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Go(func() {
			// Distinct numbers: identical concurrent searches are coalesced.
			if c, err := it.SearchContact(context.Background(), fmt.Sprintf("+4930111%02d", i)); err != nil || len(c) != 1 {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("search failed: %v", err)
	}
	if m := h.MaxInFlight(); m > 4 || m < 2 {
		t.Fatalf("max in flight %d, want <= 4 (MaxConcurrentRequest)", m)
	}
	if n := len(h.Requests()); n != 50 {
		t.Fatalf("%d requests", n)
	}
}

func TestHubSpotOAuth(t *testing.T) {
	h := crmtest.NewHubSpot("hub-client", "hub-secret")
	t.Cleanup(h.Close)
	it := newIntegration(t, Config{Template: loadBuiltin(t, builtin.HubSpotOAuth), HTTP: h.Client(), KV: NewMemKV(), Sealer: testSealer(t),
		Fields: map[string]string{"client_id": "hub-client", "client_secret": "hub-secret"}})
	u, _ := url.Parse(authorize(t, it, h.Server))
	if u.Host != "app.hubspot.com" || u.Query().Get("scope") != "crm.objects.contacts.read crm.objects.contacts.write crm.objects.owners.read" {
		t.Fatalf("auth URL %s", u)
	}
	h.AddContact("9", map[string]any{"firstname": "O", "phone": "1"})
	h.OAuth.ExpireAll() // 401 EXPIRED_AUTHENTICATION -> refresh -> retry
	c, err := it.SearchContact(context.Background(), "1")
	if err != nil || len(c) != 1 || h.OAuth.Refreshes != 1 {
		t.Fatalf("%v %v refreshes=%d", c, err, h.OAuth.Refreshes)
	}
	tok := findReq(h.Requests(), "POST", "api.hubapi.com/oauth/v1/token")
	if len(tok) != 2 {
		t.Fatalf("%d token requests", len(tok))
	}
	form, _ := url.ParseQuery(string(tok[1].Body))
	if form.Get("grant_type") != "refresh_token" || form.Get("client_id") != "hub-client" || form.Get("client_secret") != "hub-secret" {
		t.Fatalf("refresh form %v", form)
	}
}

func TestIdenticalSearchesCoalesced(t *testing.T) {
	h, it, _ := newHubSpot(t, 4)
	h.AddContact("501", map[string]any{"firstname": "Maria", "phone": "+4930111"})
	h.SetDelay(50 * time.Millisecond)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Go(func() {
			if c, err := it.SearchContact(context.Background(), "+4930111"); err != nil || len(c) != 1 {
				t.Errorf("%v %v", c, err)
			}
		})
	}
	wg.Wait()
	if n := len(h.Requests()); n > 2 {
		t.Fatalf("%d requests for 20 identical concurrent searches", n)
	}
}
