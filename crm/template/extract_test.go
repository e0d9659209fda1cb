package template

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func outs(kv ...string) []*Output {
	var o []*Output
	for i := 0; i+1 < len(kv); i += 2 {
		o = append(o, &Output{Name: kv[i], Path: kv[i+1]})
	}
	return o
}

const usersJSON = `{"users":[
 {"id":"u1","First_Name":"Carol","Last_Name":"King","Email":"carol@example.com"},
 {"id":"u2","First_Name":"Dave","Last_Name":"Lee","Email":"dave@example.com"}]}`

const identitiesJSON = `{"identities":[
 {"type":"email","value":"a@example.com"},
 {"type":"phone_number","value":"+49 30 111"},
 {"type":"phone_number","value":"+49 30 222"},
 {"type":"phone_number","value":"+49 30 333"}]}`

// GJSON examples of the guide.
func TestExtractSeedPaths(t *testing.T) {
	tests := []struct {
		name string
		out  []*Output
		body string
		vars Vars
		want []Record
	}{
		{"users.#.field", outs("UserUniqueId", "users.#.id", "FirstName", "users.#.First_Name",
			"LastName", "users.#.Last_Name", "Email", "users.#.Email"), usersJSON, nil,
			[]Record{
				{"UserUniqueId": "u1", "FirstName": "Carol", "LastName": "King", "Email": "carol@example.com"},
				{"UserUniqueId": "u2", "FirstName": "Dave", "LastName": "Lee", "Email": "dave@example.com"},
			}},
		{"#(...)#|N", outs("BusinessNumber2", `identities.#(type=="phone_number")#|1.value`,
			"MobileNumber", `identities.#(type== "phone_number")#|2.value`,
			"HomeNumber", `identities.#(type=="phone_number")#|5.value`), identitiesJSON, nil,
			[]Record{{"BusinessNumber2": "+49 30 222", "MobileNumber": "+49 30 333", "HomeNumber": ""}}},
		{"#(...)#.value iterates", outs("Phone", `identities.#(type=="phone_number")#.value`), identitiesJSON, nil,
			[]Record{{"Phone": "+49 30 111"}, {"Phone": "+49 30 222"}, {"Phone": "+49 30 333"}}},
		{"data.#(key==value).field", outs("Name", `data.#(key=="phone").field`),
			`{"data":[{"key":"mail","field":"x"},{"key":"phone","field":"Alice"}]}`, nil,
			[]Record{{"Name": "Alice"}}},
		{"portalName!=empty", outs("PortalName", `data.#(portalName!="").portalName`),
			`{"data":[{"portalName":""},{"portalName":"acme"}]}`, nil, []Record{{"PortalName": "acme"}}},
		{"ticket id", outs("TicketId", "id"), `{"id":12345678901234567890,"subject":"x"}`, nil,
			[]Record{{"TicketId": "12345678901234567890"}}},
		{"leading dot (ContactFieldForUri)", outs("ContactUrl", ".data.#.contactUrl"),
			`{"data":[{"contactUrl":"https://crm/1"},{"contactUrl":"https://crm/2"}]}`, nil,
			[]Record{{"ContactUrl": "https://crm/1"}, {"ContactUrl": "https://crm/2"}}},
		{"alternatives with variables, first non-empty wins",
			outs("Street", `data.#(phone=="{{.Phone}}")#.street, data.#(mobile=="{{.Phone}}")#.street`),
			`{"data":[{"phone":"1","mobile":"555","street":"Main St"},{"phone":"2","mobile":"6","street":"Elm"}]}`,
			Vars{"Phone": "555"}, []Record{{"Street": "Main St"}}},
		{"alternatives, first alternative present", outs("Street", `data.#(phone=="{{.Phone}}")#.street, data.#(mobile=="{{.Phone}}")#.street`),
			`{"data":[{"phone":"555","mobile":"9","street":"Main St"}]}`, Vars{"Phone": "555"}, []Record{{"Street": "Main St"}}},
		{"root array", outs("ContactsId", "#.id", "BusinessNumber", "#.phone,#.mobile"),
			`[{"id":1,"phone":null,"mobile":"+1 555"},{"id":2,"phone":null,"mobile":"+1 556"}]`, nil,
			[]Record{{"ContactsId": "1", "BusinessNumber": "+1 555"}, {"ContactsId": "2", "BusinessNumber": "+1 556"}}},
		{"scalar copied into every record", outs("ContactsId", "data.#.id", "Company", "company.name"),
			`{"company":{"name":"ACME"},"data":[{"id":"a"},{"id":"b"}]}`, nil,
			[]Record{{"ContactsId": "a", "Company": "ACME"}, {"ContactsId": "b", "Company": "ACME"}}},
		{"no match", outs("ContactsId", "data.#.id"), `{"data":[]}`, nil, nil},
		{"empty body (Zoho 204)", outs("ContactsId", "data.#.id"), "", nil, nil},
		{"empty path yields nothing", outs("ContactsId", "data.#.id", "MobileNumber", ""), `{"data":[{"id":"a"}]}`, nil,
			[]Record{{"ContactsId": "a", "MobileNumber": ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Extract(tt.out, []byte(tt.body), tt.vars)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// Values a CRM may send where strings are expected, and hostile strings.
func TestExtractTypesAndHostileData(t *testing.T) {
	long := strings.Repeat("x", 10<<10)
	body := `{"data":[{"id":7,"name":"O'Brien \"Bob\" \\ \r\nX-Evil: 1","n":1.5e3,"t":true,"f":false,"z":null,
	"o":{"a": [1, 2]},"arr":["+1", "+2"],"e":[ ],"eo":{},"long":"` + long + `"}]}`
	got, err := Extract(outs("id", "data.#.id", "name", "data.#.name", "n", "data.#.n", "t", "data.#.t",
		"f", "data.#.f", "z", "data.#.z", "o", "data.#.o", "arr", "data.#.arr", "long", "data.#.long",
		"e", "data.#.e", "eo", "data.#.eo", "count", "data.#"), []byte(body), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Record{"id": "7", "name": "O'Brien \"Bob\" \\ \r\nX-Evil: 1", "n": "1.5e3", "t": "true", "f": "", // JSON false is no value (issue 10 defect 6)
		"z": "", "o": `{"a":[1,2]}`, "arr": `["+1","+2"]`, "long": long, "e": "", "eo": "", "count": "1"}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("got %v", got)
	}
	if _, err := Extract(outs("id", "id"), []byte(`<html>502 Bad Gateway</html>`), nil); !errors.Is(err, ErrNotJSON) {
		t.Errorf("non-JSON: %v", err)
	}
	if _, err := Extract(outs("id", "id"), []byte(`{"id":`), nil); !errors.Is(err, ErrNotJSON) {
		t.Errorf("truncated JSON: %v", err)
	}
}

// Outputs of a parsed request, with a hostile phone number in the path.
func TestRequestExtract(t *testing.T) {
	tp := mustParseFile(t, "seed-crm.xml")
	r := req(t, tp, ScenarioSyncContactAuto, "contacts")
	body := `{"data":[{"id":"1","first_name":"Ann","last_name":"Smith","phone":"5\"55","mobile":"","street":"S1","org":"o1"}]}`
	got, err := r.Extract([]byte(body), Vars{"Phone": `5"55`})
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{{"ContactsId": "1", "FirstName": "Ann", "LastName": "Smith", "BusinessNumber": `5"55`,
		"MobileNumber": "", "Street": "S1", "CustomValue": "o1"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
	hd := mustParseFile(t, "seed-helpdesk.xml")
	o := hd.Scenario(ScenarioSyncContactAuto).ContactURLOutput()
	recs, err := Extract([]*Output{o}, []byte(`{"data":[{"contacturl":"https://desk/c/1"}]}`), nil)
	if err != nil || len(recs) != 1 || recs[0]["ContactUrl"] != "https://desk/c/1" {
		t.Errorf("contact URL %v, %v", recs, err)
	}
}

func TestSplitAlternatives(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a,b", []string{"a", "b"}},
		{`data.#(x=="a,b").y, z`, []string{`data.#(x=="a,b").y`, " z"}},
		{`[a,b]`, []string{`[a,b]`}},
		{`a\,b`, []string{`a\,b`}},
		{`x.#(n=="{{.A}}")`, []string{`x.#(n=="{{.A}}")`}},
	}
	for _, tt := range tests {
		got, err := splitAlternatives(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: %q, %v", tt.in, got, err)
		}
	}
	if _, err := splitAlternatives(`a.#(b=="c"`); err == nil {
		t.Error("unbalanced path accepted")
	}
}

// Outputs sharing a name fill one field (the last non-empty value wins),
// unnamed outputs are ignored, every record holds every name, and an empty
// body gives no records.
func TestExtractSharedNames(t *testing.T) {
	recs, err := Extract(outs("A", "data.#.a", "B", "data.#.b", "A", "data.#.c", "", "x"),
		[]byte(`{"data":[{"a":"1","b":"x"},{"b":""},{"c":"3"}]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Record{{"A": "1", "B": "x"}, {"A": "3", "B": ""}}; !reflect.DeepEqual(recs, want) {
		t.Errorf("records %v, want %v", recs, want)
	}
	empty, err := Extract(outs("A", "a"), nil, nil)
	if err != nil || empty != nil {
		t.Errorf("empty %#v %v", empty, err)
	}
}

// GJSON's own data.#.key leaves out elements without the key; records must
// stay aligned, so such elements give "".
func TestExtractAlignment(t *testing.T) {
	body := `{"data":[{"id":"1","name":"A"},{"id":"2"},{"id":"3","name":"C","o":{"k":"x"}}]}`
	tests := []struct {
		name string
		out  []*Output
		want []Record
	}{
		{"missing key", outs("id", "data.#.id", "name", "data.#.name"),
			[]Record{{"id": "1", "name": "A"}, {"id": "2", "name": ""}, {"id": "3", "name": "C"}}},
		{"nested suffix", outs("id", "data.#.id", "k", "data.#.o.k"),
			[]Record{{"id": "1", "k": ""}, {"id": "2", "k": ""}, {"id": "3", "k": "x"}}},
		{"variable path", outs("id", "data.#.id", "v", "data.#.{{.F}}"),
			[]Record{{"id": "1", "v": "A"}, {"id": "2", "v": ""}, {"id": "3", "v": "C"}}},
		{"root array", outs("id", "#.id", "name", "#.name"), nil},
		{"arrays of arrays", outs("first", "rows.#.0", "second", "rows.#.1"), nil},
	}
	for _, tt := range tests {
		b := body
		if tt.name == "root array" {
			b = `[{"id":1},{"name":"B"}]`
			tt.want = []Record{{"id": "1", "name": ""}, {"id": "", "name": "B"}}
		}
		if tt.name == "arrays of arrays" {
			b = `{"rows":[["a","b"],["c"]]}`
			tt.want = []Record{{"first": "a", "second": "b"}, {"first": "c", "second": ""}}
		}
		got, err := Extract(tt.out, []byte(b), Vars{"F": "name"})
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, %v", tt.name, got, err)
		}
	}
}
