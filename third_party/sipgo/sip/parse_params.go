package sip

const (
	paramsStateNone = iota
	paramsStateKey
	paramsStateEqual
	paramsStateValue
	paramsStateQuote
)

// UnmarshalHeaderParams parses parameters separated by seperator up to
// ending (outside a quoted string) or the end of s into p, and returns the
// index of ending in s (len(s) when absent). It follows RFC 3261 25.1:
// white space may surround the separator and the "=" (SEMI and EQUAL are
// SWS ";" SWS and SWS "=" SWS), so "; tag = 98asjd8" is the parameter tag
// with value 98asjd8; a quoted-string value is kept with its quotes and
// escapes, so it is written back exactly as received.
func UnmarshalHeaderParams(s string, seperator rune, ending rune, p *HeaderParams) (n int, err error) {
	return scanParams(s, byte(seperator), byte(ending), p), nil
}

func isLWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// scanParams is UnmarshalHeaderParams for ASCII separators. A zero ending
// means none. Empty parameters (";;") are skipped.
func scanParams(s string, sep, ending byte, p *HeaderParams) int {
	i := 0
	skip := func() {
		for i < len(s) && isLWS(s[i]) {
			i++
		}
	}
	for {
		skip()
		if i >= len(s) {
			return len(s)
		}
		if ending != 0 && s[i] == ending {
			return i
		}
		if s[i] == sep {
			i++
			continue
		}
		start := i
		for i < len(s) && s[i] != sep && s[i] != '=' && !isLWS(s[i]) && (ending == 0 || s[i] != ending) {
			i++
		}
		key := s[start:i]
		skip()
		val := ""
		if i < len(s) && s[i] == '=' {
			i++
			skip()
			vstart := i
			if i < len(s) && s[i] == '"' {
				i = quotedEnd(s, i)
			} else {
				for i < len(s) && s[i] != sep && !isLWS(s[i]) && (ending == 0 || s[i] != ending) {
					i++
				}
			}
			val = s[vstart:i]
		}
		if key != "" {
			p.Add(key, val)
		}
		// Anything else up to the next separator is not part of a parameter.
		for i < len(s) && s[i] != sep && (ending == 0 || s[i] != ending) {
			i++
		}
	}
}

// quotedEnd returns the index just past the quoted-string that starts at
// s[i] == '"' (backslash escapes honoured), or len(s) if it is unterminated.
func quotedEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(s)
}
