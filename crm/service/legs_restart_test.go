package service

import (
	"context"
	"testing"
	"time"

	"cidproxy/config"
	"cidproxy/sip/event"
)

// TestJournalRingGroupAcrossRestart: both missed legs of a ring-group call
// are in the outbox when the daemon restarts (before their settle time
// passed); the new service still sends one record for the group.
func TestJournalRingGroupAcrossRestart(t *testing.T) {
	e := newEnv(t, func(c *config.Integration) { c.Users.Map = map[string]string{"1002": "u-bob"} })
	start := time.Now().Add(-time.Hour)
	e.svc.Record(ev(event.Cancelled, "r-a", "+4930777", "1001", event.Inbound, start, 0))
	e.svc.Record(ev(event.Cancelled, "r-b", "+4930777", "1002", event.Inbound, start.Add(10*time.Millisecond), 0))
	opts := e.svc.opts
	opts.Registerer = nil
	svc, err := New(context.Background(), []config.Integration{e.svc.Integrations()[0].Config()}, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	e.svc.opts.Now = func() time.Time { return time.Now().Add(time.Minute) } // past the settle time
	e.flushUntil(t, 1)
	time.Sleep(100 * time.Millisecond)
	e.svc.Flush(context.Background())
	if got := e.z.Created("Calls"); len(got) != 1 {
		t.Fatalf("%d records for one missed ring-group call across a restart: %v", len(got), got)
	}
}
