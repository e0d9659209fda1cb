package e2e

import (
	"testing"
	"time"
)

// TestCRMNamesCallerWithinBudget: a caller only the CRM knows is named
// with the CRM's name (From, PAI, RPID; X-Cid-Source: crm) when the CRM
// answers within the budget; the second call from the number is named
// from the integration's phonebook without a CRM request. A CRM slower
// than the budget leaves the caller's own name on the call, and its late
// answer names the next call locally.
func TestCRMNamesCallerWithinBudget(t *testing.T) {
	e := startCRMDaemon(t, crmOpts{budget: 400 * time.Millisecond, sipBudget: 2 * time.Second})
	addContact(e.z, "c-77", "Clara", "Customer", "+49 30 5550177")
	addContact(e.z, "c-78", "Lena", "Late", "+49 30 5550178")
	clara := plainCaller("+49305550177")
	lena := plainCaller("+49305550178")

	t.Run("crm_answers_within_budget", func(t *testing.T) {
		r := e.placeCalls(t, "answer", named(`"Clara Customer"`), uacOpts{}, clara)
		r.checkSource(t, 1, "crm")
		if got := e.z.Searches(); got["Contacts"] != 1 || got["Leads"] != 1 || got["Accounts"] != 1 {
			t.Fatalf("searches %v, want one per contact type", got)
		}
		if n := e.crmMetric(t, "cidproxy_crm_lookups_total", `outcome="hit"`); n != 1 {
			t.Fatalf("lookups hit = %v, want 1", n)
		}
	})
	t.Run("second_call_named_from_phonebook_without_crm_request", func(t *testing.T) {
		before := e.z.SearchTotal()
		r := e.placeCalls(t, "busy", named(`"Clara Customer"`), uacOpts{}, clara)
		r.checkSource(t, 1, "company")
		if n := e.z.SearchTotal() - before; n != 0 {
			t.Fatalf("the second call made %d CRM requests", n)
		}
	})
	t.Run("crm_slower_than_budget_keeps_original_name", func(t *testing.T) {
		e.z.SearchDelay.Store(int64(1500 * time.Millisecond))
		r := e.placeCalls(t, "busy", unnamed(lena), uacOpts{}, lena)
		r.checkSource(t, 1, "")
		if n := e.crmMetric(t, "cidproxy_crm_lookups_total", `outcome="budget_exceeded"`); n != 1 {
			t.Fatalf("lookups budget_exceeded = %v, want 1", n)
		}
	})
	t.Run("late_answer_names_next_call_locally", func(t *testing.T) {
		waitFor(t, 10*time.Second, "the late CRM answer never reached the phonebook", func() bool {
			return e.crmMetric(t, "cidproxy_crm_cache_entries", `kind="synced"`) == 2
		})
		before := e.z.SearchTotal()
		r := e.placeCalls(t, "busy", named(`"Lena Late"`), uacOpts{}, lena)
		r.checkSource(t, 1, "company")
		if n := e.z.SearchTotal() - before; n != 0 {
			t.Fatalf("the call after the late answer made %d CRM requests", n)
		}
	})
}

