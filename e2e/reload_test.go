package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReloadUnderLoadLosesNoCall places answered calls through the real
// binary while the configuration is reloaded over and over (SIGHUP and
// POST /api/v1/reload in turn): every call completes, every INVITE still
// gets its caller's name, and the daemon stays up.
func TestReloadUnderLoadLosesNoCall(t *testing.T) {
	needBinary(t)
	contacts, _ := filepath.Abs("testdata/contacts.csv")
	udp := transports[0]
	uasPort := freePort(t)
	d := startDaemon(t, daemonOpts{tr: udp, upstream: uasPort, contacts: contacts})
	tok, err := os.ReadFile(filepath.Join(filepath.Dir(d.cfgPath), "data", "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	const calls = 30 // at 10 calls/s: about 3 s of calls with 200 ms each
	uas := startUAS(t, renderUAS(t, "answer", named(alice)), udp, uasPort, calls)
	callers := make([]caller, calls)
	for i := range callers {
		callers[i] = caller{User: "0301234567", Display: `"0301234567"`, PAI: "0301234567"}
	}
	uacDone := make(chan *sippRun, 1)
	go func() { uacDone <- runUAC(t, "answer", udp, d.target(), "100", callers...) }()

	reloads := 0
	var uac *sippRun
	for uac == nil {
		select {
		case uac = <-uacDone:
			continue
		case <-time.After(150 * time.Millisecond):
		}
		if reloads%2 == 0 {
			d.cmd.Process.Signal(syscall.SIGHUP)
		} else {
			req, _ := http.NewRequest("POST", d.admin+"/api/v1/reload", nil)
			req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("POST /api/v1/reload: %v %v", res, err)
			}
			res.Body.Close()
		}
		reloads++
	}
	if uasCode := uas.wait(t); uac.code != 0 || uasCode != 0 {
		t.Fatalf("calls lost during reloads: uac exit %d, uas exit %d\n%s\n%s\n%s", uac.code, uasCode, uac.report(), uas.report(), d.logTail(30))
	}
	d.alive(t)
	d.mu.Lock()
	logged := 0
	for _, l := range d.lines {
		if strings.Contains(l, `"msg":"configuration reloaded"`) {
			logged++
		}
	}
	d.mu.Unlock()
	if reloads < 10 || logged < reloads-1 {
		t.Errorf("%d reloads sent, %d logged: the load did not overlap the reloads", reloads, logged)
	}
}
