package template

import (
	"fmt"
	"sync"
	"testing"
)

// One parsed template is shared by all calls: rendering and extraction are
// safe for concurrent use.
func TestConcurrentRenderExtract(t *testing.T) {
	tp := mustParse(t, zohoTemplate)
	r := tp.Scenario(ScenarioSyncContactAuto).Request("Contacts")
	body := zohoFields(5)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				phone := fmt.Sprintf("+49%d%d", g, i)
				h, err := tp.Render(r, Vars{"dc": "eu", "Phone": phone})
				want := "https://www.zohoapis.eu/crm/v2/Contacts/search?criteria=((Phone:equals:%2B49" + phone[3:] +
					")or(Mobile:equals:%2B49" + phone[3:] + "))&per_page=50"
				if err != nil || h.URL != want {
					errs <- fmt.Errorf("render %q: %v", h.URL, err)
					return
				}
				if recs, err := r.Extract(body, nil); err != nil || len(recs) != 5 || recs[4]["ContactsId"] != "554023000000000004" {
					errs <- fmt.Errorf("extract %v: %v", recs, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
