package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The daemon serves the popup page and the event streams, and an open
// stream does not hold up shutdown (the admin listener's 5 s grace).
func TestServePopupStreamEndsOnShutdown(t *testing.T) {
	base, cfgPath, stop, out := startDaemon(t)
	tok, err := os.ReadFile(filepath.Join(filepath.Dir(cfgPath), "data", "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(base + "/popup")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /popup: %v %v", res, err)
	}
	res.Body.Close()

	res, err = http.Get(base + "/api/v1/extensions/1001/events?token=" + strings.TrimSpace(string(tok)))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("event stream: %v %v", res, err)
	}
	defer res.Body.Close()
	first, err := bufio.NewReader(res.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(first, "retry:") {
		t.Fatalf("stream starts with %q, %v", first, err)
	}
	start := time.Now()
	if code := stop(); code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out.String())
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("shutdown with an open stream took %s", d)
	}
	if _, err := io.ReadAll(res.Body); err != nil {
		t.Errorf("stream not ended cleanly: %v", err)
	}
}
