package sip

import (
	"strings"

	"github.com/emiago/sipgo/sip"
)

// maxVias bounds the Via headers of a request we forward: more hops than
// the default Max-Forwards (70) is a loop or an attack, and 1,000 of them
// made a 60 KB datagram.
const maxVias = 70

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

// fault is why a request is answered instead of forwarded.
type fault struct {
	code   int
	reason string
	// unsupported lists the Proxy-Require option tags of a 420.
	unsupported string
	// retryAfter is the Retry-After of a 503, in seconds.
	retryAfter string
}

// requestFault runs the checks of RFC 3261 16.3 (and RFC 4475's
// expectations) on a request and returns the answer it gets instead of
// being forwarded, or a zero fault. It allocates nothing for a good
// request: one pass over the headers.
func requestFault(in *sip.Request) fault {
	if !strings.EqualFold(in.SipVersion, "SIP/2.0") {
		return fault{code: 505, reason: "Version Not Supported"}
	}
	switch strings.ToLower(in.Recipient.Scheme) {
	case "sip", "sips", "tel":
	default:
		return fault{code: 416, reason: "Unsupported URI Scheme"}
	}
	if r := invalidRequest(in); r != "" {
		return fault{code: 400, reason: r}
	}
	var from, to, callID, cseq, maxFwd, cl, vias int
	var proxyRequire []string
	for _, h := range in.Headers() {
		switch h.Name() {
		case "From":
			from++
		case "To":
			to++
		case "Call-ID":
			callID++
		case "CSeq":
			cseq++
		case "Max-Forwards":
			maxFwd++
		case "Content-Length":
			cl++
		case "Via":
			vias++
		default:
			if strings.EqualFold(h.Name(), "Proxy-Require") {
				proxyRequire = append(proxyRequire, h.Value())
			}
		}
	}
	switch {
	case from > 1, to > 1, callID > 1, cseq > 1, maxFwd > 1:
		return fault{code: 400, reason: "Bad Request (repeated From, To, Call-ID, CSeq or Max-Forwards)"}
	case cl > 1:
		return fault{code: 400, reason: "Bad Request (more than one Content-Length)"}
	case vias > maxVias:
		return fault{code: 483, reason: "Too Many Hops"}
	case len(proxyRequire) > 0:
		// We support no extension that a proxy must understand (16.3 step 5).
		return fault{code: 420, reason: "Bad Extension", unsupported: strings.Join(proxyRequire, ", ")}
	}
	if n := in.ContentLength(); n != nil && int(*n) != len(in.Body()) {
		return fault{code: 400, reason: "Bad Request (Content-Length does not match the body)"}
	}
	return fault{}
}
