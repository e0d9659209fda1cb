package phonedir

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"cidproxy/lookup"
)

// Search returns the contacts matching a phone's search form: name is a
// case- and accent-insensitive substring of the display name or company
// ("mull" finds "Müller"), number a substring of any number compared on
// digits only ("030 12" finds "+49 (30) 1234"). Empty criteria match
// everything; both given must both match. The API may search its store
// instead; this is for directories rendered from a slice.
func Search(cs []lookup.Contact, name, number string) []lookup.Contact {
	name = Fold(name)
	digits := digitsOf(number)
	if name == "" && digits == "" {
		return cs
	}
	var out []lookup.Contact
	for i := range cs {
		c := &cs[i]
		if name != "" && !strings.Contains(Fold(c.DisplayName()), name) && !strings.Contains(Fold(c.Company), name) {
			continue
		}
		if digits != "" && !hasDigits(c, digits) {
			continue
		}
		out = append(out, *c)
	}
	return out
}

func hasDigits(c *lookup.Contact, digits string) bool {
	for _, p := range c.NumberFields() {
		if strings.Contains(digitsOf(*p), digits) {
			return true
		}
	}
	return false
}

func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// Fold lower-cases s and strips diacritics (NFD, then drop combining
// marks), for case- and accent-insensitive comparison. "ß" stays "ß".
func Fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}
