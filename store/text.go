package store

import "strings"

// hasControl reports whether s holds a C0 control character other than
// tab, CR and LF, or DEL: a NUL byte in a name would end up in exports,
// phone directories and SIP headers.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f
	})
}
