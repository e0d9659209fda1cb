// Package vcard reads and writes vCard files (RFC 2426 vCard 3.0,
// RFC 6350 vCard 4.0, and the vCard 2.1 dialect that Outlook still
// exports) for lookup.Contact.
//
// Decode is lenient in what real exporters produce: folded lines (CRLF or
// bare LF), property groups (item1.TEL), both parameter syntaxes
// (TEL;TYPE=work,voice and TEL;WORK;VOICE), quoted parameter values,
// QUOTED-PRINTABLE and BASE64 values with a CHARSET, a UTF-8 or UTF-16
// byte order mark, tel: URIs and large PHOTO lines (skipped). It is strict
// in what it reports: every problem names the card, its line and the
// property, so an import can tell the user what to fix.
//
// Encode writes vCard 3.0 or 4.0 with proper escaping, N and FN always
// present, and lines folded at 75 octets without splitting a UTF-8
// sequence.
package vcard

import (
	"errors"
	"fmt"
	"strings"

	"cidproxy/lookup"
)

// Versions accepted by Encode.
const (
	Version30 = "3.0"
	Version40 = "4.0"
)

// Sentinel errors, wrapped by *Error; test with errors.Is.
var (
	// ErrSyntax marks a line that is not a vCard content line, or a card
	// that is not closed by END:VCARD.
	ErrSyntax = errors.New("vcard: syntax error")
	// ErrValue marks a property value that cannot be decoded (bad
	// quoted-printable or base64, unknown charset, unsupported version).
	ErrValue = errors.New("vcard: invalid value")
	// ErrVersion marks an unsupported version passed to Encode.
	ErrVersion = errors.New("vcard: unsupported version")
)

// Record is one decoded card.
type Record struct {
	// Card is the 1-based position of the card in the file.
	Card int
	// Line is the 1-based line of the card's BEGIN:VCARD.
	Line int
	// Version is the card's VERSION value ("2.1", "3.0", "4.0"), or "" if
	// the card has none.
	Version string
	// Contact holds the mapped fields. ID is the card's UID, if any;
	// importers decide whether to keep it.
	Contact lookup.Contact
	// Errors lists problems that make the card unusable or lose data the
	// user gave (each an *Error). An all-or-nothing import rejects a file
	// when any record has errors.
	Errors []error
	// Warnings lists data that was dropped on purpose and is worth telling
	// the user about (each an *Error), e.g. a tenth phone number.
	Warnings []error
}

// Err joins the record's errors, or returns nil.
func (r *Record) Err() error { return errors.Join(r.Errors...) }

// Error is a problem at one line of one card.
type Error struct {
	Card     int    // 1-based card number, 0 outside any card
	Line     int    // 1-based line number
	Property string // property name such as "TEL", or "" for the card itself
	Err      error  // cause; wraps one of the sentinels
}

// Error formats the problem as "vcard: card N, line L: PROP: cause".
func (e *Error) Error() string {
	where := fmt.Sprintf("line %d", e.Line)
	if e.Card > 0 {
		where = fmt.Sprintf("card %d, line %d", e.Card, e.Line)
	}
	cause := "unknown error"
	if e.Err != nil {
		cause = strings.TrimPrefix(e.Err.Error(), "vcard: ")
	}
	if e.Property != "" {
		return fmt.Sprintf("vcard: %s: %s: %s", where, e.Property, cause)
	}
	return fmt.Sprintf("vcard: %s: %s", where, cause)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// maxJoined bounds how many record errors Contacts reports.
const maxJoined = 20

// Contacts returns the contacts of recs for an all-or-nothing import: if
// any record has errors, it returns nil and the errors joined (at most
// 20, then a count of the rest). Warnings do not fail the import. Check
// Decode's own error (content outside any card, read failures) first.
func Contacts(recs []Record) ([]lookup.Contact, error) {
	var errs []error
	n := 0
	for i := range recs {
		for _, e := range recs[i].Errors {
			if n < maxJoined {
				errs = append(errs, e)
			}
			n++
		}
	}
	if n > maxJoined {
		errs = append(errs, fmt.Errorf("vcard: %d more errors", n-maxJoined))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out := make([]lookup.Contact, len(recs))
	for i := range recs {
		out[i] = recs[i].Contact
	}
	return out, nil
}
