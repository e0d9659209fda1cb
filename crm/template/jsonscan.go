package template

import (
	"math/bits"
	"strings"

	"github.com/tidwall/gjson"
)

// A validating scan of the whole body with gjson.Valid's rules (ported from
// GJSON), which also fills one group on the way: the body is then read once
// instead of once to validate and once to extract.

// validate reports whether the body is valid JSON (as gjson.Valid decides).
// It fills one group whose prefix is dotted plain keys during the same scan.
func (x *extractor) validate() bool {
	for prefix, g := range x.groups {
		if g.done || len(g.keys) > 64 || !plainPath(prefix) {
			continue
		}
		v := vscan{x: x, g: g}
		if prefix != "" {
			v.path = strings.Split(prefix, ".")
		}
		i, ok := v.value(x.body, skipWS(x.body, 0), v.path)
		return ok && i > 0 && skipWS(x.body, i) == len(x.body)
	}
	return gjson.Valid(x.body)
}

// plainPath reports whether p is "" or keys of firstKey's characters joined
// by dots.
func plainPath(p string) bool {
	if p == "" {
		return true
	}
	for k := range strings.SplitSeq(p, ".") {
		if k == "" || firstKey(k) != k {
			return false
		}
	}
	return true
}

// vscan is one validating scan that fills g from the array at path.
type vscan struct {
	x    *extractor
	g    *group
	path []string
}

// value validates the value at s[i] (i at its first byte); path is the rest
// of the way to g's array (nil: not on the way).
func (v *vscan) value(s string, i int, path []string) (int, bool) {
	if i >= len(s) {
		return i, false
	}
	switch {
	case path == nil:
		return validAny(s, i)
	case len(path) == 0 && s[i] == '[':
		return v.array(s, i)
	case len(path) > 0 && s[i] == '{':
		return v.object(s, i, path)
	}
	return validAny(s, i)
}

// object validates the object at s[i] and follows the first member named
// path[0].
func (v *vscan) object(s string, i int, path []string) (int, bool) {
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == '}' {
		return i + 1, true
	}
	matched := false
	for i < len(s) && s[i] == '"' {
		ks := i
		ke, esc, ok := validString(s, i+1)
		if !ok {
			return ke, false
		}
		if i = skipWS(s, ke); i >= len(s) || s[i] != ':' {
			return i, false
		}
		vs := skipWS(s, i+1)
		var sub []string
		if !matched && memberKey(s, ks, ke, esc) == path[0] {
			matched, sub = true, path[1:]
		}
		if i, ok = v.value(s, vs, sub); !ok {
			return i, false
		}
		if i = skipWS(s, i); i < len(s) && s[i] == ',' {
			i = skipWS(s, i+1)
			continue
		}
		if i < len(s) && s[i] == '}' {
			return i + 1, true
		}
		return i, false
	}
	return i, false
}

// memberKey returns the key of the member whose name is s[ks:ke] (quoted).
func memberKey(s string, ks, ke int, esc bool) string {
	if esc {
		return gjson.Parse(s[ks:ke]).Str
	}
	return s[ks+1 : ke-1]
}

// array validates the array at s[i] and fills v.g from its elements.
func (v *vscan) array(s string, i int) (int, bool) {
	var f filler
	v.x.initFiller(&f, v.g)
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == ']' {
		f.done()
		return i + 1, true
	}
	for i < len(s) {
		start := i
		var end int
		var ok bool
		if s[i] == '{' {
			end, ok = f.object(s, i)
		} else {
			end, ok = validAny(s, i)
		}
		if !ok {
			f.abort()
			return end, false
		}
		f.element(s[start:end])
		if i = skipWS(s, end); i < len(s) && s[i] == ',' {
			i = skipWS(s, i+1)
			continue
		}
		if i < len(s) && s[i] == ']' {
			f.done()
			return i + 1, true
		}
		break
	}
	f.abort()
	return i, false
}

// object validates the element object at s[i], noting the wanted members.
func (f *filler) object(s string, i int) (int, bool) {
	clear(f.found)
	left := f.all // keys not found yet
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == '}' {
		return i + 1, true
	}
	for i < len(s) && s[i] == '"' {
		ks := i
		ke, esc, ok := validString(s, i+1)
		if !ok {
			return ke, false
		}
		if i = skipWS(s, ke); i >= len(s) || s[i] != ':' {
			return i, false
		}
		vs := skipWS(s, i+1)
		var ve int
		if vs < len(s) && s[vs] == '"' { // most values: skip validAny's switch
			ve, _, ok = validString(s, vs+1)
		} else {
			ve, ok = validAny(s, vs)
		}
		if !ok {
			return ve, false
		}
		if left != 0 {
			cand := left // an escaped key may be shorter once unescaped
			if !esc {
				cand &= f.lenMask[min(ke-ks-2, 63)]
			}
			for ; cand != 0; cand &= cand - 1 {
				j := bits.TrailingZeros64(cand)
				if memberKey(s, ks, ke, esc) == f.g.keys[j] {
					f.found[j] = s[vs:ve]
					left &^= 1 << j
					break
				}
			}
		}
		if i = skipWS(s, ve); i < len(s) && s[i] == ',' {
			i = skipWS(s, i+1)
			continue
		}
		if i < len(s) && s[i] == '}' {
			return i + 1, true
		}
		return i, false
	}
	return i, false
}
