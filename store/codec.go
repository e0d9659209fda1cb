package store

import (
	"encoding/binary"
	"unicode/utf8"

	"cidproxy/lookup"
)

func validUTF8(s string) bool { return utf8.ValidString(s) }

// Extension record: format, name, email, uvarint rev.
func encodeExtension(e *lookup.Extension) []byte {
	b := []byte{recordFormat}
	b = appendString(b, e.Name)
	b = appendString(b, e.Email)
	return binary.AppendUvarint(b, e.Rev)
}

func decodeExtension(number string, b []byte) (lookup.Extension, error) {
	if len(b) < 1 || b[0] != recordFormat {
		return lookup.Extension{}, errBadRecord
	}
	d := decoder{b: b[1:]}
	e := lookup.Extension{Number: number, Name: d.string(), Email: d.string()}
	e.Rev = d.uvarint()
	return e, d.err
}

// Phonebook record: format, flags (1 view all, 2 manage all, 4 read-only),
// name, source, view list, manage list, uvarint rev.
func encodePhonebook(p *lookup.Phonebook) []byte {
	var flags byte
	for i, on := range []bool{p.ViewAll, p.ManageAll, p.ReadOnly} {
		if on {
			flags |= 1 << i
		}
	}
	b := []byte{recordFormat, flags}
	b = appendString(b, p.Name)
	b = appendString(b, p.Source)
	b = appendStrings(b, p.View)
	b = appendStrings(b, p.Manage)
	return binary.AppendUvarint(b, p.Rev)
}

func decodePhonebook(id string, b []byte) (lookup.Phonebook, error) {
	if len(b) < 2 || b[0] != recordFormat {
		return lookup.Phonebook{}, errBadRecord
	}
	p := lookup.Phonebook{ID: id, ViewAll: b[1]&1 != 0, ManageAll: b[1]&2 != 0, ReadOnly: b[1]&4 != 0}
	d := decoder{b: b[2:]}
	p.Name, p.Source = d.string(), d.string()
	p.View, p.Manage = d.strings(), d.strings()
	p.Rev = d.uvarint()
	return p, d.err
}

func appendStrings(dst []byte, l []string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(l)))
	for _, s := range l {
		dst = appendString(dst, s)
	}
	return dst
}

// maxListLen bounds decoded string lists.
const maxListLen = 1 << 16

func (d *decoder) strings() []string {
	n := d.uvarint()
	if n > maxListLen || n > uint64(len(d.b)) {
		if d.err == nil {
			d.err = errBadRecord
		}
		return nil
	}
	var out []string
	for i := uint64(0); i < n && d.err == nil; i++ {
		out = append(out, d.string())
	}
	return out
}

// bytesList is strings without copying (strings alias b).
func (d *decoder) aliasList(dst []string) []string {
	n := d.uvarint()
	if n > maxListLen || n > uint64(len(d.b)) {
		if d.err == nil {
			d.err = errBadRecord
		}
		return dst
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		dst = append(dst, alias(d.bytes()))
	}
	return dst
}
