package template

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// fillBoth fills the group of path prefix.#.… both ways and returns the
// columns as text (fast, reference).
func fillBoth(t testing.TB, body string, paths []string, viaValidate bool) (string, string) {
	t.Helper()
	outs := make([]*Output, len(paths))
	for i, p := range paths {
		outs[i] = &Output{Name: fmt.Sprint("o", i), Path: p}
	}
	x := newExtractor([]byte(body), outs)
	defer x.release()
	if viaValidate && !x.validate() {
		t.Fatalf("valid body rejected: %q", body)
	}
	var fast, ref strings.Builder
	for prefix, g := range x.groups {
		if !g.done {
			x.fill(prefix, g)
		}
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
		"#.id", "#.a.b", "a.b.#.id", "a.b.#.n", "data.#.a.#", "data.#.id.x", "data.#.a|@reverse", "data.#.a.0", "data.#.a.1"}
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
		`{"data":[{"a":{"b":1,"b":2}},{"a":{"\u0062":"e","b":"f"}},{"a":{"c":{"b":1},"b":[1]}},{"a":{"b":"\u00e9"}},{"a":{}}]}`,
		`{"data":[{"a":{"0":"x","1":null}},{"a":["y","z"]},{"a":{"1":{"b":"q"}}}]}`,
		`{"data":[{"id":"\ud83d\ude00 \\\" \/"},{"id":"tab\there"}]}`,
	}
	for _, body := range bodies {
		if !gjson.Valid(body) {
			t.Fatalf("test body is not valid: %s", body)
		}
		for _, vv := range []bool{false, true} {
			for _, ps := range [][]string{paths, paths[:4], paths[7:9], paths[9:11]} {
				fast, ref := fillBoth(t, body, ps, vv)
				if fast != ref {
					t.Errorf("body %s (validate %v)\nfast:\n%s\nreference:\n%s", body, vv, fast, ref)
				}
			}
		}
	}
	var many []string // more keys than filler.object's masks hold
	var body strings.Builder
	body.WriteString(`{"data":[{`)
	for i := range 70 {
		many = append(many, fmt.Sprintf("data.#.k%d", i))
		fmt.Fprintf(&body, `"k%d":%d,`, 69-i, i)
	}
	body.WriteString(`"k\u0031":"esc"},{"k1":1}]}`)
	for _, vv := range []bool{false, true} {
		if fast, ref := fillBoth(t, body.String(), many, vv); fast != ref {
			t.Errorf("70 keys: fast:\n%s\nreference:\n%s", fast, ref)
		}
		fast, ref := fillBoth(t, string(zohoResponse(20)), paths[:4], vv)
		if fast != ref {
			t.Errorf("zoho: fast:\n%s\nreference:\n%s", fast, ref)
		}
	}
}

// TestValidateMatchesGJSON: the validating scan accepts exactly what
// gjson.Valid accepts, whichever group it fills on the way.
func TestValidateMatchesGJSON(t *testing.T) {
	bodies := []string{
		`{"data":[{"id":1}]}`, `{"data":[{"id":1},]}`, `{"data":[{"id":1}}`, `{"data":[{"id":01}]}`, `{"data":[{"id":1.}]}`,
		`{"data":[{"id":-}]}`, `{"data":[{"id":1e}]}`, `{"data":[{"id":1e+5,"x":-0.5E-3}]}`, `{"data":[{"id":tru}]}`,
		`{"data":[{"id":"\x"}]}`, `{"data":[{"id":"\u12G4"}]}`, "{\"data\":[{\"id\":\"a\x01\"}]}", `{"data":[{"id" 1}]}`,
		`{"data":[{"id":1} {"id":2}]}`, `{"data":[1 2]}`, `{"data":[]} x`, `{"data":[]}  `, ` [ ] `, `[`, `{`, `"`, `-`,
		`{"data":[{"id":"ok"}],"x":[1,{"a":[nul]}]}`, `{"a":{"b":[{"id":1}]},"a":5}`, `{"data":[{,}]}`, `{"data":[{"id":1,}]}`,
		`{"data":{"id":[}}`, `[{"id":[1,[2,{"3":4}]]}]`, "\t{\"data\"\r\n:[]}\n", `{"data":[1,,2]}`, `{"data":["\""]}`,
		`{"data":[{"i\u0064":"\ud800"}]}`, `{"data":[{"id":1}],}`, `{"data":[{"id":1}]}}`, `{"data":[{"id":nullx}]}`,
	}
	for c := range 256 { // every byte at every offset of a word in keys and values
		for pos := range 18 {
			str := []byte(strings.Repeat("a", 20))
			str[pos] = byte(c)
			bodies = append(bodies, fmt.Sprintf(`{"data":[{"%s":"%s","id":"%s"}]}`, str, str, str[:pos+1]))
			bodies = append(bodies, fmt.Sprintf(`{"data":[{"id":"%s\\%s"}]}`, str[:pos], str[pos:]))
		}
	}
	for _, body := range bodies {
		for _, p := range []string{"data.#.id", "#.id", "a.b.#.id", "data.#(id==1)#.id"} {
			x := newExtractor([]byte(body), []*Output{{Name: "o", Path: p}})
			if got, want := x.validate(), gjson.Valid(body); got != want {
				t.Errorf("validate(%q) with %s = %v, gjson.Valid %v", body, p, got, want)
			}
			x.release()
		}
	}
}

// FuzzFillFast: for valid JSON, the single-scan fill gives the columns of
// GJSON's own iteration.
func FuzzFillFast(f *testing.F) {
	f.Add(`data.#.id`, `{"data":[{"id":1},{"id":"x"}]}`)
	f.Add(`#.a.b`, `[{"a":{"b":"\u00e9"}},{"a":"s"},[1]]`)
	f.Add(`x.y.#.0`, `{"x":{"y":[[1,2],{"0":3}]}}`)
	f.Fuzz(func(t *testing.T, path, body string) {
		if len(path) > 200 {
			return
		}
		paths := []string{path, "data.#.id", "#.id"}
		x := newExtractor([]byte(body), []*Output{{Name: "o", Path: path}})
		valid := x.validate()
		x.release()
		if valid != gjson.Valid(body) {
			t.Fatalf("validate(%q) = %v", body, valid)
		}
		if !valid {
			return
		}
		for _, vv := range []bool{false, true} {
			fast, ref := fillBoth(t, body, paths, vv)
			if fast != ref {
				t.Fatalf("path %q body %q\nfast:\n%s\nreference:\n%s", path, body, fast, ref)
			}
		}
	})
}
