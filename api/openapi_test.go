package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// openAPIDocument is the part of the OpenAPI document the tests read.
type openAPIDocument struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Parameters map[string]openAPIParam `json:"parameters"`
	} `json:"components"`
}

type openAPIParam struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

func loadOpenAPI(t *testing.T) (openAPIDocument, any) {
	t.Helper()
	var doc openAPIDocument
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	var raw any
	if err := json.Unmarshal(openAPIDoc, &raw); err != nil {
		t.Fatal(err)
	}
	return doc, raw
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	registered := Routes()
	slices.Sort(documented)
	slices.Sort(registered)
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(registered, d) {
			t.Errorf("openapi.json documents %s, which is not a route", d)
		}
	}
}

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// TestOpenAPIPathParameters checks that every {name} of a path is
// declared as an "in: path" parameter of each of its operations.
func TestOpenAPIPathParameters(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Parameters []openAPIParam `json:"parameters"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			declared := map[string]bool{}
			for _, p := range op.Parameters {
				if p.Ref != "" {
					p = doc.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
				}
				if p.In == "path" {
					declared[p.Name] = true
				}
			}
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s %s: path parameter %s not declared", method, path, m[1])
				}
			}
			if len(declared) != len(pathParam.FindAllString(path, -1)) {
				t.Errorf("%s %s: declares path parameters %v", method, path, declared)
			}
		}
	}
}

// TestOpenAPIRefsResolve checks every "$ref" points into the document.
func TestOpenAPIRefsResolve(t *testing.T) {
	_, raw := loadOpenAPI(t)
	var walk func(v any)
	n := 0
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				n++
				var cur any = raw
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, ok := cur.(map[string]any)
					if !ok || m[part] == nil {
						t.Errorf("unresolved $ref %s", ref)
						return
					}
					cur = m[part]
				}
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(raw)
	if n < 50 {
		t.Errorf("only %d $refs: document shrank?", n)
	}
}

func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	// It holds no data: served without a token (issue 16 item 9).
	r := e.expect(req{method: "GET", path: "/api/v1/openapi.json"}, 200)
	if !bytes.Equal(r.Body, openAPIDoc) || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("served %d bytes, Content-Type %q", len(r.Body), r.Header.Get("Content-Type"))
	}
	if !bytes.Equal(OpenAPI(), openAPIDoc) {
		t.Error("OpenAPI() differs from the embedded document")
	}
}

// Every operation has an operationId: the name of its handler.
func TestOpenAPIOperationIDs(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	seen := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			if method == "parameters" {
				continue
			}
			var op struct {
				OperationID string `json:"operationId"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			if op.OperationID == "" || seen[op.OperationID] {
				t.Errorf("%s %s: operationId %q missing or repeated", method, path, op.OperationID)
			}
			seen[op.OperationID] = true
			for _, rt := range routes {
				if rt.pattern() == strings.ToUpper(method)+" "+path {
					fn := runtime.FuncForPC(reflect.ValueOf(rt.h).Pointer()).Name()
					if !strings.HasSuffix(fn, "."+op.OperationID) {
						t.Errorf("%s %s: operationId %q, handler %s", method, path, op.OperationID, fn)
					}
				}
			}
		}
	}
}

// The document is valid OpenAPI 3 as a full validator reads it (schemas,
// refs, parameters, examples), as redocly or spectral would check it.
func TestOpenAPIValid(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPIDoc)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(loader.Context, openapi3.EnableExamplesValidation()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Extension", "Phonebook", "PrefixRule", "MemberRef"} {
		if len(doc.Components.Schemas[name].Value.Required) == 0 {
			t.Errorf("schema %s marks no required field", name)
		}
	}
}

func TestUnknownQueryParameterRefused(t *testing.T) {
	e := newEnv(t)
	r := e.expect(req{method: "GET", path: "/api/v1/contacts?limt=5", token: e.admin}, 400)
	if p := r.problem(t); p.Field != "limt" || !strings.Contains(p.Detail, "limit") {
		t.Errorf("problem %+v", p)
	}
	e.expect(req{method: "GET", path: "/api/v1/contacts?limit=5&q=sam", token: e.admin}, 200)
	e.expect(req{method: "GET", path: "/api/v1/extensions/1001?x=1", token: e.admin}, 400)
	// Without a token it is still 401: nothing is revealed before auth.
	e.expect(req{method: "GET", path: "/api/v1/contacts?limt=5"}, 401)
	// Phones append their own parameters: the directories ignore them.
	if r := e.phoneGet("/phonebook/yealink?mac=001565aabbcc", "1001", e.tok["1001"]); r.Code != 200 {
		t.Errorf("phone directory with a firmware parameter: %d", r.Code)
	}
}

// The rules spectral's "oas" ruleset and redocly's recommended set check
// beyond validity: tags declared, a summary and a success response on each
// operation, a licence.
func TestOpenAPILintRules(t *testing.T) {
	var doc struct {
		Info struct {
			License struct{ Name string } `json:"license"`
		} `json:"info"`
		Tags  []struct{ Name, Description string }  `json:"tags"`
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Info.License.Name == "" {
		t.Error("info.license missing")
	}
	declared := map[string]bool{}
	for _, tg := range doc.Tags {
		if tg.Description == "" || declared[tg.Name] {
			t.Errorf("tag %q: no description or declared twice", tg.Name)
		}
		declared[tg.Name] = true
	}
	used := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			if method == "parameters" {
				continue
			}
			var op struct {
				Summary   string                     `json:"summary"`
				Tags      []string                   `json:"tags"`
				Responses map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			if op.Summary == "" || len(op.Tags) == 0 {
				t.Errorf("%s %s: summary or tags missing", method, path)
			}
			for _, tg := range op.Tags {
				used[tg] = true
				if !declared[tg] {
					t.Errorf("%s %s: tag %q not declared", method, path, tg)
				}
			}
			ok := false
			for code := range op.Responses {
				ok = ok || strings.HasPrefix(code, "2")
			}
			if !ok {
				t.Errorf("%s %s: no 2xx response", method, path)
			}
		}
	}
	for tg := range declared {
		if !used[tg] {
			t.Errorf("tag %q declared but unused", tg)
		}
	}
}
