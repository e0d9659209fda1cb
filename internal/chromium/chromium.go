// Package chromium starts the Debian chromium package headless for
// tests (over the DevTools protocol with chromedp) and watches the tabs a
// page opens.
package chromium

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Path is where Debian's chromium package installs the browser;
// scripts/install-deps.sh installs it.
const Path = "/usr/bin/chromium"

// Start launches a headless Chromium with a fresh profile and returns
// the context of its first tab. Without Chromium the test fails when
// CI=true (it must run there) and is skipped, saying why, elsewhere.
// The popup blocker stays on, as in a user's browser.
func Start(t testing.TB) context.Context {
	t.Helper()
	if _, err := exec.LookPath(Path); err != nil {
		msg := "chromium is missing (" + Path + "): run scripts/install-deps.sh"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Path),
		chromedp.NoSandbox, // the tests run as root
		chromedp.NoFirstRun,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// The popup page keeps its stream while a CRM tab is in front.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first action starts the browser; it must not carry a timeout,
	// which would stop the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// Tabs records the pages the browser opens after Watch.
type Tabs struct {
	mu     sync.Mutex
	urls   map[target.ID]string
	order  []target.ID
	notify chan struct{}
}

// Watch starts recording new page targets (and their URL changes) of the
// browser behind ctx.
func Watch(ctx context.Context) *Tabs {
	tabs := &Tabs{urls: map[target.ID]string{}, notify: make(chan struct{}, 1)}
	self := chromedp.FromContext(ctx).Target.TargetID
	chromedp.ListenBrowser(ctx, func(ev any) {
		var info *target.Info
		switch e := ev.(type) {
		case *target.EventTargetCreated:
			info = e.TargetInfo
		case *target.EventTargetInfoChanged:
			info = e.TargetInfo
		}
		if info == nil || info.Type != "page" || info.TargetID == self {
			return
		}
		tabs.mu.Lock()
		if _, ok := tabs.urls[info.TargetID]; !ok {
			tabs.order = append(tabs.order, info.TargetID)
		}
		tabs.urls[info.TargetID] = info.URL
		tabs.mu.Unlock()
		select {
		case tabs.notify <- struct{}{}:
		default:
		}
	})
	return tabs
}

// URLs returns the current URL of every tab opened since Watch, in
// opening order.
func (t *Tabs) URLs() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.order))
	for _, id := range t.order {
		out = append(out, t.urls[id])
	}
	return out
}

// WaitURL waits up to d for a tab showing url and returns how many tabs
// show it.
func (t *Tabs) WaitURL(url string, d time.Duration) int {
	deadline := time.After(d)
	for {
		n := 0
		for _, u := range t.URLs() {
			if u == url {
				n++
			}
		}
		if n > 0 {
			return n
		}
		select {
		case <-t.notify:
		case <-deadline:
			return 0
		}
	}
}

// Tab drives one browser tab in a test.
type Tab struct {
	T   testing.TB
	Ctx context.Context
}

// Do runs steps within 20 s; on failure it fails the test with the text
// the page shows.
func (p Tab) Do(steps ...chromedp.Action[chromedp.Void]) {
	p.T.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.T.Fatalf("browser: %v; the page shows: %s", err, p.dump())
	}
}

func (p Tab) dump() string {
	ctx, cancel := context.WithTimeout(p.Ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + " | " + document.body.innerText`))
	return s
}

// Text returns the visible text of the first element matching sel.
func (p Tab) Text(sel string) string {
	p.T.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.T.Fatalf("browser: text of %s: %v; the page shows: %s", sel, err, p.dump())
	}
	return s
}

// SignInPopup opens the popup page at base+"/popup", signs in with token,
// waits for the live event stream and clicks "Enable popups" (the one
// user gesture the page asks for).
func (p Tab) SignInPopup(base, token string) {
	p.T.Helper()
	p.Do(
		chromedp.Navigate(base+"/popup"),
		chromedp.Evaluate[chromedp.Void](`localStorage.clear()`),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), token),
		chromedp.Click(chromedp.CSS("#signin-btn")),
		chromedp.WaitVisible(chromedp.CSS(`body[data-stream="open"]`)),
		chromedp.Click(chromedp.CSS("#enable")),
		chromedp.WaitVisible(chromedp.CSS("#enabled")),
	)
}
