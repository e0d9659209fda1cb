package store

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"cidproxy/lookup"
)

// CSVColumns is the contact CSV header, in export order. An import may use
// any subset in any order; any other column is an error.
var CSVColumns = []string{
	"first_name", "last_name", "company", "email",
	"business_number", "business_number_2", "business_fax",
	"mobile_number", "mobile_number_2", "home_number", "home_number_2",
	"home_fax", "other_number",
	"zip", "street", "city", "state", "country", "remark",
}

// csvColumnOf names contactFields index i: the CSV column, or "source".
func csvColumnOf(i int) string {
	if i < len(CSVColumns) {
		return CSVColumns[i]
	}
	return "source"
}

// CSVError is one rejected CSV row or header.
type CSVError struct {
	Line  int    // 1-based line in the file
	Field string // column, "" for the whole row
	Err   error
}

func (e *CSVError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d: %s: %v", e.Line, e.Field, e.Err)
}

func (e *CSVError) Unwrap() error { return e.Err }

// maxCSVErrors bounds the rejected rows an import reports.
const maxCSVErrors = 10

// readHeader reads the header row and maps each column to its index in
// known; unknown and repeated columns are errors.
func readHeader(cr *csv.Reader, known []string) ([]int, error) {
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &CSVError{Line: 1, Err: errors.New("empty file: a header row is required")}
	}
	if err != nil {
		return nil, csvReadError(err)
	}
	cols := make([]int, len(head))
	seen := make(map[string]bool)
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		idx := indexOf(known, h)
		switch {
		case idx < 0:
			return nil, &CSVError{Line: 1, Field: h, Err: fmt.Errorf("unknown column %q (columns: %s)", h, strings.Join(known, ","))}
		case seen[h]:
			return nil, &CSVError{Line: 1, Field: h, Err: fmt.Errorf("column %q appears twice", h)}
		}
		seen[h] = true
		cols[i] = idx
	}
	return cols, nil
}

func csvReadError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &CSVError{Line: pe.Line, Err: pe.Err}
	}
	return fmt.Errorf("store: read csv: %w", err)
}

func indexOf(l []string, s string) int {
	for i, x := range l {
		if x == s {
			return i
		}
	}
	return -1
}

// ImportCSV imports contacts from CSV with a header row (see CSVColumns)
// and returns how many it wrote. It is all-or-nothing: every row is
// validated first (errors name the line and column; up to 10 are
// reported) and nothing is written unless all rows are valid. Rows are
// staged in a Bulk (a file in the staging directory, see WithSpoolDir;
// mode 0600, removed afterwards), so memory does not grow with the file,
// and the import is all or nothing across a crash. source is stored on each contact ("csv" when empty); contacts
// from "sql:" and "crm:" sources are marked read-only. Every row is a new
// contact, with its own revision and change.
func (db *DB) ImportCSV(ctx context.Context, r io.Reader, source string) (int, error) {
	return db.ImportCSVInto(ctx, r, source, "")
}

// ImportCSVInto is ImportCSV making every contact a member of phonebook
// (when not empty; it must exist, and be read-only only for a synced
// source). Over the company contacts limit it writes nothing (ErrLimit).
func (db *DB) ImportCSVInto(ctx context.Context, r io.Reader, source, phonebook string) (int, error) {
	if source == "" {
		source = lookup.ContactSourceCSV
	}
	if phonebook != "" {
		p, err := db.GetPhonebook(ctx, phonebook)
		if err != nil {
			return 0, err
		}
		if p.ReadOnly && !isSyncedSource(source) {
			return 0, fmt.Errorf("store: phonebook %q comes from %s and is read-only: %w", p.Name, p.Source, ErrReadOnly)
		}
	}
	b, err := db.newBulk(isSyncedSource(source))
	if err != nil {
		return 0, fmt.Errorf("store: import: %w", err)
	}
	defer b.Abort()
	if err := db.validateCSV(ctx, r, source, phonebook, b); err != nil {
		return 0, err
	}
	res, err := b.Commit(ctx)
	if err != nil {
		return 0, err
	}
	db.log.Info("contacts imported", "count", res.Added, "source", source)
	return res.Added, nil
}

// validateCSV parses and validates every row and stages the contacts in
// b, members of phonebook when not empty.
func (db *DB) validateCSV(ctx context.Context, r io.Reader, source, phonebook string, b *Bulk) error {
	cr := csv.NewReader(bufio.NewReaderSize(r, 64<<10))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cols, err := readHeader(cr, CSVColumns)
	if err != nil {
		return err
	}
	var pbs []string
	if phonebook != "" {
		pbs = []string{phonebook}
	}
	var errs []error
	for n := 0; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, csvReadError(err))
			break
		}
		line, _ := cr.FieldPos(0)
		c, keys, err := db.csvContact(rec, cols, source)
		if err != nil {
			errs = append(errs, rowError(line, err))
			if len(errs) >= maxCSVErrors {
				errs = append(errs, errors.New("further rows not checked"))
				break
			}
			continue
		}
		if len(errs) > 0 {
			continue
		}
		c.Phonebooks = pbs
		if err := b.stageContact("", &c, keys, true); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("store: csv import rejected, nothing written: %w", errors.Join(errs...))
	}
	return nil
}

func rowError(line int, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &CSVError{Line: line, Field: fe.Field, Err: fe.Err}
	}
	return &CSVError{Line: line, Err: err}
}

func (db *DB) csvContact(rec []string, cols []int, source string) (lookup.Contact, []string, error) {
	if len(rec) != len(cols) {
		return lookup.Contact{}, nil, fmt.Errorf("%d fields, the header has %d", len(rec), len(cols))
	}
	c := lookup.Contact{
		ID:       db.ids.next(),
		Source:   source,
		ReadOnly: strings.HasPrefix(source, "sql:") || strings.HasPrefix(source, "crm:"),
	}
	fields := contactFields(&c)
	for i, v := range rec {
		*fields[cols[i]] = strings.TrimSpace(v)
	}
	keys, err := db.validateContact(&c)
	return c, keys, err
}

// ExportCSV writes every contact as CSV with the CSVColumns header, in id
// order, and returns how many it wrote.
func (db *DB) ExportCSV(ctx context.Context, w io.Writer) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return 0, fmt.Errorf("store: export: %w", err)
	}
	n := 0
	row := make([]string, len(CSVColumns))
	err := db.EachContact(ctx, func(c lookup.Contact) (bool, error) {
		for i, f := range contactFields(&c)[:len(CSVColumns)] {
			row[i] = SafeCSVCell(*f, IsNumberColumn(CSVColumns[i]))
		}
		n++
		return true, cw.Write(row)
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if err != nil {
		return n, fmt.Errorf("store: export: %w", err)
	}
	return n, nil
}
