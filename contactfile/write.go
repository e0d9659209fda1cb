package contactfile

import (
	"encoding/csv"
	"io"
	"strings"

	"cidproxy/lookup"
	"cidproxy/store"
)

// Writer writes cidproxy's contact CSV (Columns), which Read reads back
// unchanged — except that text a spreadsheet would run as a formula gets
// a leading ' (store.SafeCSVCell: CSV injection).
type Writer struct {
	cw  *csv.Writer
	row []string
}

// NewWriter writes the header row to w.
func NewWriter(w io.Writer) (*Writer, error) {
	cw := csv.NewWriter(w)
	return &Writer{cw: cw, row: make([]string, len(Columns))}, cw.Write(Columns)
}

// Write writes one contact and the names of its phonebooks.
func (w *Writer) Write(c *lookup.Contact, phonebooks []string) error {
	for i, name := range Columns[:len(Columns)-1] {
		w.row[i] = store.SafeCSVCell(*field(c, name), store.IsNumberColumn(name))
	}
	w.row[len(Columns)-1] = store.SafeCSVCell(strings.Join(phonebooks, "|"), false)
	return w.cw.Write(w.row)
}

// Flush writes what is buffered and returns the first error.
func (w *Writer) Flush() error {
	w.cw.Flush()
	return w.cw.Error()
}
