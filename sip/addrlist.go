package sip

import "strings"

// setDisplayName replaces the display name of every entry of a
// comma-separated name-addr/addr-spec list with "quoted". An addr-spec
// entry is turned into a name-addr (its parameters stay header parameters).
// It reports false, and returns value unchanged, when an entry is malformed.
func setDisplayName(value, quoted string) (string, bool) {
	var b strings.Builder
	b.Grow(len(value) + len(quoted) + 8)
	rest := value
	for {
		entry, tail, more := cutEntry(rest)
		ne, ok := setEntryName(entry, quoted)
		if !ok {
			return value, false
		}
		b.WriteString(ne)
		if !more {
			break
		}
		b.WriteByte(',')
		rest = tail
	}
	return b.String(), true
}

// cutEntry splits s at the first comma outside quotes and angle brackets.
func cutEntry(s string) (entry, tail string, found bool) {
	inQuote, inAngle, esc := false, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case inQuote:
			if c == '\\' {
				esc = true
			} else if c == '"' {
				inQuote = false
			}
		case c == '"':
			inQuote = true
		case c == '<':
			inAngle = true
		case c == '>':
			inAngle = false
		case c == ',' && !inAngle:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// angleStart returns the index of the '<' opening the URI of a name-addr,
// skipping a quoted display name, or -1 for an addr-spec (or -2 when the
// quoted display name is not terminated).
func angleStart(entry string) int {
	i := 0
	for i < len(entry) && (entry[i] == ' ' || entry[i] == '\t') {
		i++
	}
	if i < len(entry) && entry[i] == '"' {
		end := closingQuote(entry, i+1)
		if end < 0 {
			return -2
		}
		lt := strings.IndexByte(entry[end:], '<')
		if lt < 0 {
			return -2
		}
		return end + lt
	}
	for j := i; j < len(entry); j++ {
		switch entry[j] {
		case '<':
			return j
		case ';', '>', '"':
			return -1
		}
	}
	return -1
}

// closingQuote returns the index of the quote ending a quoted-string whose
// content starts at from, honouring backslash escapes, or -1.
func closingQuote(s string, from int) int {
	for i := from; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// setEntryName rewrites one list entry, keeping its leading white space.
func setEntryName(entry, quoted string) (string, bool) {
	trimmed := strings.TrimLeft(entry, " \t")
	lead := entry[:len(entry)-len(trimmed)]
	trimmed = strings.TrimRight(trimmed, " \t")
	if trimmed == "" {
		return entry, false
	}
	lt := angleStart(trimmed)
	switch {
	case lt == -2:
		return entry, false
	case lt >= 0:
		if strings.IndexByte(trimmed[lt:], '>') < 0 {
			return entry, false
		}
		return lead + `"` + quoted + `" ` + trimmed[lt:], true
	}
	uri, params := trimmed, ""
	if i := strings.IndexByte(trimmed, ';'); i >= 0 {
		uri, params = trimmed[:i], trimmed[i:]
	}
	if !strings.Contains(uri, ":") {
		return entry, false
	}
	return lead + `"` + quoted + `" <` + uri + `>` + params, true
}
