package stream

import (
	"context"
	"testing"
	"time"

	"cidproxy/config"
	"cidproxy/sip/event"
)

func testPolicy() *Policy {
	return NewPolicy(
		[]config.Integration{
			{Name: "zoho", Popup: config.Popup{Trigger: "answered"}},
			{Name: "hub", Popup: config.Popup{Trigger: "ringing", Unknown: "new_contact"}},
			{Name: "quiet"},
		},
		[]config.Extension{
			{Number: "1002", Popup: config.Popup{Trigger: "manual"}},
			{Number: "1003", Popup: config.Popup{Unknown: "none"}},
			{Number: "1004", Popup: config.Popup{Trigger: "off"}},
		})
}

func TestPolicyResolve(t *testing.T) {
	p := testPolicy()
	for _, tc := range []struct {
		name, ext, integration string
		want                   Settings
	}{
		{"named integration", "1001", "zoho", Settings{"answered", "none", "zoho"}},
		{"other integration", "1001", "hub", Settings{"ringing", "new_contact", "hub"}},
		{"integration without popup", "1001", "quiet", Settings{"off", "none", "quiet"}},
		{"unknown caller: first integration with popups on", "1001", "", Settings{"answered", "none", "zoho"}},
		{"extension trigger wins", "1002", "hub", Settings{"manual", "new_contact", "hub"}},
		{"extension unknown wins, trigger inherited", "1003", "hub", Settings{"ringing", "none", "hub"}},
		{"extension off", "1004", "zoho", Settings{"off", "none", "zoho"}},
		{"integration no longer configured", "1001", "gone", Settings{"off", "none", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Resolve(tc.ext, tc.integration); got != tc.want {
				t.Errorf("Resolve(%s, %q) = %+v, want %+v", tc.ext, tc.integration, got, tc.want)
			}
		})
	}
	if got := NewPolicy(nil, []config.Extension{{Number: "1", Popup: config.Popup{Trigger: "ringing"}}}).Resolve("1", ""); got != (Settings{"ringing", "none", ""}) {
		t.Errorf("no integrations: %+v", got)
	}
}

type fakeNewContact map[string]string

func (f fakeNewContact) NewContactURL(name string) (string, bool) {
	u, ok := f[name]
	return u, ok
}

func inbound(kind event.Kind, callID, ext string) event.Event {
	return event.Event{Kind: kind, CallID: callID, Direction: event.Inbound,
		Caller: event.Party{Number: "+4930123"}, Callee: event.Party{Number: ext}, At: time.Now()}
}

func known(ev event.Event, integration string) event.Event {
	ev.Source, ev.ContactName, ev.ContactID = "crm:"+integration, "Ann Example", "c1"
	ev.Integration, ev.ContactURL = integration, "https://crm.example/contacts/c1"
	return ev
}

// drain returns every frame queued for c.
func drain(c *Client) []Frame {
	var out []Frame
	for {
		select {
		case f := <-c.C():
			out = append(out, f)
		default:
			return out
		}
	}
}

func popups(fs []Frame) []*Popup {
	var out []*Popup
	for _, f := range fs {
		if f.msg.Popup != nil {
			out = append(out, f.msg.Popup)
		}
	}
	return out
}

func TestPopupAtTrigger(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		ev    event.Event
		kinds []event.Kind
		want  []event.Kind // popup phases
		url   string
	}{
		{"ringing trigger", known(inbound("", "a", "1001"), "hub"), []event.Kind{event.Ringing, event.Answered, event.Ended}, []event.Kind{event.Ringing}, "https://crm.example/contacts/c1"},
		{"answered trigger opens nothing while ringing", known(inbound("", "b", "1001"), "zoho"), []event.Kind{event.Ringing, event.Answered, event.Ended}, []event.Kind{event.Answered}, "https://crm.example/contacts/c1"},
		{"answered trigger, call missed", known(inbound("", "c", "1001"), "zoho"), []event.Kind{event.Ringing, event.Missed}, nil, ""},
		{"manual: no popup", known(inbound("", "d", "1002"), "hub"), []event.Kind{event.Ringing, event.Answered, event.Ended}, nil, ""},
		{"unknown caller: new contact page", inbound("", "e", "1001"), []event.Kind{event.Ringing, event.Answered}, nil, ""},
		{"unknown caller with hub only", func() event.Event { e := inbound("", "f", "1001"); e.Integration = "hub"; return e }(), []event.Kind{event.Ringing}, []event.Kind{event.Ringing}, "https://crm.example/new"},
		{"unknown: none on the extension", func() event.Event { e := inbound("", "g", "1003"); e.Integration = "hub"; return e }(), []event.Kind{event.Ringing}, nil, ""},
		{"local contact without CRM record", func() event.Event {
			e := inbound("", "h", "1001")
			e.Integration = "hub"
			e.Source = "company"
			return e
		}(), []event.Kind{event.Ringing}, nil, ""},
		{"outbound: no popup", func() event.Event {
			e := known(inbound("", "i", ""), "hub")
			e.Direction, e.Caller, e.Callee = event.Outbound, event.Party{Number: "1001"}, event.Party{Number: "+4930"}
			return e
		}(), []event.Kind{event.Ringing}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := New(Options{Policy: testPolicy(), NewContact: fakeNewContact{"hub": "https://crm.example/new"}})
			ext := tc.ev.Callee.Number
			if tc.ev.Direction == event.Outbound {
				ext = tc.ev.Caller.Number
			}
			c, _ := h.Subscribe(ext, "")
			for _, k := range tc.kinds {
				ev := tc.ev
				ev.Kind = k
				h.HandleEvent(ctx, ev)
			}
			fs := drain(c)
			ps := popups(fs)
			if len(ps) != len(tc.want) {
				t.Fatalf("got %d popups, want %v: %+v", len(ps), tc.want, fs)
			}
			for i, p := range ps {
				if p.Phase != tc.want[i] || p.URL != tc.url || p.CallID != tc.ev.CallID {
					t.Errorf("popup %d: %+v, want phase %s url %s", i, p, tc.want[i], tc.url)
				}
			}
			if calls := len(fs) - len(ps); calls != len(tc.kinds) {
				t.Errorf("%d call frames, want %d", calls, len(tc.kinds))
			}
		})
	}
}

func TestOnePopupPerCallExtensionPhase(t *testing.T) {
	ctx := context.Background()
	h := New(Options{Policy: testPolicy()})
	c, _ := h.Subscribe("1001", "")
	ev := known(inbound(event.Ringing, "x", "1001"), "hub")
	h.HandleEvent(ctx, ev)
	h.HandleEvent(ctx, ev) // a repeated ringing (183 after 180)
	ps := popups(drain(c))
	if len(ps) != 1 {
		t.Fatalf("%d popups for one call and phase, want 1", len(ps))
	}
	for i, want := range []bool{true, false, false} {
		got, err := h.Claim(ctx, "1001", ps[0].ID)
		if err != nil || got != want {
			t.Errorf("claim %d: %v %v, want %v", i, got, err, want)
		}
	}
	if _, err := h.Claim(ctx, "1002", ps[0].ID); err != ErrUnknownPopup {
		t.Errorf("claim on another extension: %v", err)
	}
	// The call ends; its memory is freed and a new call pops again.
	ev.Kind = event.Ended
	h.HandleEvent(ctx, ev)
	if len(h.popped) != 0 {
		t.Errorf("popup memory after the end: %d entries", len(h.popped))
	}
}

func TestSlowClientDropped(t *testing.T) {
	h := New(Options{Policy: testPolicy(), ClientBuf: 2})
	slow, _ := h.Subscribe("1001", "")
	fast, _ := h.Subscribe("1001", "")
	for i := range 5 {
		h.HandleEvent(context.Background(), inbound(event.Ringing, string(rune('a'+i)), "1001"))
		drain(fast)
	}
	select {
	case <-slow.Gone():
	default:
		t.Fatal("a client with a full buffer was not dropped")
	}
	select {
	case <-fast.Gone():
		t.Fatal("the reading client was dropped")
	default:
	}
	cur, _ := h.Current("1001")
	if len(cur) != 5 {
		t.Errorf("%d current calls, want 5", len(cur))
	}
}

func TestReplay(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	h := New(Options{Policy: testPolicy(), Now: clock})
	ctx := context.Background()
	h.HandleEvent(ctx, known(inbound(event.Ringing, "r1", "1001"), "hub")) // call + popup
	c, _ := h.Subscribe("1001", "")
	h.HandleEvent(ctx, known(inbound(event.Answered, "r1", "1001"), "hub"))
	first := drain(c)
	h.Unsubscribe(c, "closed")
	if len(first) != 1 {
		t.Fatalf("live frames %d, want 1", len(first))
	}
	h.HandleEvent(ctx, known(inbound(event.Ringing, "r2", "1001"), "hub"))
	_, rep := h.Subscribe("1001", first[0].ID)
	if len(rep) != 2 || rep[0].Type != TypeCall || rep[1].Type != TypePopup || rep[1].msg.Popup.CallID != "r2" {
		t.Fatalf("replay %+v", rep)
	}
	now = now.Add(time.Minute)
	if _, rep := h.Subscribe("1001", first[0].ID); len(rep) != 1 || rep[0].Type != TypeCall {
		t.Errorf("old popups must not replay: %+v", rep)
	}
	for _, id := range []string{"", "garbage", "otherepoch-1"} {
		if _, rep := h.Subscribe("1001", id); len(rep) != 0 {
			t.Errorf("Last-Event-ID %q replayed %d frames", id, len(rep))
		}
	}
}

func TestSetPolicyAppliesToNextEvent(t *testing.T) {
	ctx := context.Background()
	h := New(Options{Policy: testPolicy()})
	c, _ := h.Subscribe("1001", "")
	h.SetPolicy(NewPolicy([]config.Integration{{Name: "hub", Popup: config.Popup{Trigger: "manual"}}}, nil))
	h.HandleEvent(ctx, known(inbound(event.Ringing, "p", "1001"), "hub"))
	fs := drain(c)
	if len(popups(fs)) != 0 || len(fs) != 1 || fs[0].msg.Call.Trigger != "manual" {
		t.Fatalf("after the reload to manual: %+v", fs)
	}
}

func TestLivePolicyFollowsIntegrations(t *testing.T) {
	ints := []config.Integration{{Name: "api", Popup: config.Popup{Trigger: "off"}}}
	ext := config.Popup{}
	p := NewLivePolicy(func() []config.Integration { return ints }, func(n string) config.Popup { return ext })
	if got := p.Resolve("1001", "api"); got.Trigger != "off" {
		t.Fatalf("before the change: %+v", got)
	}
	ints = []config.Integration{{Name: "api", Popup: config.Popup{Trigger: "answered"}}} // changed through the API
	if got := p.Resolve("1001", "api"); got != (Settings{"answered", "none", "api"}) {
		t.Errorf("after the change: %+v", got)
	}
	ext = config.Popup{Trigger: "manual"} // the extension's settings changed through the API
	if got := p.Resolve("1001", "api"); got.Trigger != "manual" {
		t.Errorf("after the extension's change: %+v", got)
	}
}
