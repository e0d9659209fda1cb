package api

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
)

// queryParams maps a route pattern ("GET /api/v1/contacts") to the query
// parameters its OpenAPI operation declares: the document is the one list
// of what each route accepts.
var queryParams = sync.OnceValue(func() map[string][]string {
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Parameters map[string]openAPIParameter `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		panic("api: openapi.json: " + err.Error())
	}
	names := func(ps []openAPIParameter) (out []string) {
		for _, p := range ps {
			if ref, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
				p = doc.Components.Parameters[ref]
			}
			if p.In == "query" {
				out = append(out, p.Name)
			}
		}
		return out
	}
	m := map[string][]string{}
	for path, ops := range doc.Paths {
		var common []openAPIParameter
		if raw, ok := ops["parameters"]; ok {
			_ = json.Unmarshal(raw, &common)
		}
		for method, raw := range ops {
			var op struct {
				Parameters []openAPIParameter `json:"parameters"`
			}
			if method == "parameters" || json.Unmarshal(raw, &op) != nil {
				continue
			}
			m[strings.ToUpper(method)+" "+path] = append(names(common), names(op.Parameters)...)
		}
	}
	return m
})

type openAPIParameter struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

// checkQuery refuses query parameters the route does not declare (400),
// so that a misspelt ?limt= is an error rather than silently ignored.
// The phone directories are exempt: phone firmware appends its own.
func checkQuery(rt route, query map[string][]string) error {
	if !strings.HasPrefix(rt.Path, "/api/v1/") || rt.Method == "" || len(query) == 0 {
		return nil
	}
	allowed := queryParams()[rt.pattern()]
	for name := range query {
		if !slices.Contains(allowed, name) {
			p := badRequest("unknown query parameter %q (this route takes: %s)", name, strings.Join(allowed, ", "))
			p.Field = name
			return p
		}
	}
	return nil
}
