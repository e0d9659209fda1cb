package template

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestAccessors(t *testing.T) {
	tp := mustParseFile(t, "seed-helpdesk.xml")
	if tp.MaxConcurrent(9) != 3 || (&Template{MaxConcurrentRequest: "x"}).MaxConcurrent(9) != 9 {
		t.Error("MaxConcurrent")
	}
	if !tp.Feature(FeatureCallJournal) || tp.Feature(FeatureUserAssociation) || tp.Feature("nope") {
		t.Error("Feature")
	}
	if tp.Scenario("nope") != nil || tp.Param("nope", "x") != nil || tp.CommonRequest("nope") != nil {
		t.Error("lookups of absent names")
	}
	sc := tp.Scenario(ScenarioCreateNewTicket)
	if !sc.Enabled("EnableSubject") || sc.Enabled("Nope") || sc.ParamValue("Nope") != "" {
		t.Error("Enabled/ParamValue")
	}
	r := sc.Request("CreateNewTicket")
	if r.Scenario() != sc || r.HTTPMethod() != "POST" || (&Request{}).HTTPMethod() != "GET" || r.Param("Data") == nil {
		t.Error("request accessors")
	}
	if (&Request{}).Next() != "" || (&Request{}).OutputList() != nil || len(r.OutputList()) != 1 {
		t.Error("Next/OutputList")
	}
	var names []string
	for _, h := range tp.Headers() {
		names = append(names, h.Name+"="+h.Value)
	}
	if !reflect.DeepEqual(names, []string{"X-Auth-Token={{.api_key}}"}) {
		t.Errorf("headers %v", names)
	}
	if p := param(t, tp, ScenarioAuth, "TokenEndPoint"); p.Context() != CtxURL || CtxURL.String() != "url" || Context(99).String() != "ctx99" {
		t.Error("Context")
	}
	if v := StringVars(map[string]string{"a": "b"}); v["a"] != "b" {
		t.Error("StringVars")
	}
	if s, err := tp.RenderString("x={{.A}}", CtxQuery, Vars{"A": "1&2"}); err != nil || s != "x=1%262" {
		t.Errorf("RenderString %q %v", s, err)
	}
}

func TestParseFile(t *testing.T) {
	if _, err := ParseFile(filepath.Join("testdata", "seed-crm.xml")); err != nil {
		t.Error(err)
	}
	if _, err := ParseFile(filepath.Join("testdata", "nope.xml")); err == nil || !strings.HasPrefix(err.Error(), "template: ") {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.xml")
	if err := os.WriteFile(big, make([]byte, MaxSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFile(big); err == nil || err.Error() != "template: 1048577 bytes exceeds the limit of 1048576 bytes (1 MB)" {
		t.Errorf("big file: %v", err)
	}
}
