package crm

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"cidproxy/crm/crmtest"
)

var callStart = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func answeredCall(c *Contact) CallRecord {
	return CallRecord{
		Start: callStart, Answer: callStart.Add(5 * time.Second), End: callStart.Add(65 * time.Second),
		Direction: DirectionInbound, CallerName: "Ada Lovelace", CallerNumber: "+49301234567",
		CalleeName: "Desk 1", CalleeNumber: "201",
		Extension: Extension{Number: "201", FirstName: "Grace", LastName: "Hopper", Email: "grace@example.com"},
		Contact:   c, RecordingEnabled: true, RecordPath: "https://pbx.example.com/rec/1.wav",
	}
}

func TestZohoCallJournalExactBody(t *testing.T) {
	z, it, _ := newZoho(t, NewMemKV(), nil)
	it.settings.Associations = map[string]string{"201": "4150868000000225013"}
	authorize(t, it, z.Server)
	z.Reset()
	c := &Contact{ID: "4150868000000224005", Type: "Contacts", FirstName: "Ada"}
	if err := it.LogCall(context.Background(), answeredCall(c)); err != nil {
		t.Fatal(err)
	}
	r := findReq(z.Requests(), "POST", "www.zohoapis.com/crm/v7/Calls")
	if len(r) != 1 {
		t.Fatalf("%d journal requests", len(r))
	}
	if ct := r[0].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	// PlayCallRecording defaults to 0: no recording link.
	jsonEqual(t, r[0].Body, `{"data":[{"Subject":"Extension Call",
		"Description":"2026-11-23 11:00:00 Inbound Completed - from Ada Lovelace <+49301234567> to Desk 1 <201> 00:01:00",
		"Call_Type":"Inbound","Call_Start_Time":"2026-11-23T10:00:00+00:00","Call_Duration":"01:00",
		"Call_Result":"ANSWERED","Dialled_Number":"201","Owner":{"id":"4150868000000225013"},
		"Who_Id":{"id":"4150868000000224005"}}]}`)
	if got := z.Created("Calls"); len(got) != 1 {
		t.Fatalf("fake stored %d calls", len(got))
	}
}

func TestZohoCallJournalLeadAndRecording(t *testing.T) {
	z, it, _ := newZoho(t, NewMemKV(), nil)
	play := true
	it.settings.PlayCallRecording = &play
	it.settings.Subject = "Call with {{.CallerName}}"
	authorize(t, it, z.Server)
	z.Reset()
	rec := answeredCall(&Contact{ID: "77", Type: "Leads"})
	rec.Answer = time.Time{}
	if err := it.LogCall(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	r := findReq(z.Requests(), "POST", "www.zohoapis.com/crm/v7/Calls")
	var body struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(r[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	d := body.Data[0]
	if d["$se_module"] != "Leads" || d["What_Id"].(map[string]any)["id"] != "77" || d["Who_Id"] != nil {
		t.Errorf("lead link wrong: %v", d)
	}
	if d["Call_Type"] != "Missed" { // Zoho's call type of an unanswered inbound call (issue 10)
		t.Errorf("Call_Type %v, want Missed", d["Call_Type"])
	}
	if d["Voice_Recording__s"] != "https://pbx.example.com/rec/1.wav" || d["Call_Result"] != "NO ANSWER" || d["Subject"] != "Call with Ada Lovelace" {
		t.Errorf("body %v", d)
	}
	if _, ok := d["Owner"]; ok {
		t.Errorf("Owner set without an associated CRM user")
	}
}

func TestZohoCreateContactAndLead(t *testing.T) {
	z, it, _ := newZoho(t, NewMemKV(), nil)
	authorize(t, it, z.Server)
	z.Reset()
	c, err := it.CreateContact(context.Background(), NewContact{Type: "Leads", FirstName: "Ann", LastName: "Lee", Number: "+4930999"})
	if err != nil {
		t.Fatal(err)
	}
	r := findReq(z.Requests(), "POST", "www.zohoapis.com/crm/v7/Leads")
	if len(r) != 1 {
		t.Fatalf("requests %+v", z.Requests())
	}
	jsonEqual(t, r[0].Body, `{"data":[{"Last_Name":"Lee","First_Name":"Ann","Phone":"+4930999","Lead_Source":"Cold Call"}]}`)
	if c.ID == "" || c.ID != z.Created("Leads")[0]["id"] || c.Type != "Leads" {
		t.Fatalf("created %+v", c)
	}
	// Default type (first request: Contacts); unknown caller: last name = number.
	c, err = it.CreateContact(context.Background(), NewContact{Number: "+4930111"})
	if err != nil || c.Type != "Contacts" {
		t.Fatalf("%+v %v", c, err)
	}
	r = findReq(z.Requests(), "POST", "www.zohoapis.com/crm/v7/Contacts")
	jsonEqual(t, r[0].Body, `{"data":[{"Last_Name":"+4930111","First_Name":"","Phone":"+4930111"}]}`)
	if _, err := it.CreateContact(context.Background(), NewContact{Type: "Deals"}); err == nil {
		t.Fatal("unknown contact type accepted")
	}
}

func TestZohoUsersAndAssociation(t *testing.T) {
	z, it, _ := newZoho(t, NewMemKV(), nil)
	authorize(t, it, z.Server)
	z.AddUser(map[string]any{"id": "111", "first_name": "Grace", "last_name": "Hopper", "email": "Grace@Example.com", "status": "active"})
	z.AddUser(map[string]any{"id": "222", "first_name": "Alan", "last_name": "Turing", "email": "alan@example.com"})
	z.AddUser(map[string]any{"first_name": "No", "last_name": "Id"})
	z.Reset()
	users, err := it.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []User{{"111", "Grace", "Hopper", "Grace@Example.com"}, {"222", "Alan", "Turing", "alan@example.com"}}
	if !slices.Equal(users, want) {
		t.Fatalf("users %+v", users)
	}
	r := z.Requests()
	if len(r) != 1 || r[0].URL != "www.zohoapis.com/crm/v7/users?type=ActiveUsers" {
		t.Fatalf("requests %+v", r)
	}
	exts := []Extension{{Number: "201", Email: "grace@example.com"}, {Number: "202", Email: "nobody@example.com"}, {Number: "203"}}
	got := AssociateByEmail(users, exts, map[string]string{"204": "222"})
	if len(got) != 2 || got["201"] != "111" || got["204"] != "222" {
		t.Fatalf("association %v", got)
	}
}

func TestZohoHostileContactData(t *testing.T) {
	z, it, _ := newZoho(t, NewMemKV(), nil)
	it.settings.SyncTypes = []string{"Contacts"}
	authorize(t, it, z.Server)
	big := strings.Repeat("A\"\\<>\u2028", 2000) // ~12 KB
	z.AddRecord("Contacts", map[string]any{
		"id": 4150868000000224999, "First_Name": "O'Brien \"Bob\"\r\nX-Injected: 1", "Last_Name": map[string]any{"evil": true},
		"Phone": 4930555, "Mobile": []any{"a", "b"}, "Email": true, "Description": big,
	})
	got, err := it.SearchContact(context.Background(), "4930555")
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	c := got[0]
	if c.ID != "4150868000000224999" || c.FirstName != `O'Brien "Bob"  X-Injected: 1` || c.LastName != "" ||
		c.Business != "4930555" || c.Mobile != "" || c.Email != "true" || len(c.Remark) > maxRemarkLen {
		t.Fatalf("mapped %+v", c)
	}
	if strings.ContainsAny(c.FirstName+c.Remark, "\r\n") {
		t.Fatal("control characters kept")
	}
	// The hostile contact, and a hostile caller name, cannot break the journal body.
	rec := answeredCall(&c)
	rec.CallerName = "Eve \"}]}\r\n\u0000\\"
	z.Reset()
	if err := it.LogCall(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	r := findReq(z.Requests(), "POST", "www.zohoapis.com/crm/v7/Calls")
	if len(r) != 1 || !json.Valid(r[0].Body) {
		t.Fatalf("journal body invalid: %s", r[0].Body)
	}
	var body struct {
		Data []map[string]any `json:"data"`
	}
	_ = json.Unmarshal(r[0].Body, &body)
	if d := body.Data[0]["Description"].(string); !strings.Contains(d, "Eve \"}]}") {
		t.Fatalf("description lost the caller name: %q", d)
	}
	if len(body.Data) != 1 || body.Data[0]["Who_Id"].(map[string]any)["id"] != "4150868000000224999" {
		t.Fatalf("body structure changed: %s", r[0].Body)
	}
	_ = crmtest.ZohoOrgDomain
}

func TestCreateContactNoDuplicateWhileSearchIndexLags(t *testing.T) {
	h, it, _ := newHubSpot(t, 0)
	now := time.Now()
	it.now = func() time.Time { return now }
	nc := NewContact{FirstName: "New", LastName: "Caller", Number: "+4930777"}
	a, err := it.CreateContact(context.Background(), nc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := it.CreateContact(context.Background(), nc)
	if err != nil || b.ID != a.ID || len(h.Created("contacts")) != 1 {
		t.Fatalf("second create: %+v %v, %d created", b, err, len(h.Created("contacts")))
	}
	now = now.Add(recentTTL + time.Second)
	if c, _ := it.CreateContact(context.Background(), nc); c.ID == a.ID || len(h.Created("contacts")) != 2 {
		t.Fatalf("after the TTL: %+v", c)
	}
}

// TestZohoCallTypeMissed: an inbound call nobody answered is Call_Type
// Missed (Zoho's Calls module: Inbound, Outbound, Missed); answered and
// outbound calls keep their direction.
func TestZohoCallTypeMissed(t *testing.T) {
	for _, tc := range []struct {
		dir      string
		answered bool
		want     string
	}{
		{DirectionInbound, true, "Inbound"}, {DirectionInbound, false, "Missed"},
		{DirectionOutbound, true, "Outbound"}, {DirectionOutbound, false, "Outbound"},
	} {
		z, it, _ := newZoho(t, NewMemKV(), nil)
		authorize(t, it, z.Server)
		z.Reset()
		rec := answeredCall(nil)
		rec.Direction = tc.dir
		if !tc.answered {
			rec.Answer = time.Time{}
		}
		if err := it.LogCall(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		got := z.Created("Calls")
		if len(got) != 1 || got[0]["Call_Type"] != tc.want {
			t.Errorf("%s answered=%v: Calls %v, want Call_Type %s", tc.dir, tc.answered, got, tc.want)
		}
	}
}

// Zoho's Call_Duration is mm:ss with the minutes going past 59; Call_Type
// is Missed only for an unanswered inbound call (issue 10).
func TestZohoCallTypeAndLongDuration(t *testing.T) {
	z, it, _ := newZoho(t, NewMemKV(), nil)
	authorize(t, it, z.Server)
	long := answeredCall(nil)
	long.End = long.Answer.Add(75*time.Minute + 3*time.Second)
	outMissed := answeredCall(nil)
	outMissed.Direction, outMissed.Answer = DirectionOutbound, time.Time{}
	for _, tc := range []struct {
		rec            CallRecord
		typ, dur, disp string
	}{
		{long, "Inbound", "75:03", "ANSWERED"},
		{outMissed, "Outbound", "00:00", "NO ANSWER"},
	} {
		z.Reset()
		if err := it.LogCall(context.Background(), tc.rec); err != nil {
			t.Fatal(err)
		}
		r := findReq(z.Requests(), "POST", "www.zohoapis.com/crm/v7/Calls")
		var body struct {
			Data []map[string]any `json:"data"`
		}
		if len(r) != 1 || json.Unmarshal(r[0].Body, &body) != nil {
			t.Fatalf("journal requests %+v", r)
		}
		d := body.Data[0]
		if d["Call_Type"] != tc.typ || d["Call_Duration"] != tc.dur || d["Call_Result"] != tc.disp {
			t.Errorf("got type %v duration %v result %v, want %s %s %s", d["Call_Type"], d["Call_Duration"], d["Call_Result"], tc.typ, tc.dur, tc.disp)
		}
	}
}

// API calls go to the api_domain of the token response, not to the host
// derived from the data centre field; the sa data centre exists (issue 10).
func TestZohoAPIDomainAndSaudiDataCentre(t *testing.T) {
	z, it, _ := newZoho(t, NewMemKV(), map[string]string{"client_id": zohoClientID, "client_secret": zohoClientSecret, "domain": "sa"})
	u, _ := url.Parse(authorize(t, it, z.Server))
	if u.Host != "accounts.zoho.sa" {
		t.Fatalf("auth host %s", u.Host)
	}
	if _, err := it.SearchContact(context.Background(), "123"); err != nil {
		t.Fatal(err)
	}
	if r := findReq(z.Requests(), "GET", "www.zohoapis.sa/crm/v7/Contacts/search"); len(r) != 1 {
		t.Fatalf("no search on www.zohoapis.sa: %+v", z.Requests())
	}
	z.APIDomain = "https://www.zohoapis.in" // the account's data lives elsewhere
	z.OAuth.ExpireAll()
	z.Reset()
	if _, err := it.SearchContact(context.Background(), "123"); err != nil {
		t.Fatal(err)
	}
	if err := it.LogCall(context.Background(), answeredCall(nil)); err != nil {
		t.Fatal(err)
	}
	// The three contact types are searched concurrently: a request that
	// left with the expired token may reach the old host after the refresh
	// began, so check what counts: every type was searched again on the new
	// api_domain, and nothing with the new token went elsewhere.
	for _, typ := range []string{"Contacts", "Leads", "Accounts"} {
		if r := findReq(z.Requests(), "GET", "www.zohoapis.in/crm/v7/"+typ+"/search"); len(r) != 1 {
			t.Errorf("%s not searched on the token's api_domain www.zohoapis.in: %d requests", typ, len(r))
		}
	}
	for _, r := range z.Requests() {
		if tok := r.Header.Get("Authorization"); r.Host == "www.zohoapis.sa" && z.OAuth.Valid(strings.TrimPrefix(tok, "Zoho-oauthtoken ")) {
			t.Errorf("request with the refreshed token to the old host: %s", r.URL)
		}
	}
	if r := findReq(z.Requests(), "POST", "www.zohoapis.in/crm/v7/Calls"); len(r) != 1 {
		t.Fatalf("journal not sent to api_domain: %+v", z.Requests())
	}
}
