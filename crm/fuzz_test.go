package crm

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParseTokenResponse(f *testing.F) {
	for _, s := range []string{`{"access_token":"a","refresh_token":"r","expires_in":3600}`, `{"error":"x"}`,
		`{"data":{"accessToken":"a"}}`, `{"access_token":"a","expires_in":"1e300"}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := ParseTokenResponse(b, now0)
		if err != nil {
			return
		}
		if tok.AccessToken == "" || strings.ContainsAny(tok.AccessToken+tok.RefreshToken, "\r\n\x00") ||
			len(tok.AccessToken) > maxTokenLen {
			t.Fatalf("accepted bad token %+v", tok)
		}
		if !tok.Expiry.IsZero() && (tok.Expiry.Before(now0) || tok.Expiry.After(now0.Add(11*365*24*time.Hour))) {
			t.Fatalf("expiry %v", tok.Expiry)
		}
	})
}

func FuzzCleanValue(f *testing.F) {
	for _, s := range []string{"Ada", "O'Brien\r\n", `{"a":1}`, "\xff\xfe", strings.Repeat("é", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := cleanValue(s, maxFieldLen)
		if len(out) > maxFieldLen || !utf8.ValidString(out) || strings.ContainsAny(out, "\r\n\x00") {
			t.Fatalf("cleanValue(%q) = %q", s, out)
		}
	})
}
