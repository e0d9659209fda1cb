package store

import (
	"encoding/binary"
	"errors"

	"cidproxy/lookup"
)

// Record format 1 (values of v1/c/<id>), chosen over JSON because the index
// rebuild decodes 500,000 of them at start:
//
//	byte    format (1)
//	byte    flags (bit 0: read-only)
//	uvarint n, then n strings (uvarint length + bytes) in contactFields order
//	uvarint k, then k normalised number keys (uvarint length + bytes)
//
// Decoders take the fields they know and ignore extra ones, so fields can
// be appended to contactFields without a new format.
const recordFormat = 1

var errBadRecord = errors.New("store: corrupt record")

// contactFields lists the string fields of a contact in record order.
// Append only.
func contactFields(c *lookup.Contact) []*string {
	n := c.NumberFields()
	return []*string{
		&c.FirstName, &c.LastName, &c.Company, &c.Email,
		n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7], n[8],
		&c.Zip, &c.Street, &c.City, &c.State, &c.Country, &c.Remark,
		&c.Source,
	}
}

// encodeContact appends the record of c (without its id, which is in the
// key) and its number keys to dst.
func encodeContact(dst []byte, c *lookup.Contact, keys []string) []byte {
	var flags byte
	if c.ReadOnly {
		flags |= 1
	}
	dst = append(dst, recordFormat, flags)
	fields := contactFields(c)
	dst = binary.AppendUvarint(dst, uint64(len(fields)))
	for _, f := range fields {
		dst = appendString(dst, *f)
	}
	dst = binary.AppendUvarint(dst, uint64(len(keys)))
	for _, k := range keys {
		dst = appendString(dst, k)
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// decodeContact decodes a record into c (whose ID the caller sets) and
// returns its number keys.
func decodeContact(b []byte, c *lookup.Contact) (keys []string, err error) {
	if len(b) < 2 || b[0] != recordFormat {
		return nil, errBadRecord
	}
	c.ReadOnly = b[1]&1 != 0
	d := decoder{b: b[2:]}
	n := d.uvarint()
	fields := contactFields(c)
	for i := uint64(0); i < n && d.err == nil; i++ {
		s := d.string()
		if i < uint64(len(fields)) {
			*fields[i] = s
		}
	}
	k := d.uvarint()
	if k > lookup.NumberFieldCount*4 {
		return nil, errBadRecord
	}
	for i := uint64(0); i < k && d.err == nil; i++ {
		keys = append(keys, d.string())
	}
	return keys, d.err
}

// decodeEntry decodes only what the index needs, the display name and
// the keys, without allocating the other fields (the rebuild at start
// decodes every contact).
func decodeEntry(id string, b []byte, keys []string) (lookup.IndexEntry, error) {
	if len(b) < 2 || b[0] != recordFormat {
		return lookup.IndexEntry{}, errBadRecord
	}
	d := decoder{b: b[2:]}
	n := d.uvarint()
	var c lookup.Contact
	for i := uint64(0); i < n && d.err == nil; i++ {
		switch i {
		case 0:
			c.FirstName = d.string()
		case 1:
			c.LastName = d.string()
		case 2:
			c.Company = d.string()
		default:
			d.skip()
		}
	}
	k := d.uvarint()
	if k > lookup.NumberFieldCount*4 {
		return lookup.IndexEntry{}, errBadRecord
	}
	keys = keys[:0]
	for i := uint64(0); i < k && d.err == nil; i++ {
		keys = append(keys, d.string())
	}
	return lookup.IndexEntry{ID: id, Name: c.DisplayName(), Keys: keys}, d.err
}

// Rule record: format byte, then prefix and name as strings.
func encodeRule(r *lookup.PrefixRule) []byte {
	b := []byte{recordFormat}
	b = appendString(b, r.Prefix)
	return appendString(b, r.Name)
}

func decodeRule(id string, b []byte) (lookup.PrefixRule, error) {
	if len(b) < 1 || b[0] != recordFormat {
		return lookup.PrefixRule{}, errBadRecord
	}
	d := decoder{b: b[1:]}
	r := lookup.PrefixRule{ID: id, Prefix: d.string(), Name: d.string()}
	return r, d.err
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errBadRecord
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) skip() {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.err = errBadRecord
	}
	if d.err == nil {
		d.b = d.b[n:]
	}
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = errBadRecord
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
