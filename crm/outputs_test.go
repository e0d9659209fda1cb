package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"cidproxy/crm/crmtest"
)

// allOutputs maps every SyncContactAuto output of the seed from data.#.<name>.
var allOutputs = []string{"ContactsId", "FirstName", "LastName", "Company", "Email", "BusinessNumber", "BusinessNumber2",
	"BusinessFaxNumber", "MobileNumber", "MobileNumber2", "HomeNumber", "HomeNumber2", "HomeFaxNumber", "OtherNumber",
	"ZipCode", "Street", "City", "State", "Country", "Remark", "CustomValue"}

func allOutputsXML(disable string) string {
	var outs, enables strings.Builder
	for _, o := range allOutputs {
		fmt.Fprintf(&outs, `<Output Name="%s" Path="data.#.%s" Type="string"/>`, o, strings.ToLower(o))
		v := "1"
		if o == disable {
			v = "0"
		}
		fmt.Fprintf(&enables, `<Parameter Name="%sEnable" Value="%s"/>`, o, v)
	}
	return `<?xml version="1.1"?>
<Information Provider="crm" Name="All" Key="all" AuthType="none" MaxConcurrentRequest="1">
 <Scenarios>
  <Scenario Id="AuthMethod" Type="AUTH"><Parameters>
   <Parameter Name="AuthMethod" Value="none"/>
   <Parameter Father="CustomFieldList" Name="crm_url" Editor="string" Title="CRM URL"/>
  </Parameters></Scenario>
  <Scenario Id="SyncContactAuto" Type="REST"><Parameters>
   <Parameter Name="ContactUrlType" Value="specify_url_format"/>
   <Parameter Name="URLFormat" Value="{{.crm_url}}/crm/{{.CustomValue}}/tab/{{Capitalize .ContactSyncType}}/{{.ContactId}}"/>
   ` + enables.String() + `
  </Parameters><Requests>
   <Request Name="contacts" Method="GET" URLFormat="https://crm.example.com/contacts?phone={{.Phone}}">
    <Outputs>` + outs.String() + `</Outputs>
   </Request>
  </Requests></Scenario>
 </Scenarios>
</Information>`
}

func TestEveryContactOutputAndSeedURLFormat(t *testing.T) {
	rec := map[string]any{}
	for _, o := range allOutputs {
		rec[strings.ToLower(o)] = "v-" + o
	}
	rec["customvalue"] = "org123"
	srv := crmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"data": []any{rec}})
	}))
	defer srv.Close()
	it := newIntegration(t, Config{Template: mustParse(t, allOutputsXML("")), HTTP: srv.Client(),
		Fields: map[string]string{"crm_url": "https://crm.zoho.com"}})
	got, err := it.SearchContact(context.Background(), "1")
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	want := Contact{ID: "v-ContactsId", Type: "contacts", FirstName: "v-FirstName", LastName: "v-LastName", Company: "v-Company",
		Email: "v-Email", Business: "v-BusinessNumber", Business2: "v-BusinessNumber2", BusinessFax: "v-BusinessFaxNumber",
		Mobile: "v-MobileNumber", Mobile2: "v-MobileNumber2", Home: "v-HomeNumber", Home2: "v-HomeNumber2", HomeFax: "v-HomeFaxNumber",
		Other: "v-OtherNumber", ZipCode: "v-ZipCode", Street: "v-Street", City: "v-City", State: "v-State", Country: "v-Country",
		Remark: "v-Remark", CustomValue: "org123",
		// The seed's example: {{.crm_url}}/crm/{{.CustomValue}}/tab/{{Capitalize .ContactSyncType}}/{{.ContactId}}
		URL: "https://crm.zoho.com/crm/org123/tab/Contacts/v-ContactsId"}
	if got[0] != want {
		t.Fatalf("got  %+v\nwant %+v", got[0], want)
	}
	var m map[string]any
	b, _ := json.Marshal(got[0])
	_ = json.Unmarshal(b, &m)
	if len(m) != 22 || m["url"] == nil || strings.Contains(string(b), `"org123"`) {
		t.Fatal("CustomValue is for the URL only, not part of the contact")
	}
	// An Enable switch set to 0 drops the output.
	it = newIntegration(t, Config{Template: mustParse(t, allOutputsXML("Street")), HTTP: srv.Client()})
	got, _ = it.SearchContact(context.Background(), "1")
	if got[0].Street != "" || got[0].City != "v-City" {
		t.Fatalf("StreetEnable=0 ignored: %+v", got[0])
	}
}

// A record without a ContactsId is no match, whatever else it holds (issue
// 10 defect 6); JSON false is no value.
func TestEmptyContactsIDIsNoMatch(t *testing.T) {
	srv := crmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"data":[{"contactsid":"","firstname":"Ghost","businessnumber":"+4930333"},
			{"firstname":"NoId","mobilenumber":"+4930333"},{"contactsid":"7","firstname":"Ada","lastname":false}]}`))
	}))
	defer srv.Close()
	it := newIntegration(t, Config{Template: mustParse(t, allOutputsXML("")), HTTP: srv.Client()})
	got, err := it.SearchContact(context.Background(), "+4930333")
	if err != nil || len(got) != 1 || got[0].ID != "7" || got[0].DisplayName() != "Ada" {
		t.Fatalf("contacts %+v, err %v; want only the one with an id, last name empty", got, err)
	}
}
