package e2e

import (
	"strings"
	"testing"
	"time"

	"cidproxy/crm/builtin"
	"cidproxy/crm/crmtest"
)

// TestCRMHubSpotNamesAndJournals runs the checks with a second vendor: the
// built-in HubSpot template (private app token) against the HubSpot double
// on loopback. A caller the CRM knows is named at the callee
// (X-Cid-Source crm), the answered call and a missed one land as two
// HubSpot calls with direction, status, owner and the contact
// association, and the next call is named locally.
func TestCRMHubSpotNamesAndJournals(t *testing.T) {
	t.Parallel()
	needBinary(t)
	const pat = "pat-eu1-e2e-0123456789"
	h := crmtest.NewHubSpot("hub-client", "hub-secret")
	t.Cleanup(h.Close)
	h.OAuth.AddAccessToken(pat, time.Hour)
	h.AddOwner(map[string]any{"id": "o-100", "email": "agent@example.com", "firstName": "Agent", "lastName": "Hundred", "userId": 100})
	h.AddContact("501", map[string]any{"firstname": "Hub", "lastname": "Spotter", "phone": "+49305550801", "email": "hub@customer.example"})
	tpl, err := crmtest.LocalTemplate(builtin.HubSpot, map[string]string{"https://api.hubapi.com": "api_url"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	in := integration{name: "hubspot", tpl: tpl, fields: map[string]string{"access_token": pat, "api_url": h.URL},
		users: map[string]string{"100": "o-100"}}
	e := startDaemonWith(t, in, crmOpts{budget: time.Second, journal: true})

	known, unknown := plainCaller("+49305550801"), plainCaller("+49305550802")
	r := e.placeCalls(t, "answer", named(`"Hub Spotter"`), uacOpts{hold: 1000}, known)
	r.checkSource(t, 1, "crm")
	e.placeCalls(t, "cancel", unnamed(unknown), uacOpts{}, unknown)
	waitFor(t, 20*time.Second, "the calls never reached HubSpot", func() bool { return len(h.Created("calls")) >= 2 })
	time.Sleep(3 * time.Second)
	calls := h.Created("calls")
	if len(calls) != 2 {
		t.Fatalf("%d HubSpot calls for 2 calls: %v", len(calls), calls)
	}
	for _, c := range calls {
		p, _ := c["properties"].(map[string]any)
		from, _ := p["hs_call_from_number"].(string)
		wantStatus, wantAssoc := "COMPLETED", true
		if from == unknown.User {
			wantStatus, wantAssoc = "NO_ANSWER", false
		} else if from != known.User {
			t.Errorf("call from %q: %v", from, c)
			continue
		}
		if p["hs_call_direction"] != "INBOUND" || p["hs_call_status"] != wantStatus || p["hubspot_owner_id"] != "o-100" || p["hs_call_to_number"] != "100" {
			t.Errorf("call from %s: properties %v", from, p)
		}
		assoc, _ := c["associations"].([]any)
		if got := len(assoc) == 1 && strings.Contains(strings.ReplaceAll(jsonString(t, assoc), " ", ""), `"id":"501"`); got != wantAssoc {
			t.Errorf("call from %s: associations %v", from, c["associations"])
		}
	}
	r = e.placeCalls(t, "busy", named(`"Hub Spotter"`), uacOpts{}, known)
	r.checkSource(t, 1, "company")
}
