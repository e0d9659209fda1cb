package template

import (
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
)

// extractor evaluates the outputs of one response with GJSON. Static paths
// of the form prefix.#.key[.rest] that share a prefix are answered from one
// pass over the members of each array element instead of one GJSON search
// per output and element.
type extractor struct {
	body   string
	paths  []*path // compiled path of each output
	groups map[string]*group
}

// group is the array at one prefix and the keys wanted from its elements.
type group struct {
	keys     []string            // first components of the suffixes
	done     bool                // columns computed
	cols     map[string][]string // suffix -> one value per element
	suffixes []string
}

func newExtractor(body []byte, outputs []*Output) *extractor {
	x := &extractor{body: string(body), paths: make([]*path, len(outputs))}
	for i, o := range outputs {
		p := o.p
		if p == nil {
			p, _ = defaultCompiled().compilePath(o.Path) // errors are reported by output
		}
		x.paths[i] = p
		if p == nil {
			continue
		}
		for _, a := range p.alts {
			if a.v.tmpl != nil || !a.s.split {
				continue
			}
			if x.groups == nil {
				x.groups = map[string]*group{}
			}
			g := x.groups[a.s.prefix]
			if g == nil {
				g = &group{}
				x.groups[a.s.prefix] = g
			}
			g.suffixes = append(g.suffixes, a.s.suffix)
			if k := firstKey(a.s.suffix); k != "" && !contains(g.keys, k) {
				g.keys = append(g.keys, k)
			}
		}
	}
	return x
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// firstKey returns the first component of a suffix if it is a plain key
// (letters, digits, '_', '-', '$'), "" otherwise.
func firstKey(suffix string) string {
	k, _, _ := strings.Cut(suffix, ".")
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !isAlnum(c) && c != '_' && c != '-' && c != '$' {
			return ""
		}
	}
	return k
}

// output evaluates the alternatives of output i; the first non-empty one
// wins.
func (x *extractor) output(i int, o *Output, vars Vars) ([]string, bool, error) {
	p := x.paths[i]
	if p == nil {
		_, err := defaultCompiled().compilePath(o.Path)
		return nil, false, fmt.Errorf("template: output %q: %w", o.Name, err)
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
		g := x.groups[sh.prefix]
		if g == nil || !contains(g.suffixes, sh.suffix) { // a path with {{variables}}
			g = &group{suffixes: []string{sh.suffix}}
			if k := firstKey(sh.suffix); k != "" {
				g.keys = []string{k}
			}
		}
		if !g.done {
			x.fill(sh.prefix, g)
		}
		return g.cols[sh.suffix], true
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

// fill computes every column of g with one pass over the array at prefix
// ("" = the root).
func (x *extractor) fill(prefix string, g *group) {
	g.done = true
	g.cols = make(map[string][]string, len(g.suffixes))
	arr := gjson.Parse(x.body)
	if prefix != "" {
		arr = gjson.Get(x.body, prefix)
	}
	if !arr.IsArray() {
		for _, s := range g.suffixes {
			g.cols[s] = nil
		}
		return
	}
	x.fillElements(arr, g)
}

// fillElements fills g's columns from the elements of arr: for objects,
// one pass over the members finds every wanted key.
func (x *extractor) fillElements(arr gjson.Result, g *group) {
	elems := arr.Array()
	for _, s := range g.suffixes {
		g.cols[s] = make([]string, len(elems))
	}
	found := make([]gjson.Result, len(g.keys))
	for i, e := range elems {
		clear(found)
		if len(g.keys) > 0 && e.IsObject() {
			left := len(g.keys)
			e.ForEach(func(k, v gjson.Result) bool {
				for j, want := range g.keys {
					if len(k.Str) == len(want) && k.Str == want && found[j].Type == gjson.Null && found[j].Raw == "" {
						found[j] = v
						left--
						break
					}
				}
				return left > 0
			})
		}
		obj := e.IsObject()
		for _, s := range g.suffixes {
			if obj {
				g.cols[s][i] = x.elemValue(e, s, g.keys, found)
			} else {
				g.cols[s][i] = resultString(e.Get(s)) // e.g. data.#.0 on arrays of arrays
			}
		}
	}
}

func (x *extractor) elemValue(e gjson.Result, suffix string, keys []string, found []gjson.Result) string {
	k := firstKey(suffix)
	if k == "" {
		return resultString(e.Get(suffix))
	}
	for j, want := range keys {
		if want == k {
			v := found[j]
			if rest := suffix[len(k):]; rest != "" {
				v = v.Get(rest[1:])
			}
			return resultString(v)
		}
	}
	return ""
}
