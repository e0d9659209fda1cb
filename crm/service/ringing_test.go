package service

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"cidproxy/config"
	"cidproxy/crm/crmtest"
	"cidproxy/lookup"
	"cidproxy/sip/event"
)

func TestAutoCreateContactOncePerNumber(t *testing.T) {
	e := newEnv(t, func(c *config.Integration) {
		c.Users = config.IntegrationUsers{Map: map[string]string{"1001": "u-1", "1002": "u-2"}}
		c.CreateContact = config.CreateContact{Mode: "auto", Calls: []string{"inbound"}, Type: "Leads"}
	})
	e.svc.Resolver(e.db.Resolver())
	start := time.Now()
	// A ring group: two legs ring at once for one unknown caller; a third
	// call is outbound (not configured) to another unknown number.
	var wg sync.WaitGroup
	for i, ext := range []string{"1001", "1002"} {
		wg.Go(func() {
			ev := ev(event.Ringing, fmt.Sprint("leg-", i), "+49 40 7770001", ext, event.Inbound, start, 0)
			ev.Caller.Name = "Max Mustermann"
			e.svc.Integrations()[0].ringing(context.Background(), ev)
		})
	}
	wg.Wait()
	e.svc.Integrations()[0].ringing(context.Background(), ev(event.Ringing, "out-1", "1001", "+4940888", event.Outbound, start, 0))
	leads := e.z.Created("Leads")
	if len(leads) != 1 {
		t.Fatalf("%d leads created, want 1: %v", len(leads), leads)
	}
	if leads[0]["First_Name"] != "Max" || leads[0]["Last_Name"] != "Mustermann" {
		t.Fatalf("lead %v does not carry the SIP display name", leads[0])
	}
	if n := len(e.z.Created("Contacts")); n != 0 {
		t.Fatalf("%d contacts created for an outbound call (not configured)", n)
	}
	// The created lead names the next call locally.
	res, err := e.db.Resolver().Lookup(context.Background(), lookup.Query{Number: "+49407770001", Callee: "1001"})
	if err != nil || res.Name != "Max Mustermann" {
		t.Fatalf("next call: %+v %v", res, err)
	}
	if got := testutil.ToFloat64(e.svc.m.contactsCreated.WithLabelValues("zoho")); got != 1 {
		t.Fatalf("cidproxy_crm_contacts_created_total = %v, want 1", got)
	}
}

func TestManualCreateContactNeedsTheMode(t *testing.T) {
	e := newEnv(t, nil)
	if _, _, err := e.svc.CreateContact(context.Background(), "zoho", "+4930123", ""); err == nil {
		t.Fatal("created a contact with create_contact.mode off")
	}
	if _, _, err := e.svc.CreateContact(context.Background(), "nope", "+4930123", ""); err == nil {
		t.Fatal("unknown integration accepted")
	}
}

func TestHelpdeskTicketAtRingingFlowsIntoJournal(t *testing.T) {
	f := crmtest.NewFreshdesk("Fd4pIk3yAbCdEf123456")
	t.Cleanup(f.Close)
	logs := &bytes.Buffer{}
	db := newStore(t, logs)
	svc := newService(t, db, logs, prometheus.NewRegistry(), f.Client(), config.Integration{
		Name: "desk", Template: "builtin:freshdesk",
		Fields:  map[string]string{"domain": "acme", "api_key": "Fd4pIk3yAbCdEf123456"},
		Users:   config.IntegrationUsers{Map: map[string]string{"1001": "77"}},
		Journal: config.Journal{Enabled: true},
	})
	svc.Resolver(db.Resolver())
	svc.opts.Now = func() time.Time { return time.Now().Add(time.Minute) }
	start := time.Now().Add(-time.Hour)
	in := svc.Integrations()[0]
	in.loadUsers(context.Background())
	in.ringing(context.Background(), ev(event.Ringing, "t1", "+4930222", "1001", event.Inbound, start, 0))
	in.ringing(context.Background(), ev(event.Answered, "t1", "+4930222", "1001", event.Inbound, start, 0))
	if n := len(f.Tickets()); n != 1 {
		t.Fatalf("%d tickets for one call, want 1", n)
	}
	svc.Record(ev(event.Ended, "t1", "+4930222", "1001", event.Inbound, start, time.Minute))
	svc.Flush(context.Background())
	if n := len(f.Tickets()); n != 1 {
		t.Fatalf("%d tickets after the journal, want 1", n)
	}
	if notes := f.Notes(101); len(notes) != 1 {
		t.Fatalf("the journal did not update ticket 101: %d notes\n%s", len(notes), logs.String())
	}
}
