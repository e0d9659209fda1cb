package phonedir

import (
	"strings"
	"unicode/utf8"

	"cidproxy/lookup"
)

// number is one dialable number of a contact.
type number struct {
	idx   int    // index into lookup.NumberFieldNames
	value string // sanitised
}

func (n number) field() string { return lookup.NumberFieldNames[n.idx] }
func (n number) label() string { return fieldLabels[n.idx] }

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

// entry is a contact prepared for rendering. Renderers reuse one entry
// for every contact, so preparing a directory does not allocate per
// number.
type entry struct {
	c       *lookup.Contact
	name    string // display name, sanitised, single line
	first   string
	last    string
	company string
	nums    [lookup.NumberFieldCount]number
	n       int
}

func (e *entry) numbers() []number { return e.nums[:e.n] }

// prepare fills e from c; false if c has no dialable number (a phone
// directory lists what can be dialled, so such contacts are skipped).
// dial, if not nil, rewrites each number; a number it rewrites to
// nothing is kept as written, so counts made with rowCount hold.
func (e *entry) prepare(c *lookup.Contact, dial func(string) string) bool {
	e.c, e.n = c, 0
	for j, p := range c.NumberFields() {
		v := oneLine(*p)
		if dial != nil && v != "" {
			if d := oneLine(dial(v)); d != "" {
				v = d
			}
		}
		if v != "" {
			e.nums[e.n] = number{idx: j, value: v}
			e.n++
		}
	}
	if e.n == 0 {
		return false
	}
	e.first, e.last, e.company = oneLine(c.FirstName), oneLine(c.LastName), oneLine(c.Company)
	switch {
	case e.first != "" && e.last != "":
		e.name = e.first + " " + e.last
	case e.first != "" || e.last != "":
		e.name = e.first + e.last
	case e.company != "":
		e.name = e.company
	default:
		e.name = e.nums[0].value
	}
	return true
}

// rowCount is the number of dialable numbers of c without building
// anything: how many Cisco rows it yields, 0 if it is skipped.
func rowCount(c *lookup.Contact) int {
	n := 0
	for _, p := range c.NumberFields() {
		if visible(*p) {
			n++
		}
	}
	return n
}

// visible reports whether oneLine(s) is non-empty.
func visible(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' && r != utf8.RuneError && xmlChar(r) {
			return true
		}
	}
	return strings.Contains(s, "\uFFFD")
}

// each calls fn for the contacts with numbers in [offset, offset+limit)
// (limit 0: no limit) and returns how many contacts have numbers and the
// clamped offset of the first one rendered.
func each(dir *Directory, offset, limit int, fn func(e *entry)) (total, from int) {
	var e entry
	cs := dir.Contacts
	for i := range cs {
		if rowCount(&cs[i]) == 0 {
			continue
		}
		if total >= offset && (limit == 0 || total < offset+limit) && e.prepare(&cs[i], dir.Dialable) {
			fn(&e)
		}
		total++
	}
	return total, min(offset, total)
}

// oneLine sanitises s for XML 1.0 and a one-line phone display: invalid
// UTF-8 and characters illegal in XML are dropped, tabs and line breaks
// become spaces, runs of spaces collapse, ends are trimmed.
func oneLine(s string) string {
	if isPlain(s) {
		return s
	}
	return clean(s)
}

// clean is the slow path of oneLine.
func clean(s string) string {
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

// isPlain reports whether oneLine(s) == s: valid UTF-8 of XML
// characters without tabs, line breaks, or leading, trailing or double
// spaces. It lets the common, clean case through without a copy.
func isPlain(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	prevSpace := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || c == ' ' && prevSpace {
				return false
			}
			prevSpace = c == ' '
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !xmlChar(r) {
			return false
		}
		prevSpace = false
		i += size
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
