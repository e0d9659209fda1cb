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
