package template

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// urlEncoded is the result of UrlEncode. It holds only unreserved characters
// and %XX escapes, so the URL and form escapers let it through unchanged.
type urlEncoded string

// seedFuncs returns the functions documented by the template format.
func seedFuncs(loc *time.Location) map[string]any {
	return map[string]any{
		"TimeFormat": func(ts any, layout any, utc ...any) (string, error) {
			return timeFormat(ts, toString(layout), len(utc) > 0 && flagOn(toString(utc[0])), loc)
		},
		"ToMillis":   toMillis,
		"Capitalize": capitalize,
		"UrlEncode":  urlEncode,
	}
}

// urlEncode percent-encodes everything except the RFC 3986 unreserved
// characters: "hello world!" gives "hello%20world%21".
func urlEncode(v any) urlEncoded {
	return urlEncoded(strings.ReplaceAll(url.QueryEscape(toString(v)), "+", "%20"))
}

// capitalize upper-cases the first rune: "hello world" gives "Hello world".
func capitalize(v any) string {
	s := toString(v)
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// toMillis turns a seconds timestamp into milliseconds; "" stays "".
func toMillis(v any) (string, error) {
	t, ok, err := toTime(v)
	if err != nil || !ok {
		return "", err
	}
	return strconv.FormatInt(t.UnixMilli(), 10), nil
}

// toTime reads a Unix timestamp (seconds; values beyond 1e11 are taken as
// milliseconds) from a string, a number or a time.Time. ok is false for an
// empty value.
func toTime(v any) (time.Time, bool, error) {
	var f float64
	switch x := v.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return x, true, nil
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case float64:
		f = x
	case json.Number:
		return toTime(string(x))
	default:
		s := strings.TrimSpace(toString(x))
		if s == "" {
			return time.Time{}, false, nil
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return unixTime(n, 0), true, nil
		}
		p, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(p) || math.IsInf(p, 0) {
			return time.Time{}, false, fmt.Errorf("not a unix timestamp: %q", truncate(s, 32))
		}
		f = p
	}
	sec, frac := math.Modf(f)
	return unixTime(int64(sec), int64(frac*1e9)), true, nil
}

func unixTime(n, nsec int64) time.Time {
	if n > 1e11 || n < -1e11 {
		return time.UnixMilli(n)
	}
	return time.Unix(n, nsec)
}

// toString converts a variable value to text; nil (a missing variable) is "".
func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case urlEncoded:
		return string(x)
	case []byte:
		return string(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return string(x)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
