package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCallsOnFullDisk (issue 15 item 1) puts the store on a 64 MiB tmpfs,
// fills it to 8 MiB free (enough to open, below the 36 MiB write reserve
// of a 1 MiB memtable) and starts the real daemon: calls are named from
// the in-memory index, an API write gets 507 and is counted; once the
// filler is removed the same daemon takes writes again and names a caller
// it learnt after the disk was freed. The old code died of SIGBUS in
// Badger writing to a memory-mapped file on a full file system. Without
// permission to mount, the reserve is set above any disk's free space
// instead (a simulated full disk) and the part after freeing is left out;
// the test log says which ran.
func TestCallsOnFullDisk(t *testing.T) {
	needBinary(t)
	udp := transports[0]
	l := leg{name: "udp", uac: udp, uas: udp}
	contacts, _ := filepath.Abs("testdata/contacts.csv")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o750); err != nil {
		t.Fatal(err)
	}
	store := "store:\n  memtable_size: 1MiB\n"
	real := syscall.Mount("tmpfs", data, "tmpfs", 0, "size=64m") == nil
	if real {
		t.Cleanup(func() { _ = syscall.Unmount(data, syscall.MNT_DETACH) })
		t.Log("store on a real 64 MiB tmpfs")
	} else {
		store += "  min_free_space: 900000GB\n"
		t.Log("mount not permitted: simulating a full disk with store.min_free_space above the free space")
	}
	uasPort := freePort(t)
	d := &daemon{sipPort: freePort(t), done: make(chan struct{})}
	adminPort := freePort(t)
	d.admin = fmt.Sprintf("http://127.0.0.1:%d", adminPort)
	d.cfgPath = writeConfig(t, dir, d.sipPort, adminPort, daemonOpts{tr: udp, upstream: uasPort})
	cfg, err := os.ReadFile(d.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.cfgPath, []byte(strings.Replace(string(cfg), "store:\n", store, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := cli(t, "contacts", "import", "-config", d.cfgPath, contacts); err != nil && real {
		t.Fatalf("contacts import: %v\n%s", err, out)
	}
	out, err := cli(t, "token", "create", "--admin", "-config", d.cfgPath)
	token := lastLongField(out)
	if real && (err != nil || token == "") {
		t.Fatalf("token create: %v\n%s", err, out)
	}
	filler := filepath.Join(data, "filler")
	if real {
		fillTo(t, filler, data, 8<<20)
	}
	d.launch(t)

	runCall(t, d, l, uasPort, callCases[4]) // +49 30 1234567: Alice, from memory
	zed := `{"first_name":"Zed","last_name":"Full","mobile_number":"0407777777"}`
	if code, body := apiPost(t, d, token, "/api/v1/contacts", zed); code != http.StatusInsufficientStorage && real {
		t.Fatalf("write on a full disk: %d %s, want 507", code, body)
	}
	if m := metricsText(t, d); !strings.Contains(m, `cidproxy_store_write_errors_total{reason="disk_full"}`) || strings.Contains(m, `cidproxy_store_write_errors_total{reason="disk_full"} 0`) {
		t.Errorf("refused write not counted:\n%s", m)
	}
	d.alive(t)
	if !real {
		return
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if code, body := apiPost(t, d, token, "/api/v1/contacts", zed); code != http.StatusCreated {
		t.Fatalf("write after freeing space: %d %s, want 201", code, body)
	}
	runCall(t, d, l, uasPort, callCase{name: "learnt_after_freeing", flow: "busy",
		caller: caller{User: "0407777777", PAI: "0407777777"},
		check:  named(`"Zed Full"`), kinds: []string{"busy"}, contact: "Zed Full", source: "company"})
}

// fillTo writes file until the file system of dir has at most leave bytes free.
func fillTo(t *testing.T, file, dir string, leave uint64) {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 256<<10)
	for {
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err != nil {
			t.Fatal(err)
		}
		free := st.Bavail * uint64(st.Bsize)
		if free <= leave {
			t.Logf("store file system: %d KiB free", free>>10)
			return
		}
		if _, err := f.Write(chunk[:min(uint64(len(chunk)), free-leave)]); err != nil {
			t.Fatalf("fill: %v", err)
		}
	}
}

func lastLongField(s string) string {
	tok := ""
	for _, f := range strings.Fields(s) {
		if len(f) >= 40 {
			tok = f
		}
	}
	return tok
}

func apiPost(t *testing.T, d *daemon, token, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", d.admin+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func metricsText(t *testing.T, d *daemon) string {
	t.Helper()
	res, err := http.Get(d.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}
