package store

import (
	"encoding/binary"
	"errors"
	"unsafe"

	"cidproxy/lookup"
)

// Record format 1 (values of v1/c/<id>), chosen over JSON because the index
// rebuild decodes 500,000 of them at start:
//
//	byte    format (1)
//	byte    flags (bit 0: read-only)
//	uvarint n, then n strings (uvarint length + bytes) in contactFields order
//	uvarint k, then k normalised number keys (uvarint length + bytes)
//	uvarint revision, uvarint m, then m phonebook ids (absent in records
//	written before revisions: 0 and none)
//
// Decoders take the fields they know and ignore extra ones, so fields can
// be appended to contactFields without a new format.
const recordFormat = 1

var errBadRecord = errors.New("store: corrupt record")

// numContactFields is the number of string fields of a record.
const numContactFields = 20

// contactFields lists the string fields of a contact in record order.
// Append only.
func contactFields(c *lookup.Contact) *[numContactFields]*string {
	n := c.NumberFields()
	return &[numContactFields]*string{
		&c.FirstName, &c.LastName, &c.Company, &c.Email,
		n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7], n[8],
		&c.Zip, &c.Street, &c.City, &c.State, &c.Country, &c.Remark,
		&c.Source,
	}
}

// encodeContact appends the record of c (without its id, which is in the
// key) and its number keys to dst.
func encodeContact(dst []byte, c *lookup.Contact, keys []string) []byte {
	dst = encodeContactBase(dst, c, keys)
	return appendTrailer(dst, c.Rev, c.Phonebooks)
}

// appendTrailer appends the revision and phonebooks of a record to its
// base (bulk imports spool bases and add the revision when writing).
func appendTrailer(dst []byte, rev uint64, pbs []string) []byte {
	dst = binary.AppendUvarint(dst, rev)
	return appendStrings(dst, pbs)
}

// encodeContactBase is encodeContact without the revision and phonebooks.
func encodeContactBase(dst []byte, c *lookup.Contact, keys []string) []byte {
	var flags byte
	if c.ReadOnly {
		flags |= 1
	}
	dst = append(dst, recordFormat, flags)
	fields := contactFields(c)
	dst = binary.AppendUvarint(dst, numContactFields)
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
	if d.err == nil && len(d.b) > 0 {
		c.Rev = d.uvarint()
		c.Phonebooks = d.strings()
	}
	return keys, d.err
}

// entryDecoder decodes only what the index needs, the display name and
// the keys, without allocating: the strings of the entries it returns alias
// the record and its own scratch buffers, valid until the next call, which
// is what lookup.Index.PutContact accepts (it copies). The index rebuild
// at start decodes every contact with it.
type entryDecoder struct {
	name, text []byte
	keys, pbs  []string
}

func (ed *entryDecoder) decode(id, b []byte) (lookup.IndexEntry, error) {
	if len(b) < 2 || b[0] != recordFormat {
		return lookup.IndexEntry{}, errBadRecord
	}
	d := decoder{b: b[2:]}
	n := d.uvarint()
	var f [4][]byte // first, last, company, email
	for i := uint64(0); i < n && d.err == nil; i++ {
		if i < 4 {
			f[i] = d.bytes()
		} else {
			d.bytes()
		}
	}
	k := d.uvarint()
	if k > lookup.NumberFieldCount*4 {
		return lookup.IndexEntry{}, errBadRecord
	}
	ed.keys = ed.keys[:0]
	for i := uint64(0); i < k && d.err == nil; i++ {
		ed.keys = append(ed.keys, alias(d.bytes()))
	}
	ed.pbs = ed.pbs[:0]
	if d.err == nil && len(d.b) > 0 {
		d.uvarint() // revision
		ed.pbs = d.aliasList(ed.pbs)
	}
	ed.name = lookup.AppendDisplayName(ed.name[:0], alias(f[0]), alias(f[1]), alias(f[2]))
	ed.text = lookup.AppendSearchText(ed.text[:0], alias(f[0]), alias(f[1]), alias(f[2]), alias(f[3]))
	return lookup.IndexEntry{ID: alias(id), Name: alias(ed.name), Keys: ed.keys, Phonebooks: ed.pbs, Text: alias(ed.text)}, d.err
}

// alias returns b as a string without copying; b must not change while
// the string is used.
func alias(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// Projection record (values of v1/ci/<id>): format byte, display name,
// uvarint k, k keys, then phonebook ids (uvarint m, m strings; projection
// format 2, see keyProjFmt). The search text is not in it: it would double
// the LSM data a bulk import writes (and the import's peak memory); Open
// indexes the folded display name and fills the full search text from the
// records in the background (fillSearchText).
func encodeProjection(dst []byte, e *lookup.IndexEntry) []byte {
	dst = append(dst, recordFormat)
	dst = appendString(dst, e.Name)
	dst = binary.AppendUvarint(dst, uint64(len(e.Keys)))
	for _, k := range e.Keys {
		dst = appendString(dst, k)
	}
	return appendStrings(dst, e.Phonebooks)
}

// projection returns the projection record of the full record b.
func (ed *entryDecoder) projection(dst, b []byte) ([]byte, error) {
	e, err := ed.decode(nil, b)
	if err != nil {
		return nil, err
	}
	return encodeProjection(dst, &e), nil
}

// decodeProjection decodes a projection record without allocating (see
// entryDecoder).
func (ed *entryDecoder) decodeProjection(id, b []byte) (lookup.IndexEntry, error) {
	if len(b) < 1 || b[0] != recordFormat {
		return lookup.IndexEntry{}, errBadRecord
	}
	d := decoder{b: b[1:]}
	name := d.bytes()
	k := d.uvarint()
	if k > lookup.NumberFieldCount*4 {
		return lookup.IndexEntry{}, errBadRecord
	}
	ed.keys = ed.keys[:0]
	for i := uint64(0); i < k && d.err == nil; i++ {
		ed.keys = append(ed.keys, alias(d.bytes()))
	}
	ed.pbs = ed.pbs[:0]
	if d.err == nil && len(d.b) > 0 {
		ed.pbs = d.aliasList(ed.pbs)
	}
	return lookup.IndexEntry{ID: alias(id), Name: alias(name), Keys: ed.keys, Phonebooks: ed.pbs}, d.err
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

// bytes returns the next string field without copying.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.err = errBadRecord
	}
	if d.err != nil {
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string { return string(d.bytes()) }
