package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"cidproxy/contactfile"
	"cidproxy/lookup"
	"cidproxy/store"
)

// mergeImporter is the store's merging import (store.DB.ImportMerged).
type mergeImporter interface {
	ImportMerged(ctx context.Context, rows []store.MergeRow, phonebook string, mode store.ImportMode) (store.MergeResult, error)
}

// mergeReport is the answer of an import with ?format= or ?mode=.
type mergeReport struct {
	Format    string `json:"format"`
	Mode      string `json:"mode"`
	Imported  int    `json:"imported"`
	Added     int    `json:"added"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Deleted   int    `json:"deleted"`
}

// wantsMerge reports whether a company import asks for the file formats
// and modes of contactfile (?format=, ?mode=) instead of the plain CSV.
func wantsMerge(r *http.Request) bool {
	q := r.URL.Query()
	return q.Has("format") || q.Has("mode")
}

// runMergedImport imports a Google/Outlook/cidproxy CSV or vCard file
// (?format=, detected by default) into phonebook, all or nothing, in
// ?mode= merge (default), replace or add.
func (s *Server) runMergedImport(w http.ResponseWriter, r *http.Request, phonebook string) error {
	mi, ok := s.st.(mergeImporter)
	if !ok {
		return problemf(http.StatusNotImplemented, "not-implemented", "this server cannot merge imports")
	}
	q := r.URL.Query()
	format, mode := q.Get("format"), q.Get("mode")
	if format == "" {
		format = contactfile.Auto
	}
	if mode == "" {
		mode = string(store.ImportMerge)
	}
	switch {
	case !slices.Contains(contactfile.Formats, format):
		return fieldProblem("format", "format %q: use %s", format, strings.Join(contactfile.Formats, ", "))
	case !slices.Contains([]string{"merge", "replace", "add"}, mode):
		return fieldProblem("mode", "mode %q: use merge, replace or add", mode)
	case partial(r):
		return fieldProblem("partial", "partial imports do not combine with format or mode: those imports are all or nothing")
	}
	file, err := contactfile.Read(r.Body, format)
	if err != nil {
		if p, ok := toProblem(err); ok && p.Status == http.StatusRequestEntityTooLarge {
			return err
		}
		var fe *contactfile.Error
		if errors.As(err, &fe) {
			return invalid("header", "%v", err)
		}
		return err
	}
	if len(file.Errors) > 0 {
		return importFailed(fileErrors(file.Errors), "nothing was imported")
	}
	rows := make([]store.MergeRow, len(file.Rows))
	for i, fr := range file.Rows {
		rows[i] = store.MergeRow{Row: fr.Line, Contact: fr.Contact, Phonebooks: fr.Phonebooks}
	}
	res, err := mi.ImportMerged(r.Context(), rows, phonebook, store.ImportMode(mode))
	if err != nil {
		if len(res.Rejected) > 0 {
			return importFailed(res.Rejected, "nothing was imported")
		}
		return err
	}
	return writeJSON(w, http.StatusOK, mergeReport{Format: file.Format, Mode: mode, Imported: len(rows),
		Added: res.Added, Updated: res.Updated, Unchanged: res.Unchanged, Deleted: res.Deleted})
}

func fieldProblem(field, format string, a ...any) *problem {
	p := badRequest(format, a...)
	p.Field = field
	return p
}

func fileErrors(errs []error) []lookup.ImportError {
	out := make([]lookup.ImportError, 0, len(errs))
	for _, e := range errs {
		ie := lookup.ImportError{Error: e.Error()}
		var fe *contactfile.Error
		if errors.As(e, &fe) {
			ie.Row, ie.Field, ie.Error = fe.Line, fe.Field, fe.Err.Error()
		}
		out = append(out, ie)
	}
	return out
}
