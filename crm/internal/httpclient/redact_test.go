package httpclient

import (
	"net/http"
	"testing"
)

func TestRedactor(t *testing.T) {
	var r Redactor
	r.Add("s3cr3t+/=value", "abc", "")
	got := r.String("a=s3cr3t+/=value&b=s3cr3t%2B%2F%3Dvalue abc")
	if got != "a=****&b=**** abc" {
		t.Fatalf("got %q", got)
	}
	h := r.Header(http.Header{"Authorization": {"Bearer tok"}, "X-Other": {"x s3cr3t+/=value"}, "X-Api-Key": {"k"}})
	if h.Get("Authorization") != "Bearer ****" || h.Get("X-Other") != "x ****" || h.Get("X-Api-Key") != "****" {
		t.Fatalf("header %v", h)
	}
	if u := RedactURL("https://u:p@x.example/t?client_secret=abc&a=1"); u != "https://x.example/t?a=%2A%2A%2A%2A&client_secret=%2A%2A%2A%2A" {
		t.Fatalf("RedactURL %s", u)
	}
}
