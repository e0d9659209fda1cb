package crm

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"cidproxy/crm/builtin"
	"cidproxy/crm/crmtest"
)

func TestOAuthCallbackRejects(t *testing.T) {
	z := crmtest.NewZoho(zohoClientID, zohoClientSecret)
	defer z.Close()
	it := newIntegration(t, Config{Template: loadBuiltin(t, builtin.Zoho), HTTP: z.Client(),
		Fields: map[string]string{"client_id": zohoClientID, "client_secret": zohoClientSecret}})
	h := NewOAuthHandler(nil)
	call := func(q string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/cb?"+q, nil))
		if strings.Contains(rec.Body.String(), "<script") {
			t.Fatalf("unescaped output: %s", rec.Body)
		}
		return rec.Code
	}
	u, err := h.Begin(it, "https://pbx.example.com/cb")
	if err != nil {
		t.Fatal(err)
	}
	state := mustQuery(t, u).Get("state")
	if c := call("code=x&state=forged"); c != http.StatusBadRequest {
		t.Fatalf("forged state: %d", c)
	}
	if c := call("error=access_denied%3Cscript%3E&state=" + state); c != http.StatusBadRequest {
		t.Fatalf("denied: %d", c)
	}
	if c := call("code=x&state=" + state); c != http.StatusBadRequest {
		t.Fatalf("state reused: %d", c)
	}
	if len(z.Requests()) != 0 {
		t.Fatal("a rejected callback contacted the CRM")
	}
	// Expired state.
	u, _ = h.Begin(it, "https://pbx.example.com/cb")
	h.now = func() time.Time { return time.Now().Add(stateTTL + time.Second) }
	if c := call("code=x&state=" + mustQuery(t, u).Get("state")); c != http.StatusBadRequest {
		t.Fatalf("expired state: %d", c)
	}
	h.now = time.Now
	// A code the CRM refuses: 502 and no token.
	u, _ = h.Begin(it, "https://pbx.example.com/cb")
	if c := call("code=bogus&state=" + mustQuery(t, u).Get("state")); c != http.StatusBadGateway || it.Authorized() {
		t.Fatalf("bogus code: %d", c)
	}
}

func mustQuery(t *testing.T, u string) url.Values {
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query()
}

// The seed's AdditionalQueryString example: client_id={{.client_id}}&redirect_uri={{.redirect_uri}}.
func TestAuthorizeURLAdditionalQueryString(t *testing.T) {
	xml := `<?xml version="1.1"?>
<Information Provider="crm" Name="X" Key="x" AuthType="oauth2" MaxConcurrentRequest="1">
 <Scenarios>
  <Scenario Id="AuthMethod" Type="AUTH"><Parameters>
   <Parameter Name="AuthMethod" Value="oauth2"/>
   <Parameter Name="AuthEndPoint" Value="https://api.example.com/oauth/v2/auth?client_id={{.client_id}}"/>
   <Parameter Name="TokenEndPoint" Value="https://api.example.com/oauth/v2/token?client_id={{.client_id}}&amp;client_secret={{.client_secret}}"/>
   <Parameter Name="AdditionalQueryString" Value="client_id={{.client_id}}&amp;redirect_uri={{.redirect_uri}}&amp;audience=a b"/>
   <Parameter Name="Scope" Value="contacts.read,contacts.write,calls.read,calls.write,user.read,user.write"/>
   <Parameter Father="CustomFieldList" Name="client_id" Editor="password" Title="Client ID"/>
   <Parameter Father="CustomFieldList" Name="client_secret" Editor="password" Title="Client Secret"/>
  </Parameters></Scenario>
 </Scenarios>
</Information>`
	it := newIntegration(t, Config{Template: mustParse(t, xml), Fields: map[string]string{"client_id": "id&x=1", "client_secret": "s"}})
	u, err := it.AuthorizeURL("https://pbx.example.com/cb?x=1", "st4te")
	if err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, u)
	if q.Get("client_id") != "id&x=1" || q.Get("x") != "" || q.Get("redirect_uri") != "https://pbx.example.com/cb?x=1" ||
		q.Get("state") != "st4te" || q.Get("response_type") != "code" || q.Get("audience") != "a b" ||
		q.Get("scope") != "contacts.read,contacts.write,calls.read,calls.write,user.read,user.write" {
		t.Fatalf("auth URL %s", u)
	}
	if !strings.HasPrefix(u, "https://api.example.com/oauth/v2/auth?") {
		t.Fatalf("auth URL %s", u)
	}
}
