package phonedir

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"cidproxy/lookup"
)

// Format names an output format.
type Format string

// Supported formats.
const (
	Yealink     Format = "yealink"
	Grandstream Format = "grandstream"
	Cisco       Format = "cisco"
	Snom        Format = "snom"
	XML         Format = "xml"
	JSON        Format = "json"
)

// Formats lists every supported format.
var Formats = []Format{Yealink, Grandstream, Cisco, Snom, XML, JSON}

// ErrFormat is returned for an unknown format name.
var ErrFormat = errors.New("phonedir: unknown format")

// ParseFormat maps a name such as "yealink" (case-insensitive) to a Format.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Formats {
		if f == k {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w: %q", ErrFormat, s)
}

// ContentType is the HTTP Content-Type for the format.
func (f Format) ContentType() string {
	if f == JSON {
		return "application/json; charset=utf-8"
	}
	return "text/xml; charset=utf-8"
}

// Directory is what a phone gets: a title and the contacts it may see,
// in display order.
type Directory struct {
	Title    string
	Contacts []lookup.Contact
	// Account is the Grandstream <accountindex> the numbers dial out on:
	// 0-5 for account 1-6 (GXP XML Phonebook Guide).
	Account int
	// Labels adds label="Mobile" (etc.) to Yealink <Telephone> elements.
	// Yealink's own guides show plain <Telephone>; labels are used by
	// third-party generators and shown by newer firmware, so they are
	// opt-in.
	Labels bool
	// Groups names the phonebooks (by id) the contacts' Phonebooks refer
	// to; Grandstream lists them as <pbgroup> and files each contact under
	// its first. Phonebooks not in Groups are left out.
	Groups map[string]string
	// Dialable, if set, rewrites every number before it is written, e.g.
	// DialString, or the API's own normaliser with an outside-line prefix.
	// Phones dial the text of a directory entry as it is.
	Dialable func(number string) string
}

// DialString keeps what a phone can dial: digits, '*', '#', and a
// leading '+'. "+49 (30) 123-45" becomes "+493012345".
func DialString(number string) string {
	b := make([]byte, 0, len(number))
	for i := 0; i < len(number); i++ {
		c := number[i]
		if c >= '0' && c <= '9' || c == '*' || c == '#' || c == '+' && len(b) == 0 {
			b = append(b, c)
		}
	}
	return string(b)
}

// Page selects a window of the directory.
type Page struct {
	// Offset is the first entry to render: a contact for most formats, a
	// (contact, number) row for Cisco, which lists one number per entry.
	Offset int
	// Limit caps the entries rendered; 0 means no limit, except for Cisco,
	// where 0 and anything above CiscoMaxEntries mean CiscoMaxEntries.
	Limit int
	// BaseURL is the URL the phone fetched, used to build the Cisco
	// Next/Previous soft keys (the query parameter "offset" is set on it).
	// Without it no paging soft keys are written.
	BaseURL string
}

// Render writes dir in the given format.
func Render(w io.Writer, f Format, dir Directory, p Page) error {
	if p.Offset < 0 || p.Limit < 0 {
		return fmt.Errorf("phonedir: negative offset or limit")
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	var err error
	switch f {
	case Yealink:
		err = renderYealink(bw, dir, p)
	case Grandstream:
		err = renderGrandstream(bw, dir, p)
	case Cisco:
		err = renderCisco(bw, dir, p)
	case Snom:
		err = renderSnom(bw, dir, p)
	case XML:
		err = renderXML(bw, dir, p)
	case JSON:
		err = renderJSON(bw, dir, p)
	default:
		return fmt.Errorf("%w: %q", ErrFormat, string(f))
	}
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("phonedir: write: %w", err)
	}
	return nil
}
