package sip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitizeName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"Alice Müller", 48, "Alice Müller"},
		{`Bob "The Builder" \o/`, 48, `Bob \"The Builder\" \\o/`},
		{"Evil\r\nVia: SIP/2.0/UDP x", 48, "Evil Via: SIP/2.0/UDP x"},
		{"  lots \t of\u00a0\u2028 space  ", 48, "lots of space"},
		{"ctl\x00\x07\x1b[31m\x7f\u0085\u009bname", 48, "ctl[31m name"}, // NEL is a line break: a space
		{"bidi\u202eevil\u2066x\u200f\ufeff", 48, "bidievilx"},
		{"bad\xff\xfeutf8\xc3", 48, "badutf8"},
		{"Jürgen Groß-Äpfel", 8, "Jürgen G"},
		{"ab cd", 3, "ab"},
		{`a"b"c`, 3, `a\"b`},
		{`\\\\`, 2, `\\\\`},
		{"日本語の名前", 3, "日本語"},
		{"emoji 👩‍💻 ok", 48, "emoji 👩‍💻 ok"},
		{"", 48, ""},
		{"\r\n\t", 48, ""},
		{"x", 0, ""},
	} {
		if got := SanitizeName(tc.in, tc.max); got != tc.want {
			t.Errorf("SanitizeName(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestCleanNameFastPathAllocs(t *testing.T) {
	n := testing.AllocsPerRun(100, func() { _ = SanitizeName("Alice Smith", 48) })
	if n != 0 {
		t.Errorf("clean ASCII name allocates %v times, want 0", n)
	}
}

// checkSanitized asserts the invariants every sanitised name must hold.
func checkSanitized(t *testing.T, in string, max int, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("invalid UTF-8 from %q: %q", in, out)
	}
	if strings.ContainsAny(out, "\r\n\x00\u2028\u2029\u0085") {
		t.Fatalf("line break or NUL in %q", out)
	}
	plain, esc := "", false
	for _, r := range out {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			t.Fatalf("control %U in %q", r, out)
		}
		switch {
		case esc:
			if r != '"' && r != '\\' {
				t.Fatalf("bad escape \\%c in %q", r, out)
			}
			esc = false
		case r == '\\':
			esc = true
			continue
		case r == '"':
			t.Fatalf("unescaped quote in %q", out)
		}
		plain += string(r)
	}
	if esc {
		t.Fatalf("dangling backslash in %q", out)
	}
	if n := utf8.RuneCountInString(plain); n > max {
		t.Fatalf("%d runes > max %d: %q", n, max, out)
	}
	if strings.HasPrefix(plain, " ") || strings.HasSuffix(plain, " ") || strings.Contains(plain, "  ") {
		t.Fatalf("untrimmed space in %q", out)
	}
}

func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"Alice", "Bob \"B\" \\", "Evil\r\nX: y", "\xff\xfe", "日本語", "\u202e\u2028", "a  b\tc"} {
		f.Add(s, 48)
	}
	f.Fuzz(func(t *testing.T, in string, max int) {
		max = max%300 + 1
		if max < 1 {
			max = -max + 1
		}
		checkSanitized(t, in, max, SanitizeName(in, max))
	})
}

func TestUnescapeQuoted(t *testing.T) {
	for in, want := range map[string]string{`Bob \"B\" \\o/`: `Bob "B" \o/`, "plain": "plain", `trailing\`: `trailing\`, "": ""} {
		if got := unescapeQuoted(in); got != want {
			t.Errorf("unescapeQuoted(%q) = %q, want %q", in, got, want)
		}
	}
	for _, s := range []string{`Alice "AM" Müller`, `a\b`, `"`} {
		if got := unescapeQuoted(SanitizeName(s, 48)); got != s {
			t.Errorf("round trip %q -> %q", s, got)
		}
	}
}
