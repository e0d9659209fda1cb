package template

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// fillBoth fills the group of path prefix.#.… both ways and returns the
// columns as text (fast, reference).
func fillBoth(t testing.TB, body string, paths []string) (string, string) {
	t.Helper()
	outs := make([]*Output, len(paths))
	for i, p := range paths {
		outs[i] = &Output{Name: fmt.Sprint("o", i), Path: p}
	}
	x := newExtractor([]byte(body), outs)
	defer x.release()
	var fast, ref strings.Builder
	for prefix, g := range x.groups {
		x.fill(prefix, g)
		r := &group{keys: g.keys, suffixes: g.suffixes, cols: map[string][]string{}}
		arr := gjson.Parse(body)
		if prefix != "" {
			arr = gjson.Get(body, prefix)
		}
		if arr.IsArray() {
			x.fillSlow(arr, r)
		}
		for _, s := range g.suffixes {
			fmt.Fprintf(&fast, "%s|%s=%q (%d)\n", prefix, s, g.cols[s], len(g.cols[s]))
			fmt.Fprintf(&ref, "%s|%s=%q (%d)\n", prefix, s, r.cols[s], len(r.cols[s]))
		}
	}
	return fast.String(), ref.String()
}

func TestFillFastMatchesGJSON(t *testing.T) {
	paths := []string{"data.#.id", "data.#.a.b", "data.#.a", "data.#.0", "data.#.x\\.y", "data.#.k-1", "data.#.$c",
		"#.id", "#.a.b", "a.b.#.id", "a.b.#.n", "data.#.a.#", "data.#.id.x", "data.#.a|@reverse"}
	bodies := []string{
		`{"data":[{"id":1},{"id":"x"},{},{"id":null},{"id":true},{"id":false},{"id":{"z":1}},{"id":[]},{"id":{}}]}`,
		`{"data":[{"a":{"b":"c"}},{"a":"s"},{"a":[1,2]},{"a":{"b":{"c":[1, 2 ]}}}]}`,
		`{"data" : [ { "id" : "a\"b" , "id" : 2 } , { "i\u0064":"esc","a":"\u00e9\n"} ] }`,
		`{"data":[[1,2],"str",3,null,[{"id":1}],{"x.y":1,"x":{"y":2},"k-1":"k","$c":"d"}]}`,
		`{"data":[]}`, `{"data":{}}`, `{"data":1}`, `{"data":"[]"}`, `{}`, `[]`, `1`, `"s"`,
		`[{"id":1,"a":{"b":2}},{"id":-1.5e3},{"a":{"b":"\\"}}]`,
		"\n [ {\"id\": 7}\t,\r\n{\"id\":8} ] \n",
		`{"a":{"b":[{"id":1,"n":-0}]},"a":{"b":[{"id":2}]}}`,
		`{"a":[{"b":[{"id":1}]}]}`, `{"d\u0061ta":[{"id":"e"}],"data":[{"id":"second"}]}`,
		`{"data":[{"id":"\ud83d\ude00 \\\" \/"},{"id":"tab\there"}]}`,
	}
	for _, body := range bodies {
		if !gjson.Valid(body) {
			t.Fatalf("test body is not valid: %s", body)
		}
		fast, ref := fillBoth(t, body, paths)
		if fast != ref {
			t.Errorf("body %s\nfast:\n%s\nreference:\n%s", body, fast, ref)
		}
	}
	fast, ref := fillBoth(t, string(zohoResponse(20)), paths)
	if fast != ref {
		t.Errorf("zoho: fast:\n%s\nreference:\n%s", fast, ref)
	}
}

// FuzzFillFast: for valid JSON, the single-scan fill gives the columns of
// GJSON's own iteration.
func FuzzFillFast(f *testing.F) {
	f.Add(`data.#.id`, `{"data":[{"id":1},{"id":"x"}]}`)
	f.Add(`#.a.b`, `[{"a":{"b":"\u00e9"}},{"a":"s"},[1]]`)
	f.Add(`x.y.#.0`, `{"x":{"y":[[1,2],{"0":3}]}}`)
	f.Fuzz(func(t *testing.T, path, body string) {
		if len(path) > 200 || !gjson.Valid(body) {
			return
		}
		fast, ref := fillBoth(t, body, []string{path, "data.#.id", "#.id"})
		if fast != ref {
			t.Fatalf("path %q body %q\nfast:\n%s\nreference:\n%s", path, body, fast, ref)
		}
	})
}
