package template

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Templates in the wild carry more than the guide documents: they load, and
// what cidproxy does not act on is a warning with its line.
func TestWildTemplateWarnings(t *testing.T) {
	tp := mustParseFile(t, "wild-helpdesk.xml")
	var got []string
	for _, w := range tp.Warnings {
		got = append(got, w.String())
	}
	want := []string{
		`line 2: <Information> attribute Generator is not used by cidproxy (kept)`,
		`line 25: <Scenario> element <Responses> is not used by cidproxy (kept)`,
		`line 37: scenario "SyncContactAuto" parameter "CustomValueEnable": duplicate parameter (first at line 36, which is used)`,
		`line 86: scenario "CreateNewContact" request "contacts" parameter "Data" attribute Value: unknown variable .DisplayName (renders empty unless the caller sets it)`,
		`line 101: scenario "CreateNewTicket" parameter "NeedSyncContact": parameter is not used by cidproxy (kept)`,
		`line 102: scenario "CreateNewTicket" parameter "GroupId" attribute Father: CustomScenarioParameter is not used by cidproxy; its Name is a known variable (kept)`,
		`line 128: scenario "CallJournal" parameter "NeedSyncContact": parameter is not used by cidproxy (kept)`,
		`line 129: scenario "CallJournal" parameter "TicketId": parameter is not used by cidproxy (kept)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n%s", strings.Join(got, "\n"))
	}
	if tp.Auth() != AuthBearerToken || tp.TokenInvalid() != "invalid_token" || !tp.Feature(FeatureCreateNewTicket) {
		t.Errorf("auth %q token invalid %q", tp.Auth(), tp.TokenInvalid())
	}
	if p := tp.Param(ScenarioAuth, "NoNeedRefreshAccessToken"); p == nil || p.Father != FatherAuthOption || p.Value != "1" {
		t.Errorf("AuthOption %+v", p)
	}
	if f := tp.CustomFields(); len(f) != 3 || f[0].Key != "desk_domain" {
		t.Errorf("custom fields %+v", f)
	}
	if tp.Scenario(ScenarioSearchContact) == nil || len(tp.Scenario(ScenarioAuth).Extra.Elems) != 1 {
		t.Error("SearchContact or Responses lost")
	}
}

func TestAuthTypeAliases(t *testing.T) {
	for in, want := range map[string]AuthType{"none": AuthNone, "": AuthNone, "Basic": AuthBasic, "oauth2": AuthOAuth2,
		"bearer": AuthBearerToken, "bearertoken": AuthBearerToken, "digest": ""} {
		if got := (&Template{AuthType: in}).Auth(); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func fixtures(t *testing.T) []string {
	files, err := filepath.Glob("testdata/*.xml")
	if err != nil || len(files) < 20 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	return files
}

// parse(save(parse(x))) equals parse(x) for every fixture that can be read,
// and saving is a fixed point.
func TestRoundTrip(t *testing.T) {
	unreadable := map[string]bool{"invalid-xml-syntax.xml": true, "invalid-root.xml": true}
	for _, f := range fixtures(t) {
		b, _ := os.ReadFile(f)
		t1, err := Parse(b)
		if (t1 == nil) != unreadable[filepath.Base(f)] {
			t.Fatalf("%s: model %v, error %v", f, t1 != nil, err)
		}
		if t1 == nil {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			out := t1.Bytes()
			t2, err2 := Parse(out)
			if t2 == nil || (err == nil) != (err2 == nil) {
				t.Fatalf("re-parse: %v (first: %v)\n%s", err2, err, out)
			}
			if !Equal(t1, t2) {
				t.Errorf("not equal after round trip:\n%s", out)
			}
			if !reflect.DeepEqual(plain(t1), plain(t2)) {
				t.Error("deep-equal differs from Equal")
			}
			if again := t2.Bytes(); string(again) != string(out) {
				t.Errorf("Bytes not a fixed point:\n%s\n---\n%s", out, again)
			}
			m, err := xml.Marshal(t1)
			if err != nil {
				t.Fatal(err)
			}
			if t3, _ := Parse(m); t3 == nil || !Equal(t1, stripDecl(t3, t1.XMLVersion)) {
				t.Errorf("MarshalXML result differs:\n%s", m)
			}
		})
	}
}

func stripDecl(t *Template, v string) *Template { t.XMLVersion = v; return t }

func TestEqualDetectsChanges(t *testing.T) {
	a := mustParseFile(t, "seed-crm.xml")
	b := mustParseFile(t, "seed-crm.xml")
	if !Equal(a, b) {
		t.Fatal("same file not equal")
	}
	b.Scenario(ScenarioSyncContactAuto).Requests[0].Outputs.Outputs[0].Path = "data.#.ID"
	if Equal(a, b) {
		t.Error("changed path not detected")
	}
}

func TestXMLDeclarations(t *testing.T) {
	body := `<Information Provider="crm" Name="Caf` + "\xe9" + `" AuthType="none"><Scenarios/></Information>`
	tests := []struct{ name, in, version, tname string }{
		{"1.1", `<?xml version="1.1"?>` + strings.ReplaceAll(body, "\xe9", "é"), "1.1", "Café"},
		{"1.1 single quotes", `<?xml version='1.1' encoding='utf-8'?>` + strings.ReplaceAll(body, "\xe9", "é"), "1.1", "Café"},
		{"bom", "\xef\xbb\xbf" + `<?xml version="1.0"?>` + strings.ReplaceAll(body, "\xe9", "é"), "1.0", "Café"},
		{"latin1", `<?xml version="1.1" encoding="ISO-8859-1"?>` + body, "1.1", "Café"},
		{"none", strings.ReplaceAll(body, "\xe9", "é"), "", "Café"},
	}
	for _, tt := range tests {
		tp, err := Parse([]byte(tt.in))
		if err != nil || tp.XMLVersion != tt.version || tp.Name != tt.tname {
			t.Errorf("%s: %v %+v", tt.name, err, tp)
			continue
		}
		if back, err := Parse(tp.Bytes()); err != nil || !Equal(tp, back) {
			t.Errorf("%s: round trip %v", tt.name, err)
		}
	}
	_, err := Parse([]byte(`<?xml version="2.0"?><Information/>`))
	if want := `template: line 1: xml: unsupported version "2.0"; only version 1.0 is supported`; err == nil || err.Error() != want {
		t.Errorf("version 2.0: %v", err)
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
