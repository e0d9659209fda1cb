package e2e

import "testing"

// TestPerCalleeForgedHeaders has the caller send X-Cid-Phonebook and
// X-Cid-Source itself, with phonebook routes and sip.source_header
// configured. The callee must see only what the proxy decided: a PBX that
// sends X-Cid-Phonebook: Sales to the sales queue, or trusts X-Cid-Source,
// must not be steerable by the caller. A caller that matched no routed
// phonebook, or no contact at all, gets neither header (issue 3: "a caller
// not in Sales gets neither"); so does a caller who asked for privacy,
// who is not named even from the callee's personal contacts.
func TestPerCalleeForgedHeaders(t *testing.T) {
	needBinary(t)
	udp := transports[0]
	d, port := pbStartSeeded(t, pbOpts{tr: udp})
	spoof := [][2]string{{"X-Cid-Phonebook", "Sales"}, {"X-Cid-Source", "company"}}
	for _, c := range []pbCall{
		{name: "sales_caller_headers_replaced", flow: "busy", from: pbSam, to: "1001", want: pbSamSales,
			extra: [][2]string{{"x-cid-phonebook", "Support"}, {"X-CID-SOURCE", "personal"}}},
		{name: "personal_match_no_phonebook_header", flow: "busy", from: pbSam, to: "1002", want: pbMySam, extra: spoof},
		{name: "extension_caller_no_phonebook_header", flow: "busy", from: pbExt1002, to: "1001", want: pbBobDesk, extra: spoof},
		{name: "unnamed_caller_neither_header", flow: "busy", from: pbHank, to: "1001", extra: spoof},
		{name: "withheld_caller_not_named_neither_header", flow: "busy", from: pbSam, to: "1002",
			extra: [][2]string{{"Privacy", "id"}, {"X-Cid-Phonebook", "Sales"}}},
	} {
		t.Run(c.name, func(t *testing.T) { pbCallOK(t, d, udp, port, c) })
	}
}
