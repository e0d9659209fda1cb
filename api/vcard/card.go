package vcard

import (
	"fmt"
	"strings"

	"cidproxy/lookup"
)

// binaryProps are skipped without decoding: they carry images, sounds or
// keys, never contact fields, and may be very long.
var binaryProps = map[string]bool{"PHOTO": true, "LOGO": true, "SOUND": true, "KEY": true}

// cardBuilder collects the properties of one card.
type cardBuilder struct {
	rec    Record
	props  []property
	labels map[string]string // group -> X-ABLabel (Apple item groups)
}

func (c *cardBuilder) fail(line int, prop string, err error) {
	c.rec.Errors = append(c.rec.Errors, &Error{Card: c.rec.Card, Line: line, Property: prop, Err: err})
}

func (c *cardBuilder) warn(line int, prop string, err error) {
	c.rec.Warnings = append(c.rec.Warnings, &Error{Card: c.rec.Card, Line: line, Property: prop, Err: err})
}

func (c *cardBuilder) add(ll logicalLine) {
	p, err := parseLine(ll)
	if err != nil {
		c.fail(ll.num, p.name, err)
		return
	}
	if binaryProps[p.name] {
		return
	}
	if p.tooLong {
		c.fail(p.line, p.name, fmt.Errorf("%w: line longer than %d bytes", ErrValue, maxLogicalLine))
		return
	}
	if p.name == "X-ABLABEL" && p.group != "" {
		if v, err := decodeValue(&p); err == nil {
			if c.labels == nil {
				c.labels = map[string]string{}
			}
			c.labels[p.group] = unescape(v)
		}
		return
	}
	c.props = append(c.props, p)
}

// build maps the collected properties onto a lookup.Contact.
func (c *cardBuilder) build() Record {
	ct := &c.rec.Contact
	var fn string
	var haveN, emailPref bool
	var slots telSlots
	for i := range c.props {
		p := &c.props[i]
		if !mapped[p.name] {
			continue
		}
		v, err := decodeValue(p)
		if err != nil {
			c.fail(p.line, p.name, err)
			continue
		}
		switch p.name {
		case "VERSION":
			c.rec.Version = strings.TrimSpace(v)
			if !knownVersion(c.rec.Version) {
				c.fail(p.line, p.name, fmt.Errorf("%w: unsupported version %q", ErrValue, clip(c.rec.Version)))
			}
		case "UID":
			setOnce(&ct.ID, unescape(v))
		case "FN":
			fn = trim(unescape(v))
		case "N":
			if !haveN {
				haveN = true
				mapN(ct, splitCompound(v))
			}
		case "ORG":
			setOnce(&ct.Company, trim(splitCompound(v)[0]))
		case "EMAIL":
			pref := p.types().has(tPref)
			if ct.Email == "" || pref && !emailPref {
				ct.Email, emailPref = trim(unescape(v)), pref
			}
		case "ADR":
			if ct.Street == "" && ct.City == "" && ct.Zip == "" && ct.Country == "" && ct.State == "" {
				mapADR(ct, splitCompound(v))
			}
		case "NOTE":
			if s := trim(unescape(v)); s != "" {
				ct.Remark = trim(joinNonEmpty("\n", ct.Remark, s))
			}
		case "TEL":
			c.addTel(&slots, p, v)
		}
	}
	if ct.FirstName == "" && ct.LastName == "" && fn != "" && fn != ct.Company {
		ct.FirstName, ct.LastName = splitFN(fn)
	}
	slots.apply(ct)
	return c.rec
}

var mapped = map[string]bool{
	"VERSION": true, "UID": true, "FN": true, "N": true, "ORG": true,
	"EMAIL": true, "ADR": true, "NOTE": true, "TEL": true,
}

func knownVersion(v string) bool { return v == "2.1" || v == "3.0" || v == "4.0" }

func (c *cardBuilder) addTel(slots *telSlots, p *property, v string) {
	num := telValue(p, v)
	if num == "" {
		return
	}
	types := p.types()
	if onlyPref(types) {
		if lbl, ok := c.labels[p.group]; ok {
			types = labelTypes(lbl)
		}
	}
	if !slots.place(num, classify(types)) {
		c.warn(p.line, p.name, fmt.Errorf("%w: more than %d numbers, %q dropped", ErrValue, lookup.NumberFieldCount, clip(num)))
	}
}

// telValue extracts the number from a TEL value: a tel: URI (RFC 3966,
// parameters such as ;ext= dropped) or text.
func telValue(p *property, v string) string {
	v = trim(unescape(v))
	vt := strings.ToLower(p.get("VALUE"))
	if (vt == "uri" || vt == "") && len(v) >= 4 && strings.EqualFold(v[:4], "tel:") {
		v = v[4:]
		if i := strings.IndexByte(v, ';'); i >= 0 {
			v = v[:i]
		}
		v = trim(v)
	}
	return v
}

func mapN(ct *lookup.Contact, parts []string) {
	ct.LastName = trim(parts[0])
	if len(parts) > 1 {
		ct.FirstName = trim(parts[1])
	}
	if len(parts) > 2 {
		ct.FirstName = trim(joinNonEmpty(" ", ct.FirstName, trim(parts[2])))
	}
}

// mapADR maps pobox;ext;street;locality;region;code;country.
func mapADR(ct *lookup.Contact, parts []string) {
	get := func(i int) string {
		if i < len(parts) {
			return trim(parts[i])
		}
		return ""
	}
	ct.Street = trim(joinNonEmpty(" ", get(0), get(1), get(2)))
	ct.City, ct.State, ct.Zip, ct.Country = get(3), get(4), get(5), get(6)
}

// splitFN splits a formatted name at its last space: "Ada King Lovelace"
// -> ("Ada King", "Lovelace"). A single word is a first name.
func splitFN(fn string) (first, last string) {
	i := strings.LastIndexAny(fn, " \t")
	if i < 0 {
		return fn, ""
	}
	return trim(fn[:i]), trim(fn[i+1:])
}

func setOnce(dst *string, v string) {
	if *dst == "" {
		*dst = trim(v)
	}
}

func trim(s string) string { return strings.TrimSpace(s) }

func joinNonEmpty(sep string, parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(p)
	}
	return b.String()
}
