package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"cidproxy/sip/event"
)

// Per-callee caller names through the real binary (issue 3). The data,
// created through the management API by pbSeed:
//
//	extensions (YAML)  1001 Alice Agent, 1002 Bob Desk, 1003 Carol Lobby
//	phonebooks         sales "Sales" (view: 1001), support "Support" (view: none)
//	company contacts   sam     Sam Sales      +49 30 111222  in sales
//	                   paula   Paula Company  +4930777888    in sales
//	                   sue     Sue Support    030 555666     in support
//	                   hank    Hank Hidden    +49 40 333444  in no phonebook
//	                   mia     Mia Multi      +4930888999    in support and sales
//	personal contacts  1002: my-sam          My Sam         030 111222
//	                   1001: paula-private   Paula Private  0049 30 777888
//	prefix rule        berlin-11 +493011* Berlin 11 Prefix
//	phonebook routes   Sales -> X-Cid-Phonebook + Request-URI user 600
//	                   Support -> X-Cid-Phonebook only
//
// The resolver's order for a call to extension X: extension directory,
// X's personal contacts, company contacts in phonebooks X may view
// (all company contacts with identify_from_all_company_contacts), prefix
// rules. The phonebook route applies only to a company match through a
// phonebook the callee may view.

var (
	pbSam      = caller{User: "+4930111222", Display: `"+4930111222"`, PAI: "+4930111222"}
	pbSamNat   = caller{User: "030111222", Display: "", PAI: "030111222"}
	pbPaula    = caller{User: "+4930777888", Display: `"+4930777888"`, PAI: "+4930777888"}
	pbHank     = caller{User: "+4940333444", Display: `"+4940333444"`, PAI: "+4940333444"}
	pbMia      = caller{User: "+4930888999", Display: `"+4930888999"`, PAI: "+4930888999"}
	pbSue      = caller{User: "+4930555666", Display: `"+4930555666"`, PAI: "+4930555666"}
	pbExt1002  = caller{User: "1002", Display: `"1002"`, PAI: "1002"}
	pbSamSales = pbWant{name: "Sam Sales", source: "company", contactID: "sam", phonebook: "Sales", ruri: "600"}
	pbMySam    = pbWant{name: "My Sam", source: "personal", contactID: "my-sam"}
	pbBobDesk  = pbWant{name: "Bob Desk", source: "extension", contactID: "1002", direction: "internal"}
)

// Calls with the default configuration (phonebook visibility applies).
var (
	pbSamTo1001 = pbCall{name: "same_caller_1001_company_via_sales_routed", flow: "answer",
		from: pbSam, to: "1001", want: pbSamSales}
	pbSamTo1002 = pbCall{name: "same_caller_1002_personal", flow: "busy",
		from: pbSam, to: "1002", want: pbMySam}
	pbSamTo1003 = pbCall{name: "same_caller_1003_sees_no_phonebook_prefix_rule", flow: "busy",
		from: pbSam, to: "1003",
		want: pbWant{name: "Berlin 11 Prefix", source: "prefix", contactID: "berlin-11"}}
	pbSalesCancel = pbCall{name: "sales_caller_cancelled_after_request_uri_rewrite", flow: "cancel",
		from: pbSam, to: "1001", want: pbSamSales}
	pbExtCall = pbCall{name: "extension_1002_calls_1001", flow: "answer",
		from: pbExt1002, to: "1001", want: pbBobDesk}
)

var pbStaticCalls = []pbCall{
	pbSamTo1001, pbSamTo1002, pbSamTo1003,
	{name: "did_in_request_uri_callee_from_to_national_caller", flow: "busy",
		from: pbSamNat, ruri: "+4930999000", to: "1002", want: pbMySam},
	{name: "personal_beats_company_for_1001", flow: "busy",
		from: pbPaula, to: "1001",
		want: pbWant{name: "Paula Private", source: "personal", contactID: "paula-private"}},
	{name: "company_contact_in_no_visible_phonebook_unnamed", flow: "busy",
		from: pbHank, to: "1001"},
	{name: "contact_in_two_phonebooks_routed_by_visible_one", flow: "busy",
		from: pbMia, to: "1001",
		want: pbWant{name: "Mia Multi", source: "company", contactID: "mia", phonebook: "Sales", ruri: "600"}},
	{name: "contact_in_two_invisible_phonebooks_unnamed", flow: "busy",
		from: pbMia, to: "1002"},
	pbExtCall,
	pbSalesCancel,
}

// TestPerCalleeNames proves per-callee caller names end to end: the same
// caller named differently for three extensions, personal over company,
// phonebook visibility, extension names, phonebook routing (header and
// Request-URI), X-Cid-Source and the lifecycle events; over UDP and TCP,
// and with identify_from_all_company_contacts. The UDP leg also changes
// grants and contacts through the API between calls and proves that a
// wrong expectation fails the callee's checks.
func TestPerCalleeNames(t *testing.T) {
	needBinary(t)
	udp, tcp := transports[0], transports[1]
	t.Run("udp", func(t *testing.T) {
		t.Parallel()
		d, port := pbStartSeeded(t, pbOpts{tr: udp})
		for _, c := range pbStaticCalls {
			t.Run(c.name, func(t *testing.T) { pbCallOK(t, d, udp, port, c) })
		}
		t.Run("api_changes_apply_to_next_call", func(t *testing.T) { pbAPIChanges(t, d, udp, port) })
		t.Run("wrong_expectation_fails", func(t *testing.T) { pbWrongExpectations(t, d, udp, port) })
	})
	t.Run("tcp", func(t *testing.T) {
		t.Parallel()
		d, port := pbStartSeeded(t, pbOpts{tr: tcp})
		for _, c := range []pbCall{pbSamTo1001, pbSamTo1002, pbSamTo1003, pbExtCall, pbSalesCancel} {
			t.Run(c.name, func(t *testing.T) { pbCallOK(t, d, tcp, port, c) })
		}
	})
	t.Run("all_company_udp", func(t *testing.T) {
		t.Parallel()
		d, port := pbStartSeeded(t, pbOpts{tr: udp, allCompany: true})
		for _, c := range []pbCall{
			{name: "company_contact_in_no_phonebook_named", flow: "busy", from: pbHank, to: "1001",
				want: pbWant{name: "Hank Hidden", source: "company", contactID: "hank"}},
			// Named from an invisible phonebook, but not routed by it.
			{name: "invisible_phonebook_names_not_routes", flow: "busy", from: pbSam, to: "1003",
				want: pbWant{name: "Sam Sales", source: "company", contactID: "sam"}},
			{name: "visible_phonebook_still_routes", flow: "busy", from: pbSam, to: "1001", want: pbSamSales},
			{name: "personal_still_first", flow: "busy", from: pbSam, to: "1002", want: pbMySam},
		} {
			t.Run(c.name, func(t *testing.T) { pbCallOK(t, d, udp, port, c) })
		}
	})
}

// pbStartSeeded starts a daemon towards a fresh callee port and seeds it.
func pbStartSeeded(t *testing.T, o pbOpts) (*pbDaemon, int) {
	t.Helper()
	o.upstream = freePort(t)
	d := startPBDaemon(t, o)
	pbSeed(t, d)
	return d, o.upstream
}

// pbAPIChanges changes grants, personal contacts and an extension name
// through the API between calls; each change shows on the very next call.
func pbAPIChanges(t *testing.T, d *pbDaemon, tr transport, port int) {
	sueTo1003 := pbCall{flow: "busy", from: pbSue, to: "1003"}
	steps := []struct {
		name   string
		change func(t *testing.T)
		call   pbCall
		want   pbWant
	}{
		{"support_invisible_unnamed", nil, sueTo1003, pbWant{}},
		{"grant_view_names_and_routes", func(t *testing.T) {
			d.api(t, "PATCH", "/api/v1/phonebooks/support", pbObj{"view": []string{"1003"}}, http.StatusOK)
		}, sueTo1003, pbWant{name: "Sue Support", source: "company", contactID: "sue", phonebook: "Support"}},
		// Mia is in sales and support: the callee's visible phonebook routes.
		{"contact_in_two_phonebooks_routed_by_visible_one", nil, pbCall{flow: "busy", from: pbMia, to: "1003"},
			pbWant{name: "Mia Multi", source: "company", contactID: "mia", phonebook: "Support"}},
		{"personal_contact_added_wins", func(t *testing.T) {
			d.api(t, "POST", "/api/v1/extensions/1003/contacts",
				pbObj{"id": "sue-mine", "first_name": "Sue", "last_name": "Mine", "business_number": "+49 30 555666"}, http.StatusCreated)
		}, sueTo1003, pbWant{name: "Sue Mine", source: "personal", contactID: "sue-mine"}},
		{"personal_deleted_and_view_revoked_unnamed", func(t *testing.T) {
			d.api(t, "DELETE", "/api/v1/extensions/1003/contacts/sue-mine", nil, http.StatusNoContent)
			d.api(t, "PATCH", "/api/v1/phonebooks/support", pbObj{"view": []string{}}, http.StatusOK)
		}, sueTo1003, pbWant{}},
		{"extension_renamed", func(t *testing.T) {
			d.api(t, "PATCH", "/api/v1/extensions/1002", pbObj{"name": "Bob Renamed"}, http.StatusOK)
		}, pbCall{flow: "busy", from: pbExt1002, to: "1001"},
			pbWant{name: "Bob Renamed", source: "extension", contactID: "1002", direction: "internal"}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.change != nil {
				s.change(t)
			}
			c := s.call
			c.name, c.want = s.name, s.want
			pbCallOK(t, d, tr, port, c)
		})
	}
}

// pbWrongExpectations proves the callee's checks judge the proxy: each case
// expects something the proxy does not do, and the callee must fail the
// call naming the failed check, while the same call with the right
// expectation passed above.
func pbWrongExpectations(t *testing.T, d *pbDaemon, tr transport, port int) {
	cases := []struct {
		name string
		call pbCall
		mod  func(*pbWant)
		msg  string
	}{
		{"company_name_for_1002", pbSamTo1002, func(w *pbWant) { w.name = "Sam Sales" }, "Failed regexp match"},
		{"source_company_for_personal", pbSamTo1002, func(w *pbWant) { w.source = "company" }, "Failed regexp match"},
		{"no_phonebook_header_for_sales", pbSamTo1001, func(w *pbWant) { w.phonebook = "" }, "Regexp matched but should not"},
		{"request_uri_not_rewritten", pbSamTo1001, func(w *pbWant) { w.ruri = "1001" }, "Failed regexp match"},
		{"unnamed_for_1003", pbSamTo1003, func(w *pbWant) { *w = pbWant{} }, "Failed regexp match"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.call
			c.flow = "busy"
			tc.mod(&c.want)
			uac, uas, code := pbRun(t, d, tr, port, c)
			if code != 1 {
				t.Fatalf("uas exit %d, want 1 (the wrong expectation must fail the call)\n%s", code, uas.report())
			}
			if uac.code != 0 {
				t.Errorf("uac exit %d, want 0 (the callee still answers 486)\n%s", uac.code, uac.report())
			}
			if r := uas.report(); !strings.Contains(r, tc.msg) {
				t.Fatalf("uas error log does not contain %q:\n%s", tc.msg, r)
			}
		})
	}
}

// pbCallOK places c and checks sipp's verdicts, the INVITE the callee got
// against the one the caller sent, and the daemon's events.
func pbCallOK(t *testing.T, d *pbDaemon, tr transport, port int, c pbCall) {
	t.Helper()
	uac, uas, uasCode := pbRun(t, d, tr, port, c)
	if uac.code != 0 || uasCode != 0 {
		t.Fatalf("uac exit %d, uas exit %d\n%s\n%s\n--- daemon log:\n%s",
			uac.code, uasCode, uac.report(), uas.report(), d.logTail(30))
	}
	sent := firstMsg(t, readMessages(t, uac.msgFile), false, "INVITE ")
	recv := readMessages(t, uas.msgFile)
	got := firstMsg(t, recv, true, "INVITE ")
	checkPBInvite(t, sent, got, c)
	if c.flow == "cancel" { // same Request-URI and top Via as the forwarded INVITE
		can := firstMsg(t, recv, true, "CANCEL ")
		if a, b := strings.TrimPrefix(can.Start, "CANCEL "), strings.TrimPrefix(got.Start, "INVITE "); a != b {
			t.Errorf("CANCEL Request-URI %q, forwarded INVITE %q", a, b)
		}
		if a, b := can.Header("Via"), got.Header("Via"); len(a) != 1 || len(b) == 0 || a[0] != b[0] {
			t.Errorf("CANCEL Via %q, forwarded INVITE top Via %q", a, b)
		}
	}
	checkPBEvents(t, d, one(t, sent, "Call-ID"), c)
}

// checkPBInvite compares what the callee got with what the caller sent.
func checkPBInvite(t *testing.T, sent, got sipMsg, c pbCall) {
	t.Helper()
	w := c.want
	wantStart := strings.Replace(sent.Start, "sip:"+c.sentRURI()+"@", "sip:"+c.gotRURI()+"@", 1)
	if got.Start != wantStart {
		t.Errorf("callee got %q, want %q", got.Start, wantStart)
	}
	for _, h := range []string{"Call-ID", "CSeq", "To"} {
		if a, b := one(t, sent, h), one(t, got, h); a != b {
			t.Errorf("%s changed: sent %q, callee got %q", h, a, b)
		}
	}
	from, sentFrom := one(t, got, "From"), one(t, sent, "From")
	wantFrom := sentFrom
	if w.name != "" {
		wantFrom = `"` + w.name + `" ` + addrSpec(sentFrom)
	}
	if from != wantFrom {
		t.Errorf("From = %q, want %q", from, wantFrom)
	}
	pbHeaderIs(t, got, "X-Cid-Source", w.source)
	pbHeaderIs(t, got, "X-Cid-Phonebook", w.phonebook)
}

// pbHeaderIs checks that m has exactly one header h with value want, or
// none when want is "".
func pbHeaderIs(t *testing.T, m sipMsg, h, want string) {
	t.Helper()
	got := m.Header(h)
	if (want == "" && len(got) != 0) || (want != "" && !slices.Equal(got, []string{want})) {
		t.Errorf("%s = %q, want %q", h, got, want)
	}
}

// checkPBEvents checks the lifecycle events of the call: kinds, numbers,
// direction and, for a named caller, contact_name, contact_id and source.
func checkPBEvents(t *testing.T, d *pbDaemon, callID string, c pbCall) {
	t.Helper()
	w := c.want
	kinds0 := pbKinds[c.flow]
	evs := d.waitEvents(callID, kinds0[len(kinds0)-1], 3*time.Second)
	if k := kinds(evs); !slices.Equal(k, kinds0) {
		t.Fatalf("events for %s: %v, want %v\n%v", callID, k, kinds0, evs)
	}
	callee, dir := c.to, w.direction // the callee is the To user for these calls
	if dir == "" {
		dir = "inbound"
	}
	for _, e := range evs {
		want := map[string]any{"caller": event.MaskNumber(c.from.User), "callee": event.MaskNumber(callee), "direction": dir} // numbers masked at INFO
		if w.name != "" {
			want["contact_name"], want["contact_id"], want["source"], want["caller_name"] = w.name, w.contactID, w.source, w.name
		}
		for k, v := range want {
			if e[k] != v {
				t.Errorf("%s event: %s = %#v, want %#v", e["kind"], k, e[k], v)
			}
		}
		if w.name == "" {
			for _, k := range []string{"contact_name", "contact_id", "source"} {
				if v, ok := e[k]; ok && v != "" {
					t.Errorf("%s event for an unnamed caller has %s = %#v", e["kind"], k, v)
				}
			}
		}
	}
}
