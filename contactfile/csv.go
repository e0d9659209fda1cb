package contactfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"cidproxy/lookup"
)

// column sets one contact field from a cell.
type column func(r *Row, v string, rec []string)

// detectDelimiter picks ',', ';' or '\t': the one that occurs most often
// in the header line outside quotes.
func detectDelimiter(br *bufio.Reader) rune {
	line, _ := br.Peek(br.Buffered())
	if len(line) == 0 {
		line, _ = br.Peek(4096)
	}
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(line) {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ',' || c == ';' || c == '\t'):
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

func readCSV(br *bufio.Reader, format string) (*File, error) {
	_, _ = br.Peek(4096) // fill the buffer for detectDelimiter
	cr := csv.NewReader(br)
	cr.Comma = detectDelimiter(br)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &Error{Line: 1, Err: ErrEmpty}
	}
	if err != nil {
		return nil, &Error{Line: 1, Err: csvCause(err)}
	}
	for i := range head {
		head[i] = strings.TrimSpace(head[i])
	}
	if format == Auto {
		format = detect(head)
	}
	cols, err := mapping(format, head)
	if err != nil {
		return nil, err
	}
	f := &File{Format: format}
	for {
		// FieldPos only after a record was read: after a parse error the
		// reader holds no fields and FieldPos(0) panics (found by FuzzRead).
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, err
			}
			f.addError(&Error{Line: pe.StartLine, Err: csvCause(err)})
			continue
		}
		line, _ := cr.FieldPos(0)
		if isBlank(rec) {
			continue
		}
		row := Row{Line: line}
		for i, v := range rec {
			if i < len(cols) && cols[i] != nil {
				cols[i](&row, strings.TrimSpace(v), rec)
			}
		}
		f.Rows = append(f.Rows, row)
	}
}

func isBlank(rec []string) bool {
	return !slices.ContainsFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" })
}

func csvCause(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// detect names the format of a header: Google's numbered "Phone 1 -
// Value" columns, Outlook's "Business Phone"/"E-mail Address", else
// cidproxy's own.
func detect(head []string) string {
	for _, h := range head {
		switch {
		case strings.HasPrefix(h, "Phone 1 - "), strings.HasPrefix(h, "E-mail 1 - "), h == "Given Name", h == "Organization Name":
			return Google
		case h == "Business Phone", h == "Mobile Phone", h == "E-mail Address", h == "Home Phone",
			h == "Vorname", h == "Telefon geschäftlich", h == "Mobiltelefon", h == "E-Mail-Adresse":
			return Outlook
		}
	}
	return Cidproxy
}

// mapping returns the column setters of a header in format.
func mapping(format string, head []string) ([]column, error) {
	switch format {
	case Google:
		return googleColumns(head), nil
	case Outlook:
		return namedColumns(head, outlookColumns), nil
	}
	return cidproxyColumns(head)
}

// Columns is cidproxy's contact CSV header, in export order: the contact
// fields and the phonebooks (names, separated by "|").
var Columns = append(fieldNames(), "phonebooks")

func fieldNames() []string {
	return []string{"first_name", "last_name", "company", "email",
		"business_number", "business_number_2", "business_fax",
		"mobile_number", "mobile_number_2", "home_number", "home_number_2",
		"home_fax", "other_number",
		"zip", "street", "city", "state", "country", "remark"}
}

// field returns the contact field of a cidproxy column, or nil.
func field(c *lookup.Contact, name string) *string {
	all := []*string{&c.FirstName, &c.LastName, &c.Company, &c.Email}
	for _, p := range c.NumberFields() {
		all = append(all, p)
	}
	all = append(all, &c.Zip, &c.Street, &c.City, &c.State, &c.Country, &c.Remark)
	if i := slices.Index(fieldNames(), name); i >= 0 {
		return all[i]
	}
	return nil
}

func cidproxyColumns(head []string) ([]column, error) {
	cols := make([]column, len(head))
	seen := map[string]bool{}
	for i, h := range head {
		switch {
		case !slices.Contains(Columns, h):
			return nil, &Error{Line: 1, Field: h, Err: fmt.Errorf("unknown column %q (columns: %s; or a Google or Outlook export)", h, strings.Join(Columns, ","))}
		case seen[h]:
			return nil, &Error{Line: 1, Field: h, Err: fmt.Errorf("column %q appears twice", h)}
		}
		seen[h] = true
		if h == "phonebooks" {
			cols[i] = func(r *Row, v string, _ []string) { r.Phonebooks = splitList(v, "|") }
			continue
		}
		cols[i] = func(r *Row, v string, _ []string) { *field(&r.Contact, h) = v }
	}
	return cols, nil
}

func splitList(v, sep string) []string {
	var out []string
	for _, s := range strings.Split(v, sep) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// set returns a column that fills the contact field f picks.
func set(f func(c *lookup.Contact) *string) column {
	return func(r *Row, v string, _ []string) {
		if p := f(&r.Contact); *p == "" {
			*p = v
		}
	}
}

// namedColumns maps a header through a table of column names; other
// columns are ignored (exports have dozens).
func namedColumns(head []string, table map[string]column) []column {
	cols := make([]column, len(head))
	for i, h := range head {
		cols[i] = table[h]
	}
	return cols
}

// phone files a number under the first free field of its kind.
func phone(kind string) column {
	return func(r *Row, v string, _ []string) {
		for _, n := range splitList(v, ":::") {
			addNumber(&r.Contact, kind, n)
		}
	}
}

func addNumber(c *lookup.Contact, kind, n string) {
	slots := map[string][]*string{
		"business": {&c.Business, &c.Business2, &c.Other},
		"mobile":   {&c.Mobile, &c.Mobile2, &c.Other},
		"home":     {&c.Home, &c.Home2, &c.Other},
		"bfax":     {&c.BusinessFax, &c.Other},
		"hfax":     {&c.HomeFax, &c.Other},
		"other":    {&c.Other, &c.Business2, &c.Mobile2, &c.Home2},
	}[kind]
	for _, p := range slots {
		if *p == "" {
			*p = n
			return
		}
	}
}
