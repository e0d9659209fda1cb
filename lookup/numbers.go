package lookup

import (
	"fmt"
	"strings"
)

// NormalizePrefix turns a prefix rule as written ("+4930123*", "030123",
// "0049 30 123", "1") into the key prefix it matches. It applies the
// region's literal international and national prefixes but never
// phonenumbers, which would mangle a partial number; write prefixes in "+"
// form for regions whose prefixes are not literal digit strings.
func (z *Normalizer) NormalizePrefix(s string) (string, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "*")
	var digits [40]byte
	nd, plus, _, other := scanNumber(s, &digits)
	switch {
	case nd == 0:
		return "", ErrNoNumber
	case other || nd > maxKeyDigits:
		return "", fmt.Errorf("lookup: prefix %q: only digits, a leading + and a trailing * are allowed", s)
	}
	d := string(digits[:nd])
	switch {
	case plus:
		return "+" + d, nil
	case z.idd != "" && strings.HasPrefix(d, z.idd) && len(d) > len(z.idd):
		return "+" + d[len(z.idd):], nil
	case z.np != "" && strings.HasPrefix(d, z.np):
		return "+" + z.cc + d[len(z.np):], nil
	}
	return d, nil
}

// Key normalises s into a key the index can hold: ErrNoNumber when s has
// no digits, an error when it has more than 17.
func (z *Normalizer) Key(s string) (string, error) {
	k := z.Normalize(s)
	if k == "" {
		return "", ErrNoNumber
	}
	if _, ok := packKeyString(k); !ok {
		return "", fmt.Errorf("lookup: number has more than %d digits", maxKeyDigits)
	}
	return k, nil
}

// Keys returns the distinct keys of c's numbers, in field order. Numbers
// that Key rejects yield no key.
func (z *Normalizer) Keys(c *Contact) []string {
	var out []string
	for _, p := range c.NumberFields() {
		if *p == "" {
			continue
		}
		if k, err := z.Key(*p); err == nil && !containsString(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func containsString(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
