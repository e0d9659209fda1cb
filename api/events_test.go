package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"cidproxy/api/stream"
	"cidproxy/config"
	"cidproxy/sip/event"
)

// streamEnv is an env whose server has a popup hub: extension 1001 pops
// at ringing, 1002 is in manual mode, 1003 pops at answer.
type streamEnv struct {
	*env
	hub *stream.Hub
	reg *prometheus.Registry
}

func newStreamEnv(t *testing.T, mod func(*Options), clientBuf ...int) *streamEnv {
	reg := prometheus.NewRegistry()
	hub := stream.New(stream.Options{
		ClientBuf: append(clientBuf, 0)[0],
		Policy: stream.NewPolicy(
			[]config.Integration{{Name: "crm", Popup: config.Popup{Trigger: "ringing"}}},
			[]config.Extension{{Number: "1002", Popup: config.Popup{Trigger: "manual"}}, {Number: "1003", Popup: config.Popup{Trigger: "answered"}}}),
		Registerer: reg,
	})
	e := newEnv(t, func(o *Options, _ *[]storeOption) {
		o.Stream = hub
		if mod != nil {
			mod(o)
		}
	})
	return &streamEnv{env: e, hub: hub, reg: reg}
}

// crmCall is a lifecycle event of an inbound call from a CRM contact.
func crmCall(kind event.Kind, callID, ext string) event.Event {
	return event.Event{Kind: kind, CallID: callID, Direction: event.Inbound,
		Caller: event.Party{Number: "+4930555"}, Callee: event.Party{Number: ext},
		ContactName: "Ann CRM", ContactID: "z1", Source: "crm:crm", Integration: "crm",
		ContactURL: "https://crm.example/contacts/z1", Start: time.Now(), At: time.Now()}
}

type sseFrame struct {
	id, typ string
	data    string
}

func (f sseFrame) popup(t *testing.T) stream.Popup {
	t.Helper()
	var p stream.Popup
	if err := json.Unmarshal([]byte(f.data), &p); err != nil || f.typ != "popup" {
		t.Fatalf("not a popup frame: %+v (%v)", f, err)
	}
	return p
}

func (f sseFrame) call(t *testing.T) stream.Call {
	t.Helper()
	var c stream.Call
	if err := json.Unmarshal([]byte(f.data), &c); err != nil || f.typ != "call" {
		t.Fatalf("not a call frame: %+v (%v)", f, err)
	}
	return c
}

// sseClient reads one event stream; comments arrive as frames of type ":".
type sseClient struct {
	frames chan sseFrame
	res    *http.Response
	cancel context.CancelFunc
}

// openStream connects with ?token= (as EventSource does) and Last-Event-ID.
func (e *streamEnv) openStream(t *testing.T, ext, token, lastID string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/extensions/"+ext+"/events?token="+url.QueryEscape(token), nil)
	e.must(err)
	if lastID != "" {
		r.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	c := &sseClient{frames: make(chan sseFrame, 1000), res: res, cancel: cancel}
	t.Cleanup(c.close)
	if res.StatusCode == http.StatusOK {
		go c.read()
	}
	return c
}

func (c *sseClient) close() { c.cancel(); c.res.Body.Close() }

func (c *sseClient) read() {
	defer close(c.frames)
	sc := bufio.NewScanner(c.res.Body)
	var f sseFrame
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if f.typ != "" {
				c.frames <- f
			}
			f = sseFrame{}
		case strings.HasPrefix(line, ":"):
			c.frames <- sseFrame{typ: ":", data: line}
		case strings.HasPrefix(line, "id: "):
			f.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			f.typ = line[7:]
		case strings.HasPrefix(line, "data: "):
			f.data = line[6:]
		}
	}
}

// next returns the next event frame (skipping comments) or fails after d.
func (c *sseClient) next(t *testing.T, d time.Duration) sseFrame {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				t.Fatal("stream closed")
			}
			if f.typ != ":" {
				return f
			}
		case <-timeout:
			t.Fatal("no event within", d)
		}
	}
}

// none fails if an event frame arrives within d.
func (c *sseClient) none(t *testing.T, d time.Duration) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case f, ok := <-c.frames:
			if ok && f.typ != ":" {
				t.Fatalf("unexpected event %+v", f)
			}
			if !ok {
				return
			}
		case <-timeout:
			return
		}
	}
}

func TestEventStreamAuth(t *testing.T) {
	e := newStreamEnv(t, nil)
	for _, tc := range []struct {
		name, ext, token string
		want             int
	}{
		{"no token", "1001", "", 401},
		{"bad token", "1001", "nope", 401},
		{"another extension's token", "1001", e.tok["1002"], 403},
		{"own token", "1001", e.tok["1001"], 200},
		{"admin on any extension", "1002", e.admin, 200},
		{"admin on a missing extension", "4711", e.admin, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.openStream(t, tc.ext, tc.token, "")
			defer c.close()
			if c.res.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", c.res.StatusCode, tc.want)
			}
			if tc.want == 200 {
				if ct := c.res.Header.Get("Content-Type"); ct != "text/event-stream" {
					t.Errorf("Content-Type %q", ct)
				}
				if c.res.Header.Get("X-Accel-Buffering") != "no" || c.res.Header.Get("Cache-Control") != "no-store" {
					t.Errorf("headers %v", c.res.Header)
				}
			}
		})
	}
	// The header works as well as ?token=, and the other routes check the same way.
	e.expect(req{method: "GET", path: "/api/v1/extensions/1001/calls/current", token: e.tok["1003"]}, 403)
	e.expect(req{method: "GET", path: "/api/v1/extensions/1001/calls/current"}, 401)
	e.expect(req{method: "POST", path: "/api/v1/extensions/1001/popups/abc/claim", token: e.tok["1002"]}, 403)
	e.expect(req{method: "POST", path: "/api/v1/extensions/1001/popups/abc/claim", token: e.tok["1001"]}, 404)

	off := newEnv(t) // no hub: the feature is off
	off.expect(req{method: "GET", path: "/api/v1/extensions/1001/events", token: off.tok["1001"]}, 404)
}

func TestEventStreamOrderPerCall(t *testing.T) {
	e := newStreamEnv(t, nil)
	c := e.openStream(t, "1001", e.tok["1001"], "")
	other := e.openStream(t, "1002", e.tok["1002"], "")
	ctx := context.Background()
	for _, k := range []event.Kind{event.Ringing, event.Answered, event.Ended} {
		e.hub.HandleEvent(ctx, crmCall(k, "call-1", "1001"))
	}
	want := []string{"call:ringing", "popup:ringing", "call:answered", "call:ended"}
	var prev string
	for i, w := range want {
		f := c.next(t, 5*time.Second)
		var got string
		if f.typ == "popup" {
			p := f.popup(t)
			got = "popup:" + string(p.Phase)
			if p.URL != "https://crm.example/contacts/z1" || p.CallID != "call-1" || p.ContactID != "z1" || p.Integration != "crm" {
				t.Errorf("popup %+v", p)
			}
		} else {
			cl := f.call(t)
			got = "call:" + string(cl.Phase)
			if cl.Caller.Number != "+4930555" || cl.ContactName != "Ann CRM" || cl.Source != "crm:crm" || cl.Direction != "inbound" || cl.CallID != "call-1" {
				t.Errorf("call %+v", cl)
			}
		}
		if got != w {
			t.Errorf("event %d: %s, want %s", i, got, w)
		}
		if f.id == "" || f.id == prev {
			t.Errorf("event %d: id %q after %q", i, f.id, prev)
		}
		prev = f.id
	}
	other.none(t, 200*time.Millisecond) // 1002 sees nothing of 1001's call
}

func TestEventStreamResumeWithoutRepeatedPopup(t *testing.T) {
	e := newStreamEnv(t, nil)
	ctx := context.Background()
	c := e.openStream(t, "1001", e.tok["1001"], "")
	e.hub.HandleEvent(ctx, crmCall(event.Ringing, "a", "1001"))
	c.next(t, 5*time.Second)
	p := c.next(t, 5*time.Second)
	c.close()
	// While the browser is away: call a is answered, call b rings.
	e.hub.HandleEvent(ctx, crmCall(event.Answered, "a", "1001"))
	e.hub.HandleEvent(ctx, crmCall(event.Ringing, "b", "1001"))
	r := e.openStream(t, "1001", e.tok["1001"], p.id)
	var got []string
	for range 3 {
		f := r.next(t, 5*time.Second)
		got = append(got, f.typ+":"+gjsonCallID(t, f.data))
	}
	if strings.Join(got, " ") != "call:a call:b popup:b" {
		t.Errorf("replayed %v, want call:a call:b popup:b", got)
	}
	r.none(t, 200*time.Millisecond)
	// A fresh page (no Last-Event-ID) starts live: no replay at all.
	fresh := e.openStream(t, "1001", e.tok["1001"], "")
	fresh.none(t, 200*time.Millisecond)
}

func gjsonCallID(t *testing.T, data string) string {
	var v struct {
		CallID string `json:"call_id"`
	}
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		t.Fatal(err)
	}
	return v.CallID
}

func TestOnePopupPerPhaseWithThreeClients(t *testing.T) {
	e := newStreamEnv(t, nil)
	ctx := context.Background()
	var cs []*sseClient
	for range 3 {
		cs = append(cs, e.openStream(t, "1001", e.tok["1001"], ""))
	}
	waitGauge(t, e.reg, "cidproxy_popup_clients", 3)
	ring := crmCall(event.Ringing, "three", "1001")
	e.hub.HandleEvent(ctx, ring)
	e.hub.HandleEvent(ctx, ring) // repeated ringing (180 then 183)
	var id string
	for i, c := range cs {
		c.next(t, 5*time.Second) // call
		p := c.next(t, 5*time.Second).popup(t)
		if i > 0 && p.ID != id {
			t.Errorf("client %d got popup %s, others %s", i, p.ID, id)
		}
		id = p.ID
		if f := c.next(t, 5*time.Second); f.typ != "call" {
			t.Errorf("client %d: second popup %+v", i, f)
		}
		c.none(t, 100*time.Millisecond)
	}
	// Every tab claims; exactly one opens the record.
	opened := 0
	for _, tok := range []string{e.tok["1001"], e.tok["1001"], e.admin, e.tok["1001"]} {
		var res struct{ Open bool }
		e.expect(req{method: "POST", path: "/api/v1/extensions/1001/popups/" + id + "/claim", token: tok}, 200).decode(t, &res)
		if res.Open {
			opened++
		}
	}
	if opened != 1 {
		t.Errorf("%d tabs opened the popup, want 1", opened)
	}
	if n := testutil.ToFloat64(e.hubCounter(t, "cidproxy_popup_popups_total", "ringing")); n != 1 {
		t.Errorf("popups_total{ringing} = %v, want 1", n)
	}
}

// hubCounter returns a collector-free reading of one series of the hub's registry.
func (e *streamEnv) hubCounter(t *testing.T, name, label string) prometheus.Collector {
	t.Helper()
	return gaugeFunc(func() float64 { return metricValue(t, e.reg, name, label) })
}

type gaugeFunc func() float64

func (g gaugeFunc) Describe(ch chan<- *prometheus.Desc) {
	ch <- prometheus.NewDesc("x", "x", nil, nil)
}
func (g gaugeFunc) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(prometheus.NewDesc("x", "x", nil, nil), prometheus.GaugeValue, g())
}

// metricValue reads a series from reg; label is the value of its only label ("" for none).
func metricValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			}
		}
	}
	t.Fatalf("no series %s{%s}", name, label)
	return 0
}

func waitGauge(t *testing.T, reg *prometheus.Registry, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for metricValue(t, reg, name, "") != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %v", name, metricValue(t, reg, name, ""), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStalledClientDroppedWithoutDelayingCalls(t *testing.T) {
	// A buffer that never fills: only the write deadline can drop.
	e := newStreamEnv(t, func(o *Options) { o.StreamWriteTimeout = 300 * time.Millisecond }, 1<<14)
	// A browser that connects and then never reads.
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	e.must(err)
	defer conn.Close()
	e.must(conn.(*net.TCPConn).SetReadBuffer(4096))
	fmt.Fprintf(conn, "GET /api/v1/extensions/1001/events?token=%s HTTP/1.1\r\nHost: x\r\n\r\n", url.QueryEscape(e.tok["1001"]))
	healthy := e.openStream(t, "1001", e.tok["1001"], "")
	waitGauge(t, e.reg, "cidproxy_popup_clients", 2)

	bus := event.NewBus()
	sub := bus.Subscribe("popup", 4096)
	done := make(chan struct{})
	go func() { e.hub.Run(context.Background(), sub); close(done) }()
	big := strings.Repeat("x", 8<<10) // fills the stalled socket quickly
	start := time.Now()
	const calls = 1500
	received := 0
	for i := range calls {
		ev := crmCall(event.Ringing, fmt.Sprintf("s%d", i), "1001")
		ev.Caller.Name = big
		bus.Publish(ev)
		if i%50 == 49 { // the healthy browser keeps up
			for received < 2*(i+1)-10 {
				healthy.next(t, 10*time.Second)
				received++
			}
		}
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("publishing %d calls took %s with a stalled client", calls, d)
	}
	waitGauge(t, e.reg, "cidproxy_popup_clients", 1)
	if n := metricValue(t, e.reg, "cidproxy_popup_clients_dropped_total", "write_timeout"); n != 1 {
		t.Errorf("dropped{write_timeout} = %v, want 1", n)
	}
	bus.Close()
	<-done
	for _, s := range bus.Stats() {
		if s.Dropped != 0 {
			t.Errorf("the bus dropped %d %s events for %s: the hub fell behind", s.Dropped, s.Kind, s.Subscriber)
		}
	}
}

func TestHeartbeatAndCurrentCalls(t *testing.T) {
	e := newStreamEnv(t, func(o *Options) { o.Heartbeat = 50 * time.Millisecond })
	c := e.openStream(t, "1002", e.tok["1002"], "")
	deadline := time.After(5 * time.Second)
	for hb := false; !hb; {
		select {
		case f := <-c.frames:
			if f.typ != ":" {
				t.Fatalf("event on an idle stream: %+v", f)
			}
			hb = strings.Contains(f.data, "heartbeat")
		case <-deadline:
			t.Fatal("no heartbeat within 5 s (interval 50 ms)")
		}
	}
	var cur struct {
		Call   *stream.Call
		Calls  []stream.Call
		Recent []stream.Call
	}
	e.expect(req{method: "GET", path: "/api/v1/extensions/1002/calls/current", token: e.tok["1002"]}, 200).decode(t, &cur)
	if cur.Call != nil || len(cur.Calls) != 0 || len(cur.Recent) != 0 {
		t.Fatalf("idle extension: %+v", cur)
	}
	ctx := context.Background()
	e.hub.HandleEvent(ctx, crmCall(event.Ringing, "m1", "1002"))
	e.hub.HandleEvent(ctx, crmCall(event.Answered, "m1", "1002"))
	if f := c.next(t, 5*time.Second); f.call(t).Trigger != "manual" || f.call(t).URL != "https://crm.example/contacts/z1" {
		t.Errorf("manual call frame %+v", f)
	}
	c.next(t, 5*time.Second)
	c.none(t, 200*time.Millisecond) // manual mode: no popup event
	e.expect(req{method: "GET", path: "/api/v1/extensions/1002/calls/current", token: e.admin}, 200).decode(t, &cur)
	if cur.Call == nil || cur.Call.Phase != "answered" || cur.Call.URL != "https://crm.example/contacts/z1" || cur.Call.Trigger != "manual" {
		t.Fatalf("current call %+v", cur.Call)
	}
	e.hub.HandleEvent(ctx, crmCall(event.Ended, "m1", "1002"))
	e.expect(req{method: "GET", path: "/api/v1/extensions/1002/calls/current", token: e.tok["1002"]}, 200).decode(t, &cur)
	if cur.Call != nil || len(cur.Recent) != 1 || cur.Recent[0].Phase != "ended" {
		t.Errorf("after the end: %+v", cur)
	}
}

func TestPopupPageServed(t *testing.T) {
	e := newEnv(t)
	for path, want := range map[string]string{
		"/popup":           "Enable popups",
		"/popup/":          "Open in CRM",
		"/popup/app.js":    "EventSource",
		"/popup/app.css":   "#open-crm",
		"/popup/nothing":   "404",
		"/popup/../go.mod": "",
	} {
		r := e.do(req{method: "GET", path: path})
		if want == "404" || want == "" {
			if r.Code == 200 {
				t.Errorf("%s: 200", path)
			}
			continue
		}
		if r.Code != 200 || !strings.Contains(string(r.Body), want) {
			t.Errorf("%s: %d, body lacks %q", path, r.Code, want)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if strings.Contains(string(r.Body), "http://") || strings.Contains(string(r.Body), "https://") {
			t.Errorf("%s refers to another origin (no CDN allowed)", path)
		}
	}
}
