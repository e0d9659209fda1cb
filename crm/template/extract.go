package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
)

// Record is one extracted item (a contact, a user …): output Name -> value.
type Record map[string]string

// ErrNotJSON is returned by Extract for a response body that is not JSON.
var ErrNotJSON = errors.New("template: response is not valid JSON")

// path is a compiled Output Path: comma-separated alternatives.
type path struct {
	src  string
	alts []alt
}

type alt struct {
	v *value // CtxPath value; v.tmpl == nil for a static path
	s shape  // shape of a static path
}

// shape describes how a concrete GJSON path yields values.
type shape struct {
	path   string
	iter   bool   // one value per array element (a record each)
	split  bool   // path is prefix.#.suffix, evaluated per element
	prefix string // "" with split: the root array
	suffix string
}

var (
	defaultOnce sync.Once
	defaultC    *compiled
)

func defaultCompiled() *compiled {
	defaultOnce.Do(func() { defaultC = newCompiled(time.Local) })
	return defaultC
}

// compilePath splits src on top-level commas and compiles each alternative.
func (c *compiled) compilePath(src string) (*path, error) {
	p := &path{src: src}
	parts, err := splitAlternatives(src)
	if err != nil {
		return nil, err
	}
	for _, s := range parts {
		s = strings.TrimPrefix(strings.TrimSpace(s), ".")
		if s == "" {
			continue
		}
		v, err := c.compileValue(s, CtxPath)
		if err != nil {
			return nil, err
		}
		a := alt{v: v}
		if v.tmpl == nil {
			a.s = analyse(s)
		}
		p.alts = append(p.alts, a)
	}
	return p, nil
}

// splitAlternatives splits on commas outside (), [], {}, quotes and {{…}}.
func splitAlternatives(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	inQ, esc := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case inQ:
			if c == '"' {
				inQ = false
			}
		case c == '"':
			inQ = true
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("GJSON path %q: unbalanced %q", truncate(s, 80), c)
			}
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if depth != 0 || inQ {
		return nil, fmt.Errorf("GJSON path %q: unbalanced brackets or quotes", truncate(s, 80))
	}
	return append(out, s[start:]), nil
}

// component is one part of a GJSON path: p[start:end], preceded by sep
// ('.', '|' or 0 for the first).
type component struct {
	start, end int
	sep        byte
}

// components splits a path on '.' and '|' outside brackets and quotes.
func components(p string) []component {
	var out []component
	depth, start := 0, 0
	inQ, esc := false, false
	var sep byte
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case inQ:
			inQ = c != '"'
		case c == '"':
			inQ = true
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case (c == '.' || c == '|') && depth == 0:
			out = append(out, component{start, i, sep})
			sep, start = c, i+1
		}
	}
	return append(out, component{start, len(p), sep})
}

// analyse finds whether a path iterates (a '#' component followed by more,
// or a '#(…)#' query, after its last pipe) and, for paths without pipes,
// the split prefix.#.suffix at the first '#' component (prefix "" is the
// root array). Split paths are evaluated element by element, so an element
// without the key gives "" and records stay aligned (GJSON's own data.#.key
// leaves such elements out).
func analyse(p string) shape {
	sh := shape{path: p}
	comps := components(p)
	last, pipes := 0, false
	for i, c := range comps {
		if c.sep == '|' {
			last, pipes = i, true
		}
	}
	for i := last; i < len(comps); i++ {
		c := p[comps[i].start:comps[i].end]
		if (c == "#" && i < len(comps)-1) || (strings.HasPrefix(c, "#(") && strings.HasSuffix(c, ")#")) {
			sh.iter = true
			break
		}
	}
	if !sh.iter || pipes {
		return sh
	}
	for i, c := range comps {
		if p[c.start:c.end] == "#" && i < len(comps)-1 {
			sh.split = true
			if i > 0 {
				sh.prefix = p[:comps[i-1].end]
			}
			sh.suffix = p[comps[i+1].start:]
			break
		}
	}
	return sh
}

// Extract applies outputs to a JSON response body. Each output's Path may
// hold comma-separated alternatives (the first that yields a non-empty value
// wins) and {{variables}} (escaped for GJSON). An output whose path iterates
// an array (data.#.id, #(…)#) gives one value per element; outputs are zipped
// by index into records, and outputs that do not iterate are copied into
// every record. Records whose values are all empty are dropped.
//
// Values: strings as they are, numbers as their JSON text, true as "true";
// false, null, [] and {} as "" (so {{if .X}} is false and no "false" reaches
// a name or a later request); other objects and arrays as compact JSON text. An
// empty body gives no records; a body that is not JSON gives ErrNotJSON.
func Extract(outputs []*Output, body []byte, vars Vars) ([]Record, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	if !gjson.ValidBytes(body) {
		return nil, fmt.Errorf("%w (%d bytes, starting %q)", ErrNotJSON, len(body), truncate(string(body), 40))
	}
	x := newExtractor(body, outputs)
	cols := make([][]string, len(outputs))
	multi := make([]bool, len(outputs))
	n := 0
	for i, o := range outputs {
		if o.Name == "" {
			continue
		}
		vals, it, err := x.output(i, o, vars)
		if err != nil {
			return nil, err
		}
		cols[i], multi[i] = vals, it
		if it && len(vals) > n {
			n = len(vals)
		}
	}
	if !slices.Contains(multi, true) {
		n = 1
	}
	return zip(outputs, cols, multi, n), nil
}

// zip builds n records from the columns (an output that does not iterate
// gives every record its value; of outputs sharing a name the last
// non-empty value wins) and drops records whose values are all empty.
func zip(outputs []*Output, cols [][]string, multi []bool, n int) []Record {
	var recs []Record
	for i := 0; i < n; i++ {
		r := make(Record, len(outputs))
		nonEmpty := false
		for j, o := range outputs {
			if o.Name == "" {
				continue
			}
			var s string
			switch {
			case multi[j] && i < len(cols[j]):
				s = cols[j][i]
			case !multi[j] && len(cols[j]) > 0:
				s = cols[j][0]
			}
			if s != "" || r[o.Name] == "" {
				r[o.Name] = s
			}
			nonEmpty = nonEmpty || s != ""
		}
		if nonEmpty {
			recs = append(recs, r)
		}
	}
	return recs
}

// resultString converts a GJSON value to text (see Extract).
func resultString(r gjson.Result) string {
	switch r.Type {
	case gjson.String:
		return r.Str
	case gjson.Number:
		return strings.TrimSpace(r.Raw)
	case gjson.True:
		return "true"
	case gjson.JSON:
		var b bytes.Buffer
		if err := json.Compact(&b, []byte(r.Raw)); err != nil {
			return r.Raw
		}
		if b.Len() == 2 { // [] or {}: no value
			return ""
		}
		return b.String()
	}
	return ""
}

// Extract applies the request's outputs to a response body (see Extract).
func (r *Request) Extract(body []byte, vars Vars) ([]Record, error) {
	return Extract(r.OutputList(), body, vars)
}

// ContactURLOutput returns the compiled ContactFieldForUri path of a
// SyncContactAuto/SearchContact scenario as an Output named "ContactUrl", or
// nil if the scenario has none.
func (s *Scenario) ContactURLOutput() *Output { return s.urlOut }
