package sip

import (
	"strings"

	"github.com/emiago/sipgo/sip"
)

// invalidRequest checks what RFC 3261 §16.3 asks a proxy to verify before
// it forwards a request (reasonable syntax of the headers it relies on) and
// returns the reason phrase of a 400 answer, or "" when the request is fine.
// sipgo parses leniently: a request without From, with a CSeq of another
// method or an empty Request-URI host would otherwise be relayed.
func invalidRequest(in *sip.Request) string {
	switch {
	case in.From() == nil:
		return "Bad Request (missing From)"
	case in.To() == nil:
		return "Bad Request (missing To)"
	case in.CallID() == nil || strings.TrimSpace(string(*in.CallID())) == "":
		return "Bad Request (missing Call-ID)"
	case in.CSeq() == nil:
		return "Bad Request (missing CSeq)"
	case in.CSeq().MethodName != in.Method: // case-sensitive (RFC 3261 7.1, 8.1.1.5)
		return "Bad Request (CSeq method does not match)"
	case in.Recipient.Host == "" || strings.ContainsAny(in.Recipient.Host, "@;:<>\" ") && !strings.HasPrefix(in.Recipient.Host, "["):
		return "Bad Request (invalid Request-URI)"
	}
	return ""
}
