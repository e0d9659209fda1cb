package lookup

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Fold appends s folded for search to dst: decomposed (NFKD), combining
// marks removed, lower-cased, so "Jürgen", "JURGEN" and "jürgen" all fold
// to "jurgen". It works rune by rune (a precomputed table for the Latin
// ranges) and does not allocate beyond dst for them. A few
// letters without a decomposition are spelled out ("ß" -> "ss", "ø" ->
// "o", "ı" -> "i", "æ" -> "ae", "ł" -> "l", "đ" -> "d").
func Fold(dst []byte, s string) []byte {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
		return dst
	}
	return foldRunes(dst, s)
}

func foldRunes(dst []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			dst = append(dst, byte(r))
		case r < foldTableSize:
			dst = append(dst, foldTable[r]...)
		default:
			dst = foldRune(dst, r)
		}
	}
	return dst
}

// foldRune folds one rune: NFKD, combining marks dropped, lower-cased.
// (Dropping the marks makes canonical reordering irrelevant.)
func foldRune(dst []byte, r rune) []byte {
	var tmp [utf8.UTFMax]byte
	n := utf8.EncodeRune(tmp[:], r)
	return foldDecomposed(dst, norm.NFKD.Append(nil, tmp[:n]...))
}

// foldTableSize covers Latin-1 Supplement and Latin Extended-A/B, where
// most accented names are, with a precomputed table.
const foldTableSize = 0x250

var foldTable = func() (t [foldTableSize]string) {
	var tmp [utf8.UTFMax]byte
	for r := rune(utf8.RuneSelf); r < foldTableSize; r++ {
		n := utf8.EncodeRune(tmp[:], r)
		t[r] = string(foldDecomposed(nil, norm.NFKD.Append(nil, tmp[:n]...)))
	}
	return t
}()

// foldDecomposed appends the decomposed runes of b without combining
// marks, lower-cased.
func foldDecomposed(dst, b []byte) []byte {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		dst = appendFoldedRune(dst, unicode.ToLower(r))
	}
	return dst
}

func appendFoldedRune(dst []byte, r rune) []byte {
	switch r {
	case 'ß', 'ẞ':
		return append(dst, "ss"...)
	case 'ø':
		return append(dst, 'o')
	case 'ı':
		return append(dst, 'i')
	case 'æ':
		return append(dst, "ae"...)
	case 'œ':
		return append(dst, "oe"...)
	case 'ł':
		return append(dst, 'l')
	case 'đ':
		return append(dst, 'd')
	case 'þ':
		return append(dst, "th"...)
	}
	return utf8.AppendRune(dst, r)
}

// FoldString is Fold returning a string.
func FoldString(s string) string { return string(Fold(nil, s)) }

// AppendSearchText appends the folded search text of a contact (first
// name, last name, company, email, each folded, separated by NUL, which
// folded query text never contains) to dst.
func AppendSearchText(dst []byte, first, last, company, email string) []byte {
	for i, s := range [4]string{first, last, company, email} {
		if i > 0 {
			dst = append(dst, 0)
		}
		dst = Fold(dst, s)
	}
	return dst
}

// SearchText returns the folded search text of c (see AppendSearchText).
func SearchText(c *Contact) string {
	return string(AppendSearchText(nil, c.FirstName, c.LastName, c.Company, c.Email))
}
