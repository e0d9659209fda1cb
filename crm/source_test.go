package crm

import (
	"context"
	"errors"
	"testing"
	"time"

	"cidproxy/crm/crmtest"
	"cidproxy/lookup"
	"cidproxy/sip/event"
)

func TestIntegrationAsLookupSource(t *testing.T) {
	h, it, _ := newHubSpot(t, 0)
	h.AddContact("501", map[string]any{"firstname": "Maria", "lastname": "Johnson", "phone": "+4930111"})
	var src lookup.Source = it
	r, err := src.Lookup(context.Background(), lookup.Query{Number: "+4930111"})
	if err != nil || r != (lookup.Result{Name: "Maria Johnson", Source: lookup.SourceCRM, ContactID: "Contacts/501"}) {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := src.Lookup(context.Background(), lookup.Query{Number: "+1"}); !errors.Is(err, lookup.ErrNotFound) {
		t.Fatalf("no match: %v", err)
	}
	if src.Name() != "crm:hubspot" {
		t.Fatal(src.Name())
	}
}

// A CRM that never answers must not hold the call path beyond its deadline.
func TestLookupHangingCRMRespectsDeadline(t *testing.T) {
	h, it, _ := newHubSpot(t, 0)
	h.FailNext(10, crmtest.Fault{Hang: true})
	it = newIntegration(t, Config{Template: it.Template(), Fields: map[string]string{"access_token": hubToken}, HTTP: h.Client(),
		Timeout: 300 * time.Millisecond}) // the shared search outlives the caller by one attempt
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := it.Lookup(ctx, lookup.Query{Number: "+4930111"})
	el := time.Since(start)
	if err == nil || errors.Is(err, lookup.ErrNotFound) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if el > 600*time.Millisecond {
		t.Fatalf("lookup took %v with a 250ms deadline", el)
	}
}

func TestCallRecordFromEvent(t *testing.T) {
	start := callStart
	ext := Extension{Number: "201", Email: "grace@example.com"}
	tests := []struct {
		name    string
		ev      event.Event
		wantErr bool
		disp    string
		dir     string
		contact string
		talk    string
	}{
		{name: "answered inbound", ev: event.Event{Kind: event.Ended, Direction: event.Inbound, Caller: event.Party{Number: "+4930111"},
			Callee: event.Party{Number: "201"}, Start: start, Answer: start.Add(5 * time.Second), End: start.Add(65 * time.Second)},
			disp: DispositionAnswered, dir: DirectionInbound, contact: "+4930111", talk: "00:01:00"},
		{name: "outbound busy", ev: event.Event{Kind: event.Busy, Direction: event.Outbound, Caller: event.Party{Number: "201"},
			Callee: event.Party{Number: "+4930222"}, Start: start, End: start.Add(3 * time.Second)},
			disp: DispositionBusy, dir: DirectionOutbound, contact: "+4930222", talk: "00:00:00"},
		{name: "missed inbound", ev: event.Event{Kind: event.Missed, Direction: event.Inbound, Caller: event.Party{Number: "+4930111"}, Start: start, End: start.Add(30 * time.Second)},
			disp: DispositionMissed, dir: DirectionInbound, contact: "+4930111", talk: "00:00:00"},
		{name: "ringing is not terminal", ev: event.Event{Kind: event.Ringing, Direction: event.Inbound}, wantErr: true},
		{name: "internal call", ev: event.Event{Kind: event.Ended, Direction: event.Internal}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := CallRecordFromEvent(tc.ev, ext, nil)
			if tc.wantErr {
				if !errors.Is(err, ErrNotJournaled) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			v := rec.journalVars(time.UTC)
			if err != nil || rec.Disposition != tc.disp || v["Communication_Type"] != tc.dir || v["ContactNumber"] != "" && v["ContactNumber"] != tc.contact ||
				rec.ContactNumber != tc.contact || v["Talk_Duration"] != tc.talk {
				t.Fatalf("%+v %v %v", rec, v, err)
			}
		})
	}
}

func TestJournalVarsStatuses(t *testing.T) {
	base := answeredCall(nil)
	tests := []struct {
		name                    string
		mod                     func(*CallRecord)
		status, logStatus, disp string
	}{
		{"answered inbound", func(*CallRecord) {}, "Completed", "Incoming Call", "ANSWERED"},
		{"answered outbound", func(r *CallRecord) { r.Direction = DirectionOutbound }, "Completed", "Outgoing Call", "ANSWERED"},
		{"missed inbound", func(r *CallRecord) { r.Answer = time.Time{} }, "Missed", "Missed Call", "NO ANSWER"},
		{"voicemail", func(r *CallRecord) { r.Answer, r.Voicemail = time.Time{}, true }, "Missed", "Voicemail", "VOICEMAIL"},
		{"busy outbound", func(r *CallRecord) { r.Direction, r.Disposition = DirectionOutbound, DispositionBusy }, "Missed", "Outgoing Call", "BUSY"},
	}
	for _, tc := range tests {
		r := base
		tc.mod(&r)
		v := r.journalVars(time.UTC)
		if v["Call_Status"] != tc.status || v["Call_Log_Status"] != tc.logStatus || v["CallDisposition"] != tc.disp {
			t.Errorf("%s: %s / %s / %s", tc.name, v["Call_Status"], v["Call_Log_Status"], v["CallDisposition"])
		}
	}
	v := base.journalVars(time.UTC)
	want := map[string]string{"Time": "2026-11-23 10:00:00", "StartTimeUnix": "1795428000", "EndTimeUnix": "1795428065",
		"CallDuration": "65", "Talk_Duration": "00:01:00", "Talk_Duration_Sec": "60", "Call_From": "Ada Lovelace <+49301234567>",
		"Call_To": "Desk 1 <201>", "EnableCallRecording": "1", "ExtensionEmail": "grace@example.com"}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("%s = %q, want %q", k, v[k], w)
		}
	}
}
