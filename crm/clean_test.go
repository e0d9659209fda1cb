package crm

import (
	"strings"
	"testing"
)

func TestCleanValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ada", "Ada"},
		{"  O'Brien \"Bob\"\r\nX: 1\t", `O'Brien "Bob"  X: 1`},
		{"a\x00b\x1bc\u2028d", "abcd"},
		{"bad \xff utf8", "bad  utf8"},
		{`{"evil":1}`, ""},
		{`[1,2]`, ""},
		{"{not json", "{not json"},
		{"Müller 山田", "Müller 山田"},
		{strings.Repeat("é", 200), strings.Repeat("é", 128)},
	}
	for _, tc := range tests {
		if got := cleanValue(tc.in, maxFieldLen); got != tc.want {
			t.Errorf("cleanValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, u := range []string{"javascript:alert(1)", "https://x.example/a\r\nb", "/relative", "ftp://x"} {
		if cleanURL(u) != "" {
			t.Errorf("cleanURL(%q) accepted", u)
		}
	}
}
