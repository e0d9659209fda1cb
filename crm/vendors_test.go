package crm

import (
	"context"
	"strings"
	"testing"

	"cidproxy/crm/crmtest"
	"cidproxy/crm/template"
)

// Templates for CRMs without a built-in template, written from seed 003's
// format and the vendors' API documentation (issue 10 defects 2-5).

const salesforceXML = `<Information Provider="crm" Name="Salesforce" Key="salesforce-test" Version="1.0.0" AuthType="bearertoken" MaxConcurrentRequest="3" UserAssociation="0" CallJournal="0" CreateNewContact="0" CreateNewTicket="0">
<Scenarios>
<Scenario Id="AuthMethod" Type="AUTH"><Parameters>
  <Parameter Name="AuthMethod" Value="bearertoken"/>
  <Parameter Name="TokenEndPoint" Value="https://{{.my_domain}}.my.salesforce.com/services/oauth2/token"/>
  <Parameter Name="TokenRefreshInterval" Value=""/>
  <Parameter Father="CustomFieldList" Name="my_domain" Editor="string" Title="My Domain"/>
  <Parameter Father="CustomFieldList" Name="client_id" Editor="string" Title="Consumer Key"/>
  <Parameter Father="CustomFieldList" Name="client_secret" Editor="password" Title="Consumer Secret"/>
</Parameters><Requests></Requests></Scenario>
<Scenario Id="SyncContactAuto" Type="REST"><Parameters>
  <Parameter Name="ContactUrlType" Value="specify_url_format"/>
  <Parameter Name="URLFormat" Value="{{.instance_url}}/lightning/r/{{.ContactSyncType}}/{{.ContactId}}/view"/>
  <Parameter Name="ContactsIdEnable" Value="1"/><Parameter Name="FirstNameEnable" Value="1"/>
  <Parameter Name="LastNameEnable" Value="1"/><Parameter Name="BusinessNumberEnable" Value="1"/><Parameter Name="MobileNumberEnable" Value="1"/>
</Parameters><Requests>
  <Request Name="Contact" Method="GET" ResponseType="application/json" RequestEncoding="" URLFormat="{{.instance_url}}/services/data/v59.0/query?q=SELECT Id, FirstName, LastName, Phone, MobilePhone FROM Contact WHERE Phone = '{{.Phone}}' OR MobilePhone = '{{.Phone}}'">
    <Parameters></Parameters><Outputs>
      <Output Name="ContactsId" Path="records.#.Id"/><Output Name="FirstName" Path="records.#.FirstName"/>
      <Output Name="LastName" Path="records.#.LastName"/><Output Name="BusinessNumber" Path="records.#.Phone"/>
      <Output Name="MobileNumber" Path="records.#.MobilePhone"/>
    </Outputs></Request>
</Requests></Scenario>
</Scenarios></Information>`

// The SOQL's literal spaces are sent encoded, instance_url from the token
// response is the base of the search and of the contact URL, a refresh
// that omits instance_url keeps it, and a stored contact gets the search
// result's URL.
func TestSalesforceSOQLWithInstanceURL(t *testing.T) {
	const instance = "https://acme.my.salesforce.com"
	sf := crmtest.NewSalesforce("sf-key", "sf-secret", instance)
	defer sf.Close()
	sf.AddContact(map[string]any{"Id": "003A1", "FirstName": "Ada", "LastName": "Lovelace", "Phone": "+4930111", "MobilePhone": nil})
	tpl := mustParse(t, salesforceXML)
	for _, w := range tpl.Warnings {
		if strings.Contains(w.String(), "instance_url") {
			t.Errorf("false warning for a token variable: %s", w)
		}
	}
	if !strings.Contains(warnings(tpl), `characters " " are not allowed in a URL`) {
		t.Errorf("no warning for the SOQL's spaces:\n%s", warnings(tpl))
	}
	it := newIntegration(t, Config{Template: tpl, HTTP: sf.Client(),
		Fields: map[string]string{"my_domain": "acme", "client_id": "sf-key", "client_secret": "sf-secret"}})
	cs, err := it.SearchContact(context.Background(), "+4930111")
	if err != nil || len(cs) != 1 || cs[0].ID != "003A1" || cs[0].DisplayName() != "Ada Lovelace" {
		t.Fatalf("contacts %+v, err %v", cs, err)
	}
	q := sf.Queries()
	if len(q) != 1 || q[0] != "SELECT Id, FirstName, LastName, Phone, MobilePhone FROM Contact WHERE Phone = '+4930111' OR MobilePhone = '+4930111'" {
		t.Fatalf("queries %q", q)
	}
	if want := instance + "/lightning/r/Contact/003A1/view"; cs[0].URL != want || it.ContactURL(cs[0]) != want {
		t.Fatalf("contact URL %q (stored contact: %q), want %q", cs[0].URL, it.ContactURL(cs[0]), want)
	}
	sf.OAuth.Extra = nil // the next token response has no instance_url
	sf.OAuth.ExpireAll()
	if cs, err := it.SearchContact(context.Background(), "+4930111"); err != nil || len(cs) != 1 {
		t.Fatalf("after a refresh without instance_url: %+v %v", cs, err)
	}
	if it.Token().Extra["instance_url"] != instance {
		t.Fatalf("token extra %v", it.Token().Extra)
	}
}

const dynamicsXML = `<Information Provider="crm" Name="Dynamics 365" Key="dynamics-test" Version="1.0.0" AuthType="bearertoken" MaxConcurrentRequest="3" UserAssociation="0" CallJournal="0" CreateNewContact="0" CreateNewTicket="0">
<Scenarios>
<Scenario Id="AuthMethod" Type="AUTH"><Parameters>
  <Parameter Name="AuthMethod" Value="bearertoken"/>
  <Parameter Name="TokenEndPoint" Value="https://login.microsoftonline.com/{{.tenant_id}}/oauth2/v2.0/token"/>
  SCOPE
  <Parameter Father="CustomFieldList" Name="tenant_id" Editor="string" Title="Tenant ID"/>
  <Parameter Father="CustomFieldList" Name="org_url" Editor="string" Title="Organization URL"/>
  <Parameter Father="CustomFieldList" Name="client_id" Editor="string" Title="Application (client) ID"/>
  <Parameter Father="CustomFieldList" Name="client_secret" Editor="password" Title="Client secret"/>
</Parameters><Requests></Requests></Scenario>
<Scenario Id="SyncContactAuto" Type="REST"><Parameters>
  <Parameter Name="ContactUrlType" Value="specify_url_format"/>
  <Parameter Name="URLFormat" Value="{{.org_url}}/main.aspx?pagetype=entityrecord&amp;etn=contact&amp;id={{.ContactId}}"/>
  <Parameter Name="ContactsIdEnable" Value="1"/><Parameter Name="FirstNameEnable" Value="1"/>
  <Parameter Name="LastNameEnable" Value="1"/><Parameter Name="BusinessNumberEnable" Value="1"/>
</Parameters><Requests>
  <Request Name="contact" Method="GET" ResponseType="application/json" RequestEncoding="" URLFormat="{{.org_url}}/api/data/v9.2/contacts?$select=contactid,firstname,lastname,telephone1&amp;$filter=telephone1 eq '{{.Phone}}' or mobilephone eq '{{.Phone}}'">
    <Parameters></Parameters><Outputs>
      <Output Name="ContactsId" Path="value.#.contactid"/><Output Name="FirstName" Path="value.#.firstname"/>
      <Output Name="LastName" Path="value.#.lastname"/><Output Name="BusinessNumber" Path="value.#.telephone1"/>
    </Outputs></Request>
</Requests></Scenario>
</Scenarios></Information>`

// Microsoft Entra ID needs scope in the client credentials request: from
// Scope, or from TokenRequestFields; the OData $filter's spaces are sent
// encoded (issue 10 defects 2 and 3).
func TestDynamicsEntraScopeAndODataFilter(t *testing.T) {
	const org = "https://contoso.crm4.dynamics.com"
	for name, scope := range map[string]string{
		"Scope":              `<Parameter Name="Scope" Value="{{.org_url}}/.default"/>`,
		"TokenRequestFields": `<Parameter Name="TokenRequestFields" Value="scope={{.org_url}}/.default"/>`,
	} {
		t.Run(name, func(t *testing.T) {
			d := crmtest.NewDynamics("app-id", "app-secret", org)
			defer d.Close()
			d.AddContact(map[string]any{"contactid": "c0ffee00-1", "firstname": "Grace", "lastname": "Hopper", "telephone1": "+4930222"})
			tpl := mustParse(t, strings.Replace(dynamicsXML, "SCOPE", scope, 1))
			it := newIntegration(t, Config{Template: tpl, HTTP: d.Client(), Fields: map[string]string{
				"tenant_id": "tenant-1", "org_url": org, "client_id": "app-id", "client_secret": "app-secret"}})
			cs, err := it.SearchContact(context.Background(), "+4930222")
			if err != nil || len(cs) != 1 || cs[0].ID != "c0ffee00-1" || cs[0].DisplayName() != "Grace Hopper" {
				t.Fatalf("contacts %+v, err %v", cs, err)
			}
			tok := findReq(d.Requests(), "POST", "login.microsoftonline.com/tenant-1/oauth2/v2.0/token")
			if len(tok) != 1 || !strings.Contains(string(tok[0].Body), "scope=https%3A%2F%2Fcontoso.crm4.dynamics.com%2F.default") {
				t.Fatalf("token requests %+v", tok)
			}
			if want := org + "/main.aspx?pagetype=entityrecord&etn=contact&id=c0ffee00-1"; cs[0].URL != want {
				t.Fatalf("contact URL %q, want %q", cs[0].URL, want)
			}
		})
	}
}

func warnings(tpl *template.Template) string {
	var b strings.Builder
	for _, w := range tpl.Warnings {
		b.WriteString(w.String() + "\n")
	}
	return b.String()
}
