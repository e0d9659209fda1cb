package crm

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"cidproxy/crm/crmtest"
)

const dialXML = `<?xml version="1.0"?>
<Information Provider="crm" Name="Dial" Key="dial" AuthType="none" MaxConcurrentRequest="2" CallJournal="1">
 <Scenarios>
  <Scenario Id="AuthMethod" Type="AUTH"><Parameters><Parameter Name="AuthMethod" Value="none"/></Parameters></Scenario>
  <Scenario Id="SyncContactAuto" Type="REST"><Requests>
   <Request Name="Contacts" Method="GET" URLFormat="https://crm.example.com/by-phone?n={{.Phone}}">
    <Outputs><Output Name="ContactsId" Path="#.id"/><Output Name="FirstName" Path="#.name"/><Output Name="MobileNumber" Path="#.tel"/></Outputs>
   </Request>
  </Requests></Scenario>
  <Scenario Id="SearchContact" Type="REST"><Requests>
   <Request Name="Contacts" Method="GET" URLFormat="https://crm.example.com/search?q={{.SearchValue}}">
    <Outputs><Output Name="ContactsId" Path="#.id"/><Output Name="FirstName" Path="#.name"/><Output Name="MobileNumber" Path="#.tel"/></Outputs>
   </Request>
  </Requests></Scenario>
  <Scenario Id="CallJournal" Type="REST">
   <Parameters>
    <Parameter Name="EnableSubject" Value="ENABLE"/>
    <Parameter Name="Subject" Value="Default {{.Communication_Type}}"/>
    <Parameter Name="EnableDescription" Value="1"/>
    <Parameter Name="Description" Value="{{.Call_Log_Status}}"/>
   </Parameters>
   <Requests>
   <Request Name="CallJournal" Method="POST" URLFormat="https://crm.example.com/calls">
    <Parameters><Parameter Name="Data" Type="Body" Value="{&quot;s&quot;:&quot;{{.Subject}}&quot;,&quot;d&quot;:&quot;{{.Description}}&quot;,&quot;r&quot;:&quot;{{.RecordPath}}&quot;}"/></Parameters>
   </Request>
  </Requests></Scenario>
 </Scenarios>
</Information>`

func dialServer(t *testing.T) *crmtest.Server {
	srv := crmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode([]map[string]any{{"id": r.URL.Path, "name": "Found " + r.URL.RawQuery, "tel": "1"}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDialSearchUsesSearchContactScenario(t *testing.T) {
	srv := dialServer(t)
	it := newIntegration(t, Config{Template: mustParse(t, replaceAll(dialXML, "ENABLE", "1")), HTTP: srv.Client()})
	got, err := it.DialSearch(context.Background(), "Ada Love")
	if err != nil || len(got) != 1 || got[0].ID != "/search" || got[0].FirstName != "Found q=Ada%20Love" {
		t.Fatalf("%+v %v", got, err)
	}
	got, err = it.SearchContact(context.Background(), "+4930")
	if err != nil || len(got) != 1 || got[0].ID != "/by-phone" {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestSubjectOverrideOnlyWhenEnabled(t *testing.T) {
	for _, tc := range []struct{ enable, want string }{{"1", "Custom Inbound"}, {"0", "Default Inbound"}} {
		srv := dialServer(t)
		it := newIntegration(t, Config{Template: mustParse(t, replaceAll(dialXML, "ENABLE", tc.enable)), HTTP: srv.Client(),
			Settings: Settings{Subject: "Custom {{.Communication_Type}}", Description: "ignored? no: EnableDescription=1"}})
		rec := answeredCall(nil)
		if err := it.LogCall(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		r := srv.Requests()
		// No EnablePlayCallRecording/PlayCallRecording parameters: links are sent.
		jsonEqual(t, r[0].Body, `{"s":"`+tc.want+`","d":"ignored? no: EnableDescription=1","r":"https://pbx.example.com/rec/1.wav"}`)
	}
}
