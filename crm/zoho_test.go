package crm

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"cidproxy/crm/builtin"
	"cidproxy/crm/crmtest"
	"cidproxy/internal/testsupport"
)

const (
	zohoClientID     = "1000.ZOHOCLIENTID42"
	zohoClientSecret = "zoho-client-secret-0123456789"
)

func newZoho(t *testing.T, kv KV, fields map[string]string) (*crmtest.Zoho, *Integration, *testsupport.Buffer) {
	t.Helper()
	z := crmtest.NewZoho(zohoClientID, zohoClientSecret)
	t.Cleanup(z.Close)
	if fields == nil {
		fields = map[string]string{"client_id": zohoClientID, "client_secret": zohoClientSecret}
	}
	logger, logs := newLogger()
	it := newIntegration(t, Config{
		Template: loadBuiltin(t, builtin.Zoho), Fields: fields, KV: kv, Sealer: testSealer(t),
		HTTP: z.Client(), Logger: logger,
	})
	return z, it, logs
}

func TestZohoAuthorizationCodeFlow(t *testing.T) {
	z, it, _ := newZoho(t, NewMemKV(), nil)
	if it.Authorized() {
		t.Fatal("authorized before the flow")
	}
	if _, err := it.SearchContact(context.Background(), "+4930123"); err == nil {
		t.Fatal("search without token must fail")
	}
	u, _ := url.Parse(authorize(t, it, z.Server))
	if u.Host != "accounts.zoho.com" || u.Path != "/oauth/v2/auth" {
		t.Fatalf("auth URL %s", u)
	}
	q := u.Query()
	want := map[string]string{
		"response_type": "code", "client_id": zohoClientID, "access_type": "offline", "prompt": "consent",
		"redirect_uri": "https://pbx.example.com/api/crm/oauth/callback",
		"scope":        "ZohoCRM.modules.contacts.ALL,ZohoCRM.modules.leads.ALL,ZohoCRM.modules.accounts.READ,ZohoCRM.modules.calls.ALL,ZohoCRM.users.READ,ZohoCRM.org.READ",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("auth URL %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(q.Get("state")) < 40 {
		t.Errorf("state %q too short", q.Get("state"))
	}
	tok := findReq(z.Requests(), "POST", "accounts.zoho.com/oauth/v2/token")
	if len(tok) != 1 {
		t.Fatalf("token requests: %d", len(tok))
	}
	form, _ := url.ParseQuery(string(tok[0].Body))
	wantForm := url.Values{"grant_type": {"authorization_code"}, "code": {"code-1"},
		"redirect_uri": {"https://pbx.example.com/api/crm/oauth/callback"},
		"client_id":    {zohoClientID}, "client_secret": {zohoClientSecret}}
	if form.Encode() != wantForm.Encode() {
		t.Fatalf("token form %s, want %s", form.Encode(), wantForm.Encode())
	}
	if ct := tok[0].Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Fatalf("token Content-Type %q", ct)
	}
	if !it.Authorized() || it.Token().RefreshToken == "" || it.Token().Extra["api_domain"] != "https://www.zohoapis.com" {
		t.Fatalf("token %+v", it.Token())
	}
}

func TestZohoSearchExactRequestsAndMapping(t *testing.T) {
	z, it, _ := newZoho(t, NewMemKV(), nil)
	authorize(t, it, z.Server)
	if err := it.Start(context.Background()); err != nil {
		t.Fatalf("Start (GetGlobalInfo): %v", err)
	}
	if g := it.Globals()["OrgDomain"]; g != crmtest.ZohoOrgDomain {
		t.Fatalf("OrgDomain global = %q", g)
	}
	z.AddRecord("Contacts", map[string]any{
		"id": "4150868000000224005", "First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@example.com",
		"Phone": "+49 30 1234567", "Mobile": "+49 171 7654321", "Account_Name": map[string]any{"name": "Analytical Engines", "id": "1"},
		"Mailing_City": "London", "Description": nil,
	})
	z.AddRecord("Contacts", map[string]any{"id": "4150868000000224006", "First_Name": "Charles", "Last_Name": "Babbage", "Home_Phone": "+49 30 1234567"})
	z.AddRecord("Leads", map[string]any{"id": "77", "First_Name": "Other", "Last_Name": "Person", "Phone": "+1 555 0100"})
	z.Reset()

	got, err := it.SearchContact(context.Background(), "+49 30 1234567")
	if err != nil {
		t.Fatal(err)
	}
	reqs := z.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3 (Contacts, Leads, Accounts)", len(reqs))
	}
	access := it.Token().AccessToken
	for _, module := range []string{"Contacts", "Leads", "Accounts"} {
		r := findReq(reqs, "GET", "www.zohoapis.com/crm/v7/"+module+"/search?")
		if len(r) != 1 {
			t.Fatalf("%s: %d requests", module, len(r))
		}
		if r[0].Query.Get("phone") != "+49 30 1234567" || strings.Contains(r[0].URL, " ") || strings.Contains(r[0].URL, "+49") {
			t.Errorf("%s: URL %s does not carry the escaped phone", module, r[0].URL)
		}
		if a := r[0].Header.Get("Authorization"); a != "Zoho-oauthtoken "+access {
			t.Errorf("%s: Authorization %q", module, a)
		}
		if a := r[0].Header.Get("Accept"); a != "application/json" {
			t.Errorf("%s: Accept %q", module, a)
		}
		if len(r[0].Body) != 0 {
			t.Errorf("%s: GET with a body", module)
		}
	}
	want := []Contact{
		{ID: "4150868000000224005", Type: "Contacts", FirstName: "Ada", LastName: "Lovelace", Company: "Analytical Engines",
			Email: "ada@example.com", Business: "+49 30 1234567", Mobile: "+49 171 7654321", City: "London",
			URL: "https://crm.zoho.com/crm/" + crmtest.ZohoOrgDomain + "/tab/Contacts/4150868000000224005"},
		{ID: "4150868000000224006", Type: "Contacts", FirstName: "Charles", LastName: "Babbage", Home: "+49 30 1234567",
			URL: "https://crm.zoho.com/crm/" + crmtest.ZohoOrgDomain + "/tab/Contacts/4150868000000224006"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d contacts: %+v", len(got), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("contact %d\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if u := it.ContactURL(got[0]); u != want[0].URL {
		t.Errorf("ContactURL = %q", u)
	}
}

func TestZohoNoMatchIs204(t *testing.T) {
	z, it, _ := newZoho(t, NewMemKV(), nil)
	authorize(t, it, z.Server)
	got, err := it.SearchContact(context.Background(), "+1 555 0199")
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v; want no contacts and no error", got, err)
	}
}

func TestZohoDataCentre(t *testing.T) {
	z, it, _ := newZoho(t, NewMemKV(), map[string]string{"client_id": zohoClientID, "client_secret": zohoClientSecret, "domain": "com.au"})
	u, _ := url.Parse(authorize(t, it, z.Server))
	if u.Host != "accounts.zoho.com.au" {
		t.Fatalf("auth host %s", u.Host)
	}
	if _, err := it.SearchContact(context.Background(), "123"); err != nil {
		t.Fatal(err)
	}
	if r := findReq(z.Requests(), "GET", "www.zohoapis.com.au/crm/v7/Contacts/search"); len(r) != 1 {
		t.Fatalf("no search on the com.au API domain: %+v", z.Requests())
	}
	if r := findReq(z.Requests(), "POST", "accounts.zoho.com.au/oauth/v2/token"); len(r) != 1 {
		t.Fatal("token not fetched from accounts.zoho.com.au")
	}
}

func TestZohoTokenExpiryMidRunRefreshesOnce(t *testing.T) {
	z, it, _ := newZoho(t, NewMemKV(), nil)
	authorize(t, it, z.Server)
	z.AddRecord("Contacts", map[string]any{"id": "1", "First_Name": "Ada", "Phone": "555"})
	if c, err := it.SearchContact(context.Background(), "555"); err != nil || len(c) != 1 {
		t.Fatalf("%v %v", c, err)
	}
	old := it.Token()
	z.OAuth.ExpireAll() // revoked/expired on the server mid-run
	z.Reset()
	c, err := it.SearchContact(context.Background(), "555")
	if err != nil || len(c) != 1 || c[0].FirstName != "Ada" {
		t.Fatalf("after expiry: %v %v", c, err)
	}
	if z.OAuth.Refreshes != 1 {
		t.Fatalf("%d refreshes for 3 concurrent 401s, want 1 (single flight)", z.OAuth.Refreshes)
	}
	tok := findReq(z.Requests(), "POST", "accounts.zoho.com/oauth/v2/token")
	form, _ := url.ParseQuery(string(tok[0].Body))
	if form.Get("grant_type") != "refresh_token" || form.Get("refresh_token") != old.RefreshToken || form.Get("client_secret") != zohoClientSecret {
		t.Fatalf("refresh form %v", form)
	}
	cur := it.Token()
	if cur.AccessToken == old.AccessToken || cur.RefreshToken != old.RefreshToken {
		t.Fatalf("token not replaced correctly: %+v", cur)
	}
	// Each module: at most one 401 and one retry; the last carries the new
	// token (a request sent after the refresh needs no retry).
	for _, module := range []string{"Contacts", "Leads", "Accounts"} {
		r := findReq(z.Requests(), "GET", "www.zohoapis.com/crm/v7/"+module)
		if len(r) < 1 || len(r) > 2 || r[len(r)-1].Header.Get("Authorization") != "Zoho-oauthtoken "+cur.AccessToken {
			t.Fatalf("%s: %d requests", module, len(r))
		}
	}
}

func TestZohoRefreshBeforeExpiry(t *testing.T) {
	z, it, _ := newZoho(t, NewMemKV(), nil)
	authorize(t, it, z.Server)
	now := time.Now()
	it.tokens.now = func() time.Time { return now.Add(59 * time.Minute) } // expires_in 3600, skew 60 s
	z.Reset()
	if _, err := it.SearchContact(context.Background(), "555"); err != nil {
		t.Fatal(err)
	}
	if z.OAuth.Refreshes != 1 {
		t.Fatalf("refreshes = %d, want 1 before expiry", z.OAuth.Refreshes)
	}
	for _, r := range z.Requests() {
		if strings.HasPrefix(r.URL, "www.zohoapis.com") && r.Header.Get("Authorization") != "Zoho-oauthtoken "+it.Token().AccessToken {
			t.Fatalf("request sent with the old token: %s", r.URL)
		}
	}
	if n := len(z.Requests()); n != 4 {
		t.Fatalf("%d requests, want token + 3 searches (no 401 round trip)", n)
	}
}

func TestZohoTokenInvalidOneRefreshOneRetry(t *testing.T) {
	z, it, _ := newZoho(t, NewMemKV(), nil)
	it.settings.SyncTypes = []string{"Contacts"}
	authorize(t, it, z.Server)
	z.OAuth.ExpiresIn = -time.Second // every new token is already dead
	z.OAuth.ExpireAll()
	z.Reset()
	_, err := it.SearchContact(context.Background(), "555")
	if err == nil {
		t.Fatal("want an error when the refreshed token is rejected too")
	}
	if n := len(findReq(z.Requests(), "GET", "www.zohoapis.com/crm/v7/Contacts")); n != 2 {
		t.Fatalf("%d search attempts, want 2 (one retry)", n)
	}
	if z.OAuth.Refreshes != 1 {
		t.Fatalf("%d refreshes, want exactly 1", z.OAuth.Refreshes)
	}
}

func TestZohoTokenPersistedSealedAndReloaded(t *testing.T) {
	kv := NewMemKV()
	z, it, _ := newZoho(t, kv, nil)
	z.OAuth.RotateRefresh = true
	authorize(t, it, z.Server)
	z.OAuth.ExpireAll()
	if _, err := it.SearchContact(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	tok := it.Token()
	raw, err := kv.Get(context.Background(), "crm/token/zoho")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{tok.AccessToken, tok.RefreshToken, "access_token"} {
		if strings.Contains(string(raw), s) {
			t.Fatalf("KV holds %q in clear", s)
		}
	}
	// A restarted daemon uses the rotated refresh token from the store.
	it2 := newIntegration(t, Config{Template: loadBuiltin(t, builtin.Zoho), HTTP: z.Client(), KV: kv, Sealer: testSealer(t),
		Fields: map[string]string{"client_id": zohoClientID, "client_secret": zohoClientSecret}})
	if got := it2.Token(); got.AccessToken != tok.AccessToken || got.RefreshToken != tok.RefreshToken || !got.Expiry.Equal(tok.Expiry) {
		t.Fatalf("reloaded token differs:\n%+v\n%+v", it2.Token(), tok)
	}
	z.OAuth.ExpireAll()
	if _, err := it2.SearchContact(context.Background(), "1"); err != nil {
		t.Fatalf("refresh with the persisted rotated token: %v", err)
	}
	// A wrong key cannot open it.
	other, _ := NewSealer([]byte(strings.Repeat("k", KeySize)))
	if _, err := New(context.Background(), Config{Template: loadBuiltin(t, builtin.Zoho), KV: kv, Sealer: other}); err == nil {
		t.Fatal("token opened with the wrong key")
	}
}
