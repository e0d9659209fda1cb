package sip

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanName turns a contact name into text that is safe inside a SIP
// quoted-string once escaped: invalid UTF-8, control characters (C0, DEL,
// C1), line and paragraph separators and bidi/format controls are removed,
// runs of white space become one space, the ends are trimmed, and the
// result is cut to at most maxRunes runes on a rune boundary. It does not
// escape; see SanitizeName.
func CleanName(s string, maxRunes int) string {
	if maxRunes <= 0 {
		return ""
	}
	if isCleanASCII(s) && len(s) <= maxRunes {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), 4*maxRunes))
	n := 0
	space := false
	for i := 0; i < len(s) && n < maxRunes; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			continue // invalid byte
		case unicode.IsSpace(r) || r == '\u2028' || r == '\u2029':
			space = b.Len() > 0
			continue
		case dropRune(r):
			continue
		}
		if space {
			if n+1 >= maxRunes {
				break
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// dropRune reports control and invisible formatting characters that must
// not reach a display name.
func dropRune(r rune) bool {
	if unicode.IsControl(r) {
		return true
	}
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, // bidi embeddings/isolates
		r == 0x200E, r == 0x200F, r == 0xFEFF, r == 0x061C, // marks, BOM
		r >= 0xFFF9 && r <= 0xFFFB, r == 0xFFFD: // interlinear annotation, replacement char
		return true
	}
	return false
}

// isCleanASCII reports whether s is printable ASCII without leading,
// trailing or doubled spaces, so CleanName can return it unchanged.
func isCleanASCII(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return s == ""
	}
	prev := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7F || (c == ' ' && prev == ' ') {
			return false
		}
		prev = c
	}
	return true
}

// EscapeQuoted escapes '"' and '\' so s can stand between the quotes of a
// SIP quoted-string (RFC 3261 section 25.1). s must already be clean.
func EscapeQuoted(s string) string {
	k := strings.IndexAny(s, `"\`)
	if k < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	b.WriteString(s[:k])
	for i := k; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// SanitizeName returns name cleaned (CleanName) and escaped (EscapeQuoted):
// the content of a quoted-string display name, at most maxRunes characters
// before escaping, that cannot break out of its quotes or inject a header.
func SanitizeName(name string, maxRunes int) string {
	return EscapeQuoted(CleanName(name, maxRunes))
}

// unescapeQuoted undoes quoted-pair escapes (\x -> x) of a display name as
// sipgo stores it, for events.
func unescapeQuoted(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
