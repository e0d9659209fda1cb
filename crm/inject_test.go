package crm

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"cidproxy/crm/crmtest"
)

const injectXML = `<?xml version="1.0"?>
<Information Provider="crm" Name="Inject" Key="inject" AuthType="none" MaxConcurrentRequest="2" CallJournal="1">
 <Scenarios>
  <Scenario Id="AuthMethod" Type="AUTH"><Parameters><Parameter Name="AuthMethod" Value="none"/></Parameters></Scenario>
  <Scenario Id="GetGlobalInfo" Type="REST"><Requests>
   <Request Name="Org" Method="GET" URLFormat="https://crm.example.com/org"><Outputs><Output Name="OrgName" Path="name"/></Outputs></Request>
  </Requests></Scenario>
  <Scenario Id="SyncContactAuto" Type="REST"><Requests>
   <Request Name="Contacts" Method="GET" URLFormat="https://crm.example.com/search/{{.Phone}}?org={{.OrgName}}">
    <Parameters><Parameter Name="X-Org" Type="Header" Value="{{.OrgName}}"/></Parameters>
    <Outputs><Output Name="ContactsId" Path="#.id"/><Output Name="FirstName" Path="#.name"/><Output Name="BusinessNumber" Path="#.phone"/></Outputs>
   </Request>
  </Requests></Scenario>
  <Scenario Id="CallJournal" Type="REST"><Requests>
   <Request Name="CallJournal" Method="POST" URLFormat="https://crm.example.com/calls/{{.ContactId}}">
    <Parameters>
     <Parameter Name="X-Caller" Type="Header" Value="{{.CallerName}}"/>
     <Parameter Name="Data" Type="Body" Value="{&quot;who&quot;:&quot;{{.CallerName}}&quot;,&quot;org&quot;:&quot;{{.OrgName}}&quot;,&quot;n&quot;:{{.Talk_Duration_Sec}}}"/>
    </Parameters>
   </Request>
  </Requests></Scenario>
 </Scenarios>
</Information>`

func TestHostileValuesCannotBreakHeadersURLsOrBodies(t *testing.T) {
	evil := "Evil\"}\r\nX-Injected: 1/../?a=b#frag"
	srv := crmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/org":
			_ = json.NewEncoder(w).Encode(map[string]any{"name": evil})
		case strings.HasPrefix(r.URL.Path, "/search/"):
			_ = json.NewEncoder(w).Encode([]map[string]any{{"id": "../../admin?x=1", "name": evil, "phone": "1"}})
		default:
			_, _ = w.Write([]byte(`{}`))
		}
	}))
	defer srv.Close()
	it := newIntegration(t, Config{Template: mustParse(t, injectXML), HTTP: srv.Client()})
	if err := it.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := it.SearchContact(context.Background(), "+49 30/../1")
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	rec := answeredCall(&got[0])
	rec.CallerName = got[0].FirstName
	if err := it.LogCall(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	search, journal := reqs[1], reqs[2]
	for _, r := range reqs {
		if r.Header.Get("X-Injected") != "" {
			t.Fatalf("header injected into %s", r.URL)
		}
		for k, vs := range r.Header {
			for _, v := range vs {
				if strings.ContainsAny(v, "\r\n") {
					t.Fatalf("%s: header %s has a line break", r.URL, k)
				}
			}
		}
	}
	if search.Path != "/search/+49 30/../1" || search.Query.Get("org") != it.Globals()["OrgName"] {
		t.Fatalf("search path %q query %v: the phone must stay one path segment", search.Path, search.Query)
	}
	if !strings.HasPrefix(search.URL, "crm.example.com/search/+49%2030%2F..%2F1?org=Evil%22%7D%20%20X-Injected%3A%201%2F..%2F%3Fa%3Db%23frag") {
		t.Fatalf("search URL %s", search.URL)
	}
	if journal.Path != "/calls/../../admin?x=1" || !strings.HasPrefix(journal.URL, "crm.example.com/calls/..%2F..%2Fadmin%3Fx=1") {
		t.Fatalf("journal URL %s", journal.URL)
	}
	if !json.Valid(journal.Body) {
		t.Fatalf("journal body invalid: %s", journal.Body)
	}
	var body map[string]any
	_ = json.Unmarshal(journal.Body, &body)
	if body["who"] != got[0].FirstName || body["org"] != it.Globals()["OrgName"] || body["n"] != float64(60) || len(body) != 3 {
		t.Fatalf("body %v", body)
	}
}
