package template

import (
	"strings"

	"github.com/tidwall/gjson"
)

// Non-validating helpers of the fast path: they expect JSON that was
// validated and report false on anything unexpected.

// memberString is valueString(obj, key) for an object obj and a plain key.
func memberString(obj, key string) string {
	keys, found := [1]string{key}, [1]string{}
	if _, ok := scanObject(obj, 0, keys[:], found[:], true); !ok {
		return valueString(obj, key)
	}
	if found[0] == "" {
		return ""
	}
	return valueString(found[0], "")
}

// valueString is resultString of the member value raw, or of rest within
// it.
func valueString(raw, rest string) string {
	if rest != "" {
		return resultString(gjson.Get(raw, rest))
	}
	switch raw[0] {
	case '"':
		if strings.IndexByte(raw, '\\') < 0 {
			return raw[1 : len(raw)-1]
		}
		return gjson.Parse(raw).Str
	case 't':
		return "true"
	case 'f':
		return "false"
	case 'n':
		return ""
	case '{', '[':
		return resultString(gjson.Result{Type: gjson.JSON, Raw: raw})
	}
	return raw // number
}

// scanObject scans the object at s[i] ('{'), storing in found[j] the raw
// value of the first member named keys[j] ("" if none). With stop it
// returns once every key is found.
func scanObject(s string, i int, keys, found []string, stop bool) (int, bool) {
	clear(found)
	left := len(keys)
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == '}' {
		return i + 1, true
	}
	for i < len(s) && s[i] == '"' {
		ks := i
		ke, ok := skipString(s, i)
		if !ok {
			return 0, false
		}
		key := s[ks+1 : ke-1]
		if i = skipWS(s, ke); i >= len(s) || s[i] != ':' {
			return 0, false
		}
		vs := skipWS(s, i+1)
		ve, ok := skipValue(s, vs)
		if !ok {
			return 0, false
		}
		if left > 0 {
			if strings.IndexByte(key, '\\') >= 0 {
				key = gjson.Parse(s[ks:ke]).Str
			}
			for j, want := range keys {
				if len(key) == len(want) && found[j] == "" && key == want {
					found[j] = s[vs:ve]
					left--
					break
				}
			}
			if left == 0 && stop {
				return ve, true
			}
		}
		i = skipWS(s, ve)
		if i < len(s) && s[i] == ',' {
			i = skipWS(s, i+1)
			continue
		}
		if i < len(s) && s[i] == '}' {
			return i + 1, true
		}
		return 0, false
	}
	return 0, false
}

// skipWS returns the index of the first byte at or after i that is not
// JSON white space.
func skipWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at s[i] ('"').
func skipString(s string, i int) (int, bool) {
	for j := i + 1; ; {
		k := strings.IndexByte(s[j:], '"')
		if k < 0 {
			return 0, false
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && s[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1, true
		}
		j = q + 1
	}
}

// skipValue returns the index after the value that starts at s[i].
func skipValue(s string, i int) (int, bool) {
	if i >= len(s) {
		return 0, false
	}
	switch c := s[i]; {
	case c == '"':
		return skipString(s, i)
	case c == '{' || c == '[':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				e, ok := skipString(s, j)
				if !ok {
					return 0, false
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	j := i
	for j < len(s) && s[j] > ' ' && s[j] != ',' && s[j] != ']' && s[j] != '}' {
		j++
	}
	switch lit := s[i:j]; {
	case lit == "true" || lit == "false" || lit == "null":
	case lit != "" && (lit[0] == '-' || lit[0] >= '0' && lit[0] <= '9'):
	default:
		return 0, false
	}
	return j, true
}
