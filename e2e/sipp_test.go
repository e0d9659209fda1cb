package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// transport is one SIP transport as SIPp and cidproxy spell it.
type transport struct {
	Name  string // udp, tcp (cidproxy listen URL scheme, test names)
	SIPpT string // sipp -t value: u1 (one UDP socket), t1 (one TCP connection)
}

var transports = []transport{{Name: "udp", SIPpT: "u1"}, {Name: "tcp", SIPpT: "t1"}}

// caller is what the UAC puts into one INVITE (the -inf injection fields).
type caller struct {
	User    string // From user part (field0)
	Display string // From display name as sent, raw (field1), e.g. `"0301234567"`
	PAI     string // P-Asserted-Identity and Remote-Party-ID user (field2)
}

// nameCheck holds POSIX extended regular expressions the UAS applies with
// <ereg check_it="true"> to the value of each header; "" = no check.
type nameCheck struct {
	From, PAI, RPID string
}

// displayRE returns an ERE that matches a header value whose display name
// is exactly the quoted-string q as it must appear on the wire (with its
// quotes and escapes), followed by a name-addr.
func displayRE(q string) string {
	return `^ *` + ereQuote(q) + ` *<`
}

// noDisplayRE matches a header value without a display name for user.
func noDisplayRE(user string) string {
	return `^ *<sips?:` + ereQuote(user) + `@`
}

// ereQuote escapes s for a POSIX extended regular expression.
func ereQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.[]()*+?{}|^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// xmlAttr escapes s for an attribute value of a SIPp scenario. SIPp's XML
// reader also removes one level of backslash escapes ("\\" -> "\"), so
// backslashes are doubled first.
func xmlAttr(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

// renderUAS writes testdata/uas_<flow>.xml with the name checks filled in
// and returns the path of the copy.
func renderUAS(t *testing.T, flow string, chk nameCheck) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "uas_"+flow+".xml"))
	if err != nil {
		t.Fatal(err)
	}
	var checks, refs []string
	add := func(header, re, v string) {
		if re == "" {
			return
		}
		checks = append(checks, fmt.Sprintf(`<ereg regexp="%s" search_in="hdr" header="%s:" check_it="true" assign_to="%s"/>`,
			xmlAttr(re), header, v))
		refs = append(refs, v)
	}
	add("From", chk.From, "chk_from")
	add("P-Asserted-Identity", chk.PAI, "chk_pai")
	add("Remote-Party-ID", chk.RPID, "chk_rpid")
	out := strings.Replace(string(src), "<!--CHECKS-->", strings.Join(checks, "\n      "), 1)
	if len(refs) > 0 {
		out = strings.Replace(out, "<!--REFS-->", `<Reference variables="`+strings.Join(refs, ",")+`"/>`, 1)
	}
	path := filepath.Join(t.TempDir(), "uas_"+flow+".xml")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// freePort returns a loopback port that is free for both UDP and TCP at
// the time of the call.
func freePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// sippRun is one sipp process.
type sippRun struct {
	name    string
	cmd     *exec.Cmd
	done    chan struct{}
	code    int
	out     bytes.Buffer
	msgFile string
	errFile string
}

// sippArgs are the options every run gets: bounded in calls and time, a
// failed call or a timeout is a non-zero exit, messages and errors logged.
func (r *sippRun) baseArgs(scenario string, tr transport, localPort, calls int) []string {
	return []string{
		"-sf", scenario, "-i", "127.0.0.1", "-p", strconv.Itoa(localPort), "-t", tr.SIPpT,
		"-m", strconv.Itoa(calls), "-timeout", "20s", "-timeout_error", "-recv_timeout", "8000",
		"-nostdin", "-trace_err", "-error_file", r.errFile, "-trace_msg", "-message_file", r.msgFile,
		"-max_socket", "64",
	}
}

func newRun(t *testing.T, name string) *sippRun {
	dir := t.TempDir()
	return &sippRun{
		name:    name,
		done:    make(chan struct{}),
		msgFile: filepath.Join(dir, name+"_messages.log"),
		errFile: filepath.Join(dir, name+"_errors.log"),
	}
}

func (r *sippRun) start(t *testing.T, args []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	r.cmd = exec.CommandContext(ctx, sippPath, args...)
	r.cmd.Stdout = &r.out
	r.cmd.Stderr = &r.out
	r.cmd.Dir = filepath.Dir(r.msgFile)
	if err := r.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("%s: start sipp: %v", r.name, err)
	}
	go func() {
		defer cancel()
		err := r.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
			r.code = 0
		case errors.As(err, &ee):
			r.code = ee.ExitCode()
		default:
			r.code = -1000
		}
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			r.cmd.Process.Kill()
			<-r.done
		}
	})
}

// wait waits for the run to end and returns its exit code.
func (r *sippRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(45 * time.Second):
		t.Fatalf("%s: sipp did not exit", r.name)
	}
	return r.code
}

// report returns the error log and the last output lines for a failure message.
func (r *sippRun) report() string {
	errs, _ := os.ReadFile(r.errFile)
	msgs, _ := os.ReadFile(r.msgFile)
	return fmt.Sprintf("--- %s exit %d; errors:\n%s\n--- messages:\n%s", r.name, r.code, errs, tail(string(msgs), 6000))
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// startUAS starts a sipp callee playing flow on port and waits until it
// listens.
func startUAS(t *testing.T, scenario string, tr transport, port, calls int) *sippRun {
	t.Helper()
	r := newRun(t, "uas")
	r.start(t, r.baseArgs(scenario, tr, port, calls))
	waitListening(t, tr.Name, port, r)
	return r
}

// runUAC runs a sipp caller playing testdata/uac_<flow>.xml towards target
// (host:port) for the callers given, one call each, and waits for it.
func runUAC(t *testing.T, flow string, tr transport, target, callee string, callers ...caller) *sippRun {
	t.Helper()
	r := startUAC(t, flow, tr, target, callee, callers...)
	r.wait(t)
	return r
}

// startUAC is runUAC without the wait.
func startUAC(t *testing.T, flow string, tr transport, target, callee string, callers ...caller) *sippRun {
	t.Helper()
	r := newRun(t, "uac")
	inf := filepath.Join(filepath.Dir(r.msgFile), "callers.csv")
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	for _, c := range callers {
		fmt.Fprintf(&b, "%s;%s;%s;\n", c.User, c.Display, c.PAI)
	}
	if err := os.WriteFile(inf, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	scenario, _ := filepath.Abs(filepath.Join("testdata", "uac_"+flow+".xml"))
	args := append(r.baseArgs(scenario, tr, freePort(t), len(callers)),
		"-inf", inf, "-s", callee, "-d", "200", "-r", "10", target)
	r.start(t, args)
	return r
}

// waitListening polls /proc/net until something listens on port.
func waitListening(t *testing.T, proto string, port int, r *sippRun) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if listening(proto, port) {
			return
		}
		if r != nil {
			select {
			case <-r.done:
				t.Fatalf("%s exited before listening:\n%s\n%s", r.name, r.out.String(), r.report())
			default:
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s port %d after 5 s", proto, port)
}

// listening reads /proc/net/{udp,tcp}[6] for a socket bound to port
// (TCP: in LISTEN state).
func listening(proto string, port int) bool {
	want := fmt.Sprintf(":%04X", port)
	for _, f := range []string{"/proc/net/" + proto, "/proc/net/" + proto + "6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 4 || !strings.HasSuffix(fs[1], want) {
				continue
			}
			if proto == "udp" || fs[3] == "0A" {
				return true
			}
		}
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }
