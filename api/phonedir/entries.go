package phonedir

import (
	"strings"

	"cidproxy/lookup"
)

// number is one dialable number of a contact.
type number struct {
	field string // lookup.NumberFieldNames entry, e.g. "mobile_number"
	label string // human label, e.g. "Mobile"
	value string // sanitised
}

// fieldLabels are the human labels of the nine number fields, in the order
// of lookup.NumberFieldNames.
var fieldLabels = [lookup.NumberFieldCount]string{
	"Work", "Work 2", "Work Fax", "Mobile", "Mobile 2", "Home", "Home 2", "Home Fax", "Other",
}

// grandstreamTypes are the <Phone type=""> values of the Grandstream
// guide (Work/Home/Mobile/Fax/Other) for each number field.
var grandstreamTypes = [lookup.NumberFieldCount]string{
	"Work", "Work", "Fax", "Mobile", "Mobile", "Home", "Home", "Fax", "Other",
}

// entry is a contact prepared for rendering.
type entry struct {
	c       *lookup.Contact
	name    string // display name, sanitised, single line
	first   string
	last    string
	company string
	numbers []number
	fields  []int // index into NumberFieldNames for each number
}

// entries prepares the contacts that have at least one number; a phone
// directory lists what can be dialled.
func entries(cs []lookup.Contact) []entry {
	out := make([]entry, 0, len(cs))
	for i := range cs {
		c := &cs[i]
		e := entry{c: c}
		for j, p := range c.NumberFields() {
			if v := oneLine(*p); v != "" {
				e.numbers = append(e.numbers, number{field: lookup.NumberFieldNames[j], label: fieldLabels[j], value: v})
				e.fields = append(e.fields, j)
			}
		}
		if len(e.numbers) == 0 {
			continue
		}
		e.first, e.last, e.company = oneLine(c.FirstName), oneLine(c.LastName), oneLine(c.Company)
		e.name = oneLine(c.DisplayName())
		if e.name == "" {
			e.name = e.numbers[0].value
		}
		out = append(out, e)
	}
	return out
}

// window returns the slice [offset, offset+limit) of n items, clamped.
func window(n, offset, limit int) (from, to int) {
	from = min(offset, n)
	to = n
	if limit > 0 && from+limit < n {
		to = from + limit
	}
	return from, to
}

// oneLine sanitises s for XML 1.0 and a one-line phone display: invalid
// UTF-8 and characters illegal in XML are dropped, tabs and line breaks
// become spaces, runs of spaces collapse, ends are trimmed.
func oneLine(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range strings.ToValidUTF8(s, "") {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == ' ':
			space = b.Len() > 0
			continue
		case !xmlChar(r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII without leading, trailing
// or double spaces, the common case that needs no copy.
func isPlain(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == ' ' && s[i+1] == ' ' {
			return false
		}
	}
	return true
}

// xmlChar reports whether r may appear in an XML 1.0 document (§2.2
// Char), excluding the C0 controls other than tab, LF and CR.
func xmlChar(r rune) bool {
	switch {
	case r == 0x9 || r == 0xA || r == 0xD:
		return true
	case r >= 0x20 && r <= 0xD7FF:
		return !(r >= 0x7F && r <= 0x9F) // C1 controls are legal but never wanted
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return strings.TrimRight(s[:j], " ")
		}
		i++
	}
	return s
}
