package crm

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var now0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

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
