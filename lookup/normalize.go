package lookup

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// DefaultShortMax is the default longest number (in digits) that is kept as
// plain digits: internal extensions and short codes are never turned into
// E.164.
const DefaultShortMax = 6

// maxKeyDigits is the longest key the index accepts (E.164 allows 15
// digits; plain digit strings may be a little longer).
const maxKeyDigits = 17

// ErrNoNumber is returned by NormalizePrefix when the input holds no digit.
var ErrNoNumber = errors.New("lookup: no digits in number")

// Normalizer turns numbers as written or received into canonical keys:
// "+E164" for anything that parses as a phone number with more than
// ShortMax digits, plain digits for short numbers/extensions and for
// anything phonenumbers cannot parse. It never rejects a number for being
// "invalid" in its region (it uses Parse + Format(E164), never
// IsValidNumber).
//
// Normalisation has a fast path that avoids phonenumbers (~9 µs a parse)
// for the forms a PBX sends: "+digits", the region's international (IDD)
// prefix and national (trunk) prefix forms. The fast path's rules are
// derived from phonenumbers' metadata and probed against it at
// construction; every other input goes to phonenumbers. A Normalizer is
// immutable and safe for concurrent use.
type Normalizer struct {
	region   string
	shortMax int
	*regionRules
	cache *slowCache
}

// NormalizerOption configures a Normalizer.
type NormalizerOption func(*Normalizer)

// WithShortMax sets the longest number kept as plain digits (default 6).
func WithShortMax(n int) NormalizerOption {
	return func(z *Normalizer) { z.shortMax = n }
}

// NewNormalizer returns a Normalizer for the ISO 3166 default region
// (e.g. "DE").
func NewNormalizer(region string, opts ...NormalizerOption) (*Normalizer, error) {
	region = strings.ToUpper(strings.TrimSpace(region))
	cc := phonenumbers.GetCountryCodeForRegion(region)
	if cc == 0 {
		return nil, fmt.Errorf("lookup: unknown region %q", region)
	}
	z := &Normalizer{region: region, shortMax: DefaultShortMax, regionRules: rulesFor(region, cc), cache: &slowCache{}}
	for _, o := range opts {
		o(z)
	}
	return z, nil
}

// Region returns the default region.
func (z *Normalizer) Region() string { return z.region }

// Normalize returns the canonical key of s, or "" when s holds no digits.
func (z *Normalizer) Normalize(s string) string {
	var buf [32]byte
	return string(z.appendKey(buf[:0], s))
}

// appendKey appends the key of s to dst. It does not allocate on the fast
// path.
func (z *Normalizer) appendKey(dst []byte, s string) []byte {
	s = stripURI(s)
	var digits [40]byte
	nd, plus, paren, other := scanNumber(s, &digits)
	switch {
	case nd == 0:
		return dst
	case nd <= z.shortMax:
		return append(dst, digits[:nd]...)
	case other || nd > len(digits):
		return z.slow(dst, s)
	}
	d := digits[:nd]
	if plus {
		if paren {
			return z.slow(dst, s)
		}
		if out, ok := appendCanonical(dst, d); ok {
			return out
		}
		return z.slow(dst, s)
	}
	if z.idd != "" && hasPrefix(d, z.idd) {
		if out, ok := appendCanonical(dst, d[len(z.idd):]); ok {
			return out
		}
		return z.slow(dst, s)
	}
	rest := d
	table := &z.bare
	switch {
	case z.np != "" && hasPrefix(d, z.np):
		rest, table = d[len(z.np):], &z.nat
	case hasPrefix(d, z.cc):
		// phonenumbers may read a bare number that starts with the
		// region's country code as an international one.
		return z.slow(dst, s)
	}
	if n := len(rest); n > 0 && n < 16 && n+len(z.cc) >= 8 && table[rest[0]-'0'][n] {
		dst = append(dst, '+')
		dst = append(dst, z.cc...)
		return append(dst, rest...)
	}
	return z.slow(dst, s)
}

// slow normalises with phonenumbers; anything it cannot parse keeps its
// digits.
func (z *Normalizer) slow(dst []byte, s string) []byte {
	if k, ok := z.cache.get(s); ok {
		return append(dst, k...)
	}
	n := len(dst)
	dst = z.parse(dst, s)
	z.cache.put(s, string(dst[n:]))
	return dst
}

// parse normalises with phonenumbers; anything it cannot parse keeps its
// digits.
func (z *Normalizer) parse(dst []byte, s string) []byte {
	// A result of ShortMax digits or fewer would normalise differently
	// again (as a short number): keep the input's digits instead.
	if e := slowE164(s, z.region); len(e) > z.shortMax+1 {
		return append(dst, e...)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			dst = append(dst, c)
		}
	}
	return dst
}

func slowE164(s, region string) string {
	e := parseE164(s, region)
	// phonenumbers may leave a trunk prefix after the country code (e.g.
	// an IDD form in a region whose IDD is a pattern) that a second parse
	// strips; parse again so that normalising a key gives the same key.
	if len(e) > 2 {
		var d [40]byte
		n := copy(d[:], e[1:])
		if cl := countryCodeLen(d[:n]); cl > 0 && trunkAfterCC(d[:n], cl) {
			if again := parseE164(e, region); again != "" {
				return again
			}
		}
	}
	return e
}

func parseE164(s, region string) string {
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		return ""
	}
	return phonenumbers.Format(num, phonenumbers.E164)
}

// appendCanonical appends "+"+d when d (the digits after a "+" or IDD) is
// a plausible E.164 number that phonenumbers would leave as it is: 8 to
// 15 digits, a known country code, and no trunk prefix after it.
func appendCanonical(dst, d []byte) ([]byte, bool) {
	if len(d) < 8 || len(d) > 15 {
		return dst, false
	}
	ccLen := countryCodeLen(d)
	if ccLen == 0 || trunkAfterCC(d, ccLen) {
		return dst, false
	}
	dst = append(dst, '+')
	return append(dst, d...), true
}

// stripURI removes angle brackets, a sip:/sips:/tel: scheme, the host part
// and URI parameters (";ext=", ";user=phone", "?headers").
func stripURI(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 0 && s[0] == '<' {
		s = s[1:]
		if i := strings.IndexByte(s, '>'); i >= 0 {
			s = s[:i]
		}
	}
	for _, scheme := range [...]string{"sip:", "sips:", "tel:"} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			s = s[len(scheme):]
			break
		}
	}
	if i := strings.IndexAny(s, "@;?"); i >= 0 {
		s = s[:i]
	}
	return s
}

// scanNumber collects the digits of s into digits and classifies the rest:
// a leading "+", parentheses, or other characters (visual separators
// are skipped)
// (letters, "*", "#", ...). nd may exceed len(digits).
func scanNumber(s string, digits *[40]byte) (nd int, plus, paren, other bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if nd < len(digits) {
				digits[nd] = c
			}
			nd++
		case c == '+' && nd == 0 && !plus:
			plus = true
		case c == ' ' || c == '-' || c == '.' || c == '/' || c == '\t':
			// visual separator
		case c == '(' || c == ')':
			paren = true
		default:
			other = true
		}
	}
	return
}

func hasPrefix(d []byte, p string) bool {
	return len(d) >= len(p) && string(d[:len(p)]) == p
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
