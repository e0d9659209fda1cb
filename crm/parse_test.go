package crm

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var now0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 120 * time.Second, true},
		{" 3 ", 3 * time.Second, true},
		{"0", 0, true},
		{"Mon, 23 Nov 2026 10:00:30 GMT", 30 * time.Second, true},
		{"Monday, 23-Nov-26 10:01:00 GMT", time.Minute, true}, // RFC 850
		{"Mon Nov 23 10:00:05 2026", 5 * time.Second, true},   // asctime
		{"Mon, 23 Nov 2026 09:00:00 GMT", 0, true},            // past
		{"86400", maxRetryAfter, true},                        // capped
		{"99999999999999999999", maxRetryAfter, true},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		got, ok := ParseRetryAfter(tc.in, now0)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Base: 100 * time.Millisecond, Max: time.Second}
	for attempt, hi := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		hi *= time.Millisecond
		for i := 0; i < 50; i++ {
			if d := b.Delay(attempt); d < hi/2 || d > hi {
				t.Fatalf("Delay(%d) = %v, want in [%v, %v]", attempt, d, hi/2, hi)
			}
		}
	}
}

func TestParseTokenResponse(t *testing.T) {
	tests := []struct {
		name, body  string
		access, ref string
		expires     time.Duration
		extra       map[string]string
		wantErr     bool
	}{
		{name: "zoho", body: `{"access_token":"1000.a","refresh_token":"1000.r","api_domain":"https://www.zohoapis.eu","token_type":"Bearer","expires_in":3600}`,
			access: "1000.a", ref: "1000.r", expires: time.Hour, extra: map[string]string{"api_domain": "https://www.zohoapis.eu", "token_type": "Bearer"}},
		{name: "string expires", body: `{"access_token":"a","expires_in":"1800"}`, access: "a", expires: 30 * time.Minute},
		{name: "zoho old expires_in_sec", body: `{"access_token":"a","expires_in_sec":60}`, access: "a", expires: time.Minute},
		{name: "nested data", body: `{"data":{"accessToken":"a","refreshToken":"r"}}`, access: "a", ref: "r"},
		{name: "error with 200", body: `{"error":"invalid_code"}`, wantErr: true},
		{name: "no token", body: `{"token_type":"Bearer"}`, wantErr: true},
		{name: "not json", body: `<html>`, wantErr: true},
		{name: "array", body: `[1]`, wantErr: true},
		{name: "header break", body: `{"access_token":"a\r\nX: y"}`, wantErr: true},
		{name: "wrong types", body: `{"access_token":"a","expires_in":{"x":1},"refresh_token":5}`, access: "a"},
		{name: "negative expiry", body: `{"access_token":"a","expires_in":-5}`, access: "a"},
		{name: "huge token", body: `{"access_token":"` + strings.Repeat("x", maxTokenLen+1) + `"}`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := ParseTokenResponse([]byte(tc.body), now0)
			if tc.wantErr {
				if !errors.Is(err, ErrTokenResponse) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || tok.AccessToken != tc.access || tok.RefreshToken != tc.ref {
				t.Fatalf("%+v %v", tok, err)
			}
			wantExp := time.Time{}
			if tc.expires > 0 {
				wantExp = now0.Add(tc.expires)
			}
			if !tok.Expiry.Equal(wantExp) {
				t.Fatalf("expiry %v, want %v", tok.Expiry, wantExp)
			}
			for k, v := range tc.extra {
				if tok.Extra[k] != v {
					t.Fatalf("extra %v", tok.Extra)
				}
			}
		})
	}
}

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
