package template

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// One fixture per validation error, checked against the exact message.
func TestInvalidTemplates(t *testing.T) {
	list := "(want one of AuthMethod, UserAssociation, SyncContactAuto, SearchContact, CreateNewContact, CreateNewTicket, CallJournal, GetGlobalInfo, Common)"
	tests := map[string]string{
		"invalid-xml-syntax.xml":         `template: line 5: xml syntax: unexpected end element </Scenarios>`,
		"invalid-root.xml":               `template: line 2: root element is <Crm>, want <Information>`,
		"invalid-authtype.xml":           `template: line 2: attribute AuthType: bad AuthType "digest": want none, basic, oauth2 or bearertoken`,
		"invalid-unknown-scenario.xml":   `template: line 15: scenario "LookupByEmail" attribute Id: unknown scenario Id "LookupByEmail" ` + list,
		"invalid-seed-structure.xml":     `template: line 3: scenario "1" attribute Id: unknown scenario Id "1" ` + list,
		"invalid-template-syntax.xml":    `template: line 6: scenario "SyncContactAuto" request "Contacts" attribute URLFormat: template syntax: unclosed action`,
		"invalid-unknown-function.xml":   `template: line 6: scenario "SyncContactAuto" request "Contacts" attribute URLFormat: unknown function "Lower"`,
		"invalid-sync-no-contactsid.xml": `template: line 6: scenario "SyncContactAuto" request "Leads": no ContactsId output (required)`,
		"invalid-sync-no-phone.xml": `template: line 6: scenario "SyncContactAuto" request "Contacts": no phone number output ` +
			`(need one of BusinessNumber, BusinessNumber2, BusinessFaxNumber, MobileNumber, MobileNumber2, HomeNumber, HomeNumber2, HomeFaxNumber, OtherNumber)`,
		"invalid-next-missing.xml": `template: line 7: scenario "SyncContactAuto" request "Contacts" attribute Next: Next "GetIdentities" is not a request of the Common scenario`,
		"invalid-next-loop.xml": `template: line 18: scenario "Common" request "A" attribute Next: Next chain loops: A -> B -> A` + "\n" +
			`template: line 21: scenario "Common" request "B" attribute Next: Next chain loops: B -> A -> B`,
		"invalid-too-many-headers.xml": `template: line 4: scenario "AuthMethod": 21 headers (PopulateTemplateString), at most 20 allowed`,
		"invalid-too-many-fields.xml":  `template: line 4: scenario "AuthMethod": 6 custom fields (CustomFieldList), at most 5 allowed with AuthType none`,
		"invalid-json-body.xml": `template: line 8: scenario "CreateNewContact" request "Contacts" parameter "Data" attribute Value: ` +
			`body is not valid JSON (unexpected end of JSON input)`,
		"invalid-json-branches.xml": `template: line 8: scenario "CallJournal" request "CallJournal" parameter "Data" attribute Value: ` +
			`the branches of {{if}}/{{with}}/{{range}} end inside and outside a JSON string; the body would not be valid JSON`,
		"invalid-method.xml": `template: line 6: scenario "UserAssociation" request "UserAssociation" attribute Method: bad Method "FETCH": ` +
			`want one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS`,
		"invalid-oauth2-endpoints.xml": `template: line 4: scenario "AuthMethod": AuthType oauth2 needs a non-empty parameter TokenEndPoint`,
		"invalid-multi.xml": strings.Join([]string{
			`template: line 2: attribute Provider: bad Provider "pbx": want crm or helpdesk`,
			`template: line 2: attribute MaxConcurrentRequest: bad MaxConcurrentRequest "many": want a number from 1`,
			`template: line 2: attribute CallJournal: bad CallJournal "yes": want 0 or 1`,
			`template: line 15: scenario "SyncContactAuto" attribute Id: duplicate scenario Id (first at line 4)`,
			`template: line 20: scenario "CallJournal" parameter "Description" attribute Value: template syntax: unexpected {{end}}`,
			`template: line 23: scenario "CallJournal" request "CallJournal" attribute URLFormat: empty URLFormat`,
			`template: line 25: scenario "CallJournal" request "CallJournal" parameter "Data" attribute Value: TimeFormat takes 2 or 3 arguments, got 1`,
		}, "\n"),
	}
	files, err := filepath.Glob("testdata/invalid-*.xml")
	if err != nil || len(files) != len(tests) {
		t.Fatalf("%d invalid fixtures, %d expectations (%v)", len(files), len(tests), err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			want, ok := tests[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			tp, err := Parse(b)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != want {
				t.Errorf("got:\n%s\nwant:\n%s", err, want)
			}
			if tp != nil {
				if _, rerr := tp.Render(&Request{Name: "x"}, nil); !errors.Is(rerr, ErrNotCompiled) {
					t.Errorf("rendering an invalid template: %v", rerr)
				}
			}
		})
	}
}

// Errors are *Error values that name their place.
func TestErrorFields(t *testing.T) {
	b, _ := os.ReadFile("testdata/invalid-unknown-function.xml")
	_, err := Parse(b)
	var e *Error
	if !errors.As(err, &e) || e.Line != 6 || e.Scenario != "SyncContactAuto" || e.Request != "Contacts" || e.Attr != "URLFormat" {
		t.Errorf("%#v", e)
	}
}

func TestOversize(t *testing.T) {
	big := append([]byte(`<Information><!--`), bytes.Repeat([]byte("x"), MaxSize)...)
	big = append(big, "--></Information>"...)
	_, err := Parse(big)
	want := "template: 1048610 bytes exceeds the limit of 1048576 bytes (1 MB)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestStrictVariables(t *testing.T) {
	b, _ := os.ReadFile("testdata/wild-helpdesk.xml")
	_, err := Parse(b, WithStrictVariables())
	want := `template: line 86: scenario "CreateNewContact" request "contacts" parameter "Data" attribute Value: unknown variable .DisplayName`
	if err == nil || err.Error() != want {
		t.Errorf("got %v", err)
	}
	if _, err := Parse(b, WithStrictVariables(), WithKnownVariables("DisplayName")); err != nil {
		t.Errorf("with DisplayName known: %v", err)
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
