package vcard

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxLogicalLine bounds the memory one unfolded content line may take.
// Longer lines are consumed but truncated; only binary properties (PHOTO
// and friends, which Decode skips) may be that long without an error.
const maxLogicalLine = 1 << 20

// logicalLine is one unfolded content line.
type logicalLine struct {
	num     int // physical line number where it starts (1-based)
	text    string
	tooLong bool
}

// lexer splits input into unfolded content lines.
type lexer struct {
	br      *bufio.Reader
	lineNo  int
	pending []byte // pushed-back physical line
	pendNo  int
	pendLng bool
	hasPend bool
	err     error
}

func newLexer(r io.Reader) *lexer {
	return &lexer{br: bufio.NewReaderSize(r, 64<<10)}
}

// physical returns the next physical line without its line terminator
// (LF, CRLF or a lone trailing CR). The returned slice is only valid until
// the next call. long reports that it exceeded maxLogicalLine and was cut.
func (l *lexer) physical() (line []byte, num int, long, ok bool) {
	if l.hasPend {
		l.hasPend = false
		return l.pending, l.pendNo, l.pendLng, true
	}
	if l.err != nil {
		return nil, 0, false, false
	}
	chunk, err := l.br.ReadSlice('\n')
	var buf []byte
	if err != bufio.ErrBufferFull {
		// Common case: the whole line is in the reader's buffer; the
		// slice stays valid until the next read, which is all callers need.
		buf = chunk
	} else {
		buf = append([]byte(nil), chunk...)
		for err == bufio.ErrBufferFull {
			chunk, err = l.br.ReadSlice('\n')
			if len(buf)+len(chunk) <= maxLogicalLine {
				buf = append(buf, chunk...)
			} else {
				long = true
			}
		}
	}
	if err != nil {
		l.err = err
		if len(buf) == 0 && !long {
			return nil, 0, false, false
		}
	}
	l.lineNo++
	buf = bytes.TrimSuffix(buf, []byte{'\n'})
	buf = bytes.TrimSuffix(buf, []byte{'\r'})
	return buf, l.lineNo, long, true
}

func (l *lexer) unread(line []byte, num int, long bool) {
	l.pending = append(l.pending[:0], line...)
	l.pendNo, l.pendLng = num, long
	l.hasPend = true
}

// readErr returns the I/O error that ended input, or nil at a clean EOF.
func (l *lexer) readErr() error {
	if l.err == nil || errors.Is(l.err, io.EOF) {
		return nil
	}
	return fmt.Errorf("vcard: read: %w", l.err)
}

// next returns the next unfolded line. Continuation lines start with a
// space or a tab (RFC 6350 §3.2); a quoted-printable value ending in "="
// continues on the next line (vCard 2.1 soft line break).
func (l *lexer) next() (logicalLine, bool) {
	first, num, long, ok := l.physical()
	if !ok {
		return logicalLine{}, false
	}
	var b strings.Builder
	b.Write(first)
	qp := isQuotedPrintable(first)
	for {
		if qp && strings.HasSuffix(b.String(), "=") {
			line, n, lg, ok := l.physical()
			if !ok {
				break
			}
			if isEndLine(line) {
				l.unread(line, n, lg)
				break
			}
			s := b.String()
			b.Reset()
			b.WriteString(s[:len(s)-1])
			long = appendCapped(&b, line) || long || lg
			continue
		}
		line, n, lg, ok := l.physical()
		if !ok {
			break
		}
		if len(line) == 0 || (line[0] != ' ' && line[0] != '\t') {
			l.unread(line, n, lg)
			break
		}
		long = appendCapped(&b, line[1:]) || long || lg
	}
	return logicalLine{num: num, text: b.String(), tooLong: long}, true
}

func appendCapped(b *strings.Builder, p []byte) (cut bool) {
	if b.Len()+len(p) > maxLogicalLine {
		return true
	}
	b.Write(p)
	return false
}

// isQuotedPrintable reports whether the parameters of a content line (the
// part before the first colon) ask for quoted-printable.
func isQuotedPrintable(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		return false
	}
	head := line[:i]
	for j := 0; j+len(qpWord) <= len(head); j++ {
		if (head[j] == 'Q' || head[j] == 'q') && bytes.EqualFold(head[j:j+len(qpWord)], qpWord) {
			return true
		}
	}
	return false
}

var qpWord = []byte("QUOTED-PRINTABLE")

func isEndLine(line []byte) bool {
	return bytes.EqualFold(bytes.TrimSpace(line), []byte("END:VCARD"))
}
