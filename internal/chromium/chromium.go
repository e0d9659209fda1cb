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
