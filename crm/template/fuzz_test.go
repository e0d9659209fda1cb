package template

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics, and whatever it can read survives a round
// trip.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`<Information AuthType="none"><Scenarios/></Information>`,
		`<?xml version="1.1"?><Information><Scenarios><Scenario Id="Common"><Requests><Request Name="a" URLFormat="https://h/{{.ContactsId}}"><Outputs Next="a"/></Request></Requests></Scenario></Scenarios></Information>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		t1, err := Parse(data)
		if t1 == nil {
			if err == nil {
				t.Fatal("nil template without error")
			}
			return
		}
		out := t1.Bytes()
		t2, err2 := Parse(out)
		if t2 == nil {
			t.Fatalf("written template cannot be read: %v\n%s", err2, out)
		}
		if (err == nil) != (err2 == nil) {
			t.Fatalf("validity changed: %v / %v\n%s", err, err2, out)
		}
		if !Equal(t1, t2) {
			t.Fatalf("round trip changed the model:\n%q\n%s", data, out)
		}
	})
}

// FuzzRender: for any template text, hostile values keep a JSON body valid
// and a URL's scheme, host, path segments and query keys.
func FuzzRender(f *testing.F) {
	f.Add(`{"n":"{{.X}}","d":{{.Y}}}`, `"\`+"\n")
	f.Add(`users/{{.X}}?q={{.Y}}&r={{UrlEncode .X}}#{{.Y}}`, "a/b?c#d&e=f")
	f.Add(`{"a":[{{range .X}}{{.}}{{end}}],"t":"{{TimeFormat .Y "yyyy" "1"}}"}`, "1672531199")
	f.Add(`{{if .X}}{"a":"{{Capitalize .X}}"}{{else}}[]{{end}}`, "\u2028\xff")
	f.Fuzz(func(t *testing.T, src, val string) {
		if len(src) > 2000 || val == "" {
			return
		}
		c := newCompiled(cet)
		if v, err := c.compileValue(src, CtxJSON); err == nil {
			ref, err1 := v.exec(Vars{"X": "a", "Y": "a"})
			got, err2 := v.exec(Vars{"X": val, "Y": val})
			if err1 == nil && err2 == nil && json.Valid([]byte(ref)) && !json.Valid([]byte(got)) {
				t.Fatalf("JSON broken by %q:\n%s\n%s", val, ref, got)
			}
		}
		if v, err := c.compileValue("https://h.example/"+src, CtxURL); err == nil {
			ref, err1 := v.exec(Vars{"X": "a", "Y": "a"})
			got, err2 := v.exec(Vars{"X": val, "Y": val})
			if err1 == nil && err2 == nil {
				sameURLShape(t, ref, got)
			}
		}
		if v, err := c.compileValue(src, CtxHeader); err == nil {
			if got, err := v.exec(Vars{"X": val, "Y": val}); err == nil && strings.ContainsAny(got, "\r\n") && !strings.ContainsAny(src, "\r\n") {
				t.Fatalf("header value with a line break: %q", got)
			}
		}
	})
}

func sameURLShape(t *testing.T, ref, got string) {
	t.Helper()
	if urlShape(ref) != urlShape(got) {
		t.Fatalf("URL shape changed:\n%s\n%s", ref, got)
	}
}

// urlShape summarises the structure of a URL string: its scheme and host,
// the number of path separators, query separators and whether it has a
// fragment.
func urlShape(s string) string {
	scheme, rest, _ := strings.Cut(s, "://")
	host, rest, _ := strings.Cut(rest, "/")
	rest, _, hasFrag := strings.Cut(rest, "#")
	p, q, hasQ := strings.Cut(rest, "?")
	return fmt.Sprintf("%s|%s|%d|%v|%d|%v", scheme, host, strings.Count(p, "/"), hasQ, strings.Count(q, "&"), hasFrag)
}

// FuzzExtract: any path and body; no panic, non-JSON is ErrNotJSON, records
// only hold the outputs asked for.
func FuzzExtract(f *testing.F) {
	f.Add(`data.#.id`, `{"data":[{"id":1},{"id":"x"}]}`)
	f.Add(`identities.#(type=="phone_number")#|1.value, a.b`, identitiesJSON)
	f.Add(`#.name,#.first`, `[{"name":null,"first":{"a":1}}]`)
	f.Add(`x.#(n=="{{.P}}").v`, `{"x":[{"n":"\"","v":2}]}`)
	f.Fuzz(func(t *testing.T, path, body string) {
		if len(path) > 500 {
			return
		}
		o := []*Output{{Name: "A", Path: path}, {Name: "B", Path: "#.id"}}
		recs, err := Extract(o, []byte(body), Vars{"P": body})
		if err != nil {
			if strings.TrimSpace(body) != "" && json.Valid([]byte(body)) && errors.Is(err, ErrNotJSON) {
				t.Fatalf("valid JSON rejected: %q", body)
			}
			return
		}
		for _, r := range recs {
			if len(r) != 2 {
				t.Fatalf("record %v", r)
			}
		}
	})
}
