package api

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"cidproxy/lookup"
)

// jsonBodyLimit caps a JSON request body (one record: a contact is a few
// KiB); imports have their own limit (Options.MaxBodySize).
const jsonBodyLimit = 1 << 20

// checkJSONStrings walks the JSON document b and fails with a 400 naming
// the field at fault when a string is not valid UTF-8 (encoding/json
// would silently replace the bytes with U+FFFD) or holds a control
// character other than tab, CR and LF (a NUL byte in a name survives into
// exports and phone directories). b must be syntactically valid JSON.
func checkJSONStrings(b []byte) error {
	type frame struct {
		obj, wantKey bool
		key          string
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var stack []frame
	field := func() string {
		for i := len(stack) - 1; i >= 0; i-- {
			if stack[i].key != "" {
				return stack[i].key
			}
		}
		return ""
	}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or a syntax error the decoder reports
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				stack = append(stack, frame{obj: v == '{', wantKey: true})
				continue
			}
			stack = stack[:len(stack)-1]
			top = nil
			if len(stack) > 0 {
				top = &stack[len(stack)-1]
			}
		case string:
			raw := b[start:dec.InputOffset()]
			if top != nil && top.obj && top.wantKey {
				if !utf8.Valid(raw) || hasControl(v, false) {
					return badField("", "a field name is not valid UTF-8 or holds a control character")
				}
				top.key, top.wantKey = v, false
				continue
			}
			if !utf8.Valid(raw) {
				return badField(field(), "field %q is not valid UTF-8", field())
			}
			if hasControl(v, true) {
				return badField(field(), "field %q holds a control character (such as NUL)", field())
			}
		}
		if top != nil && top.obj {
			top.wantKey = true
		}
	}
}

// hasControl reports whether s holds a C0 control character or DEL; with
// lines, tab, CR and LF are allowed.
func hasControl(s string, lines bool) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		if lines && (r == '\t' || r == '\n' || r == '\r') {
			return false
		}
		return r < 0x20 || r == 0x7f
	})
}

func badField(field, format string, args ...any) *problem {
	p := badRequest(format, args...)
	p.Field = field
	return p
}

// checkContact validates a contact's fields as a person typed them: 400
// naming the field for a line break in anything but the remark, and for
// a number that is not written as a phone number.
func checkContact(c *lookup.Contact) error {
	for _, f := range []struct {
		name string
		v    string
	}{{"first_name", c.FirstName}, {"last_name", c.LastName}, {"company", c.Company}, {"email", c.Email},
		{"zip", c.Zip}, {"street", c.Street}, {"city", c.City}, {"state", c.State}, {"country", c.Country}} {
		if hasControl(f.v, false) {
			return badField(f.name, "field %q holds a control character or line break", f.name)
		}
	}
	for i, p := range c.NumberFields() {
		if err := checkNumber(*p); err != "" {
			name := lookup.NumberFieldNames[i]
			return badField(name, "field %q: %s", name, err)
		}
	}
	return nil
}

// checkNumber says what is wrong with a phone number as written ("" if
// nothing): digits with an optional leading "+" and the separators space
// - . / ( ). No URIs (sip:1@x), no second "+", no letters, no controls.
func checkNumber(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == '+':
			return "\"+\" may only start a phone number"
		case strings.ContainsRune(" -./()", r):
		default:
			return "not a phone number: use digits, a leading \"+\" and the separators space - . / ( )"
		}
	}
	if digits == 0 {
		return "not a phone number: it has no digits"
	}
	return ""
}
