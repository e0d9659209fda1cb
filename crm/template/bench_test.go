package template

import (
	"fmt"
	"strings"
	"testing"
)

const zohoTemplate = `<?xml version="1.1" encoding="UTF-8"?>
<Information Provider="crm" Name="Zoho bench" Key="zoho_bench" AuthType="oauth2" MaxConcurrentRequest="5">
  <Scenarios>
    <Scenario Id="AuthMethod" Type="AUTH">
      <Parameters>
        <Parameter Name="AuthMethod" Value="oauth2"/>
        <Parameter Name="AuthEndPoint" Value="https://accounts.zoho.{{.dc}}/oauth/v2/auth"/>
        <Parameter Name="TokenEndPoint" Value="https://accounts.zoho.{{.dc}}/oauth/v2/token"/>
        <Parameter Father="CustomFieldList" Name="dc" Editor="list" Value="com,eu,in"/>
        <Parameter Father="PopulateTemplateString" Name="Accept" Type="Header" Value="application/json"/>
      </Parameters>
    </Scenario>
    <Scenario Id="SyncContactAuto" Type="REST">
      <Requests>
        <Request Name="Contacts" Method="GET" URLFormat="https://www.zohoapis.{{.dc}}/crm/v2/Contacts/search?criteria=((Phone:equals:{{.Phone}})or(Mobile:equals:{{.Phone}}))&amp;per_page=50">
          <Outputs>
            <Output Name="ContactsId" Path="data.#.id"/>
            <Output Name="FirstName" Path="data.#.First_Name"/>
            <Output Name="LastName" Path="data.#.Last_Name"/>
            <Output Name="Company" Path="data.#.Account_Name.name"/>
            <Output Name="Email" Path="data.#.Email"/>
            <Output Name="BusinessNumber" Path="data.#.Phone"/>
            <Output Name="MobileNumber" Path="data.#.Mobile"/>
            <Output Name="HomeNumber" Path="data.#.Home_Phone"/>
            <Output Name="OtherNumber" Path="data.#.Other_Phone,data.#.Asst_Phone"/>
            <Output Name="City" Path="data.#.Mailing_City"/>
          </Outputs>
        </Request>
      </Requests>
    </Scenario>
  </Scenarios>
</Information>`

// zohoFields is a Zoho search response with n contacts holding only the
// fields the template maps (as with Zoho's fields= parameter).
func zohoFields(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"data":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Email":"contact%d@example.com","Other_Phone":null,"Mailing_City":"San Francisco",`+
			`"Account_Name":{"name":"Zylker %d","id":"5540230000002%05d"},"First_Name":"Contact %d","Last_Name":"Tester",`+
			`"id":"55402300000%07d","Phone":"+1 415 555 %04d","Mobile":"+1 415 666 %04d","Home_Phone":null,"Asst_Phone":"+1 415 777 %04d"}`,
			i, i, i, i, i, i, i, i)
	}
	b.WriteString(`],"info":{"per_page":50,"count":50,"page":1,"more_records":false}}`)
	return []byte(b.String())
}

// zohoResponse is a Zoho CRM v2 search response with n contacts.
func zohoResponse(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"data":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Owner":{"name":"Patricia Boyle","id":"554023000000235011","email":"p.boyle@zylker.com"},`+
			`"Email":"contact%d@example.com","$currency_symbol":"$","Other_Phone":null,"Mailing_State":"CA",`+
			`"Mailing_Country":"United States","Mailing_Street":"%d Market St","Mailing_City":"San Francisco",`+
			`"Account_Name":{"name":"Zylker %d","id":"5540230000002%05d"},"Full_Name":"Contact %d Tester",`+
			`"First_Name":"Contact %d","Last_Name":"Tester","id":"55402300000%07d","Phone":"+1 415 555 %04d",`+
			`"Mobile":"+1 415 666 %04d","Home_Phone":null,"Asst_Phone":"+1 415 777 %04d","Created_Time":"2024-03-01T10:00:00+05:30",`+
			`"Modified_Time":"2024-03-02T10:00:00+05:30","Lead_Source":"Web","Title":"Buyer","Description":null,`+
			`"$approved":true,"Tag":[],"$editable":true}`, i, i, i, i, i, i, i, i, i, i)
	}
	b.WriteString(`],"info":{"per_page":50,"count":50,"page":1,"more_records":false}}`)
	return []byte(b.String())
}

func TestZohoBenchShape(t *testing.T) {
	tp := mustParse(t, zohoTemplate)
	r := tp.Scenario(ScenarioSyncContactAuto).Request("Contacts")
	want := Record{"ContactsId": "554023000000000007", "FirstName": "Contact 7", "LastName": "Tester", "Company": "Zylker 7",
		"Email": "contact7@example.com", "BusinessNumber": "+1 415 555 0007", "MobileNumber": "+1 415 666 0007",
		"HomeNumber": "", "OtherNumber": "+1 415 777 0007", "City": "San Francisco"}
	for _, body := range [][]byte{zohoResponse(50), zohoFields(50)} {
		recs, err := r.Extract(body, Vars{"Phone": "+14155550007"})
		if err != nil || len(recs) != 50 {
			t.Fatalf("%d records, %v", len(recs), err)
		}
		if fmt.Sprint(recs[7]) != fmt.Sprint(want) {
			t.Errorf("record 7 = %v", recs[7])
		}
	}
}

// BenchmarkRenderExtract50 renders a contact search request and extracts a
// 50-contact Zoho-shaped response: full records (25 fields, about 37 KB) and
// records with only the mapped fields (about 14 KB).
func BenchmarkRenderExtract50(b *testing.B) {
	b.Run("zoho-full", func(b *testing.B) { benchRenderExtract(b, zohoResponse(50)) })
	b.Run("zoho-fields", func(b *testing.B) { benchRenderExtract(b, zohoFields(50)) })
}

// benchRenderExtract renders the request and extracts the records.
func benchRenderExtract(b *testing.B, body []byte) {
	tp := mustParse(b, zohoTemplate)
	r := tp.Scenario(ScenarioSyncContactAuto).Request("Contacts")
	vars := Vars{"dc": "eu", "Phone": "+4930123456"}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		h, err := tp.Render(r, vars)
		if err != nil {
			b.Fatal(err)
		}
		recs, err := r.Extract(body, vars)
		if err != nil || len(recs) != 50 || h.URL == "" {
			b.Fatal(err, len(recs))
		}
	}
	if cpu := cpuTime() - start; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
