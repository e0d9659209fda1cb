package template_test

import (
	"fmt"
	"time"

	"cidproxy/crm/template"
)

const exampleXML = `<?xml version="1.1" encoding="UTF-8"?>
<Information Provider="crm" Name="Example" Key="example" AuthType="none">
  <Scenarios>
    <Scenario Id="AuthMethod" Type="AUTH">
      <Parameters>
        <Parameter Father="CustomFieldList" Name="api_key" Editor="password" Title="API key"/>
        <Parameter Father="PopulateTemplateString" Name="X-Auth-Token" Type="Header" Value="{{.api_key}}"/>
      </Parameters>
    </Scenario>
    <Scenario Id="SyncContactAuto" Type="REST">
      <Requests>
        <Request Name="Contacts" Method="GET" URLFormat="https://crm.example.com/api/contacts?phone={{.Phone}}">
          <Outputs>
            <Output Name="ContactsId" Path="data.#.id"/>
            <Output Name="FirstName" Path="data.#.name"/>
            <Output Name="BusinessNumber" Path="data.#.phone,data.#.mobile"/>
          </Outputs>
        </Request>
      </Requests>
    </Scenario>
    <Scenario Id="CallJournal" Type="REST">
      <Requests>
        <Request Name="CallJournal" Method="POST" URLFormat="https://crm.example.com/api/calls">
          <Parameters>
            <Parameter Name="Data" Type="Body" Value="{&quot;who&quot;:&quot;{{.CallerName}}&quot;,&quot;at&quot;:&quot;{{TimeFormat .StartTimeUnix &quot;yyyy-MM-ddTHH:mm:ssZz&quot; &quot;1&quot;}}&quot;,&quot;secs&quot;:{{.Talk_Duration_Sec}}}"/>
          </Parameters>
        </Request>
      </Requests>
    </Scenario>
  </Scenarios>
</Information>`

func Example() {
	t, err := template.Parse([]byte(exampleXML), template.WithLocation(time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	search := t.Scenario(template.ScenarioSyncContactAuto).Request("Contacts")
	h, _ := t.Render(search, template.Vars{"api_key": "k1", "Phone": "+49 30 1234"})
	fmt.Println(h.Method, h.URL, h.Header.Get("X-Auth-Token"))

	recs, _ := search.Extract([]byte(`{"data":[{"id":7,"name":"Ann","mobile":"+49 30 1234"}]}`), nil)
	fmt.Println(recs[0]["ContactsId"], recs[0]["FirstName"], recs[0]["BusinessNumber"])

	journal := t.Scenario(template.ScenarioCallJournal).Request("CallJournal")
	h, _ = t.Render(journal, template.Vars{"CallerName": `Bob "B" <2001>`, "StartTimeUnix": "1672531199", "Talk_Duration_Sec": "65"})
	fmt.Println(string(h.Body))
	// Output:
	// GET https://crm.example.com/api/contacts?phone=%2B49%2030%201234 k1
	// 7 Ann +49 30 1234
	// {"who":"Bob \"B\" <2001>","at":"2022-12-31T23:59:59Z","secs":65}
}
