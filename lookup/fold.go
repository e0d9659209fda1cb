package lookup

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Fold appends s folded for search to dst: decomposed (NFKD), combining
// marks removed, lower-cased, so "Jürgen", "JURGEN" and "jürgen" all fold
// to "jurgen". ASCII input takes a fast path without allocation. A few
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
	var it norm.Iter
	it.InitString(norm.NFKD, s)
	for !it.Done() {
		seg := it.Next()
		for len(seg) > 0 {
			r, n := utf8.DecodeRune(seg)
			seg = seg[n:]
			if unicode.Is(unicode.Mn, r) {
				continue
			}
			dst = appendFoldedRune(dst, unicode.ToLower(r))
		}
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
