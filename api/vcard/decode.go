package vcard

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Decode reads every card of a vCard file. Each Record carries the
// mapped contact and the problems found in that card; the returned error
// is non-nil only for read failures and for content outside any card
// (such problems are *Error values joined together, with Card 0). An
// empty input yields no records and no error.
func Decode(r io.Reader) ([]Record, error) {
	lx := newLexer(withoutBOM(r))
	var (
		out   []Record
		cur   *cardBuilder
		stray []error
		last  int
	)
	finish := func() {
		out = append(out, cur.build())
		cur = nil
	}
	for {
		ll, ok := lx.next()
		if !ok {
			break
		}
		last = ll.num
		word := strings.TrimSpace(ll.text)
		switch {
		case strings.EqualFold(word, "BEGIN:VCARD"):
			if cur != nil {
				cur.fail(ll.num, "", fmt.Errorf("%w: missing END:VCARD before the next BEGIN:VCARD", ErrSyntax))
				finish()
			}
			cur = &cardBuilder{rec: Record{Card: len(out) + 1, Line: ll.num}, props: make([]property, 0, 16)}
		case cur == nil:
			if word != "" {
				stray = append(stray, &Error{Line: ll.num, Err: fmt.Errorf("%w: content outside BEGIN:VCARD/END:VCARD", ErrSyntax)})
			}
		case strings.EqualFold(word, "END:VCARD"):
			finish()
		case word == "":
			// blank lines inside a card are tolerated
		default:
			cur.add(ll)
		}
	}
	if cur != nil {
		cur.fail(last, "", fmt.Errorf("%w: missing END:VCARD at end of input", ErrSyntax))
		finish()
	}
	if err := lx.readErr(); err != nil {
		stray = append(stray, err)
	}
	if len(stray) > 10 {
		stray = append(stray[:10], fmt.Errorf("vcard: %d more lines outside any card", len(stray)-10))
	}
	return out, errors.Join(stray...)
}

// withoutBOM drops a UTF-8 byte order mark and transcodes UTF-16 input
// (recognised by its BOM) to UTF-8.
func withoutBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	head, _ := br.Peek(3)
	switch {
	case len(head) >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF:
		_, _ = br.Discard(3)
		return br
	case len(head) >= 2 && (head[0] == 0xFF && head[1] == 0xFE || head[0] == 0xFE && head[1] == 0xFF):
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		return transform.NewReader(br, dec)
	}
	return br
}
