package template

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unsafe"
)

// JSON validation with gjson.Valid's rules (ported from GJSON's validany &
// co.), over strings and with a word-at-a-time string scan.

// validAny validates the value at s[i] (after optional white space) as
// gjson's validany does and returns the index after it.
func validAny(s string, i int) (int, bool) {
	for ; i < len(s); i++ {
		switch s[i] {
		default:
			return i, false
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return validObject(s, i+1)
		case '[':
			return validArray(s, i+1)
		case '"':
			e, _, ok := validString(s, i+1)
			return e, ok
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return validNumber(s, i)
		case 't':
			return validLiteral(s, i, "true")
		case 'f':
			return validLiteral(s, i, "false")
		case 'n':
			return validLiteral(s, i, "null")
		}
	}
	return i, false
}

func validObject(s string, i int) (int, bool) {
	i = skipWS(s, i)
	if i < len(s) && s[i] == '}' {
		return i + 1, true
	}
	for i < len(s) && s[i] == '"' {
		var ok bool
		if i, _, ok = validString(s, i+1); !ok {
			return i, false
		}
		if i = skipWS(s, i); i >= len(s) || s[i] != ':' {
			return i, false
		}
		if i, ok = validAny(s, i+1); !ok {
			return i, false
		}
		if i = skipWS(s, i); i < len(s) && s[i] == ',' {
			i = skipWS(s, i+1)
			continue
		}
		if i < len(s) && s[i] == '}' {
			return i + 1, true
		}
		return i, false
	}
	return i, false
}

func validArray(s string, i int) (int, bool) {
	i = skipWS(s, i)
	if i < len(s) && s[i] == ']' {
		return i + 1, true
	}
	for i < len(s) {
		var ok bool
		if i, ok = validAny(s, i); !ok {
			return i, false
		}
		if i = skipWS(s, i); i < len(s) && s[i] == ',' {
			i++
			continue
		}
		if i < len(s) && s[i] == ']' {
			return i + 1, true
		}
		return i, false
	}
	return i, false
}

// validString validates the rest of a string, s[i:] being after the
// opening quote; esc reports a backslash.
func validString(s string, i int) (end int, esc, ok bool) {
	for {
		i = nextSpecial(s, i)
		if i >= len(s) {
			return i, esc, false
		}
		switch c := s[i]; {
		case c == '"':
			return i + 1, esc, true
		case c < ' ':
			return i, esc, false
		}
		esc = true // a backslash
		if i++; i == len(s) {
			return i, esc, false
		}
		switch s[i] {
		default:
			return i, esc, false
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		case 'u':
			for range 4 {
				if i++; i >= len(s) || !isHex(s[i]) {
					return i, esc, false
				}
			}
		}
		i++
	}
}

// nextSpecial returns the index of the first '"', '\\' or control
// character at or after i, or len(s).
func nextSpecial(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		if m := special8(load8(s, i)); m != 0 {
			// the lowest flag is exact (false flags only follow a true one)
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == '"' || c == '\\' {
			return i
		}
	}
	return i
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// load8 returns the 8 bytes s[i:i+8] as a word (any byte order).
func load8(s string, i int) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))
}

// special8 flags (high bit) the bytes of a word (loaded little-endian)
// that are '"', '\\' or control characters.
func special8(x uint64) uint64 {
	q := x ^ ones*'"'
	b := x ^ ones*'\\'
	return ((x-ones*' ')&^x | (q-ones)&^q | (b-ones)&^b) & highs
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// validNumber validates the number at s[i] as gjson's validnumber does (it
// stops at the first byte that cannot continue the number).
func validNumber(s string, i int) (int, bool) {
	if s[i] == '-' {
		if i++; i == len(s) || s[i] < '0' || s[i] > '9' {
			return i, false
		}
	}
	if s[i] == '0' {
		i++
	} else {
		i = digits(s, i)
	}
	if i < len(s) && s[i] == '.' {
		if i++; i == len(s) || s[i] < '0' || s[i] > '9' {
			return i, false
		}
		i = digits(s, i+1)
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		if i++; i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return i, false
		}
		i = digits(s, i+1)
	}
	return i, true
}

func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

func validLiteral(s string, i int, lit string) (int, bool) {
	if strings.HasPrefix(s[i:], lit) {
		return i + len(lit), true
	}
	return i + 1, false
}
