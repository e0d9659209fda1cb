package sip

import (
	"net/url"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Header names the rewrite touches, in canonical spelling. Received
// generic headers keep their own spelling, so they are matched with
// strings.EqualFold and replaced under the name they arrived with.
const (
	hdrPAI       = "P-Asserted-Identity"
	hdrRPID      = "Remote-Party-ID"
	hdrPrivacy   = "Privacy"
	hdrCidSource = "X-Cid-Source"
)

// callerNumber returns the number identifying the caller of req: the user
// part of the first P-Asserted-Identity that has one when trustPAI is set,
// otherwise (or when there is none) the From user. tel: URIs are read from
// their raw form (sipgo leaves User empty for them).
func callerNumber(req *sip.Request, trustPAI bool) string {
	if trustPAI {
		for _, h := range req.Headers() {
			if strings.EqualFold(h.Name(), hdrPAI) {
				if n := firstAddressUser(h.Value()); n != "" {
					return n
				}
			}
		}
	}
	if f := req.From(); f != nil {
		return uriUser(&f.Address)
	}
	return ""
}

// calleeNumber returns the called number: the Request-URI user when it is
// a local extension (the phone being rung; To may still hold the dialled
// DID), else the To user, else the Request-URI user.
func calleeNumber(req *sip.Request, exts extensions) string {
	ru := uriUser(&req.Recipient)
	if exts.match(ru) {
		return ru
	}
	if t := req.To(); t != nil {
		if n := uriUser(&t.Address); n != "" {
			return n
		}
	}
	return ru
}

// uriUser returns the user of a sip/sips URI or the number of a tel URI,
// without parameters and percent-decoded.
func uriUser(u *sip.Uri) string {
	var s string
	switch u.Scheme {
	case "sip", "sips", "":
		s = u.User
	case "tel":
		s = u.Raw()
	default:
		return ""
	}
	return cleanUser(s)
}

// cleanUser cuts parameters (";...") and decodes %XX escapes.
func cleanUser(s string) string {
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	if strings.IndexByte(s, '%') >= 0 {
		if d, err := url.PathUnescape(s); err == nil {
			s = d
		}
	}
	return s
}

// firstAddressUser extracts the user (sip/sips) or number (tel) of the
// first entry of a name-addr / addr-spec list such as a PAI value.
func firstAddressUser(value string) string {
	entry, _, _ := cutEntry(value)
	uri := entryURI(entry)
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok {
		return ""
	}
	switch strings.ToLower(strings.TrimSpace(scheme)) {
	case "tel":
		return cleanUser(rest)
	case "sip", "sips":
		user, _, ok := strings.Cut(rest, "@")
		if !ok {
			return ""
		}
		if i := strings.IndexByte(user, ':'); i >= 0 { // user:password
			user = user[:i]
		}
		return cleanUser(user)
	}
	return ""
}

// entryURI returns the URI of one name-addr or addr-spec.
func entryURI(entry string) string {
	lt := angleStart(entry)
	if lt >= 0 {
		if gt := strings.IndexByte(entry[lt:], '>'); gt > 0 {
			return entry[lt+1 : lt+gt]
		}
		return ""
	}
	e := strings.TrimSpace(entry)
	if i := strings.IndexByte(e, ';'); i >= 0 {
		e = e[:i]
	}
	return e
}

// withheld reports a caller who asked not to be identified: a Privacy
// header with the "id" or "user" value, or an anonymous From
// (user "anonymous" or host "anonymous.invalid", RFC 3323).
func withheld(req *sip.Request) bool {
	for _, h := range req.Headers() {
		if strings.EqualFold(h.Name(), hdrPrivacy) && privacyHidesIdentity(h.Value()) {
			return true
		}
	}
	if f := req.From(); f != nil {
		if strings.EqualFold(f.Address.User, "anonymous") || strings.EqualFold(f.Address.Host, "anonymous.invalid") {
			return true
		}
	}
	return false
}

// privacyHidesIdentity reports a Privacy value (RFC 3323 priv-values
// separated by ';', ',' or spaces) that contains "id" or "user".
func privacyHidesIdentity(v string) bool {
	for v != "" {
		i := strings.IndexAny(v, ";, \t")
		tok := v
		if i >= 0 {
			tok, v = v[:i], v[i+1:]
		} else {
			v = ""
		}
		if strings.EqualFold(tok, "id") || strings.EqualFold(tok, "user") {
			return true
		}
	}
	return false
}

// rewriteInvite sets the display name of From and of every P-Asserted-Identity
// and Remote-Party-ID entry of req to quoted, which must already be sanitised
// and escaped (SanitizeName). Tags, URIs, parameters and header order are
// kept. With source non-empty an X-Cid-Source header replaces any received one.
// req must be the proxy's own copy: the incoming request is never touched.
func rewriteInvite(req *sip.Request, quoted, source string) {
	if quoted == "" {
		return
	}
	if f := req.From(); f != nil {
		f.DisplayName = quoted
	}
	// Headers returns the live header slice: replacing an element in place
	// keeps the order of same-named headers (a PAI sip: then tel: pair).
	hdrs := req.Headers()
	for i, h := range hdrs {
		name := h.Name()
		if !strings.EqualFold(name, hdrPAI) && !strings.EqualFold(name, hdrRPID) {
			continue
		}
		if v, ok := setDisplayName(h.Value(), quoted); ok {
			hdrs[i] = sip.NewHeader(name, v)
		}
	}
	if source != "" {
		removeHeaders(req, hdrCidSource) // drop a received (spoofed) one
		req.AppendHeader(sip.NewHeader(hdrCidSource, sourceToken(source)))
	}
}

// sourceToken keeps a source name a SIP token (letters, digits, '-', '_', '.').
func sourceToken(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return "other"
		}
	}
	if s == "" {
		return "other"
	}
	return s
}
