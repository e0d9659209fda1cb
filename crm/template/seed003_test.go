package template

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

// Worked examples of the Custom CRM Integration Guide (seed 003): functions
// and variables.
func TestSeedFunctionExamples(t *testing.T) {
	tests := []struct {
		name, src string
		vars      Vars
		want      string
	}{
		// "{{ TimeFormat .StartTimeUnix "yyyy-MM-ddTHH:mm:ss.000Zz" "1" }}", 1672531199:
		// with the UTC flag this is 2022-12-31T23:59:59Z (see doc.go for the
		// guide's inconsistent 2023-01-01T00:59:59.000Z).
		{"TimeFormat UTC", `{{ TimeFormat .StartTimeUnix "yyyy-MM-ddTHH:mm:ss.000Zz" "1" }}`,
			Vars{"StartTimeUnix": "1672531199"}, "2022-12-31T23:59:59.000Z"},
		// Without the flag the PBX zone (UTC+1 here) gives the guide's wall clock.
		{"TimeFormat PBX zone", `{{ TimeFormat .StartTimeUnix "yyyy-MM-ddTHH:mm:ss.000Zz" "0" }}`,
			Vars{"StartTimeUnix": "1672531199"}, "2023-01-01T00:59:59.000+01:00"},
		{"TimeFormat no flag", `{{ TimeFormat .StartTimeUnix "yyyy-MM-ddTHH:mm:ss.000Zz" }}`,
			Vars{"StartTimeUnix": "1672531199"}, "2023-01-01T00:59:59.000+01:00"},
		{"ToMillis", `{{ ToMillis .StartTimeUnix }}`, Vars{"StartTimeUnix": "1672531199"}, "1672531199000"},
		{"Capitalize", `{{ Capitalize .variable_string }}`, Vars{"variable_string": "hello world"}, "Hello world"},
		{"UrlEncode", `{{ UrlEncode .variable}}`, Vars{"variable": "hello world!"}, "hello%20world%21"},
		{"standard variable", `{{ .varname}}`, Vars{"varname": "x y"}, "x y"},
		{"conditional set", `{{ if .varname }} Welcome, member! {{ else }} Please sign up. {{ end }}`,
			Vars{"varname": "1"}, " Welcome, member! "},
		{"conditional empty", `{{ if .varname }} Welcome, member! {{ else }} Please sign up. {{ end }}`,
			Vars{"varname": ""}, " Please sign up. "},
		{"conditional absent", `{{ if .varname }} Welcome, member! {{ else }} Please sign up. {{ end }}`,
			Vars{}, " Please sign up. "},
		{"basic credential", `{{ .username}}:{{ .password}}`, Vars{"username": "ann", "password": "p:w\"d"}, `ann:p:w"d`},
		{"api key credential", `{{ .api_key}}`, Vars{"api_key": "k-123"}, "k-123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := renderValue(t, tt.src, CtxPlain, tt.vars); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// The auth scenario of the guide: endpoints, scope, headers.
func TestSeedAuthScenario(t *testing.T) {
	tp := mustParseFile(t, "seed-crm.xml")
	vars := Vars{"client_id": "1000.ABC", "client_secret": "s3cr3t", "redirect_uri": "https://pbx.example.com/crm/callback"}
	tests := []struct{ param, want string }{
		{"AuthEndPoint", "https://api.example.com/oauth/v2/auth?client_id=1000.ABC"},
		{"TokenEndPoint", "https://api.example.com/oauth/v2/token?client_id=1000.ABC&client_secret=s3cr3t"},
		{"AdditionalQueryString", "client_id=1000.ABC&redirect_uri=https%3A%2F%2Fpbx.example.com%2Fcrm%2Fcallback"},
		{"Scope", "contacts.read,contacts.write,calls.read,calls.write,user.read,user.write"},
		{"TokenInvalid", "INVALID_TOKEN"},
	}
	for _, tt := range tests {
		got, err := param(t, tp, ScenarioAuth, tt.param).Render(vars)
		if err != nil || got != tt.want {
			t.Errorf("%s = %q, %v; want %q", tt.param, got, err, tt.want)
		}
	}
	if tp.Auth() != AuthOAuth2 || tp.TokenInvalid() != "INVALID_TOKEN" || tp.MaxConcurrent(1) != 5 {
		t.Errorf("Auth %q TokenInvalid %q MaxConcurrent %d", tp.Auth(), tp.TokenInvalid(), tp.MaxConcurrent(1))
	}
	var names []string
	for _, f := range tp.CustomFields() {
		names = append(names, f.Name+"/"+f.Editor)
	}
	if want := []string{"client_id/password", "client_secret/password", "crm_url/list"}; !reflect.DeepEqual(names, want) {
		t.Errorf("custom fields %v, want %v", names, want)
	}
	h, err := tp.Render(req(t, tp, ScenarioUserAssociation, "UserAssociation"), vars)
	if err != nil {
		t.Fatal(err)
	}
	want := http.Header{
		"Content-Type": {"application/json"}, "Accept": {"application/json"},
		"X-Csrf-Token": {"f3ela2b4c5d6e7f8g9h0"}, "X-Client-Id": {"1000.ABC"},
	}
	if !reflect.DeepEqual(h.Header, want) {
		t.Errorf("headers %v, want %v", h.Header, want)
	}
	if h.Method != "GET" || h.URL != "https://www.api.example.com/v1/users?type=ActiveUsers" || h.Body != nil {
		t.Errorf("user request %s %s %q", h.Method, h.URL, h.Body)
	}
}

func TestSeedBasicAndBearer(t *testing.T) {
	tp := mustParseFile(t, "xml11-basic.xml")
	if tp.XMLVersion != "1.1" || tp.Auth() != AuthBasic {
		t.Fatalf("version %q auth %q", tp.XMLVersion, tp.Auth())
	}
	cred, err := param(t, tp, ScenarioAuth, "Base64EncodedCredential").Render(Vars{"username": "ann", "password": "pw"})
	if err != nil || base64.StdEncoding.EncodeToString([]byte(cred)) != "YW5uOnB3" {
		t.Errorf("credential %q, %v", cred, err)
	}
	hd := mustParseFile(t, "seed-helpdesk.xml")
	got, err := param(t, hd, ScenarioAuth, "TokenEndPoint").Render(Vars{"client_id": "id", "client_secret": "sec"})
	want := "https://www.api.example.com/oauth/v2/token?client_id=id&client_secret=sec&grant_type=client_credentials"
	if err != nil || got != want {
		t.Errorf("bearer TokenEndPoint %q, %v", got, err)
	}
	// X-Auth-Token: {{.api_key}} (custom request headers example).
	h, err := hd.Render(req(t, hd, ScenarioGetGlobalInfo, "GetDepartments"), Vars{"api_key": "k1", "domain_suffix": "com"})
	if err != nil || h.Header.Get("X-Auth-Token") != "k1" || h.URL != "https://desk.example.com/api/v1/departments" {
		t.Errorf("GetDepartments %+v, %v", h, err)
	}
}

// Contact search, popup URL and contact creation examples.
func TestSeedContactScenarios(t *testing.T) {
	tp := mustParseFile(t, "seed-crm.xml")
	search := req(t, tp, ScenarioSyncContactAuto, "contacts")
	base := "https://www.api.example.com/crm/v1/Contacts/search?criteria="
	for _, tt := range []struct{ phone, crit string }{
		{"5551234", "((Phone:equals:5551234)or(Home_Phone:equals:5551234)or(Mobile:equals:5551234)or(Asst_Phone:equals:5551234))"},
		{"+4930 12", "((Phone:equals:%2B4930%2012)or(Home_Phone:equals:%2B4930%2012)or(Mobile:equals:%2B4930%2012)or(Asst_Phone:equals:%2B4930%2012))"},
	} {
		h, err := tp.Render(search, Vars{"Phone": tt.phone})
		if err != nil || h.URL != base+tt.crit {
			t.Errorf("search %q: %q, %v", tt.phone, h.URL, err)
		}
	}
	popup := param(t, tp, ScenarioSyncContactAuto, "URLFormat")
	got, err := popup.Render(Vars{"crm_url": "https://crm.zoho.com", "CustomValue": "org123", "ContactSyncType": "contacts", "ContactId": "456"})
	if want := "https://crm.zoho.com/crm/org123/tab/Contacts/456"; err != nil || got != want {
		t.Errorf("popup %q, %v; want %q", got, err, want)
	}
	create := req(t, tp, ScenarioCreateNewContact, "contacts")
	h, err := tp.Render(create, Vars{"LastName": "Smith", "FirstName": "Ann", "BusinessNumber": "+4930123"})
	if err != nil {
		t.Fatal(err)
	}
	wantBody := "{\n   \"data\": [\n      {\n          \"Last_Name\": \"Smith\",\n          \"First_Name\": \"Ann\",\n          \"Phone\": \"+4930123\"\n      }\n   ]\n}"
	if string(h.Body) != wantBody || h.Method != "POST" || h.URL != "https://www.api.example.com/crm/v1/Contacts" {
		t.Errorf("create: %s %s\n%s", h.Method, h.URL, h.Body)
	}
}

// Call journal: Subject/Description parameters become variables of the body.
func TestSeedCallJournal(t *testing.T) {
	tp := mustParseFile(t, "seed-crm.xml")
	sc := tp.Scenario(ScenarioCallJournal)
	call := Vars{
		"Time": "2023-01-01 00:59:59", "Call_Log_Status": "Incoming Call", "Call_From": `Ann "A" <1001>`,
		"Call_To": "2002", "Talk_Duration": "00:01:05", "Talk_Duration_Sec": "65", "StartTimeUnix": "1672531199",
		"Communication_Type": "Inbound", "ContactId": "c1", "CrmId": "u9",
	}
	desc, err := sc.Param("Description").Render(call)
	if want := "Call: 2023-01-01 00:59:59\nIncoming Call from Ann \"A\" <1001> to 2002\n00:01:05"; err != nil || desc != want {
		t.Errorf("description %q, %v", desc, err)
	}
	if !sc.Enabled("EnableSubject") || sc.Enabled("PlayCallRecording") || sc.ParamValue("Subject") != "Extension Call" {
		t.Error("CallJournal settings")
	}
	call["Subject"], call["Description"] = sc.ParamValue("Subject"), desc
	h, err := tp.Render(sc.Request("CallJournal"), call)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(h.Body, &got); err != nil {
		t.Fatalf("body %s: %v", h.Body, err)
	}
	want := map[string]any{
		"Subject": "Extension Call", "Description": desc, "Call_Start_Time": "2022-12-31T23:59:59.000Z",
		"Start_Millis": 1672531199000.0, "Call_Duration_Sec": 65.0, "Call_Type": "Inbound", "Who_Id": "c1", "Owner": "u9",
	}
	if len(got.Data) != 1 || !reflect.DeepEqual(got.Data[0], want) {
		t.Errorf("journal body %s", h.Body)
	}
	if h.Header.Get("Content-Type") != "application/json" || h.Method != "POST" || h.URL != "https://www.api.example.com/crm/v2/Calls" {
		t.Errorf("journal request %s %s %q", h.Method, h.URL, h.Header.Get("Content-Type"))
	}
	call["RecordPath"] = "https://pbx/rec/1.wav"
	h, _ = tp.Render(sc.Request("CallJournal"), call)
	if err := json.Unmarshal(h.Body, &got); err != nil || got.Data[0]["Recording"] != "https://pbx/rec/1.wav" {
		t.Errorf("with recording: %s", h.Body)
	}
}

// Helpdesk examples: ticket default subject/description, ticket body, update
// URL, Common request URL.
func TestSeedHelpdesk(t *testing.T) {
	tp := mustParseFile(t, "seed-helpdesk.xml")
	sc := tp.Scenario(ScenarioCreateNewTicket)
	call := Vars{"Time": "2023-01-01 00:59:59", "Communication_Type": "Inbound", "Call_Status": "Missed",
		"Call_From": "Bob<2001>", "Call_To": "1001", "Talk_Duration": "00:00:00"}
	subj, _ := sc.Param("Subject").Render(call)
	desc, _ := sc.Param("Description").Render(call)
	if subj != "Inbound Missed - from Bob<2001> to 1001" || desc != "2023-01-01 00:59:59 Inbound Missed - from Bob<2001> to 1001 00:00:00" {
		t.Errorf("subject %q description %q", subj, desc)
	}
	vars := Vars{"domain": "desk.example.com", "DepartmentId": "7", "Subject": subj, "ContactId": "42",
		"ContactNumber": "+4930", "Description": desc, "TicketId": "T-9"}
	h, err := tp.Render(sc.Request("CreateNewTicket"), vars)
	wantBody := `{"departmentId":"7","subject":"Inbound Missed - from Bob<2001> to 1001","contactId":"42", "phone":"+4930","description":"2023-01-01 00:59:59 Inbound Missed - from Bob<2001> to 1001 00:00:00"}`
	if err != nil || string(h.Body) != wantBody || h.URL != "https://desk.example.com/api/v1/tickets" {
		t.Errorf("ticket: %v %s\n%s", err, h.URL, h.Body)
	}
	h, err = tp.Render(sc.Request("UpdateTicket"), vars)
	if err != nil || h.URL != "https://desk.example.com/api/v1/tickets/T-9/comments" || !json.Valid(h.Body) {
		t.Errorf("update: %v %s %s", err, h.URL, h.Body)
	}
	common := tp.CommonRequest("GetIdentities")
	u, err := common.RenderURL(Vars{"subdomain": "acme", "ContactsId": "12"})
	if err != nil || u != "https://acme.example.com/api/v2/users/12/identities" {
		t.Errorf("common URL %q, %v", u, err)
	}
	if r := req(t, tp, ScenarioSyncContactAuto, "Contacts"); r.Next() != "GetIdentities" {
		t.Errorf("Next %q", r.Next())
	}
}

// Outputs of the guide's GetGlobalInfo and Common (GetIdentities) requests,
// extracted through the fixture's requests.
func TestSeedGlobalAndCommonOutputs(t *testing.T) {
	tp := mustParseFile(t, "seed-helpdesk.xml")
	dep := req(t, tp, ScenarioGetGlobalInfo, "GetDepartments")
	recs, err := dep.Extract([]byte(`{"data":[{"id":"d1","name":"Sales"},{"id":"d2","name":"Support"}]}`), nil)
	if err != nil || !reflect.DeepEqual(recs, []Record{{"DepartmentId": "d1"}, {"DepartmentId": "d2"}}) {
		t.Errorf("departments %v, %v", recs, err)
	}
	org := req(t, tp, ScenarioGetGlobalInfo, "GetOrganizations")
	recs, err = org.Extract([]byte(`{"data":[{"portalName":""},{"portalName":"acmedesk"},{"portalName":"other"}]}`), nil)
	if err != nil || !reflect.DeepEqual(recs, []Record{{"PortalName": "acmedesk"}}) {
		t.Errorf("portal %v, %v", recs, err)
	}
	ids := tp.CommonRequest("GetIdentities")
	body := `{"identities":[{"type":"email","value":"x@example.com"},` +
		`{"type":"phone_number","value":"+1 0"},{"type":"phone_number","value":"+1 1"},{"type":"phone_number","value":"+1 2"},` +
		`{"type":"phone_number","value":"+1 3"},{"type":"phone_number","value":"+1 4"},{"type":"phone_number","value":"+1 5"},` +
		`{"type":"phone_number","value":"+1 6"},{"type":"phone_number","value":"+1 7"},{"type":"phone_number","value":"+1 8"}]}`
	recs, err = ids.Extract([]byte(body), Vars{"ContactsId": "12"})
	want := []Record{{"BusinessNumber2": "+1 1", "BusinessFaxNumber": "+1 2", "MobileNumber": "+1 3", "MobileNumber2": "+1 4",
		"HomeNumber": "+1 5", "HomeNumber2": "+1 6", "HomeFaxNumber": "+1 7", "OtherNumber": "+1 8"}}
	if err != nil || !reflect.DeepEqual(recs, want) {
		t.Errorf("identities %v, %v", recs, err)
	}
	ticket := req(t, tp, ScenarioCreateNewTicket, "CreateNewTicket")
	recs, err = ticket.Extract([]byte(`{"id":"1892000000143237","subject":"x"}`), nil)
	if err != nil || !reflect.DeepEqual(recs, []Record{{"TicketId": "1892000000143237"}}) {
		t.Errorf("ticket %v, %v", recs, err)
	}
}

// The guide's comma example, typo ("#-.street") included: the broken first
// alternative yields nothing and the second one wins.
func TestSeedCommaExampleAsWritten(t *testing.T) {
	o := outs("Street", `data.#(phone=="{{.Phone}}")#-.street, data.#(mobile=="{{.Phone}}")#.street`)
	body := `{"data":[{"phone":"1","mobile":"5551234","street":"Main St"}]}`
	recs, err := Extract(o, []byte(body), Vars{"Phone": "5551234"})
	if err != nil || !reflect.DeepEqual(recs, []Record{{"Street": "Main St"}}) {
		t.Errorf("%v, %v", recs, err)
	}
}
