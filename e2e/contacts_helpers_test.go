package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pbSeed creates, through the API, the phonebooks, company
// contacts, personal contacts and prefix rule the per-callee tests use
// (see the table in contacts_test.go).
func pbSeed(t *testing.T, d *pbDaemon) {
	t.Helper()
	const created = http.StatusCreated
	d.api(t, "POST", "/api/v1/phonebooks", pbObj{"id": "sales", "name": "Sales", "view": []string{"1001"}}, created)
	d.api(t, "POST", "/api/v1/phonebooks", pbObj{"id": "support", "name": "Support"}, created) // visible to no one
	for _, c := range []pbObj{
		{"id": "sam", "first_name": "Sam", "last_name": "Sales", "business_number": "+49 30 111222", "phonebooks": []string{"sales"}},
		{"id": "paula", "first_name": "Paula", "last_name": "Company", "business_number": "+4930777888", "phonebooks": []string{"sales"}},
		{"id": "sue", "first_name": "Sue", "last_name": "Support", "business_number": "030 555666", "phonebooks": []string{"support"}},
		{"id": "hank", "first_name": "Hank", "last_name": "Hidden", "mobile_number": "+49 40 333444"},
		{"id": "mia", "first_name": "Mia", "last_name": "Multi", "other_number": "+4930888999", "phonebooks": []string{"support", "sales"}},
	} {
		d.api(t, "POST", "/api/v1/contacts", c, created)
	}
	d.api(t, "POST", "/api/v1/extensions/1002/contacts", pbObj{"id": "my-sam", "first_name": "My Sam", "mobile_number": "030 111222"}, created)
	d.api(t, "POST", "/api/v1/extensions/1001/contacts", pbObj{"id": "paula-private", "first_name": "Paula", "last_name": "Private", "home_number": "0049 30 777888"}, created)
	d.api(t, "POST", "/api/v1/prefixes", pbObj{"id": "berlin-11", "prefix": "+493011*", "name": "Berlin 11 Prefix"}, created)
}

// pbCall is one call through the proxy for the per-callee tests.
type pbCall struct {
	name string
	flow string // pb_uac_/pb_uas_<flow>.xml: busy, answer or cancel
	from caller
	ruri string // Request-URI user sent ("" = the To user)
	to   string // To user (sipp -s)
	// extra holds up to two headers (name, value) the caller adds, e.g.
	// X-Cid-Phonebook: Sales as a spoofing attempt, or Privacy: id.
	extra [][2]string
	want  pbWant
}

// pbWant is what the callee must see and the daemon must log.
type pbWant struct {
	name      string // contact name ("" = caller stays unnamed)
	source    string // X-Cid-Source and event source
	contactID string // event contact_id
	phonebook string // X-Cid-Phonebook value ("" = header absent)
	ruri      string // Request-URI user at the callee ("" = as sent)
	direction string // event direction ("" = inbound)
}

func (c pbCall) sentRURI() string {
	if c.ruri != "" {
		return c.ruri
	}
	return c.to
}

func (c pbCall) gotRURI() string {
	if c.want.ruri != "" {
		return c.want.ruri
	}
	return c.sentRURI()
}

// pbChecks returns the SIPp <ereg> actions that enforce w at the callee.
func (c pbCall) pbChecks() []string {
	w := c.want
	var out []string
	add := func(search, header, re, v string, inverse bool) {
		hdr := ""
		if header != "" {
			hdr = fmt.Sprintf(` header="%s:"`, header)
		}
		mode := "check_it"
		if inverse {
			mode = "check_it_inverse"
		}
		out = append(out, fmt.Sprintf(`<ereg regexp="%s" search_in="%s"%s %s="true" assign_to="%s"/>`,
			xmlAttr(re), search, hdr, mode, v))
	}
	add("msg", "", `^INVITE sips?:`+ereQuote(c.gotRURI())+`@`, "chk_ruri", false)
	if w.name != "" {
		q := `"` + w.name + `"`
		add("hdr", "From", displayRE(q), "chk_from", false)
		add("hdr", "P-Asserted-Identity", displayRE(q), "chk_pai", false)
		add("hdr", "Remote-Party-ID", displayRE(q), "chk_rpid", false)
		add("hdr", "X-Cid-Source", `^ *`+ereQuote(w.source)+` *$`, "chk_src", false)
	} else {
		from := noDisplayRE(c.from.User)
		if c.from.Display != "" {
			from = displayRE(c.from.Display)
		}
		add("hdr", "From", from, "chk_from", false)
		add("hdr", "P-Asserted-Identity", noDisplayRE(c.from.PAI), "chk_pai", false)
		add("hdr", "Remote-Party-ID", noDisplayRE(c.from.PAI), "chk_rpid", false)
		add("hdr", "X-Cid-Source", `.`, "chk_src", true)
	}
	if w.phonebook != "" {
		add("hdr", "X-Cid-Phonebook", `^ *`+ereQuote(w.phonebook)+` *$`, "chk_pb", false)
	} else {
		add("hdr", "X-Cid-Phonebook", `.`, "chk_pb", true)
	}
	return out
}

// cancelCheck is the callee's check on the CANCEL of the cancel flow: it
// must carry the Request-URI of the INVITE as forwarded (RFC 3261 9.1).
func (c pbCall) cancelCheck() string {
	return fmt.Sprintf(`<ereg regexp="%s" search_in="msg" check_it="true" assign_to="chk_cancel_ruri"/>`,
		xmlAttr(`^CANCEL sips?:`+ereQuote(c.gotRURI())+`@`))
}

// renderPBUAS writes testdata/pb_uas_<flow>.xml with the checks of c
// filled in.
func renderPBUAS(t *testing.T, c pbCall) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "pb_uas_"+c.flow+".xml"))
	if err != nil {
		t.Fatal(err)
	}
	checks := c.pbChecks()
	out := strings.Replace(string(src), "<!--CHECKS-->", strings.Join(checks, "\n      "), 1)
	if c.flow == "cancel" {
		out = strings.Replace(out, "<!--CANCEL_CHECKS-->", c.cancelCheck(), 1)
		checks = append(checks, c.cancelCheck())
	}
	var refs []string
	for _, c := range checks {
		_, v, _ := strings.Cut(c, `assign_to="`)
		v, _, _ = strings.Cut(v, `"`)
		refs = append(refs, v)
	}
	out = strings.Replace(out, "<!--REFS-->", `<Reference variables="`+strings.Join(refs, ",")+`"/>`, 1)
	path := filepath.Join(t.TempDir(), "pb_uas_"+c.flow+".xml")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runPBUAC runs a sipp caller playing testdata/pb_uac_<flow>.xml for c.
func runPBUAC(t *testing.T, c pbCall, tr transport, target string) *sippRun {
	t.Helper()
	r := newRun(t, "uac")
	inf := filepath.Join(filepath.Dir(r.msgFile), "callers.csv")
	if len(c.extra) > 2 {
		t.Fatalf("%s: %d extra headers, the scenario has room for 2", c.name, len(c.extra))
	}
	hs := [2][2]string{{"X-E2e-Probe-1", "1"}, {"X-E2e-Probe-2", "2"}}
	copy(hs[:], c.extra)
	line := fmt.Sprintf("SEQUENTIAL\n%s;%s;%s;%s;%s;%s;%s;%s;\n",
		c.from.User, c.from.Display, c.from.PAI, c.sentRURI(), hs[0][0], hs[1][0], hs[0][1], hs[1][1])
	if err := os.WriteFile(inf, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	scenario, _ := filepath.Abs(filepath.Join("testdata", "pb_uac_"+c.flow+".xml"))
	args := append(r.baseArgs(scenario, tr, freePort(t), 1), "-inf", inf, "-s", c.to, "-d", "200", target)
	r.start(t, args)
	r.wait(t)
	return r
}

// pbRun places c through d with the callee on uasPort and returns both
// sipp runs after they ended; it does not judge them.
func pbRun(t *testing.T, d *pbDaemon, tr transport, uasPort int, c pbCall) (uac, uas *sippRun, uasCode int) {
	t.Helper()
	d.alive(t)
	uas = startUAS(t, renderPBUAS(t, c), tr, uasPort, 1)
	uac = runPBUAC(t, c, tr, d.target())
	return uac, uas, uas.wait(t)
}

// pbKinds are the lifecycle events of each flow.
var pbKinds = map[string][]string{
	"busy":   {"busy"},
	"answer": {"ringing", "answered", "ended"},
	"cancel": {"ringing", "cancelled"},
}
