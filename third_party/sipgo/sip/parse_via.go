package sip

import (
	"errors"
	"strconv"
	"strings"
)

func headerParserVia(headerName []byte, headerText string) (
	header Header, err error) {
	// sections := strings.Split(headerText, ",")
	h := ViaHeader{
		Params: HeaderParams{},
	}
	return &h, parseViaHeader(headerText, &h)
}

// parseViaHeader parses ViaHeader
// Note that although Via headers may contain a comma-separated list, RFC 3261 makes it clear that
// these should not be treated as separate logical Via headers, but as multiple values on a single
// Via header.
func parseViaHeader(headerText string, h *ViaHeader) error {
	h.Params = nil

	state := viaStateProtocol
	str := headerText
	var ind, nextInd int
	var err error
	for state != nil {
		state, nextInd, err = state(h, str[ind:])
		if err != nil {

			// Fix the offset
			if _, ok := err.(errComaDetected); ok {
				err = errComaDetected(ind + nextInd)
			}
			return err
		}
		ind += nextInd
	}
	return nil
}

type viaFSM func(h *ViaHeader, s string) (viaFSM, int, error)

func viaStateProtocol(h *ViaHeader, s string) (viaFSM, int, error) {
	ind := strings.IndexRune(s, '/')
	if ind < 0 {
		return nil, 0, errors.New("Malformed protocol name in Via header")
	}
	h.ProtocolName = strings.TrimSpace(s[:ind])
	return viaStateProtocolVersion, ind + 1, nil
}

func viaStateProtocolVersion(h *ViaHeader, s string) (viaFSM, int, error) {
	ind := strings.IndexRune(s, '/')
	if ind < 0 {
		return nil, 0, errors.New("Malformed protocol version in Via header")
	}
	h.ProtocolVersion = strings.TrimSpace(s[:ind])
	return viaStateProtocolTransport, ind + 1, nil
}

func viaStateProtocolTransport(h *ViaHeader, s string) (viaFSM, int, error) {
	// LWS may surround the slashes and precede the transport (RFC 3261 25.1).
	lead := len(s) - len(strings.TrimLeft(s, " \t\r\n"))
	ind := strings.IndexAny(s[lead:], " \t\r\n")
	if ind < 0 {
		return nil, 0, errors.New("Malformed transport in Via header")
	}
	h.Transport = s[lead : lead+ind]
	return viaStateHost, lead + ind + 1, nil
}

// viaStateHost parses sent-by: host [":" port], ended by ";" (params), ","
// (another via-parm) or the end; LWS may surround the colon and precede
// the separator.
func viaStateHost(h *ViaHeader, s string) (viaFSM, int, error) {
	end := strings.IndexAny(s, ";,")
	if end < 0 {
		end = len(s)
	}
	sentBy := strings.TrimSpace(s[:end])
	host, port := sentBy, ""
	if strings.HasPrefix(sentBy, "[") {
		// IPv6 reference: stored without brackets (uriIP adds them back).
		closeIdx := strings.IndexByte(sentBy, ']')
		if closeIdx < 0 {
			return nil, 0, errors.New("Malformed IPv6 host in Via header: no closing bracket")
		}
		host = sentBy[1:closeIdx]
		rest := strings.TrimSpace(sentBy[closeIdx+1:])
		if rest != "" {
			if rest[0] != ':' {
				return nil, 0, errors.New("Malformed sent-by in Via header")
			}
			port = rest[1:]
		}
	} else if i := strings.IndexByte(sentBy, ':'); i >= 0 {
		host, port = sentBy[:i], sentBy[i+1:]
	}
	h.Host = strings.TrimSpace(host)
	if h.Host == "" {
		return nil, 0, errors.New("Malformed sent-by in Via header: no host")
	}
	if port = strings.TrimSpace(port); port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return nil, 0, errors.New("Malformed port in Via header")
		}
		h.Port = p
	}
	switch {
	case end == len(s):
		return nil, 0, nil
	case s[end] == ',':
		return nil, 0, errComaDetected(end)
	}
	return viaStateParams, end + 1, nil
}

func viaStateParams(h *ViaHeader, s string) (viaFSM, int, error) {
	var err error
	coma := strings.IndexRune(s, ',')
	if coma > 0 {
		_, err = UnmarshalHeaderParams(s[:coma], ';', ',', &h.Params)
		if err != nil {
			return nil, 0, err
		}
		return viaStateProtocol, coma, errComaDetected(coma)
	}

	_, err = UnmarshalHeaderParams(s, ';', '\r', &h.Params)
	return nil, 0, err
}
