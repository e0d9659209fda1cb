package api

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"cidproxy/lookup"
	"cidproxy/store"
)

// csvField returns the contact field of CSV column name (store.CSVColumns),
// or nil for an unknown column.
func csvField(c *lookup.Contact, name string) *string {
	switch name {
	case "first_name":
		return &c.FirstName
	case "last_name":
		return &c.LastName
	case "company":
		return &c.Company
	case "email":
		return &c.Email
	case "zip":
		return &c.Zip
	case "street":
		return &c.Street
	case "city":
		return &c.City
	case "state":
		return &c.State
	case "country":
		return &c.Country
	case "remark":
		return &c.Remark
	}
	for i, n := range lookup.NumberFieldNames {
		if n == name {
			return c.NumberFields()[i]
		}
	}
	return nil
}

// maxCSVRowErrors bounds the row errors parseCSV collects.
const maxCSVRowErrors = 1000

// parseCSV reads contacts from CSV with a header row naming any subset of
// store.CSVColumns in any order. A bad header is a *problem (422 naming
// the column); rows that cannot be read (wrong field count, broken
// quoting, invalid UTF-8) are returned as row errors with their line, and
// the rest continue. lines[i] is the line contact i starts on. Field
// values are validated by the store.
func parseCSV(r io.Reader) (cs []lookup.Contact, lines []int, errs []lookup.ImportError, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, nil, invalid("header", "empty file: a header row naming the columns is required (%s)", strings.Join(store.CSVColumns, ","))
	}
	if err != nil {
		return nil, nil, nil, invalid("header", "line 1: %v", csvCause(err))
	}
	cols, err := csvHeader(head)
	if err != nil {
		return nil, nil, nil, err
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return cs, lines, errs, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, nil, nil, err // read failure, e.g. body too large
			}
			if len(errs) == maxCSVRowErrors {
				return nil, nil, nil, invalid("", "more than %d unreadable rows; is this a CSV file?", maxCSVRowErrors)
			}
			errs = append(errs, lookup.ImportError{Row: pe.StartLine, Error: csvCause(err)})
			continue
		}
		line, _ := cr.FieldPos(0)
		c, ierr := csvRecord(rec, cols, line)
		if ierr != nil {
			if len(errs) == maxCSVRowErrors {
				return nil, nil, nil, invalid("", "more than %d unreadable rows; is this a CSV file?", maxCSVRowErrors)
			}
			errs = append(errs, *ierr)
			continue
		}
		cs = append(cs, c)
		lines = append(lines, line)
	}
}

// csvHeader checks the header: every column known, none repeated.
func csvHeader(head []string) ([]string, error) {
	cols := make([]string, len(head))
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		switch {
		case csvField(&lookup.Contact{}, h) == nil:
			return nil, invalid(h, "line 1: unknown column %q; the columns are %s", h, strings.Join(store.CSVColumns, ","))
		case contains(cols[:i], h):
			return nil, invalid(h, "line 1: column %q appears twice", h)
		}
		cols[i] = h
	}
	return cols, nil
}

func csvRecord(rec []string, cols []string, line int) (lookup.Contact, *lookup.ImportError) {
	var c lookup.Contact
	if len(rec) != len(cols) {
		return c, &lookup.ImportError{Row: line, Error: fmt.Sprintf("%d fields, the header has %d", len(rec), len(cols))}
	}
	for i, v := range rec {
		if !utf8.ValidString(v) {
			return c, &lookup.ImportError{Row: line, Field: cols[i], Error: "not UTF-8: save the file as UTF-8"}
		}
		*csvField(&c, cols[i]) = strings.TrimSpace(v)
	}
	c.Source = lookup.ContactSourceCSV
	return c, nil
}

func csvCause(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// writeCSV writes contacts with the full store.CSVColumns header.
func writeCSV(w io.Writer, cs []lookup.Contact, header bool) error {
	cw := csv.NewWriter(w)
	if header {
		cw.Write(store.CSVColumns)
	}
	rec := make([]string, len(store.CSVColumns))
	for i := range cs {
		for j, col := range store.CSVColumns {
			rec[j] = store.SafeCSVCell(*csvField(&cs[i], col), store.IsNumberColumn(col))
		}
		cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("api: write csv: %w", err)
	}
	return nil
}
