package vcard

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// decodeValue undoes the transfer encoding and the charset of p's value
// and returns valid UTF-8 that still carries vCard backslash escapes.
func decodeValue(p *property) (string, error) {
	enc, cs := p.encoding(), p.get("CHARSET")
	if enc == "" && cs == "" && utf8.ValidString(p.value) {
		return cleanText(p.value), nil
	}
	raw := []byte(p.value)
	var err error
	switch enc {
	case "QUOTED-PRINTABLE":
		raw, err = decodeQP(p.value)
	case "B", "BASE64":
		raw, err = decodeBase64(p.value)
	}
	if err != nil {
		return "", err
	}
	s, err := toUTF8(raw, cs)
	if err != nil {
		return "", err
	}
	return cleanText(s), nil
}

// decodeQP decodes quoted-printable leniently: soft line breaks were
// already joined by the lexer; a '=' not followed by two hex digits is
// kept as is, like most mail readers do.
func decodeQP(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' && i+2 < len(s) {
			if h, ok := unhex(s[i+1]); ok {
				if l, ok := unhex(s[i+2]); ok {
					out = append(out, h<<4|l)
					i += 2
					continue
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func decodeBase64(s string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	if b, err := base64.StdEncoding.DecodeString(clean); err == nil {
		return b, nil
	}
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(clean, "="))
	if err != nil {
		return nil, fmt.Errorf("%w: bad base64: %v", ErrValue, err)
	}
	return b, nil
}

// toUTF8 converts raw bytes in the named charset to UTF-8. Without a
// charset (or with UTF-8) bytes that are not valid UTF-8 are read as
// Windows-1252, the charset of old Outlook exports that forget CHARSET.
func toUTF8(raw []byte, charset string) (string, error) {
	cs := strings.ToLower(strings.TrimSpace(charset))
	switch cs {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		if utf8.Valid(raw) {
			return string(raw), nil
		}
		return decodeWith(charmap.Windows1252, raw)
	}
	enc, err := htmlindex.Get(cs)
	if err != nil {
		return "", fmt.Errorf("%w: unknown charset %q", ErrValue, clip(charset))
	}
	return decodeWith(enc, raw)
}

func decodeWith(enc encoding.Encoding, raw []byte) (string, error) {
	out, err := enc.NewDecoder().Bytes(raw)
	if err != nil {
		return "", fmt.Errorf("%w: charset: %v", ErrValue, err)
	}
	return strings.ToValidUTF8(string(out), "\uFFFD"), nil
}

// cleanText normalises line ends to "\n" and drops control characters
// other than tab and newline, which have no place in a contact.
func cleanText(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r == '\n' || r == '\t':
			return r
		case isControl(r):
			return -1
		}
		return r
	}, s)
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)
}

// splitCompound splits a structured value (N, ADR, ORG) at semicolons not
// escaped by a backslash, and unescapes each component.
func splitCompound(s string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case ';':
			parts = append(parts, unescape(s[start:i]))
			start = i + 1
		}
	}
	return append(parts, unescape(s[start:]))
}

// unescape undoes RFC 6350 §3.4 text escapes. Unknown escapes are kept
// verbatim (a stray backslash is data, not an error).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'n', 'N':
			b.WriteByte('\n')
		case '\\', ',', ';', ':':
			b.WriteByte(s[i])
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
