package template

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Context says where a value is used, and so how the values of its
// {{actions}} are escaped.
type Context int

// Contexts. The escaper of each {{action}} is chosen from the context and the
// text before the action.
const (
	CtxPlain  Context = iota // no escaping: Subject, Description, Base64EncodedCredential, Scope …
	CtxURL                   // a whole URL: URLFormat, AuthEndPoint, TokenEndPoint
	CtxQuery                 // a query string: AdditionalQueryString
	CtxHeader                // an HTTP header value
	CtxJSON                  // a JSON document (body)
	CtxForm                  // an application/x-www-form-urlencoded body
	CtxXML                   // an XML body
	CtxPath                  // a GJSON path
)

var ctxNames = [...]string{"plain", "url", "query", "header", "json", "form", "xml", "path"}

func (c Context) String() string {
	if int(c) < len(ctxNames) {
		return ctxNames[c]
	}
	return "ctx" + strconv.Itoa(int(c))
}

// Escaper function names appended to output actions.
const (
	escPlain     = "_esc_plain"
	escHeader    = "_esc_header"
	escJSONStr   = "_esc_json_str"
	escJSONValue = "_esc_json_value"
	escURLBase   = "_esc_url_base"
	escURLHost   = "_esc_url_host"
	escURLPath   = "_esc_url_path"
	escURLQuery  = "_esc_url_query"
	escXML       = "_esc_xml"
	escPathStr   = "_esc_path_str"
	escPathKey   = "_esc_path_key"
)

var escapers = map[string]any{
	escPlain:     toString,
	escHeader:    escapeHeader,
	escJSONStr:   escapeJSONString,
	escJSONValue: escapeJSONValue,
	escURLBase:   escapeURLBase,
	escURLHost:   escapeURLHost,
	escURLPath:   escapeURLPath,
	escURLQuery:  escapeURLQuery,
	escXML:       escapeXML,
	escPathStr:   escapePathString,
	escPathKey:   escapePathKey,
}

// escapeHeader replaces control characters (CR, LF, NUL …) with spaces so a
// value cannot end a header or start another.
func escapeHeader(v any) string {
	s := toString(v)
	if strings.IndexFunc(s, isCtl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isCtl(r) {
			return ' '
		}
		return r
	}, s)
}

func isCtl(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }

// escapeJSONString escapes a value for use inside a JSON string literal
// (without the quotes). Invalid UTF-8 becomes U+FFFD.
func escapeJSONString(v any) string {
	s := toString(v)
	if jsonSafe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	appendJSONString(&b, s)
	return b.String()
}

func jsonSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

func appendJSONString(b *strings.Builder, s string) {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x80 {
			r, n := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && n == 1:
				b.WriteString(`\ufffd`)
			case r == '\u2028' || r == '\u2029':
				b.WriteString(`\u202`)
				b.WriteByte(hexDigits[r&0xf])
			default:
				b.WriteString(s[i : i+n])
			}
			i += n
			continue
		}
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			} else {
				b.WriteByte(c)
			}
		}
		i++
	}
}

// escapeJSONValue renders a value outside a JSON string: a JSON number, true,
// false or null stays as is (so {"n":{{.Talk_Duration_Sec}}} gives a number),
// an empty value becomes null and anything else a quoted JSON string.
func escapeJSONValue(v any) string {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	}
	s := toString(v)
	switch {
	case s == "":
		return "null"
	case s == "true" || s == "false" || s == "null" || isJSONNumber(s):
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	appendJSONString(&b, s)
	b.WriteByte('"')
	return b.String()
}

// isJSONNumber reports whether s is a number by the JSON grammar.
func isJSONNumber(s string) bool {
	if len(s) > 64 {
		return false
	}
	return json.Valid([]byte(s)) && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))
}

// URL escapers. UrlEncode results pass through untouched.

// escapeURLBase is used for an action at the start of a URL, which supplies
// the base ("{{.crm_url}}/crm/…"): scheme, host and path are kept; '?', '#',
// spaces, quotes and control characters are percent-encoded.
func escapeURLBase(v any) string {
	if u, ok := v.(urlEncoded); ok {
		return string(u)
	}
	return percentEncode(toString(v), func(c byte) bool {
		return c <= ' ' || c >= 0x7f || strings.IndexByte(`?#"<>\^`+"`{|}%", c) >= 0
	})
}

// escapeURLHost keeps only host name characters (letters, digits, '.', '-',
// ':' for a port, brackets for IPv6); '@', '/', '?' and the rest are
// percent-encoded, which makes a hostile value an invalid host instead of a
// different one.
func escapeURLHost(v any) string {
	if u, ok := v.(urlEncoded); ok {
		return string(u)
	}
	return percentEncode(toString(v), func(c byte) bool {
		return !(isAlnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_')
	})
}

// escapeURLPath escapes a path segment ('/', '?', '#', '%', ';', ',' and
// spaces are encoded; "+49 30" gives "+49%2030").
func escapeURLPath(v any) string {
	if u, ok := v.(urlEncoded); ok {
		return string(u)
	}
	return url.PathEscape(toString(v))
}

// escapeURLQuery escapes a query key or value exactly like UrlEncode, so
// {{.X}} and {{UrlEncode .X}} give the same text in a query.
func escapeURLQuery(v any) string {
	if u, ok := v.(urlEncoded); ok {
		return string(u)
	}
	return string(urlEncode(v))
}

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func percentEncode(s string, esc func(byte) bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if esc(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if esc(c) {
			b = append(b, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&0xf])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

func escapeXML(v any) string {
	s := toString(v)
	if !strings.ContainsAny(s, `<>&"'`) && strings.IndexFunc(s, isCtl) < 0 {
		return s
	}
	var b bytes.Buffer
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			fmt.Fprintf(&b, "&#x%X;", r)
		case isCtl(r):
			b.WriteRune('\uFFFD')
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '"':
			b.WriteString("&#34;")
		case r == '\'':
			b.WriteString("&#39;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// escapePathString escapes a value inside a quoted GJSON query value.
func escapePathString(v any) string {
	s := toString(v)
	if !strings.ContainsAny(s, `"\`) {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return r.Replace(s)
}

// escapePathKey escapes GJSON syntax characters in a path component.
func escapePathKey(v any) string {
	s := toString(v)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if strings.IndexByte(`.|#@*?,()[]{}=!<>%"\ `+"\t\n\r", c) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// encodeURL percent-encodes the bytes that may not appear in a URL (RFC 3986
// §2: anything but unreserved and reserved characters and the '%' of a valid
// escape), such as the literal spaces, quotes and braces of SOQL, OData and
// search URLs. Valid escapes are kept, so escaped values are not escaped
// twice.
func encodeURL(s string) string {
	i := 0
	for i < len(s) && urlByteOK(s, i) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		if urlByteOK(s, i) {
			b.WriteByte(s[i])
			continue
		}
		b.WriteByte('%')
		b.WriteByte("0123456789ABCDEF"[s[i]>>4])
		b.WriteByte("0123456789ABCDEF"[s[i]&0xf])
	}
	return b.String()
}

// urlByteOK reports whether s[i] may stand as it is in a URL.
func urlByteOK(s string, i int) bool {
	c := s[i]
	if c == '%' {
		return i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2])
	}
	return isAlnum(c) || strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", c) >= 0
}

func isHexDigit(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}
