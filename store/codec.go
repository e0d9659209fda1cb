package store

import (
	"encoding/binary"
	"unicode/utf8"

	"cidproxy/lookup"
)

func validUTF8(s string) bool { return utf8.ValidString(s) }

// Extension record: format, name, email, uvarint rev.
// Extension record: format, name, email, uvarint rev, then (only when
// set; records written before have none) popup trigger and unknown.
func encodeExtension(e *lookup.Extension) []byte {
	b := []byte{recordFormat}
	b = appendString(b, e.Name)
	b = appendString(b, e.Email)
	b = binary.AppendUvarint(b, e.Rev)
	if e.Popup != nil {
		b = appendString(b, e.Popup.Trigger)
		b = appendString(b, e.Popup.Unknown)
	}
	return b
}

func decodeExtension(number string, b []byte) (lookup.Extension, error) {
	if len(b) < 1 || b[0] != recordFormat {
		return lookup.Extension{}, errBadRecord
	}
	d := decoder{b: b[1:]}
	e := lookup.Extension{Number: number, Name: d.string(), Email: d.string()}
	e.Rev = d.uvarint()
	if d.err == nil && len(d.b) > 0 {
		e.Popup = &lookup.PopupSettings{Trigger: d.string(), Unknown: d.string()}
	}
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

// Change block: format, unix time (uvarint), uvarint n, then n changes
// of consecutive revisions from the one in the key, each: kind code,
// flags (bit 0 deleted, bit 1 viewers follow), id, owner, uvarint m + m
// phonebook ids, [uvarint v + v viewers].
var kindCodes = []string{lookup.KindContact, lookup.KindPersonal, lookup.KindPhonebook, lookup.KindExtension, lookup.KindPrefix}

func appendChange(dst []byte, ch *lookup.Change) []byte {
	var flags byte
	if ch.Deleted {
		flags = 1
	}
	if len(ch.Viewers) > 0 {
		flags |= 2
	}
	dst = append(dst, byte(indexOf(kindCodes, ch.Kind)), flags)
	dst = appendString(dst, ch.ID)
	dst = appendString(dst, ch.Owner)
	dst = appendStrings(dst, ch.Phonebooks)
	if len(ch.Viewers) > 0 {
		dst = appendStrings(dst, ch.Viewers)
	}
	return dst
}

// decodeBlock appends the changes of block b (first revision first) with
// Rev > since to out, at most limit in out (limit 0: only count), and
// returns the block's time and size.
func decodeBlock(b []byte, first, since uint64, limit int, out []lookup.Change) ([]lookup.Change, int64, int, error) {
	if len(b) < 1 || b[0] != recordFormat {
		return out, 0, 0, errBadRecord
	}
	d := decoder{b: b[1:]}
	at := int64(d.uvarint())
	n := d.uvarint()
	if d.err != nil || n > changeBlock {
		return out, 0, 0, errBadRecord
	}
	if limit == 0 {
		return out, at, int(n), nil
	}
	for i := uint64(0); i < n && len(out) < limit; i++ {
		if len(d.b) < 2 || int(d.b[0]) >= len(kindCodes) {
			return out, at, int(n), errBadRecord
		}
		ch := lookup.Change{Rev: first + i, Kind: kindCodes[d.b[0]], Deleted: d.b[1]&1 != 0}
		viewers := d.b[1]&2 != 0
		d.b = d.b[2:]
		ch.ID, ch.Owner = d.string(), d.string()
		ch.Phonebooks = d.strings()
		if viewers {
			ch.Viewers = d.strings()
		}
		if d.err != nil {
			return out, at, int(n), d.err
		}
		if ch.Rev > since {
			out = append(out, ch)
		}
	}
	return out, at, int(n), nil
}
