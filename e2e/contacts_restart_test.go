package e2e

import (
	"net/http"
	"testing"
)

// TestPerCalleeAfterRestart restarts the daemon over its store (TCP on
// both legs) and proves that grants, personal contacts and prefix rules
// written through the API still name callers per callee; then an
// extension token (created while the daemon is down) adds a personal
// contact that names a caller for that extension only, and a phonebook
// granted to everyone (view_all) names and routes for a callee that is
// not an extension at all.
func TestPerCalleeAfterRestart(t *testing.T) {
	needBinary(t)
	tcp := transports[1]
	d, port := pbStartSeeded(t, pbOpts{tr: tcp})
	var bob string
	d.restart(t, func() { bob = pbToken(t, d.cfg, "--ext", "1002") })
	did := "+4930999000" // a number that is no extension, in Request-URI and To
	steps := []struct {
		name   string
		change func(t *testing.T)
		call   pbCall
	}{
		{"persisted_company_via_sales_routed", nil, pbSamTo1001},
		{"persisted_personal", nil, pbSamTo1002},
		{"persisted_prefix", nil, pbSamTo1003},
		{"extension_token_adds_own_personal_contact", func(t *testing.T) {
			d.apiAs(t, bob, "GET", "/api/v1/extensions/1001/contacts", nil, http.StatusNotFound)
			d.apiAs(t, bob, "POST", "/api/v1/extensions/1002/contacts",
				pbObj{"id": "hank-mine", "first_name": "Hank", "last_name": "Mine", "mobile_number": "040 333444"}, http.StatusCreated)
		}, pbCall{flow: "busy", from: pbHank, to: "1002",
			want: pbWant{name: "Hank Mine", source: "personal", contactID: "hank-mine"}}},
		{"other_extension_does_not_see_it", nil, pbCall{flow: "busy", from: pbHank, to: "1001"}},
		{"non_extension_callee_sees_no_phonebook", nil, pbCall{flow: "busy", from: pbSam, to: did,
			want: pbWant{name: "Berlin 11 Prefix", source: "prefix", contactID: "berlin-11", direction: "external"}}},
		{"view_all_names_and_routes_non_extension_callee", func(t *testing.T) {
			d.api(t, "PATCH", "/api/v1/phonebooks/sales", pbObj{"view_all": true}, http.StatusOK)
		}, pbCall{flow: "answer", from: pbSam, to: did,
			want: pbWant{name: "Sam Sales", source: "company", contactID: "sam", phonebook: "Sales", ruri: "600", direction: "external"}}},
		{"view_all_names_and_routes_for_1003", nil, pbCall{flow: "busy", from: pbSam, to: "1003", want: pbSamSales}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.change != nil {
				s.change(t)
			}
			c := s.call
			c.name = s.name
			pbCallOK(t, d, tcp, port, c)
		})
	}
}
