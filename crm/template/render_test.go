package template

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestEscapingByContext(t *testing.T) {
	hostile := `a"b\c/d?e#f&g=h@i j+k%l` + "\r\n<x>'"
	tests := []struct {
		name, src string
		ctx       Context
		vars      Vars
		want      string
	}{
		{"url base", "{{.base}}/crm/x", CtxURL, Vars{"base": "https://crm.zoho.eu/a b?c#d"}, "https://crm.zoho.eu/a%20b%3Fc%23d/crm/x"},
		{"url host", "https://{{.sub}}.example.com/api", CtxURL, Vars{"sub": "evil.com/x?@"}, "https://evil.com%2Fx%3F%40.example.com/api"},
		{"url host port", "https://{{.host}}/api", CtxURL, Vars{"host": "crm.local:8443"}, "https://crm.local:8443/api"},
		{"url path", "https://h/users/{{.id}}/identities", CtxURL, Vars{"id": "../a/b?c#d"}, "https://h/users/..%2Fa%2Fb%3Fc%23d/identities"},
		{"url path plus", "https://h/p/{{.n}}", CtxURL, Vars{"n": "+49 30"}, "https://h/p/+49%2030"},
		{"url query", "https://h/s?q={{.q}}&x=1", CtxURL, Vars{"q": hostile}, "https://h/s?q=a%22b%5Cc%2Fd%3Fe%23f%26g%3Dh%40i%20j%2Bk%25l%0D%0A%3Cx%3E%27&x=1"},
		{"url query UrlEncode not doubled", "https://h/s?q={{UrlEncode .q}}", CtxURL, Vars{"q": "a b&c"}, "https://h/s?q=a%20b%26c"},
		{"url fragment", "https://h/#{{.f}}", CtxURL, Vars{"f": "a#b c"}, "https://h/#a%23b%20c"},
		{"query string", "a={{.a}}&b={{.b}}", CtxQuery, Vars{"a": "1&c=3", "b": "x y"}, "a=1%26c%3D3&b=x%20y"},
		{"json in string", `{"n":"{{.n}}"}`, CtxJSON, Vars{"n": hostile + "\x00é\u2028\xff"},
			`{"n":"a\"b\\c/d?e#f&g=h@i j+k%l\r\n<x>'\u0000é\u2028\ufffd"}`},
		{"json bare number", `{"d":{{.d}}}`, CtxJSON, Vars{"d": "65"}, `{"d":65}`},
		{"json bare string", `{"d":{{.d}}}`, CtxJSON, Vars{"d": `1,"x":2`}, `{"d":"1,\"x\":2"}`},
		{"json bare empty", `{"d":{{.d}}}`, CtxJSON, Vars{}, `{"d":null}`},
		{"json bare bool", `{"d":{{.d}}}`, CtxJSON, Vars{"d": true}, `{"d":true}`},
		{"json escaped quote in text", `{"a":"x\"{{.v}}"}`, CtxJSON, Vars{"v": `"`}, `{"a":"x\"\""}`},
		{"json UrlEncode in string", `{"u":"{{UrlEncode .v}}"}`, CtxJSON, Vars{"v": `a "b"`}, `{"u":"a%20%22b%22"}`},
		{"form", "phone={{.p}}&name={{.n}}", CtxForm, Vars{"p": "+49 30", "n": "a&b=c"}, "phone=%2B49%2030&name=a%26b%3Dc"},
		{"xml", "<n>{{.n}}</n>", CtxXML, Vars{"n": `<a href="x">&'`}, "<n>&lt;a href=&#34;x&#34;&gt;&amp;&#39;</n>"},
		{"header", "Bearer {{.tok}}", CtxHeader, Vars{"tok": "abc\r\nX-Evil: 1\x00"}, "Bearer abc  X-Evil: 1 "},
		{"plain", "{{.a}}:{{.b}}", CtxPlain, Vars{"a": `"x"`, "b": "\r\n"}, "\"x\":\r\n"},
		{"path quoted", `data.#(phone=="{{.p}}").id`, CtxPath, Vars{"p": `5"\`}, `data.#(phone=="5\"\\").id`},
		{"path key", `data.{{.k}}`, CtxPath, Vars{"k": "a.b|c"}, `data.a\.b\|c`},
		{"missing plain", "[{{.nope}}]", CtxPlain, Vars{}, "[]"},
		{"missing url", "https://h/{{.nope}}", CtxURL, nil, "https://h/"},
		{"number var", "{{.n}}", CtxPlain, Vars{"n": 42}, "42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := renderValue(t, tt.src, tt.ctx, tt.vars)
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if strings.Contains(got, "<no value>") {
				t.Error("<no value> rendered")
			}
		})
	}
}

func TestRenderRequestShapes(t *testing.T) {
	tp := mustParseFile(t, "wild-helpdesk.xml")
	journal := req(t, tp, ScenarioCallJournal, "CallJournal")
	if _, err := tp.Render(journal, Vars{"desk_domain": "acme"}); !errors.Is(err, ErrEmptyURL) {
		t.Errorf("no RecordPath: %v, want ErrEmptyURL", err)
	}
	h, err := tp.Render(journal, Vars{"desk_domain": "acme", "RecordPath": "/rec/1.wav", "TicketId": "77",
		"StartTimeUnix": "1672531199", "Talk_Duration_Sec": "", "CallerNumber": "1001"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ticket":{"voice_comment":{"from": "1001","to": "","recording_url":"/rec/1.wav","started_at": "2022-12-31 23:59:59 +0000","call_duration":null}}}`
	if h.Method != "PUT" || h.URL != "https://acme.desk.example.net/api/tickets/77.json" || string(h.Body) != want {
		t.Errorf("%s %s\n%s", h.Method, h.URL, h.Body)
	}
	up := req(t, tp, ScenarioCreateNewTicket, "UpdateTicket")
	if h, err := tp.Render(up, Vars{"desk_domain": "acme", "TicketId": "1"}); err != nil || h.Method != "PATCH" {
		t.Errorf("PATCH: %v %v", h, err)
	}
	bad := mustParse(t, `<Information AuthType="none"><Scenarios><Scenario Id="GetGlobalInfo"><Requests>
	<Request Name="x" URLFormat="{{.u}}/x"/></Requests></Scenario></Scenarios></Information>`)
	for _, u := range []string{"javascript:alert(1)//", "ftp://h", "//h"} {
		if _, err := bad.Render(bad.Scenario(ScenarioGetGlobalInfo).Request("x"), Vars{"u": u}); err == nil {
			t.Errorf("URL base %q accepted", u)
		}
	}
}

func TestRenderMultipleBodyParams(t *testing.T) {
	const src = `<Information AuthType="none"><Scenarios><Scenario Id="GetGlobalInfo"><Requests>
	<Request Name="form" Method="POST" URLFormat="https://h/f"><Parameters>
	  <Parameter Name="phone" Type="Body" Value="{{.Phone}}"/><Parameter Name="note" Type="Body" Value="a&amp;b"/>
	  <Parameter Name="X-Trace" Type="Header" Value="{{.Phone}}"/></Parameters></Request>
	<Request Name="json" Method="POST" RequestEncoding="Json" URLFormat="https://h/j"><Parameters>
	  <Parameter Name="phone" Type="Body" Value="{{.Phone}}"/><Parameter Name="q" Type="Body" Value="&quot;"/></Parameters></Request>
	</Requests></Scenario></Scenarios></Information>`
	tp := mustParse(t, src, WithKnownVariables("Phone"))
	sc := tp.Scenario(ScenarioGetGlobalInfo)
	h, err := tp.Render(sc.Request("form"), Vars{"Phone": "+1 5\r\n"})
	if err != nil || string(h.Body) != "note=a%26b&phone=%2B1+5%0D%0A" ||
		h.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || h.Header.Get("X-Trace") != "+1 5  " {
		t.Errorf("form: %v %q %v", err, h.Body, h.Header)
	}
	h, err = tp.Render(sc.Request("json"), Vars{"Phone": "+1"})
	if err != nil || string(h.Body) != `{"phone":"+1","q":"\""}` {
		t.Errorf("json: %v %s", err, h.Body)
	}
	hr, err := h.NewRequest(t.Context())
	if err != nil || hr.Method != "POST" || hr.URL.String() != "https://h/j" || hr.ContentLength != int64(len(h.Body)) {
		t.Errorf("NewRequest: %v %v", hr, err)
	}
}

// Property: whatever call or CRM data holds, JSON bodies stay valid JSON and
// URLs keep their scheme, host, path segments and query keys.
func TestRenderHostileProperty(t *testing.T) {
	admin := Vars{"client_id": "cid", "client_secret": "sec", "crm_url": "https://crm.example.com", "domain": "desk.example.com",
		"domain_suffix": "com", "subdomain": "acme", "api_key": "k", "desk_domain": "acme", "base_url": "https://b.example.com",
		"username": "u", "password": "p"}
	gen := newHostile(1)
	for _, f := range []string{"seed-crm.xml", "seed-helpdesk.xml", "wild-helpdesk.xml", "xml11-basic.xml"} {
		tp := mustParseFile(t, f)
		for _, sc := range tp.Scenarios {
			for _, r := range sc.Requests {
				benign := varsFor(r, admin, func(i int) string { return "v" + string(rune('a'+i%26)) })
				ref, err := tp.Render(r, benign)
				if err != nil {
					t.Fatalf("%s %s/%s benign: %v", f, sc.ID, r.Name, err)
				}
				for i := 0; i < 200; i++ {
					vars := varsFor(r, admin, func(int) string { return gen.next() })
					h, err := tp.Render(r, vars)
					if err != nil {
						t.Fatalf("%s %s/%s: %v", f, sc.ID, r.Name, err)
					}
					checkSameShape(t, ref, h)
				}
			}
		}
	}
}

// The popup URL (a parameter in URL context) keeps its shape too.
func TestPopupURLHostileProperty(t *testing.T) {
	tp := mustParseFile(t, "seed-crm.xml")
	p := param(t, tp, ScenarioSyncContactAuto, "URLFormat")
	base := Vars{"crm_url": "https://crm.zoho.eu"}
	ref, _ := p.Render(Vars{"crm_url": "https://crm.zoho.eu", "CustomValue": "a", "ContactSyncType": "b", "ContactId": "c"})
	gen := newHostile(2)
	for i := 0; i < 500; i++ {
		vars := Vars{"CustomValue": gen.next(), "ContactSyncType": gen.next(), "ContactId": gen.next()}
		for k, v := range base {
			vars[k] = v
		}
		got, err := p.Render(vars)
		if err != nil {
			t.Fatal(err)
		}
		if urlShape(ref) != urlShape(got) {
			t.Fatalf("popup URL shape changed:\n%s\n%s", ref, got)
		}
	}
}

// varsFor sets every variable r refers to: admin values as given, others
// from val.
func varsFor(r *Request, admin Vars, val func(int) string) Vars {
	v := Vars{}
	names := append([]string{}, r.url.refs...)
	for _, p := range r.Parameters {
		if p.v != nil {
			names = append(names, p.v.refs...)
		}
	}
	names = append(names, CallVariables...)
	for i, n := range names {
		if a, ok := admin[n]; ok {
			v[n] = a
		} else {
			v[n] = val(i)
		}
	}
	v["RecordPath"] = "r" + val(0)
	v["StartTimeUnix"], v["EndTimeUnix"] = "1672531199", 1672531265
	return v
}

func checkSameShape(t *testing.T, ref, h *HTTPRequest) {
	t.Helper()
	if len(ref.Body) > 0 && json.Valid(ref.Body) && !json.Valid(h.Body) {
		t.Fatalf("invalid JSON body: %q", h.Body)
	}
	if urlShape(ref.URL) != urlShape(h.URL) {
		t.Fatalf("URL shape changed:\n%s\n%s", ref.URL, h.URL)
	}
	a, _ := url.Parse(ref.URL)
	b, err := url.Parse(h.URL)
	if err != nil {
		t.Fatalf("URL %q: %v", h.URL, err)
	}
	for k := range a.Query() {
		if _, ok := b.Query()[k]; !ok {
			t.Fatalf("query key %q lost:\n%s\n%s", k, ref.URL, h.URL)
		}
	}
	for k, vs := range h.Header {
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n\x00") {
				t.Fatalf("header %s has a control character: %q", k, v)
			}
		}
	}
}

// Hostile data returned by a CRM (quotes, CRLF, 10 KB, wrong JSON types) is
// extracted and then used in later requests without breaking their JSON
// bodies, URLs or headers.
func TestHostileCRMDataInLaterRequests(t *testing.T) {
	long := strings.Repeat(`"\`, 5<<10)
	resp := `{"ticket":{"id":"T/1?x=2#f"},"user":{"id":{"nested":["a"]},"name":"Eve \"the\" Hacker\r\nX-Evil: 1","n":12.50,"long":"` +
		strings.ReplaceAll(long, `"`, `\"`) + `"}}`
	recs, err := Extract(outs("TicketId", "ticket.id", "ContactId", "user.id", "Name", "user.name", "Dur", "user.n", "Long", "user.long"),
		[]byte(strings.ReplaceAll(resp, `\"\`, `\"\\`)), nil)
	if err != nil || len(recs) != 1 {
		t.Fatalf("%v %v", recs, err)
	}
	rec := recs[0]
	if rec["ContactId"] != `{"nested":["a"]}` || rec["Dur"] != "12.50" || rec["Name"] != "Eve \"the\" Hacker\r\nX-Evil: 1" || len(rec["Long"]) != 10<<10 {
		t.Fatalf("record %q", rec)
	}
	tp := mustParseFile(t, "wild-helpdesk.xml")
	vars := Vars{"desk_domain": "acme", "RecordPath": rec["Long"], "Talk_Duration_Sec": rec["Dur"], "StartTimeUnix": "1672531199"}
	for k, v := range rec {
		vars[k] = v
	}
	vars["CallerNumber"], vars["Description"] = rec["Name"], rec["Name"]
	for _, r := range []*Request{req(t, tp, ScenarioCallJournal, "CallJournal"), req(t, tp, ScenarioCreateNewTicket, "CreateNewTicket"),
		req(t, tp, ScenarioCreateNewTicket, "UpdateTicket")} {
		h, err := tp.Render(r, vars)
		if err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
		var body map[string]any
		if err := json.Unmarshal(h.Body, &body); err != nil {
			t.Fatalf("%s: body not JSON: %v", r.Name, err)
		}
		if !strings.HasPrefix(h.URL, "https://acme.desk.example.net/api/tickets") || strings.Count(h.URL, "?")+strings.Count(h.URL, "#") != 0 {
			t.Errorf("%s: URL %s", r.Name, h.URL)
		}
	}
	h, _ := tp.Render(req(t, tp, ScenarioCallJournal, "CallJournal"), vars)
	var got struct {
		Ticket struct {
			VoiceComment map[string]any `json:"voice_comment"`
		} `json:"ticket"`
	}
	_ = json.Unmarshal(h.Body, &got)
	if got.Ticket.VoiceComment["from"] != rec["Name"] || got.Ticket.VoiceComment["recording_url"] != rec["Long"] ||
		got.Ticket.VoiceComment["call_duration"] != 12.5 {
		t.Errorf("values not carried exactly: %v", got.Ticket.VoiceComment["from"])
	}
	hv := renderValue(t, "{{.Name}}", CtxHeader, Vars{"Name": rec["Name"]})
	if strings.ContainsAny(hv, "\r\n") {
		t.Errorf("header %q", hv)
	}
}

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

// Literal text a URL may not hold is sent percent-encoded; valid escapes
// and escaped values are not encoded twice; validate warns (issue 10
// defect 2).
func TestURLLiteralTextEncoded(t *testing.T) {
	src := `<Information Provider="crm" Name="T" Key="t" AuthType="none"><Scenarios>
<Scenario Id="AuthMethod" Type="AUTH"><Parameters><Parameter Name="AuthMethod" Value="none"/></Parameters></Scenario>
<Scenario Id="UserAssociation"><Requests><Request Name="U" URLFormat=" https://h.example/a b/{{.X}}?q=SELECT Id FROM T WHERE n = '{{.X}}' AND p = &quot;%41&quot; {x|y}&amp;r=%zz"><Outputs>
<Output Name="UserUniqueId" Path="id"/></Outputs></Request></Requests></Scenario></Scenarios></Information>`
	tp, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var ws []string
	for _, w := range tp.Warnings {
		ws = append(ws, w.String())
	}
	if got := strings.Join(ws, "\n"); !strings.Contains(got, `URLFormat: characters " \"{|}%" are not allowed in a URL; they are sent percent-encoded`) {
		t.Errorf("warnings:\n%s", got)
	}
	h, err := tp.Render(req(t, tp, ScenarioUserAssociation, "U"), Vars{"X": "a b'"})
	if err != nil {
		t.Fatal(err)
	}
	want := `https://h.example/a%20b/a%20b%27?q=SELECT%20Id%20FROM%20T%20WHERE%20n%20=%20'a%20b%27'%20AND%20p%20=%20%22%41%22%20%7Bx%7Cy%7D&r=%25zz`
	if h.URL != want {
		t.Errorf("URL\n got %s\nwant %s", h.URL, want)
	}
}
