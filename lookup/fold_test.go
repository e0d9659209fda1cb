package lookup

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFold(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"ACME GmbH", "acme gmbh"},
		{"Jürgen Müller", "jurgen muller"},
		{"JÜRGEN", "jurgen"},
		{"Zoë Çelik", "zoe celik"},
		{"Straße", "strasse"},
		{"Søren Ærø", "soren aero"},
		{"Yılmaz", "yilmaz"},
		{"Łukasz", "lukasz"},
		{"ﬁle", "file"}, // NFKD ligature
		{"São Paulo", "sao paulo"},
		{"Ελένη", "ελενη"},
	} {
		if got := FoldString(c.in); got != c.want {
			t.Errorf("Fold(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFoldASCIIDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = Fold(buf[:0], "Hello World") }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

func TestSearchTextSeparatesFields(t *testing.T) {
	c := Contact{FirstName: "Ann", LastName: "Ebert", Company: "X", Email: "a@b.c"}
	st := SearchText(&c)
	if strings.Contains(st, "annebert") || !strings.Contains(st, "ann") || !strings.Contains(st, "a@b.c") {
		t.Errorf("SearchText = %q", st)
	}
}

// FuzzFold: folding never panics, yields valid UTF-8 without NUL (the
// field separator) for input without NUL, is idempotent, and is what
// search compares (a folded string contains its own fold).
func FuzzFold(f *testing.F) {
	for _, s := range []string{"Jürgen", "Straße", "ﬁ", "\xff\xfe", "Ǆ", "İstanbul"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := FoldString(s)
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Fold(%q) = %q: invalid UTF-8", s, got)
		}
		if !strings.Contains(s, "\x00") && strings.Contains(got, "\x00") {
			t.Fatalf("Fold(%q) = %q has NUL", s, got)
		}
		if utf8.ValidString(s) {
			if again := FoldString(got); again != got {
				t.Fatalf("Fold not idempotent: %q -> %q -> %q", s, got, again)
			}
		}
	})
}

func BenchmarkFold(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = Fold(buf[:0], "Jürgen Müller Søren Straße")
	}
}
