package sip

import (
	"fmt"
	"strconv"
	"strings"

	"cidproxy/sip/event"
)

// extPattern is one sip.extensions entry: an exact number or X-pattern
// ("1001", "2XXX") or a numeric range of one width ("1000-1999").
type extPattern struct {
	mask   string // exact digits or pattern with X; empty for a range
	lo, hi uint64
	width  int
}

// extensions decides whether a number is a local extension.
type extensions []extPattern

func parseExtensions(pats []string) (extensions, error) {
	out := make(extensions, 0, len(pats))
	for _, s := range pats {
		s = strings.TrimSpace(s)
		if lo, hi, ok := strings.Cut(s, "-"); ok {
			a, err1 := strconv.ParseUint(lo, 10, 64)
			b, err2 := strconv.ParseUint(hi, 10, 64)
			if err1 != nil || err2 != nil || len(lo) != len(hi) || a > b {
				return nil, fmt.Errorf("sip: extension range %q: want equal-width low-high", s)
			}
			out = append(out, extPattern{lo: a, hi: b, width: len(lo)})
			continue
		}
		if s == "" || strings.Trim(s, "0123456789Xx") != "" {
			return nil, fmt.Errorf("sip: extension pattern %q: want digits and X", s)
		}
		out = append(out, extPattern{mask: s})
	}
	return out, nil
}

// match reports whether num is an extension.
func (e extensions) match(num string) bool {
	if num == "" || strings.Trim(num, "0123456789") != "" {
		return false
	}
	for _, p := range e {
		if p.mask == "" {
			if len(num) != p.width {
				continue
			}
			if v, err := strconv.ParseUint(num, 10, 64); err == nil && v >= p.lo && v <= p.hi {
				return true
			}
			continue
		}
		if len(num) == len(p.mask) && maskMatch(p.mask, num) {
			return true
		}
	}
	return false
}

func maskMatch(mask, num string) bool {
	for i := 0; i < len(mask); i++ {
		if mask[i] != 'X' && mask[i] != 'x' && mask[i] != num[i] {
			return false
		}
	}
	return true
}

// direction classifies a call by which ends are extensions.
func (e extensions) direction(caller, callee string) event.Direction {
	from, to := e.match(caller), e.match(callee)
	switch {
	case from && to:
		return event.Internal
	case from:
		return event.Outbound
	case to:
		return event.Inbound
	}
	return event.External
}
