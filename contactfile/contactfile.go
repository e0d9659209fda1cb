// Package contactfile reads the contact files people have — cidproxy's
// own CSV, Google Contacts and Outlook CSV exports, vCard — and writes
// cidproxy's CSV. CSV files may be comma-, semicolon- or tab-separated
// (Excel in many locales writes semicolons) and may start with a UTF-8
// byte order mark; the format is detected from the header unless given.
package contactfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"cidproxy/api/vcard"
	"cidproxy/lookup"
)

// Formats a file may be read as.
const (
	Auto     = "auto"
	Cidproxy = "cidproxy"
	Google   = "google"
	Outlook  = "outlook"
	VCard    = "vcard"
)

// Formats lists the formats Read accepts.
var Formats = []string{Auto, Cidproxy, Google, Outlook, VCard}

// Row is one contact of a file. Phonebooks holds the names (or ids) of
// the file's phonebooks column, not yet resolved.
type Row struct {
	Line       int // 1-based line (vCard: the card's BEGIN line)
	Contact    lookup.Contact
	Phonebooks []string
}

// Error is a problem at one line of a file.
type Error struct {
	Line  int
	Field string // column or property; "" for the whole row
	Err   error
}

func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d: %s: %v", e.Line, e.Field, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// File is a file read: its format, its rows and the rows that could not
// be read (an all-or-nothing import refuses the file when there are any).
type File struct {
	Format string
	Rows   []Row
	Errors []error
}

// maxErrors bounds the errors a File reports.
const maxErrors = 100

// Read reads a contact file in format (Auto: detected).
func Read(r io.Reader, format string) (*File, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\ufeff")) {
		br.Discard(3)
	}
	if format == "" {
		format = Auto
	}
	if format == Auto {
		head, _ := br.Peek(64)
		if bytes.HasPrefix(bytes.ToUpper(bytes.TrimLeft(head, " \t\r\n")), []byte("BEGIN:VCARD")) {
			format = VCard
		}
	}
	switch format {
	case VCard:
		return readVCard(br)
	case Auto, Cidproxy, Google, Outlook:
		return readCSV(br, format)
	}
	return nil, fmt.Errorf("unknown format %q (use %s)", format, strings.Join(Formats, ", "))
}

func readVCard(r io.Reader) (*File, error) {
	recs, err := vcard.Decode(r)
	if err != nil {
		return nil, err
	}
	f := &File{Format: VCard}
	for _, rec := range recs {
		if len(rec.Errors) > 0 {
			f.addError(&Error{Line: rec.Line, Err: rec.Err()})
			continue
		}
		c := rec.Contact
		c.ID, c.Owner, c.Phonebooks, c.Rev, c.ReadOnly, c.Source = "", "", nil, 0, false, ""
		f.Rows = append(f.Rows, Row{Line: rec.Line, Contact: c})
	}
	return f, nil
}

func (f *File) addError(err error) {
	if len(f.Errors) < maxErrors {
		f.Errors = append(f.Errors, err)
	}
}

// ErrEmpty is returned for a file without a header row.
var ErrEmpty = errors.New("empty file: a header row naming the columns is required")
