package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cidproxy/crm/crmtest"
)

// bearerCRM is a client-credentials token endpoint plus an API that answers
// 400 {"error":"token_expired"} (not 401) for tokens it has revoked.
type bearerCRM struct {
	*crmtest.Server
	issued  atomic.Int32
	revoked atomic.Int32 // tokens with a number <= revoked are rejected
}

func newBearerCRM(t *testing.T) *bearerCRM {
	b := &bearerCRM{}
	b.Server = crmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Host {
		case "auth.example.com":
			q := r.URL.Query()
			if r.Method != http.MethodPost || q.Get("client_secret") != "bearer-secret-xyz" || q.Get("grant_type") != "client_credentials" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			n := b.issued.Add(1)
			fmt.Fprintf(w, `{"access_token":"bt-%d-secret","token_type":"bearer","expires_in":"86400"}`, n)
		case "api.example.com":
			var n int32
			fmt.Sscanf(r.Header.Get("Authorization"), "Bearer bt-%d-secret", &n)
			if n == 0 || n <= b.revoked.Load() {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"token_expired"}`))
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"items": []map[string]any{
				{"id": 7, "first": "Zed", "phone": r.URL.Query().Get("phone"), "links": map[string]any{"web": "https://app.example.com/p/7"}}}})
		}
	}))
	t.Cleanup(b.Close)
	return b
}

func bearerIntegration(t *testing.T, b *bearerCRM, interval string, now func() time.Time) *Integration {
	raw, err := os.ReadFile("testdata/bearer.xml")
	if err != nil {
		t.Fatal(err)
	}
	xml := strings.Replace(string(raw), "INTERVAL", interval, 1)
	return newIntegration(t, Config{Template: mustParse(t, xml), HTTP: b.Client(), Now: now,
		Fields: map[string]string{"client_id": "bearer-client", "client_secret": "bearer-secret-xyz"}})
}

func TestBearerTokenFetchHeadersAndContactURL(t *testing.T) {
	b := newBearerCRM(t)
	it := bearerIntegration(t, b, "", nil)
	got, err := it.SearchContact(context.Background(), "+49 30 5")
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	want := Contact{ID: "7", Type: "People", FirstName: "Zed", Business: "+49 30 5", URL: "https://app.example.com/p/7"}
	if got[0] != want {
		t.Fatalf("got %+v", got[0])
	}
	r := b.Requests()
	if len(r) != 2 || r[0].URL != "auth.example.com/oauth/token?client_id=bearer-client&client_secret=bearer-secret-xyz&grant_type=client_credentials" {
		t.Fatalf("token request %+v", r[0])
	}
	if string(r[0].Body) != "" {
		t.Fatalf("token body %q: client credentials are already in the URL", r[0].Body)
	}
	if r[1].URL != "api.example.com/v1/people?phone=%2B49%2030%205" {
		t.Fatalf("search URL %s", r[1].URL)
	}
	if r[1].Header.Get("Authorization") != "Bearer bt-1-secret" || r[1].Header.Get("X-Client-Id") != "bearer-client" {
		t.Fatalf("headers %v", r[1].Header)
	}
}

func TestBearerTokenRefreshInterval(t *testing.T) {
	tests := []struct {
		interval string
		after    time.Duration
		want     int32 // tokens issued after two searches
	}{
		{"", 24 * time.Minute, 1},  // blank = 25 minutes
		{"", 26 * time.Minute, 2},  // blank = 25 minutes
		{"5", 4 * time.Minute, 1},  // 5 minutes
		{"5", 6 * time.Minute, 2},  // 5 minutes
		{"0", 1000 * time.Hour, 1}, // 0 = never automatically, even past expires_in
		{"30", 24 * time.Hour, 2},  // an interval also honours expires_in (86400 s)
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("interval=%q/after=%v", tc.interval, tc.after), func(t *testing.T) {
			b := newBearerCRM(t)
			var offset atomic.Int64
			it := bearerIntegration(t, b, tc.interval, func() time.Time { return time.Now().Add(time.Duration(offset.Load())) })
			if _, err := it.SearchContact(context.Background(), "1"); err != nil {
				t.Fatal(err)
			}
			offset.Store(int64(tc.after))
			if _, err := it.SearchContact(context.Background(), "1"); err != nil {
				t.Fatal(err)
			}
			if got := b.issued.Load(); got != tc.want {
				t.Fatalf("tokens issued = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestTokenInvalidTextTriggersRefresh(t *testing.T) {
	b := newBearerCRM(t)
	it := bearerIntegration(t, b, "0", nil)
	if _, err := it.SearchContact(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	b.revoked.Store(1) // 400 {"error":"token_expired"}: TokenInvalid matches
	b.Reset()
	got, err := it.SearchContact(context.Background(), "1")
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	r := b.Requests()
	if len(r) != 3 || r[0].Host != "api.example.com" || r[1].Host != "auth.example.com" || r[2].Header.Get("Authorization") != "Bearer bt-2-secret" {
		t.Fatalf("sequence %+v", r)
	}
	// A 400 without the TokenInvalid text is a plain client error: no refresh.
	b.Server.FailNext(1, crmtest.Fault{Status: 400, Body: `{"error":"bad phone"}`})
	b.Reset()
	if _, err := it.SearchContact(context.Background(), "1"); err == nil || len(b.Requests()) != 1 {
		t.Fatalf("err %v, %d requests", err, len(b.Requests()))
	}
}
