package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"cidproxy/crm/builtin"
	"cidproxy/crm/crmtest"
	"cidproxy/internal/testsupport"
)

func writeTemplate(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func runTemplate(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"template"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestTemplateValidate(t *testing.T) {
	zoho, _ := builtin.Bytes(builtin.Zoho)
	good := writeTemplate(t, "zoho.xml", zoho)
	bad := writeTemplate(t, "bad.xml", []byte(`<?xml version="1.1"?>
<Information Provider="crm" Name="Bad" Key="bad" AuthType="none" MaxConcurrentRequest="2">
  <Scenarios>
    <Scenario Id="AuthMethod" Type="AUTH"><Parameters><Parameter Name="AuthMethod" Value="none"/></Parameters></Scenario>
    <Scenario Id="SyncContact" Type="REST"/>
    <Scenario Id="SyncContactAuto" Type="REST">
      <Requests>
        <Request Name="Contacts" Method="GET" URLFormat="https://x.example/{{.Phone}">
          <Outputs Next="Missing"><Output Name="FirstName" Path="data.#.name"/></Outputs>
        </Request>
      </Requests>
    </Scenario>
  </Scenarios>
</Information>`))
	tests := []struct {
		name string
		args []string
		code int
		out  []string
	}{
		{"ok", []string{"validate", good}, 0, []string{"ok: Zoho CRM (key zoho, auth oauth2, 0 warnings)"}},
		{"invalid", []string{"validate", bad}, 1, []string{"line 5", `unknown scenario Id "SyncContact"`, "line 8", "Missing", "invalid ("}},
		{"missing file", []string{"validate", filepath.Join(t.TempDir(), "nope.xml")}, 2, nil},
		{"no file", []string{"validate"}, 2, nil},
		{"unknown subcommand", []string{"frobnicate"}, 2, nil},
		{"nothing", nil, 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, _ := runTemplate(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, out)
			}
			for _, s := range tc.out {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
		})
	}
}

func TestTemplateTestFreshdesk(t *testing.T) {
	const key = "FdCliKey0123456789"
	f := crmtest.NewFreshdesk(key)
	defer f.Close()
	f.AddContact(map[string]any{"id": 432, "name": "Rachel Green", "phone": "+4930222", "email": "rachel@example.com"})
	templateHTTPClient = f.Client()
	defer func() { templateHTTPClient = nil }()
	fd, _ := builtin.Bytes(builtin.Freshdesk)
	path := writeTemplate(t, "freshdesk.xml", fd)
	code, out, errOut := runTemplate(t, "test", path, "--phone", "+4930222", "--field", "domain=acme", "--field", "api_key="+key)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, s := range []string{
		"> GET https://acme.freshdesk.com/api/v2/search/contacts?query=%22phone:%27%2B4930222%27%20OR%20mobile:%27%2B4930222%27%22  [SyncContactAuto, attempt 1]",
		"> Authorization: Basic ****",
		"< 200 OK",
		`"name":"Rachel Green"`,
		"contacts: 1",
		"#1 Rachel Green (Contacts)",
		`"url": "https://acme.freshdesk.com/a/contacts/432"`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q", s)
		}
	}
	for _, secret := range []string{key, base64.StdEncoding.EncodeToString([]byte(key + ":X"))} {
		if strings.Contains(out+errOut, secret) {
			t.Fatalf("secret %q printed:\n%s", secret, out)
		}
	}
	// A failing search exits 1.
	f.FailNext(1, crmtest.Fault{Status: 500})
	if code, out, _ := runTemplate(t, "test", path, "--phone", "1", "--field", "domain=acme", "--field", "api_key="+key); code != 1 ||
		!strings.Contains(out, "search failed") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestTemplateTestZohoRefreshToken(t *testing.T) {
	const secret, refresh = "zoho-cli-secret-xyz", "1000.refresh.cli-token-abc"
	z := crmtest.NewZoho("1000.CLI", secret)
	defer z.Close()
	z.OAuth.AddRefreshToken(refresh)
	z.AddRecord("Leads", map[string]any{"id": "900", "First_Name": "Lead", "Last_Name": "Person", "Phone": "+4930444"})
	templateHTTPClient = z.Client()
	defer func() { templateHTTPClient = nil }()
	zoho, _ := builtin.Bytes(builtin.Zoho)
	path := writeTemplate(t, "zoho.xml", zoho)
	code, out, errOut := runTemplate(t, "test", "--phone", "+4930444", path, "--field", "client_id=1000.CLI",
		"--field", "client_secret="+secret, "--refresh-token", refresh, "--field", "domain=eu")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, s := range []string{
		"> POST https://accounts.zoho.eu/oauth/v2/token  [AuthMethod, attempt 1]",
		"client_secret=%2A%2A%2A%2A", "refresh_token=%2A%2A%2A%2A", `"access_token":"****"`,
		"> GET https://www.zohoapis.eu/crm/v7/Leads/search?phone=%2B4930444",
		"> Authorization: Zoho-oauthtoken ****", "< 204 No Content", "contacts: 1", "#1 Lead Person (Leads)",
		"globals: OrgDomain=\"" + crmtest.ZohoOrgDomain + "\"",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q\n%s", s, out)
		}
	}
	if strings.Contains(out, secret) || strings.Contains(out, refresh) || regexp.MustCompile(`1000\.access\.\d`).MatchString(out) {
		t.Fatalf("secret printed:\n%s", out)
	}
}

func TestTemplateTestUsage(t *testing.T) {
	if code, _, _ := runTemplate(t, "test", "x.xml"); code != 2 {
		t.Fatalf("missing --phone: exit %d", code)
	}
	if code, _, _ := runTemplate(t, "test", "--phone", "1", "--field", "novalue", "x.xml"); code != 2 {
		t.Fatalf("bad --field: exit %d", code)
	}
}

func TestTemplateTestOAuthBrowserFlow(t *testing.T) {
	z := crmtest.NewZoho("1000.CLI", "cli-secret-abcdef")
	defer z.Close()
	z.AddRecord("Contacts", map[string]any{"id": "1", "First_Name": "Ada", "Phone": "+4930555"})
	templateHTTPClient = z.Client()
	defer func() { templateHTTPClient = nil }()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	redirect := fmt.Sprintf("http://127.0.0.1:%d/oauth/callback", port)
	zoho, _ := builtin.Bytes(builtin.Zoho)
	path := writeTemplate(t, "zoho.xml", zoho)
	out := &testsupport.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"template", "test", path, "--phone", "+4930555", "--field", "client_id=1000.CLI",
			"--field", "client_secret=cli-secret-abcdef", "--redirect-uri", redirect, "--auth-timeout", "10s"}, out, io.Discard)
	}()
	// The "browser": wait for the printed consent URL, let the fake consent
	// page redirect, and follow the redirect to the tool's local callback.
	var authURL string
	for deadline := time.Now().Add(5 * time.Second); authURL == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := regexp.MustCompile(`(?m)^  (https://accounts\.zoho\.com/\S+)$`).FindStringSubmatch(out.String()); m != nil {
			authURL = m[1]
		}
	}
	if authURL == "" {
		t.Fatalf("no consent URL printed:\n%s", out)
	}
	browser := z.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, err := http.Get(resp.Header.Get("Location")) // real loopback request to the tool
	if err != nil {
		t.Fatal(err)
	}
	cb.Body.Close()
	if cb.StatusCode != http.StatusOK {
		t.Fatalf("callback status %d", cb.StatusCode)
	}
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(out.String(), "authorized") || !strings.Contains(out.String(), "#1 Ada (Contacts)") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("tool did not finish")
	}
	if strings.Contains(out.String(), "cli-secret-abcdef") {
		t.Fatal("secret printed")
	}
}

// No match, 404 and 200 with an error body no longer all print
// "contacts: 0" with exit 0 (issue 10 defect 7).
func TestTemplateTestNoMatchNotFoundErrorBody(t *testing.T) {
	const key = "FdCliKey0123456789"
	f := crmtest.NewFreshdesk(key)
	defer f.Close()
	templateHTTPClient = f.Client()
	defer func() { templateHTTPClient = nil }()
	fd, _ := builtin.Bytes(builtin.Freshdesk)
	path := writeTemplate(t, "freshdesk.xml", fd)
	tests := []struct {
		name  string
		fault *crmtest.Fault
		code  int
		line  string
	}{
		{"no match", nil, 3, "no match: the CRM answered without a contact for this number"},
		{"404", &crmtest.Fault{Status: 404, Body: `{"code":"not_found"}`}, 4,
			"search /api/v2/search/contacts: HTTP 404 Not Found (a wrong URL, or the CRM's way of saying no match)"},
		{"200 with an error body", &crmtest.Fault{Status: 200, Body: `{"description":"Validation failed","errors":[{"field":"query","code":"invalid_value"}]}`}, 5,
			"search /api/v2/search/contacts: HTTP 200 with an error in the body: Validation failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fault != nil {
				f.FailNext(1, *tc.fault)
			}
			code, out, _ := runTemplate(t, "test", path, "--phone", "+4930999", "--field", "domain=acme", "--field", "api_key="+key)
			if code != tc.code || !strings.Contains(out, tc.line) || !strings.Contains(out, "contacts: 0") {
				t.Fatalf("exit %d, want %d and %q\n%s", code, tc.code, tc.line, out)
			}
		})
	}
}
