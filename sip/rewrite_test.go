package sip

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func parseFile(t testing.TB, name string) *sip.Request {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := sip.ParseMessage(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		t.Fatalf("%s: not a request", name)
	}
	return req
}

func TestSetDisplayName(t *testing.T) {
	const q = `Alice \"A\"`
	for _, tc := range []struct{ in, want string }{
		{`<sip:1@h>`, `"Alice \"A\"" <sip:1@h>`},
		{`"Old" <sip:1@h;user=phone>;party=calling`, `"Alice \"A\"" <sip:1@h;user=phone>;party=calling`},
		{`Old Name <sip:1@h>`, `"Alice \"A\"" <sip:1@h>`},
		{`"a\"b,<c>" <sip:1@h>`, `"Alice \"A\"" <sip:1@h>`},
		{`sip:1@h;party=calling`, `"Alice \"A\"" <sip:1@h>;party=calling`},
		{`tel:+4930123`, `"Alice \"A\"" <tel:+4930123>`},
		{`<sip:1@h>, <tel:+49301>`, `"Alice \"A\"" <sip:1@h>, "Alice \"A\"" <tel:+49301>`},
		{`"X" <sip:a,b@h>,"Y" <tel:1>`, `"Alice \"A\"" <sip:a,b@h>,"Alice \"A\"" <tel:1>`},
	} {
		got, ok := setDisplayName(tc.in, q)
		if !ok || got != tc.want {
			t.Errorf("setDisplayName(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	for _, bad := range []string{``, `"unterminated <sip:1@h>`, `"name" sip:1@h`, `<sip:1@h`, `nouri`, `<sip:1@h>,`} {
		if got, ok := setDisplayName(bad, q); ok || got != bad {
			t.Errorf("setDisplayName(%q) = %q, %v; want unchanged, false", bad, got, ok)
		}
	}
}

func TestCallerNumber(t *testing.T) {
	for _, tc := range []struct {
		file     string
		trustPAI bool
		want     string
	}{
		{"invite_full.sip", false, "+4930123456"},
		{"invite_full.sip", true, "+4930123456"},
		{"invite_tel.sip", false, "+4930123456"},
		{"invite_tel.sip", true, "+4930123456"},
		{"invite_compact.sip", false, "+4930123456"},
		{"invite_anonymous.sip", false, "anonymous"},
		{"invite_anonymous.sip", true, "+4930123456"},
	} {
		req := parseFile(t, tc.file)
		if got := callerNumber(req, tc.trustPAI); got != tc.want {
			t.Errorf("%s trustPAI=%v: %q, want %q", tc.file, tc.trustPAI, got, tc.want)
		}
	}
	exts := extensions{{lo: 1000, hi: 1999, width: 4}}
	if got := calleeNumber(parseFile(t, "invite_tel.sip"), exts); got != "+4989123" {
		t.Errorf("callee of tel INVITE = %q", got)
	}
	did := parseFile(t, "invite_full.sip") // R-URI 1001 (the phone), To the DID
	did.To().Address.User = "+4930555000"
	if got := calleeNumber(did, exts); got != "1001" {
		t.Errorf("callee with extension R-URI = %q, want 1001", got)
	}
	if got := calleeNumber(did, nil); got != "+4930555000" {
		t.Errorf("callee without extensions = %q, want the To user", got)
	}
}

func TestFirstAddressUser(t *testing.T) {
	for in, want := range map[string]string{
		`"A" <sip:%2B4930@h;user=phone>`: "+4930",
		`<sips:alice:pw@h>`:              "alice",
		`<tel:+4930;ext=1>, <sip:x@h>`:   "+4930",
		`sip:100@h;tag=1`:                "100",
		`<sip:h.example>`:                "",
		`<mailto:a@b>`:                   "",
		``:                               "",
	} {
		if got := firstAddressUser(in); got != want {
			t.Errorf("firstAddressUser(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWithheld(t *testing.T) {
	if !withheld(parseFile(t, "invite_anonymous.sip")) {
		t.Error("anonymous INVITE not withheld")
	}
	if withheld(parseFile(t, "invite_full.sip")) {
		t.Error("normal INVITE withheld")
	}
	req := parseFile(t, "invite_full.sip")
	req.AppendHeader(sip.NewHeader("privacy", "header; user"))
	if !withheld(req) {
		t.Error("Privacy: user not withheld")
	}
	req = parseFile(t, "invite_full.sip")
	req.AppendHeader(sip.NewHeader("Privacy", "none"))
	if withheld(req) {
		t.Error("Privacy: none withheld")
	}
}

func TestRewriteInviteFiles(t *testing.T) {
	const name = `Müller \"M\"`
	for _, tc := range []struct {
		file                 string
		wantPAI, wantRPID    []string
		untouchedHeaderNames []string
	}{
		{"invite_full.sip",
			[]string{`"` + name + `" <sip:+4930123456@trunk.example.net;user=phone>`, `"` + name + `" <tel:+4930123456>`},
			[]string{`"` + name + `" <sip:+4930123456@trunk.example.net>;party=calling;screen=yes;privacy=off`},
			[]string{"Contact", "Allow", "Supported", "User-Agent", "To", "Call-ID", "CSeq", "Via"}},
		{"invite_tel.sip", []string{`"` + name + `" <tel:+4930123456>`}, nil, []string{"Contact", "To"}},
		{"invite_compact.sip", nil, []string{`"` + name + `" <sip:+4930123456@192.0.2.30>;party=calling`}, []string{"Contact", "To"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			orig := parseFile(t, tc.file)
			req := orig.Clone()
			rewriteInvite(req, name, "company")
			out, err := sip.ParseMessage([]byte(req.String()))
			if err != nil {
				t.Fatalf("re-parse: %v\n%s", err, req.String())
			}
			got := out.(*sip.Request)
			if d := got.From().DisplayName; d != name {
				t.Errorf("From display %q", d)
			}
			if a, b := got.From().Params.String(), orig.From().Params.String(); a != b {
				t.Errorf("From params %q, want %q", a, b)
			}
			if a, b := got.From().Address.String(), orig.From().Address.String(); a != b {
				t.Errorf("From URI %q, want %q", a, b)
			}
			checkValues(t, got, "P-Asserted-Identity", tc.wantPAI)
			checkValues(t, got, "Remote-Party-ID", tc.wantRPID)
			for _, h := range tc.untouchedHeaderNames {
				if a, b := values(got, h), values(orig, h); a != b {
					t.Errorf("%s changed: %q -> %q", h, b, a)
				}
			}
			if string(got.Body()) != string(orig.Body()) {
				t.Error("body changed")
			}
			if v := values(got, "X-Cid-Source"); v != "company" {
				t.Errorf("X-Cid-Source %q", v)
			}
			if orig.From().DisplayName == name || values(orig, "P-Asserted-Identity") == values(got, "P-Asserted-Identity") && tc.wantPAI != nil {
				t.Error("the original request was modified")
			}
		})
	}
}

func TestRewriteInviteReplacesSpoofedSource(t *testing.T) {
	req := parseFile(t, "invite_full.sip")
	req.AppendHeader(sip.NewHeader("x-cid-source", "forged"))
	rewriteInvite(req, "N", "crm")
	if v := values(req, "X-Cid-Source"); v != "crm" {
		t.Errorf("X-Cid-Source = %q, want only crm", v)
	}
	req = parseFile(t, "invite_full.sip")
	rewriteInvite(req, "N", "bad value\r\nX: y")
	if v := values(req, "X-Cid-Source"); v != "other" {
		t.Errorf("untrusted source rendered as %q", v)
	}
}

func values(r *sip.Request, name string) string {
	var vs []string
	for _, h := range r.GetHeaders(name) {
		vs = append(vs, h.Value())
	}
	return strings.Join(vs, " | ")
}

func checkValues(t *testing.T, r *sip.Request, name string, want []string) {
	t.Helper()
	if got := values(r, name); got != strings.Join(want, " | ") {
		t.Errorf("%s:\n got %q\nwant %q", name, got, strings.Join(want, " | "))
	}
}

func FuzzRewriteInvite(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.sip"))
	for _, fn := range files {
		data, err := os.ReadFile(fn)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "Alice \"A\" Müller")
		f.Add(data, "Evil\r\nVia: x\r\n\r\n")
	}
	f.Fuzz(func(t *testing.T, raw []byte, name string) {
		msg, err := sip.ParseMessage(raw)
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok || req.From() == nil {
			return
		}
		if _, err := sip.ParseMessage([]byte(req.String())); err != nil {
			return // sipgo itself does not round-trip this input; not ours to judge
		}
		before := req.String()
		fwd := req.Clone()
		quoted := SanitizeName(name, 48)
		rewriteInvite(fwd, quoted, "company")
		if req.String() != before {
			t.Fatal("rewrite modified the original request")
		}
		out, err := sip.ParseMessage([]byte(fwd.String()))
		if err != nil {
			t.Fatalf("rewritten INVITE does not parse: %v\n%q", err, fwd.String())
		}
		got := out.(*sip.Request)
		if n := len(got.GetHeaders("From")); n != 1 {
			t.Fatalf("%d From headers", n)
		}
		if d := got.From().DisplayName; strings.ContainsAny(d, "\r\n") {
			t.Fatalf("CR/LF in display name %q", d)
		}
		if quoted != "" && got.From().DisplayName != quoted {
			t.Fatalf("display name %q, want %q", got.From().DisplayName, quoted)
		}
		if len(got.Headers()) != len(fwd.Headers()) {
			t.Fatalf("header count %d after re-parse, want %d", len(got.Headers()), len(fwd.Headers()))
		}
	})
}
