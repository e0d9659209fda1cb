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
	buf     strings.Builder
}

func (e *encoder) card(c *lookup.Contact) {
	e.line("BEGIN:VCARD")
	e.line("VERSION:" + e.version)
	org := c.FirstName == "" && c.LastName == "" && c.Company != ""
	if org && e.version == Version40 {
		e.line("KIND:org") // RFC 6350 §6.1.4: the card is an organisation
	}
	if c.ID != "" {
		e.prop("UID", "", escape(c.ID))
	}
	e.prop("FN", "", escape(c.DisplayName()))
	e.prop("N", "", escape(c.LastName)+";"+escape(c.FirstName)+";;;")
	if c.Company != "" {
		e.prop("ORG", "", escape(c.Company))
	}
	if org && e.version == Version30 {
		e.line("X-ABShowAs:COMPANY") // Apple Contacts: list under the company
	}
	if c.Email != "" {
		params := ";TYPE=INTERNET"
		if e.version == Version40 {
			params = ""
		}
		e.prop("EMAIL", params, escape(c.Email))
	}
	for i, p := range c.NumberFields() {
		if *p != "" {
			e.tel(i, *p)
		}
	}
	if c.Street != "" || c.City != "" || c.State != "" || c.Zip != "" || c.Country != "" {
		e.prop("ADR", "", ";;"+escape(c.Street)+";"+escape(c.City)+";"+escape(c.State)+";"+escape(c.Zip)+";"+escape(c.Country))
	}
	if c.Remark != "" {
		e.prop("NOTE", "", escape(c.Remark))
	}
	e.line("END:VCARD")
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
		e.prop("TEL", ";VALUE=text"+params, escape(num))
	case e.version == Version40 && uriSafe(num):
		e.prop("TEL", ";VALUE=uri"+params, "tel:"+num)
	default:
		e.prop("TEL", params, escape(num))
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

func (e *encoder) prop(name, params, value string) {
	e.buf.Reset()
	e.buf.WriteString(name)
	e.buf.WriteString(params)
	e.buf.WriteByte(':')
	e.buf.WriteString(value)
	e.line(e.buf.String())
}

// line writes s folded at 75 octets. A fold never splits a UTF-8
// sequence or a backslash escape; continuation lines start with a space.
func (e *encoder) line(s string) {
	limit := maxLineOctets
	for len(s) > limit {
		cut := limit
		for cut > 1 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if endsInEscape(s[:cut]) {
			cut--
		}
		e.w.WriteString(s[:cut])
		e.w.WriteString("\r\n ")
		s = s[cut:]
		limit = maxLineOctets - 1
	}
	e.w.WriteString(s)
	e.w.WriteString("\r\n")
}

// endsInEscape reports whether s ends in an unpaired backslash.
func endsInEscape(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// escape applies RFC 6350 §3.4 text escaping, normalises line ends to
// "\n" and drops other control characters and invalid UTF-8.
func escape(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == ',':
			b.WriteString(`\,`)
		case c == ';':
			b.WriteString(`\;`)
		case c == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString(`\n`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			// dropped
		case c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] < 0xa0:
			i++ // C1 control, dropped
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
