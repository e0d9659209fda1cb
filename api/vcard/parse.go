package vcard

import (
	"fmt"
	"strings"
)

// param is one parameter of a content line. A vCard 2.1 bare parameter
// (TEL;WORK) has name "" and its word as the only value.
type param struct {
	name   string // upper case
	values []string
}

// property is one parsed content line.
type property struct {
	line    int
	group   string // lower case, "" if none
	name    string // upper case
	params  []param
	value   string // raw value, still transfer-encoded and escaped
	tooLong bool
}

// parseLine splits "group.NAME;p=v;P2:value" (RFC 6350 §3.3).
func parseLine(ll logicalLine) (property, error) {
	s := ll.text
	p := property{line: ll.num, tooLong: ll.tooLong}
	i := strings.IndexAny(s, ";:")
	if i < 0 {
		return p, fmt.Errorf("%w: no colon in %q", ErrSyntax, clip(s))
	}
	name := s[:i]
	if dot := strings.LastIndexByte(name, '.'); dot >= 0 {
		p.group = strings.ToLower(name[:dot])
		name = name[dot+1:]
		if !isName(p.group) {
			return p, fmt.Errorf("%w: bad group %q", ErrSyntax, clip(p.group))
		}
	}
	if !isName(name) {
		return p, fmt.Errorf("%w: bad property name %q", ErrSyntax, clip(name))
	}
	p.name = strings.ToUpper(name)
	s = s[i:]
	for len(s) > 0 && s[0] == ';' {
		var raw string
		var err error
		raw, s, err = cutParam(s[1:])
		if err != nil {
			return p, err
		}
		if raw != "" {
			p.params = append(p.params, splitParam(raw))
		}
	}
	if len(s) == 0 || s[0] != ':' {
		return p, fmt.Errorf("%w: no colon after parameters of %s", ErrSyntax, p.name)
	}
	p.value = s[1:]
	return p, nil
}

// cutParam returns the text up to the next unquoted ';' or ':'.
func cutParam(s string) (raw, rest string, err error) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ';' || c == ':'):
			return s[:i], s[i:], nil
		}
	}
	return "", "", fmt.Errorf("%w: unterminated parameter list", ErrSyntax)
}

// splitParam parses NAME=v1,"v2" or a bare 2.1 word.
func splitParam(raw string) param {
	name, val, ok := strings.Cut(raw, "=")
	if !ok {
		return param{values: []string{strings.TrimSpace(raw)}}
	}
	pm := param{name: strings.ToUpper(strings.TrimSpace(name))}
	if !strings.Contains(val, `"`) {
		for {
			v, rest, more := strings.Cut(val, ",")
			pm.values = append(pm.values, caretDecode(strings.TrimSpace(v)))
			if !more {
				return pm
			}
			val = rest
		}
	}
	var cur strings.Builder
	quoted := false
	flush := func() {
		pm.values = append(pm.values, caretDecode(strings.TrimSpace(cur.String())))
		cur.Reset()
	}
	for i := 0; i < len(val); i++ {
		switch c := val[i]; {
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return pm
}

// caretDecode undoes RFC 6868 parameter value encoding.
func caretDecode(s string) string {
	if !strings.Contains(s, "^") {
		return s
	}
	r := strings.NewReplacer("^^", "^", "^n", "\n", "^N", "\n", "^'", `"`)
	return r.Replace(s)
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// get returns the first value of the named parameter (upper-case name).
func (p *property) get(name string) string {
	for _, pm := range p.params {
		if pm.name == name && len(pm.values) > 0 {
			return pm.values[0]
		}
	}
	return ""
}

// encoding returns the transfer encoding in upper case: ENCODING=... or
// a bare 2.1 word (QUOTED-PRINTABLE, BASE64).
func (p *property) encoding() string {
	if e := p.get("ENCODING"); e != "" {
		return strings.ToUpper(e)
	}
	for _, pm := range p.params {
		if pm.name == "" && isEncodingWord(pm.values[0]) {
			return strings.ToUpper(pm.values[0])
		}
	}
	return ""
}

func isEncodingWord(s string) bool {
	switch strings.ToUpper(s) {
	case "QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT":
		return true
	}
	return false
}

// typeSet holds the TEL/EMAIL types Decode cares about.
type typeSet uint16

const (
	tPref typeSet = 1 << iota
	tVoice
	tFax
	tCell
	tHome
	tWork
	tOther // any other type word
)

var typeWords = map[string]typeSet{
	"pref": tPref, "voice": tVoice, "fax": tFax, "cell": tCell, "mobile": tCell,
	"iphone": tCell, "home": tHome, "work": tWork,
}

func (t typeSet) has(f typeSet) bool { return t&f != 0 }

// addWords adds the comma-separated type words of v.
func (t *typeSet) addWords(v string) {
	for v != "" {
		w, rest, _ := strings.Cut(v, ",")
		v = rest
		if w = strings.TrimSpace(w); w == "" {
			continue
		}
		if f, ok := typeWords[w]; ok {
			*t |= f
		} else if f, ok := typeWords[strings.ToLower(w)]; ok {
			*t |= f
		} else {
			*t |= tOther
		}
	}
}

// types returns the TYPE values, including bare 2.1 words and PREF=n.
func (p *property) types() typeSet {
	var t typeSet
	for _, pm := range p.params {
		switch {
		case pm.name == "TYPE":
			for _, v := range pm.values {
				t.addWords(v)
			}
		case pm.name == "" && !isEncodingWord(pm.values[0]):
			t.addWords(pm.values[0])
		case pm.name == "PREF":
			t |= tPref
		}
	}
	return t
}

func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
