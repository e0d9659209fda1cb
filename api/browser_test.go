package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cidproxy/internal/chromium"
	"cidproxy/sip/event"
)

// crmDouble serves the record pages the popups open.
func crmDouble(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<!doctype html><title>CRM record</title><p>record "+r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestPopupPageInChromium signs in on /popup in headless Chromium and
// checks that the CRM record opens in a new tab at the trigger: at
// ringing (1001), only after the answer (1003), and by the "Open in CRM"
// button in manual mode (1002); with two tabs open it opens once.
func TestPopupPageInChromium(t *testing.T) {
	e := newStreamEnv(t, nil)
	crm := crmDouble(t)
	browser := chromium.Start(t)
	ctx := context.Background()
	call := func(kind event.Kind, id, ext string) string {
		ev := crmCall(kind, id, ext)
		ev.ContactURL = crm.URL + "/contacts/" + id
		e.hub.HandleEvent(ctx, ev)
		return ev.ContactURL
	}

	t.Run("ringing", func(t *testing.T) {
		p := chromium.Tab{T: t, Ctx: browser}
		p.SignInPopup(e.srv.URL, e.tok["1001"])
		tabs := chromium.Watch(browser)
		url := call(event.Ringing, "r1", "1001")
		if n := tabs.WaitURL(url, 15*time.Second); n != 1 {
			t.Fatalf("%d tabs show %s; tabs: %v; page says %q", n, url, tabs.URLs(), p.Text("#enable-box"))
		}
		if got := p.Text("#c-name"); got != "Ann CRM" {
			t.Errorf("live call name %q", got)
		}
		// A second tab of the same agent: the next record still opens once.
		second, cancel := chromedp.NewContext(browser)
		defer cancel()
		chromium.Tab{T: t, Ctx: second}.Do(chromedp.Navigate(e.srv.URL+"/popup"), chromedp.WaitVisible(chromedp.CSS(`body[data-stream="open"]`)))
		waitGauge(t, e.reg, "cidproxy_popup_clients", 2)
		url2 := call(event.Ringing, "r2", "1001")
		tabs.WaitURL(url2, 15*time.Second)
		time.Sleep(time.Second) // a second tab would open by now
		if n := tabs.WaitURL(url2, 0); n != 1 {
			t.Errorf("%d tabs show %s with two popup pages open; want 1", n, url2)
		}
		call(event.Ended, "r1", "1001")
		p.Do(chromedp.WaitVisible(chromedp.CSS(`#recent a[href$="/contacts/r1"]`)))
	})

	t.Run("answered", func(t *testing.T) {
		p := chromium.Tab{T: t, Ctx: browser}
		p.SignInPopup(e.srv.URL, e.tok["1003"])
		tabs := chromium.Watch(browser)
		url := call(event.Ringing, "a1", "1003")
		p.Do(chromedp.WaitVisible(chromedp.CSS("#call")))
		if n := tabs.WaitURL(url, 1500*time.Millisecond); n != 0 {
			t.Fatalf("the record opened while ringing (trigger answered)")
		}
		call(event.Answered, "a1", "1003")
		if n := tabs.WaitURL(url, 15*time.Second); n != 1 {
			t.Fatalf("%d tabs show %s after the answer; tabs %v", n, url, tabs.URLs())
		}
	})

	t.Run("manual", func(t *testing.T) {
		p := chromium.Tab{T: t, Ctx: browser}
		p.SignInPopup(e.srv.URL, e.tok["1002"])
		tabs := chromium.Watch(browser)
		url := call(event.Ringing, "m1", "1002")
		p.Do(chromedp.WaitVisible(chromedp.CSS("#open-crm")))
		if n := tabs.WaitURL(url, time.Second); n != 0 {
			t.Fatal("manual mode opened the record by itself")
		}
		p.Do(chromedp.Click(chromedp.CSS("#open-crm")))
		if n := tabs.WaitURL(url, 15*time.Second); n != 1 {
			t.Fatalf("%d tabs show %s after Open in CRM; tabs %v", n, url, tabs.URLs())
		}
	})
}
