package template

import (
	"strconv"
	"strings"
	"time"
)

// timeFormat implements TimeFormat: ts is a Unix timestamp, layout a
// .NET/Java-style pattern, utc selects UTC instead of the PBX zone loc.
func timeFormat(ts any, layout string, utc bool, loc *time.Location) (string, error) {
	t, ok, err := toTime(ts)
	if err != nil || !ok {
		return "", err
	}
	if utc {
		t = t.UTC()
	} else {
		t = t.In(loc)
	}
	return formatTime(t, layout), nil
}

// timeTokens are tried longest first at each position of a layout.
var timeTokens = []string{
	"yyyy", "yy", "MMMM", "MMM", "MM", "M", "dddd", "ddd", "dd", "d",
	"HH", "H", "hh", "h", "mm", "m", "ss", "s", ".000", "fff", "SSS", "tt",
	"Zz", "zzz", "zz", "z", "Z", "K",
}

// formatTime walks layout token by token; anything that is not a token is
// copied as is. Text in single quotes is literal (two single quotes give one),
// and a backslash makes the next character literal.
func formatTime(t time.Time, layout string) string {
	b := make([]byte, 0, len(layout)+16)
	for i := 0; i < len(layout); {
		c := layout[i]
		switch c {
		case '\'':
			i = appendQuoted(&b, layout, i)
			continue
		case '\\':
			if i+1 < len(layout) {
				b = append(b, layout[i+1])
				i += 2
				continue
			}
		}
		tok := matchToken(layout[i:])
		if tok == "" {
			b = append(b, c)
			i++
			continue
		}
		b = appendToken(b, t, tok)
		i += len(tok)
	}
	return string(b)
}

// appendQuoted copies the quoted literal that starts at the quote at layout[i] and
// returns the index after it. Two quotes stand for one quote.
func appendQuoted(b *[]byte, layout string, i int) int {
	if i+1 < len(layout) && layout[i+1] == '\'' {
		*b = append(*b, '\'')
		return i + 2
	}
	for i++; i < len(layout); i++ {
		if layout[i] != '\'' {
			*b = append(*b, layout[i])
			continue
		}
		if i+1 < len(layout) && layout[i+1] == '\'' {
			*b = append(*b, '\'')
			i++
			continue
		}
		return i + 1
	}
	return i
}

func matchToken(s string) string {
	for _, tok := range timeTokens {
		if strings.HasPrefix(s, tok) {
			return tok
		}
	}
	return ""
}

func appendToken(b []byte, t time.Time, tok string) []byte {
	switch tok {
	case "yyyy":
		return pad(b, t.Year(), 4)
	case "yy":
		return pad(b, t.Year()%100, 2)
	case "MMMM":
		return append(b, t.Month().String()...)
	case "MMM":
		return append(b, t.Month().String()[:3]...)
	case "MM":
		return pad(b, int(t.Month()), 2)
	case "M":
		return strconv.AppendInt(b, int64(t.Month()), 10)
	case "dddd":
		return append(b, t.Weekday().String()...)
	case "ddd":
		return append(b, t.Weekday().String()[:3]...)
	case "dd":
		return pad(b, t.Day(), 2)
	case "d":
		return strconv.AppendInt(b, int64(t.Day()), 10)
	case "HH":
		return pad(b, t.Hour(), 2)
	case "H":
		return strconv.AppendInt(b, int64(t.Hour()), 10)
	case "hh":
		return pad(b, hour12(t), 2)
	case "h":
		return strconv.AppendInt(b, int64(hour12(t)), 10)
	case "mm":
		return pad(b, t.Minute(), 2)
	case "m":
		return strconv.AppendInt(b, int64(t.Minute()), 10)
	case "ss":
		return pad(b, t.Second(), 2)
	case "s":
		return strconv.AppendInt(b, int64(t.Second()), 10)
	case ".000":
		return pad(append(b, '.'), t.Nanosecond()/1e6, 3)
	case "fff", "SSS":
		return pad(b, t.Nanosecond()/1e6, 3)
	case "tt":
		if t.Hour() < 12 {
			return append(b, "AM"...)
		}
		return append(b, "PM"...)
	}
	return appendZone(b, t, tok)
}

// appendZone writes the zone tokens: Zz, Z and K give "Z" for UTC and
// "+hh:mm" otherwise; zzz gives "+hh:mm", zz "+hh", z "+h" (always).
func appendZone(b []byte, t time.Time, tok string) []byte {
	_, off := t.Zone()
	if off == 0 && (tok == "Zz" || tok == "Z" || tok == "K") {
		return append(b, 'Z')
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = append(b, sign)
	h, m := off/3600, off%3600/60
	switch tok {
	case "z":
		return strconv.AppendInt(b, int64(h), 10)
	case "zz":
		return pad(b, h, 2)
	}
	b = pad(b, h, 2)
	return pad(append(b, ':'), m, 2)
}

func hour12(t time.Time) int {
	h := t.Hour() % 12
	if h == 0 {
		return 12
	}
	return h
}

func pad(b []byte, v, width int) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
