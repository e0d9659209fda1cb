package vcard

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"cidproxy/lookup"
)

// maxLineOctets is the folding limit of RFC 6350 §3.2 (without CRLF).
const maxLineOctets = 75

// Encode writes cs as vCards of the given version (Version30 or
// Version40). Every card has N and FN; empty fields are left out.
func Encode(w io.Writer, cs []lookup.Contact, version string) error {
	if version != Version30 && version != Version40 {
		return fmt.Errorf("%w: %q (want %s or %s)", ErrVersion, version, Version30, Version40)
	}
	bw := bufio.NewWriter(w)
	e := encoder{w: bw, version: version}
	for i := range cs {
		e.card(&cs[i])
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("vcard: write: %w", err)
	}
	return nil
}

type encoder struct {
	w       *bufio.Writer
	version string
	buf     []byte
}

func (e *encoder) card(c *lookup.Contact) {
	e.line(append(e.buf[:0], "BEGIN:VCARD"...))
	e.line(append(e.buf[:0], "VERSION:"+e.version...))
	org := c.FirstName == "" && c.LastName == "" && c.Company != ""
	if org && e.version == Version40 {
		e.line(append(e.buf[:0], "KIND:org"...)) // RFC 6350 §6.1.4: the card is an organisation
	}
	if c.ID != "" {
		e.prop("UID", "", c.ID)
	}
	e.prop("FN", "", c.DisplayName())
	e.compound("N", c.LastName, c.FirstName, "", "", "")
	if c.Company != "" {
		e.prop("ORG", "", c.Company)
	}
	if org && e.version == Version30 {
		e.line(append(e.buf[:0], "X-ABShowAs:COMPANY"...)) // Apple Contacts: list under the company
	}
	if c.Email != "" {
		params := ";TYPE=INTERNET"
		if e.version == Version40 {
			params = ""
		}
		e.prop("EMAIL", params, c.Email)
	}
	for i, p := range c.NumberFields() {
		if *p != "" {
			e.tel(i, *p)
		}
	}
	if c.Street != "" || c.City != "" || c.State != "" || c.Zip != "" || c.Country != "" {
		e.compound("ADR", "", "", c.Street, c.City, c.State, c.Zip, c.Country)
	}
	if c.Remark != "" {
		e.prop("NOTE", "", c.Remark)
	}
	e.line(append(e.buf[:0], "END:VCARD"...))
}

// tel writes one number. vCard 4.0 prefers a tel: URI (RFC 6350 §6.4.1)
// when the number is URI-safe; anything else, and any number that itself
// starts with "tel:", is written as text so it decodes unchanged.
func (e *encoder) tel(slot int, num string) {
	params := ""
	if t := telTypes(slot, e.version); t != "" {
		params = ";TYPE=" + t
	}
	switch {
	case hasTelScheme(num):
		e.prop("TEL", ";VALUE=text"+params, num)
	case e.version == Version40 && uriSafe(num):
		b := append(e.buf[:0], "TEL;VALUE=uri"...)
		b = append(b, params...)
		b = append(b, ":tel:"...)
		e.line(append(b, num...))
	default:
		e.prop("TEL", params, num)
	}
}

func hasTelScheme(s string) bool { return len(s) >= 4 && strings.EqualFold(s[:4], "tel:") }

func uriSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789+-().*#", rune(s[i])) {
			return false
		}
	}
	return s != ""
}

// prop writes name+params:value with value escaped.
func (e *encoder) prop(name, params, value string) {
	b := append(e.buf[:0], name...)
	b = append(b, params...)
	b = append(b, ':')
	e.line(appendEscaped(b, value))
}

// compound writes a structured value, components escaped and joined by
// semicolons.
func (e *encoder) compound(name string, parts ...string) {
	b := append(e.buf[:0], name...)
	b = append(b, ':')
	for i, p := range parts {
		if i > 0 {
			b = append(b, ';')
		}
		b = appendEscaped(b, p)
	}
	e.line(b)
}

// line writes s folded at 75 octets. A fold never splits a UTF-8
// sequence or a backslash escape; continuation lines start with a space.
func (e *encoder) line(s []byte) {
	e.buf = s[:0] // keep the grown buffer for the next line
	limit := maxLineOctets
	for len(s) > limit {
		cut := limit
		for cut > 1 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if endsInEscape(s[:cut]) {
			cut--
		}
		e.w.Write(s[:cut])
		e.w.WriteString("\r\n ")
		s = s[cut:]
		limit = maxLineOctets - 1
	}
	e.w.Write(s)
	e.w.WriteString("\r\n")
}

// endsInEscape reports whether s ends in an unpaired backslash.
func endsInEscape(s []byte) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// appendEscaped appends s with RFC 6350 §3.4 text escaping, line ends
// normalised to "\n", other control characters dropped and invalid UTF-8
// replaced by U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = utf8.AppendRune(b, utf8.RuneError)
			case r >= 0x80 && r < 0xa0:
				// C1 control, dropped
			default:
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '\\':
			b = append(b, `\\`...)
		case c == ',':
			b = append(b, `\,`...)
		case c == ';':
			b = append(b, `\;`...)
		case c == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b = append(b, `\n`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\t':
			b = append(b, c)
		case c < 0x20 || c == 0x7f:
			// dropped
		default:
			b = append(b, c)
		}
		i++
	}
	return b
}
