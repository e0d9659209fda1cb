package template

import (
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
)

// extractor evaluates the outputs of one response with GJSON. The array of
// a split path (prefix.#.suffix) is parsed once and shared by every output
// under the same prefix.
type extractor struct {
	body   string
	arrays map[string][]gjson.Result // prefix -> elements (nil: not an array)
}

// output evaluates the alternatives of o; the first that yields a
// non-empty value wins.
func (x *extractor) output(o *Output, vars Vars) ([]string, bool, error) {
	p := o.p
	if p == nil {
		var err error
		if p, err = defaultCompiled().compilePath(o.Path); err != nil {
			return nil, false, fmt.Errorf("template: output %q: %w", o.Name, err)
		}
	}
	for _, a := range p.alts {
		sh := a.s
		if a.v.tmpl != nil {
			s, err := a.v.exec(vars)
			if err != nil {
				return nil, false, fmt.Errorf("template: output %q: %w", o.Name, err)
			}
			sh = analyse(strings.TrimPrefix(strings.TrimSpace(s), "."))
		}
		vals, it := x.eval(sh)
		for _, v := range vals {
			if v != "" {
				return vals, it, nil
			}
		}
	}
	return nil, false, nil
}

func (x *extractor) eval(sh shape) ([]string, bool) {
	if sh.path == "" {
		return nil, false
	}
	if sh.split {
		elems := x.elements(sh.prefix)
		out := make([]string, len(elems))
		for i, e := range elems {
			out[i] = resultString(e.Get(sh.suffix))
		}
		return out, true
	}
	r := gjson.Get(x.body, sh.path)
	if sh.iter && r.IsArray() {
		arr := r.Array()
		out := make([]string, len(arr))
		for i, e := range arr {
			out[i] = resultString(e)
		}
		return out, true
	}
	if !r.Exists() {
		return nil, false
	}
	return []string{resultString(r)}, false
}

// elements returns the elements of the array at prefix ("" = the root).
func (x *extractor) elements(prefix string) []gjson.Result {
	if elems, ok := x.arrays[prefix]; ok {
		return elems
	}
	arr := gjson.Parse(x.body)
	if prefix != "" {
		arr = gjson.Get(x.body, prefix)
	}
	var elems []gjson.Result
	if arr.IsArray() {
		elems = arr.Array()
	}
	if x.arrays == nil {
		x.arrays = map[string][]gjson.Result{}
	}
	x.arrays[prefix] = elems
	return elems
}
