package lookup

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

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
}

// regionRules are the fast-path rules of a region, derived from
// phonenumbers' metadata and probed against it once per region.
type regionRules struct {
	cc  string // country calling code of region, digits
	idd string // literal international prefix ("00", "011"), "" = no fast IDD path
	np  string // literal national prefix ("0", "1"), "" = no fast national path
	// nat[d][n]: a national-prefix form whose national number starts with
	// digit d and has n digits is "+" cc number, as phonenumbers says.
	nat [10][16]bool
	// bare[d][n]: the same for digits written without any prefix.
	bare [10][16]bool
}

var rulesCache sync.Map // region -> *regionRules

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
	z := &Normalizer{region: region, shortMax: DefaultShortMax, regionRules: rulesFor(region, cc)}
	for _, o := range opts {
		o(z)
	}
	return z, nil
}

func rulesFor(region string, cc int) *regionRules {
	if r, ok := rulesCache.Load(region); ok {
		return r.(*regionRules)
	}
	r := &regionRules{cc: strconv.Itoa(cc)}
	md := regionMetadata(region)
	// Literal prefixes only: a region whose international prefix is a
	// pattern (FI: 00 or 99x) keeps IDD forms on the slow path, one whose
	// national prefix parsing transforms numbers (AR, MX, BR) its national
	// forms, and bare numbers take the fast path only where neither
	// applies (GB also strips "180020"). The probes check every rule
	// against phonenumbers.
	simpleIDD := md != nil && isDigits(md.GetInternationalPrefix())
	noTransform := md != nil && md.GetNationalPrefixTransformRule() == ""
	np, npfp := md.GetNationalPrefix(), md.GetNationalPrefixForParsing()
	if simpleIDD {
		r.idd = probeIDD(region, cc)
	}
	if noTransform && isDigits(np) {
		r.np = np
		r.probe(&r.nat, np, region)
	}
	if r.idd != "" && noTransform && (npfp == "" || npfp == np) {
		r.probe(&r.bare, "", region)
		for d := range r.bare { // a bare number must not look like a prefixed one
			if r.idd[0]-'0' == byte(d) || (r.np != "" && r.np[0]-'0' == byte(d)) {
				r.bare[d] = [16]bool{}
			}
		}
	}
	rulesCache.Store(region, r)
	return r
}

// regionMetadata returns phonenumbers' metadata of region, or nil.
func regionMetadata(region string) *phonenumbers.PhoneMetadata {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil
	}
	for _, md := range coll.GetMetadata() {
		if md.GetId() == region {
			return md
		}
	}
	return nil
}

// probe fills t[d][n] for national numbers of n digits (7..15 with the
// country code) starting with d, written after prefix, where phonenumbers
// agrees that the result is "+" cc number, with two digit patterns each.
func (r *regionRules) probe(t *[10][16]bool, prefix, region string) {
	for d := 0; d < 10; d++ {
		for n := 2; n+len(r.cc) <= 15 && n < 16; n++ {
			ok := true
			for _, pat := range [...]string{"23456789012345", "98765432109876"} {
				nsn := strconv.Itoa(d) + pat[:n-1]
				if slowE164(prefix+nsn, region) != "+"+r.cc+nsn {
					ok = false
					break
				}
			}
			t[d][n] = ok
		}
	}
}

// probeIDD finds the region's international prefix when it is a literal
// digit string and phonenumbers agrees with using it.
func probeIDD(region string, cc int) string {
	foreign := "+442079460000"
	if cc == 44 {
		foreign = "+4930123456"
	}
	num, err := phonenumbers.Parse(foreign, "ZZ")
	if err != nil {
		return ""
	}
	out := phonenumbers.FormatOutOfCountryCallingNumber(num, region)
	fcc := " " + strconv.Itoa(int(num.GetCountryCode())) + " "
	i := strings.Index(out, fcc)
	if i <= 0 || !isDigits(out[:i]) {
		return ""
	}
	idd := out[:i]
	if slowE164(idd+foreign[1:], region) != foreign {
		return ""
	}
	return idd
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
