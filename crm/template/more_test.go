package template

import (
	"strings"
	"testing"
)

func TestBodyContext(t *testing.T) {
	tests := []struct {
		enc, src string
		want     Context
	}{
		{"", `{"a":1}`, CtxJSON},
		{"", ` {{if .X}}[1]{{end}}`, CtxJSON},
		{"Json", `x`, CtxJSON},
		{"application/json", ``, CtxJSON},
		{"UrlEncoded", `{"a":1}`, CtxForm},
		{"form", `a`, CtxForm},
		{"application/x-www-form-urlencoded", ``, CtxForm},
		{"", `a={{.A}}&b=2`, CtxForm},
		{"text/xml", `a`, CtxXML},
		{"", `<r>{{.A}}</r>`, CtxXML},
		{"", `hello {{.A}}`, CtxPlain},
		{"", `{{.A}}`, CtxPlain},
	}
	for _, tt := range tests {
		if got := bodyContext(tt.enc, tt.src); got != tt.want {
			t.Errorf("%q %q: %s, want %s", tt.enc, tt.src, got, tt.want)
		}
	}
}

// Inline templates for validation rules without a fixture of their own.
func TestValidationRules(t *testing.T) {
	sync := `<Scenario Id="SyncContactAuto"><Requests><Request Name="C" URLFormat="https://h/?p={{.Phone}}"><Outputs>` +
		`<Output Name="ContactsId" Path="id"/><Output Name="FirstName" Path="n"/><Output Name="MobileNumber" Path="m"/></Outputs></Request></Requests></Scenario>`
	wrap := func(attrs, scen string) string {
		return `<Information Provider="CRM" ` + attrs + `><Scenarios>` + sync + scen + `</Scenarios></Information>`
	}
	tests := []struct{ name, xml, want string }{
		{"custom field rules", wrap(`AuthType="none"`, `<Scenario Id="AuthMethod" Type="AUTH"><Parameters>`+
			`<Parameter Father="CustomFieldList" Name="" /><Parameter Father="CustomFieldList" Name="a-b"/>`+
			`<Parameter Father="CustomFieldList" Name="x" Editor="radio"/><Parameter Father="CustomFieldList" Name="x"/></Parameters></Scenario>`),
			`template: line 1: scenario "AuthMethod" attribute Name: custom field without Name
template: line 1: scenario "AuthMethod" parameter "a-b" attribute Name: custom field Name must be a template identifier (letters, digits, _)
template: line 1: scenario "AuthMethod" parameter "x" attribute Editor: bad Editor "radio": want string, password or list
template: line 1: scenario "AuthMethod" parameter "x" attribute Name: duplicate custom field`},
		{"auth rules", wrap(`AuthType="basic"`, `<Scenario Id="AuthMethod" Type="AUTH"><Parameters><Parameter Name="AuthMethod" Value="oauth2"/>`+
			`<Parameter Name="CredentialType" Value="token"/><Parameter Name="TokenRefreshInterval" Value="-1"/>`+
			`<Parameter Father="PopulateTemplateString" Name="Bad Header" Value="x"/></Parameters></Scenario>`),
			`template: line 1: scenario "AuthMethod" parameter "AuthMethod" attribute Value: AuthMethod "oauth2" contradicts Information AuthType "basic"
template: line 1: scenario "AuthMethod": AuthType basic needs a non-empty parameter Base64EncodedCredential
template: line 1: scenario "AuthMethod" parameter "CredentialType" attribute Value: bad CredentialType "token": want username_password or api_key
template: line 1: scenario "AuthMethod" parameter "TokenRefreshInterval" attribute Value: bad TokenRefreshInterval "-1": want minutes (0 = never, blank = 25)
template: line 1: scenario "AuthMethod" parameter "Bad Header" attribute Name: bad header name "Bad Header"`},
		{"no auth scenario", wrap(`AuthType="oauth2"`, ``),
			`template: line 1: attribute AuthType: AuthType oauth2 needs an AuthMethod scenario`},
		{"bad AuthMethod", wrap(``, `<Scenario Id="AuthMethod"><Parameters><Parameter Name="AuthMethod" Value="ntlm"/></Parameters></Scenario>`),
			`template: line 1: scenario "AuthMethod" parameter "AuthMethod" attribute Value: bad AuthMethod "ntlm": want none, basic, oauth2 or bearertoken`},
		{"requests", wrap(``, `<Scenario Id="UserAssociation"><Requests><Request URLFormat="https://h/"><Parameters>`+
			`<Parameter Name="X Y" Type="Header" Value="1"/></Parameters><Outputs><Output Path="a"/><Output Name="B" Path="a.#(b"/></Outputs></Request></Requests></Scenario>`),
			`template: line 1: scenario "UserAssociation" attribute Name: request without Name
template: line 1: scenario "UserAssociation" parameter "X Y" attribute Name: bad header name "X Y"
template: line 1: scenario "UserAssociation" attribute Name: output without Name
template: line 1: scenario "UserAssociation" output "B" attribute Path: GJSON path "a.#(b": unbalanced brackets or quotes
template: line 1: scenario "UserAssociation": no UserUniqueId output (required)`},
		{"contact URL", wrap(``, `<Scenario Id="SearchContact"><Parameters><Parameter Name="ContactUrlType" Value="retrieve_from_contact"/>`+
			`<Parameter Name="ContactUrlType" Value="popup"/></Parameters></Scenario>`),
			`template: line 1: scenario "SearchContact" parameter "ContactUrlType" attribute Value: retrieve_from_contact needs a ContactFieldForUri path
template: line 1: scenario "SearchContact" parameter "ContactUrlType" attribute Value: bad ContactUrlType "popup": want specify_url_format or retrieve_from_contact`},
		{"scenario without Id", wrap(``, `<Scenario/>`), `template: line 1: attribute Id: scenario without Id`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.xml))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got:\n%v\nwant:\n%s", err, tt.want)
			}
		})
	}
}

// Text content, namespaced attributes and stray elements inside list
// elements: kept (with a warning) or dropped (with a warning).
func TestUnusualXML(t *testing.T) {
	src := `<Information xmlns:x="urn:x" x:id="7" AuthType="none"><Scenarios>
<Scenario Id="GetGlobalInfo">note<Requests><Request Name="r" URLFormat="https://h/"><Parameters><Junk/>
<Parameter Name="p" Type="Query" Value="1">text<Sub a="b"/></Parameter></Parameters>
<Outputs><Output Name="A" Path="a">t<Deep/></Output><Extra/></Outputs></Request></Requests></Scenario></Scenarios></Information>`
	tp, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var ws []string
	for _, w := range tp.Warnings {
		ws = append(ws, w.String())
	}
	want := `line 1: <Information> attribute xmlns:x is not used by cidproxy (kept)
line 1: <Information> attribute x:id is not used by cidproxy (kept)
line 2: <Scenario> text content is not used by cidproxy (kept)
line 2: <Parameters> element <Junk> is ignored (dropped)
line 3: <Parameter> text content is not used by cidproxy (kept)
line 3: <Parameter> element <Sub> is not used by cidproxy (kept)
line 3: scenario "GetGlobalInfo" request "r" parameter "p" attribute Type: Type "Query" is not used by cidproxy (want Header or Body; kept)
line 4: <Output> text content is not used by cidproxy (kept)
line 4: <Output> element <Deep> is not used by cidproxy (kept)
line 4: <Outputs> element <Extra> is not used by cidproxy (kept)`
	if got := strings.Join(ws, "\n"); got != want {
		t.Errorf("warnings:\n%s", got)
	}
	out := string(tp.Bytes())
	for _, s := range []string{`xmlns:x="urn:x"`, `x:id="7"`, `<Sub a="b" />`, `<Deep />`, `<Extra />`, " text\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("%s lost:\n%s", s, out)
		}
	}
	back, err := Parse([]byte(out))
	if err != nil || !Equal(tp, back) {
		t.Errorf("round trip: %v", err)
	}
}
