package sip

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors of a message framed on a stream (ParseSIPStreamFramed).
var (
	ErrNoContentLength        = errors.New("no Content-Length on a stream transport")
	ErrBadContentLength       = errors.New("invalid Content-Length")
	ErrMultipleContentLengths = errors.New("more than one Content-Length")
)

var crlfcrlf = []byte("\r\n\r\n")

// ParseSIPStreamFramed parses the messages in a stream: it appends data to
// the buffer, frames each message by the end of its header section and its
// Content-Length (RFC 3261 18.3) and only then parses it. A malformed
// message therefore costs only itself: cb gets every good message in
// order, bad gets the bytes and the error of every bad one, and the
// stream stays usable. Incomplete data waits in the buffer for the next
// call. The error is ErrMessageTooLarge when a message exceeds the
// parser's MaxMessageLength before it is complete: there is no boundary
// to resync on, the buffer is drained and the connection should close.
//
// A message without a valid Content-Length is framed as having no body
// and reported bad (18.3: it is required on a stream).
func (p *ParserStream) ParseSIPStreamFramed(data []byte, cb func(Message), bad func(raw []byte, err error)) error {
	buf := p.Buffer()
	buf.Write(data)
	for {
		b := buf.Bytes()
		skip := 0 // RFC 3261 7.5: CRLFs before a start line are ignored
		for skip < len(b) && (b[skip] == '\r' || b[skip] == '\n') {
			skip++
		}
		buf.Next(skip)
		b = b[skip:]
		if len(b) == 0 {
			return nil
		}
		end := bytes.Index(b, crlfcrlf)
		if end < 0 {
			if len(b) > p.p.MaxMessageLength {
				p.Discard(buf.Len())
				return ErrMessageTooLarge
			}
			return nil
		}
		head := b[:end+4]
		cl, clErr := frameContentLength(head)
		total := len(head) + cl
		if total > p.p.MaxMessageLength {
			p.Discard(buf.Len())
			return ErrMessageTooLarge
		}
		if len(b) < total {
			return nil
		}
		frame := b[:total]
		msg, err := p.p.ParseSIP(frame)
		if err == nil {
			err = clErr
		}
		if err != nil {
			bad(append([]byte(nil), frame...), err)
		} else {
			cb(msg)
		}
		buf.Next(total)
	}
}

// frameContentLength reads Content-Length (or l) from a header section.
// It returns 0 and an error when there is none, it is not a number, or
// there are several that differ.
func frameContentLength(head []byte) (int, error) {
	n, found := 0, false
	var err error
	for _, line := range bytes.Split(head, []byte("\r\n")) {
		colon := bytes.IndexByte(line, ':')
		if colon < 0 || len(line) == 0 || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		name := strings.TrimSpace(string(line[:colon]))
		if !strings.EqualFold(name, "content-length") && !strings.EqualFold(name, "l") {
			continue
		}
		v, perr := strconv.Atoi(strings.TrimSpace(string(line[colon+1:])))
		if perr != nil || v < 0 {
			return 0, ErrBadContentLength
		}
		if found && v != n {
			err = ErrMultipleContentLengths
			n = max(n, v)
			continue
		}
		n, found = v, true
	}
	if !found {
		return 0, ErrNoContentLength
	}
	return n, err
}

// ParseBadRequest reads what it can of a request that failed to parse, so
// it can be answered (RFC 3261 16.3, RFC 4475): the start line split on
// white space, and every header that parses on its own; headers that do
// not are skipped. It returns nil when data is not a request, is an ACK
// (never answered) or lacks a top Via or a Call-ID: such a message can
// only be dropped.
func (p *Parser) ParseBadRequest(data []byte) *Request {
	line, n, err := nextLine(data)
	if err != nil {
		return nil
	}
	f := strings.Fields(string(line))
	if len(f) < 2 || strings.HasPrefix(f[0], "SIP/") {
		return nil
	}
	req := NewRequest(RequestMethod(f[0]), Uri{})
	req.SipVersion = "SIP/2.0"
	if req.IsAck() {
		return nil
	}
	_ = ParseUri(f[1], &req.Recipient)
	data = data[n:]
	var hs []Header
	for len(data) > 0 {
		var k int
		hs, k, err = p.parseNextHeader(hs[:0], data)
		if err == errParseNoMoreHeaders || k == 0 {
			break
		}
		data = data[k:]
		if err != nil {
			continue // skip the bad header
		}
		for _, h := range hs {
			req.AppendHeader(h)
		}
	}
	if req.Via() == nil || req.CallID() == nil {
		return nil
	}
	return req
}

// BadRequestReason turns a parse error into a short reason phrase naming
// the fault (printable ASCII only, bounded).
func BadRequestReason(err error) string {
	s := fmt.Sprintf("Bad Request (%v)", err)
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(b) < 96; i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			b = append(b, c)
		}
	}
	if len(b) == 96 {
		b = append(b[:95], ')')
	}
	return string(b)
}

// UnparseableResponse builds the answer to a request that failed to
// parse with err: 416 when the Request-URI has a well-formed scheme other
// than sip, sips or tel, else 400 naming the fault. It returns nil when
// the message cannot be answered (see ParseBadRequest).
func (p *Parser) UnparseableResponse(data []byte, err error) *Response {
	req := p.ParseBadRequest(data)
	if req == nil {
		return nil
	}
	if !KnownRequestURIScheme(req.Recipient.Scheme, requestURIText(data)) {
		return NewResponseFromRequest(req, 416, "Unsupported URI Scheme", nil)
	}
	return NewResponseFromRequest(req, StatusBadRequest, BadRequestReason(err), nil)
}

// requestURIText is the second word of the start line.
func requestURIText(data []byte) string {
	line, _, _ := nextLine(data)
	f := strings.Fields(string(line))
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

// KnownRequestURIScheme reports whether a Request-URI is sip, sips or tel,
// or has no well-formed scheme at all (a syntax error, answered 400).
// uriText is the URI as written; scheme the parsed one, if any.
func KnownRequestURIScheme(scheme, uriText string) bool {
	if scheme == "" {
		colon := strings.IndexByte(uriText, ':')
		if colon <= 0 {
			return true
		}
		scheme = uriText[:colon]
	}
	switch strings.ToLower(scheme) {
	case "sip", "sips", "tel":
		return true
	}
	// RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
	for i, c := range scheme {
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return true // not a scheme: a syntax error, not an unknown scheme
		}
	}
	return false
}
