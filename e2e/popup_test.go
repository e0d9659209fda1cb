package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cidproxy/crm/crmtest"
	"cidproxy/internal/chromium"
)

// The popup tests run the daemon with the Zoho double (crm_helpers_test.go)
// and extensions 1001 (the integration's trigger: ringing), 1002
// (trigger: answered) and 1003 (manual), drive the /popup page in
// headless Chromium and place SIPp calls from numbers the CRM knows. The
// template's record pages point at the double, so the tab's URL is the
// exact record URL the CRM template renders.

// popupEnv is the daemon, its CRM double, a browser and extension tokens.
type popupEnv struct {
	z       *crmtest.ZohoLocal
	d       *daemon
	uasPort int
	browser chromium.Tab
	tok     map[string]string
}

func startPopupDaemon(t *testing.T) *popupEnv {
	t.Helper()
	needBinary(t)
	e := &popupEnv{z: newZoho(t), uasPort: freePort(t), tok: map[string]string{}}
	tpl, err := e.z.Template(0)
	if err != nil {
		t.Fatal(err)
	}
	// Record pages on the double instead of crm.zoho.com (no internet here).
	tpl = bytes.ReplaceAll(tpl, []byte("https://crm.zoho.{{.domain}}"), []byte("{{.api_url}}"))
	path := filepath.Join(t.TempDir(), "zoho-popup.xml")
	if err := os.WriteFile(path, tpl, 0o644); err != nil {
		t.Fatal(err)
	}
	fields, err := json.Marshal(e.z.Fields(zRefresh))
	if err != nil {
		t.Fatal(err)
	}
	extra := fmt.Sprintf(`crm:
  integrations:
    - name: zoho
      template: %q
      fields: %s
      lookup: {budget: 2s}
      popup: {trigger: ringing, unknown: new_contact, new_contact_url: %q}
extensions:
  - {number: "1001", name: "Agent Ringing"}
  - {number: "1002", name: "Agent Answered", popup: {trigger: answered}}
  - {number: "1003", name: "Agent Manual", popup: {trigger: manual}}
`, path, fields, e.newContactURL())
	e.d = startDaemon(t, daemonOpts{tr: transports[0], upstream: e.uasPort, extra: extra,
		sip: "  lookup_budget: 3s\n  extensions: [\"1001-1003\"]\n"})
	for _, ext := range []string{"1001", "1002", "1003"} {
		out, err := cli(t, "token", "create", "--ext", ext, "--label", "popup e2e", "--config", e.d.cfgPath)
		if err != nil {
			t.Fatalf("token create --ext %s: %v\n%s", ext, err, out)
		}
		for _, f := range strings.Fields(out) {
			if len(f) >= 40 {
				e.tok[ext] = f
			}
		}
		if e.tok[ext] == "" {
			t.Fatalf("no token in %q", out)
		}
	}
	e.browser = chromium.Tab{T: t, Ctx: chromium.Start(t)}
	return e
}

// newContactURL is the CRM's new-contact page (on the double).
func (e *popupEnv) newContactURL() string { return e.z.URL + "/crm/new-contact" }

// recordURL is the page the Zoho template renders for contact id.
func (e *popupEnv) recordURL(id string) string {
	return e.z.URL + "/crm/" + crmtest.ZohoOrgDomain + "/tab/Contacts/" + id
}

// call starts one SIPp call from number to ext (the callee rings 2.5 s,
// then answers; the caller hangs up 200 ms later); wait for it with done.
// An empty name expects the caller to keep the name it sent.
func (e *popupEnv) call(t *testing.T, ext, number, name string) (done func()) {
	t.Helper()
	tr := transports[0]
	c := plainCaller(number)
	chk := unnamed(c)
	if name != "" {
		chk = named(`"` + name + `"`)
	}
	uas := startUAS(t, renderUAS(t, "popup_answer", chk), tr, e.uasPort, 1)
	uac := startUAC(t, "answer", tr, e.d.target(), ext, c)
	return func() {
		t.Helper()
		if code, ucode := uac.wait(t), uas.wait(t); code != 0 || ucode != 0 {
			t.Fatalf("uac exit %d, uas exit %d\n%s\n%s\n--- daemon log:\n%s", code, ucode, uac.report(), uas.report(), e.d.logTail(30))
		}
	}
}

// adminPatch sends PATCH path with body and the daemon's CLI admin token.
func (e *popupEnv) adminPatch(t *testing.T, path, body string) {
	t.Helper()
	tok, err := os.ReadFile(filepath.Join(filepath.Dir(e.d.cfgPath), "data", "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPatch, e.d.admin+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH %s: %s", path, res.Status)
	}
}

// seen counts the daemon's call events of kind.
func (d *daemon) seen(kind string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, ev := range d.evs {
		if ev["kind"] == kind {
			n++
		}
	}
	return n
}

// TestPopupOpensCRMRecord: a SIPp call through the real daemon to an
// extension whose caller the CRM knows opens the caller's CRM record in a
// new browser tab at the extension's trigger.
func TestPopupOpensCRMRecord(t *testing.T) {
	e := startPopupDaemon(t)
	p := e.browser

	t.Run("ringing_1001", func(t *testing.T) {
		p.T = t
		addContact(e.z, "c-1001", "Rita", "Ringing", "+49 30 5551001")
		p.SignInPopup(e.d.admin, e.tok["1001"])
		tabs := chromium.Watch(p.Ctx)
		answered := e.d.seen("answered")
		done := e.call(t, "1001", "+49305551001", "Rita Ringing")
		if n := tabs.WaitURL(e.recordURL("c-1001"), 15*time.Second); n != 1 {
			t.Fatalf("%d tabs show %s; tabs %v", n, e.recordURL("c-1001"), tabs.URLs())
		}
		if e.d.seen("answered") != answered {
			t.Errorf("the record opened only after the answer (trigger ringing)")
		}
		done()
	})

	t.Run("answered_1002_nothing_before_200", func(t *testing.T) {
		p.T = t
		addContact(e.z, "c-1002", "Anna", "Answer", "+49 30 5551002")
		p.SignInPopup(e.d.admin, e.tok["1002"])
		tabs := chromium.Watch(p.Ctx)
		answered := e.d.seen("answered")
		done := e.call(t, "1002", "+49305551002", "Anna Answer")
		url := e.recordURL("c-1002")
		p.Do(chromedp.WaitVisible(chromedp.CSS(`#call`)))
		if got := p.Text("#c-phase"); got != "ringing" {
			t.Fatalf("the page shows %q, want ringing (the callee rings 2.5 s)", got)
		}
		if n := tabs.WaitURL(url, time.Second); n != 0 || e.d.seen("answered") != answered {
			t.Fatalf("while ringing: %d tabs show the record, answered events %d->%d; want no tab before the 200 OK", n, answered, e.d.seen("answered"))
		}
		if n := tabs.WaitURL(url, 15*time.Second); n != 1 {
			t.Fatalf("%d tabs show %s after the answer; tabs %v", n, url, tabs.URLs())
		}
		if e.d.seen("answered") == answered {
			t.Errorf("the record opened before the daemon saw the 200 OK")
		}
		done()
	})

	t.Run("manual_1003_button", func(t *testing.T) {
		p.T = t
		addContact(e.z, "c-1003", "Manu", "Manual", "+49 30 5551003")
		p.SignInPopup(e.d.admin, e.tok["1003"])
		tabs := chromium.Watch(p.Ctx)
		done := e.call(t, "1003", "+49305551003", "Manu Manual")
		url := e.recordURL("c-1003")
		p.Do(chromedp.WaitVisible(chromedp.CSS("#open-crm")))
		if n := tabs.WaitURL(url, time.Second); n != 0 {
			t.Fatal("manual mode opened the record by itself")
		}
		p.Do(chromedp.Click(chromedp.CSS("#open-crm")))
		if n := tabs.WaitURL(url, 15*time.Second); n != 1 {
			t.Fatalf("%d tabs show %s after Open in CRM; tabs %v", n, url, tabs.URLs())
		}
		done()
		// The finished call stays in the recent list with its record link.
		p.Do(chromedp.WaitVisible(chromedp.CSS(`#recent a[href="` + url + `"]`)))
	})
	t.Run("unknown_caller_new_contact_1001", func(t *testing.T) {
		p.T = t
		p.SignInPopup(e.d.admin, e.tok["1001"])
		tabs := chromium.Watch(p.Ctx)
		done := e.call(t, "1001", "+49305559999", "")
		if n := tabs.WaitURL(e.newContactURL(), 15*time.Second); n != 1 {
			t.Fatalf("%d tabs show the new-contact page; tabs %v", n, tabs.URLs())
		}
		done()
	})
	t.Run("api_sets_1001_manual", func(t *testing.T) {
		p.T = t
		e.adminPatch(t, "/api/v1/extensions/1001", `{"popup": {"trigger": "manual"}}`)
		addContact(e.z, "c-1004", "Ada", "Api", "+49 30 5551004")
		p.SignInPopup(e.d.admin, e.tok["1001"])
		tabs := chromium.Watch(p.Ctx)
		done := e.call(t, "1001", "+49305551004", "Ada Api")
		p.Do(chromedp.WaitVisible(chromedp.CSS("#open-crm")))
		if n := tabs.WaitURL(e.recordURL("c-1004"), time.Second); n != 0 {
			t.Fatal("the record opened by itself after the API set manual mode")
		}
		done()
	})
	if n := sumMetric(e.d.metrics(t), "cidproxy_popup_popups_total"); n != 3 {
		t.Errorf("popups_total = %v, want 3 (two ringing, one answered; manual sends none)", n)
	}
}
