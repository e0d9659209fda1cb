package crm

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on values taken from CRM responses.
const (
	maxFieldLen  = 256
	maxRemarkLen = 2048
	maxURLLen    = 2048
)

// cleanValue makes a CRM-supplied value safe to store and show: line breaks
// and tabs become spaces, other control characters and invalid UTF-8 are
// dropped, a JSON object or array (a wrong type where a scalar belongs) is
// discarded, and the result is trimmed and cut to limit bytes on a rune
// boundary.
func cleanValue(s string, limit int) string {
	if isClean(s, limit) {
		return s
	}
	t := strings.TrimSpace(s)
	if len(t) > 1 && (t[0] == '{' && t[len(t)-1] == '}' || t[0] == '[' && t[len(t)-1] == ']') {
		return ""
	}
	var b strings.Builder
	b.Grow(min(len(s), limit))
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			continue
		case r == '\r' || r == '\n' || r == '\t':
			r = ' '
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			continue
		}
		if b.Len()+utf8.RuneLen(r) > limit {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// cleanURL accepts only absolute http(s) URLs without control characters
// (a popup URL must not become javascript: or carry a header break).
func cleanURL(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxURLLen || strings.ContainsFunc(s, unicode.IsControl) {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return s
}

// isClean is the allocation-free fast path of cleanValue: short printable
// ASCII without surrounding spaces and not starting a JSON object or array.
func isClean(s string, limit int) bool {
	if len(s) > limit || s == "" || s[0] == ' ' || s[0] == '{' || s[0] == '[' || s[len(s)-1] == ' ' {
		return s == ""
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
