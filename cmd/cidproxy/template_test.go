package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"cidproxy/crm/builtin"
	"cidproxy/crm/crmtest"
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
	code := templateMain(context.Background(), args, &out, &errb)
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
