package template

import (
	"slices"
	"strings"
	"sync"

	"github.com/tidwall/gjson"
)

// The fast path of fill: one scan of the array that matches each element's
// keys against the wanted keys, without building a gjson.Result per element
// or per member. It expects JSON that gjson.Valid accepted; on anything it
// does not expect it reports false and fill falls back to fillSlow, so the
// results are those of fillSlow.

// scratchPool holds the string slices that columns are built in; they only
// live until newTable has copied the values (see extractor.release).
var scratchPool = sync.Pool{New: func() any { return new([]string) }}

// maxScratch bounds the scratch slices kept in the pool (in strings).
const maxScratch = 1 << 15

// release returns x's scratch memory to the pool, cleared so that it does
// not keep the response body alive. Columns must not be used afterwards.
func (x *extractor) release() {
	if x.scratch == nil {
		return
	}
	if cap(*x.scratch) > maxScratch {
		x.scratch = nil
		return
	}
	clear((*x.scratch)[:cap(*x.scratch)])
	*x.scratch = (*x.scratch)[:0]
	scratchPool.Put(x.scratch)
	x.scratch = nil
}

// colPlan says how one suffix of a group is answered from an element.
type colPlan struct {
	suffix string
	key    int    // index into group.keys; -1: evaluate suffix with GJSON
	rest   string // path after the key ("" for the key's value itself)
	// rest is one plain key (answered without GJSON from an object)
	restKey bool
}

// topKey returns the array at prefix when prefix is "" (the root) or dotted
// plain keys that lead through objects to an array; ok is false otherwise
// (the caller then asks GJSON).
func topKey(body, prefix string) (raw string, ok bool) {
	i := skipWS(body, 0)
	var one [1]string
	var found [1]string
	for rest := prefix; rest != ""; {
		var k string
		k, rest, _ = strings.Cut(rest, ".")
		if k == "" || firstKey(k) != k || i >= len(body) || body[i] != '{' {
			return "", false
		}
		one[0] = k
		if _, ok := scanObject(body, i, one[:], found[:], true); !ok || found[0] == "" {
			return "", false
		}
		body, i = found[0], 0
	}
	if i >= len(body) || body[i] != '[' {
		return "", false
	}
	return body[i:], true
}

// plans returns one colPlan per distinct suffix of g.
func (g *group) plans() []colPlan {
	out := make([]colPlan, 0, len(g.suffixes))
	for _, s := range g.suffixes {
		if slicesContainsPlan(out, s) {
			continue
		}
		p := colPlan{suffix: s, key: -1}
		if k := firstKey(s); k != "" {
			for j, want := range g.keys {
				if want == k {
					p.key = j
				}
			}
			if p.key >= 0 && len(s) > len(k) {
				p.rest = s[len(k)+1:]
				p.restKey = firstKey(p.rest) == p.rest
			}
		}
		out = append(out, p)
	}
	return out
}

func slicesContainsPlan(ps []colPlan, s string) bool {
	for _, p := range ps {
		if p.suffix == s {
			return true
		}
	}
	return false
}

// fillFast fills g from the array raw; false means raw held something
// unexpected and nothing was filled.
func (x *extractor) fillFast(raw string, g *group) bool {
	var f filler
	x.initFiller(&f, g)
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		f.abort()
		return false
	}
	i = skipWS(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		f.done()
		return true
	}
	for i < len(raw) {
		start := i
		var end int
		var ok bool
		if raw[i] == '{' {
			end, ok = scanObject(raw, i, g.keys, f.found, false)
		} else {
			end, ok = skipValue(raw, i)
		}
		if !ok {
			break
		}
		f.element(raw[start:end])
		i = skipWS(raw, end)
		if i < len(raw) && raw[i] == ',' {
			if i = skipWS(raw, i+1); i < len(raw) && raw[i] != ']' {
				continue
			}
		} else if i < len(raw) && raw[i] == ']' {
			f.done()
			return true
		}
		break
	}
	f.abort()
	return false
}

// filler collects the columns of a group element by element, row-major in
// the extractor's scratch slice, and transposes them when done.
type filler struct {
	x     *extractor
	g     *group
	plans []colPlan
	found []string // raw value of each of g.keys in the current element
	buf   []string
	base  int // rows start at buf[base]
	n     int // rows
	// with at most 64 keys (filler.object): bit j stands for g.keys[j]
	all     uint64
	lenMask [64]uint64 // keys by length (63: 63 and longer)
}

// initFiller prepares f for g.
func (x *extractor) initFiller(f *filler, g *group) {
	if x.scratch == nil {
		x.scratch = scratchPool.Get().(*[]string)
	}
	buf := *x.scratch
	*f = filler{x: x, g: g, plans: g.plans(), found: make([]string, len(g.keys)), buf: buf, base: len(buf)}
	for j, k := range g.keys {
		if j < 64 {
			f.all |= 1 << j
			f.lenMask[min(len(k), 63)] |= 1 << j
		}
	}
}

// element adds the row of elem; for an object, f.found must hold its
// wanted members.
func (f *filler) element(elem string) {
	for _, p := range f.plans {
		var v string
		switch {
		case elem[0] != '{' || p.key < 0:
			v = resultString(gjson.Get(elem, p.suffix))
		case f.found[p.key] == "":
		case p.restKey && f.found[p.key][0] == '{':
			v = memberString(f.found[p.key], p.rest)
		default:
			v = valueString(f.found[p.key], p.rest)
		}
		f.buf = append(f.buf, v)
	}
	f.n++
}

// done transposes the rows into g's columns.
func (f *filler) done() {
	n, np := f.n, len(f.plans)
	buf := slices.Grow(f.buf, n*np)
	rows, cells := buf[f.base:], buf[len(buf):len(buf)+n*np]
	if f.g.cols == nil {
		f.g.cols = make(map[string][]string, np)
	}
	for c, p := range f.plans {
		col := cells[c*n : (c+1)*n : (c+1)*n]
		for r := range col {
			col[r] = rows[r*np+c]
		}
		f.g.cols[p.suffix] = col
	}
	clear(rows)
	f.g.done = true
	*f.x.scratch = buf[:len(buf)+n*np]
}

// abort drops the rows.
func (f *filler) abort() {
	clear(f.buf[f.base:])
	*f.x.scratch = f.buf[:f.base]
}
