// Package stream turns call lifecycle events into per-extension event
// streams for the popup page: "call" messages for every step of a call and
// one "popup" message per call, extension and phase at the configured
// trigger. Clients get bounded buffers; a slow client is dropped, never
// waited for. The Fanout interface lets a cluster carry messages between
// nodes; Local delivers in-process.
package stream

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cidproxy/sip/event"
)

// NewContactURLer gives the CRM's new-contact page of an integration
// (false when the integration has none).
type NewContactURLer interface {
	NewContactURL(integration string) (string, bool)
}

// Fanout carries messages from the node that saw the call to the hubs of
// every node (each calls Deliver). Publish must not block for long.
type Fanout interface {
	Publish(ctx context.Context, m Message) error
}

// Options configures a Hub. Zero values pick the defaults.
type Options struct {
	Policy     *Policy
	NewContact NewContactURLer // nil: unknown callers never get a popup
	// Fanout carries messages; nil delivers to this hub only.
	Fanout Fanout
	// Claims decides which browser tab opens a popup; nil keeps claims in memory.
	Claims     Claimer
	ClientBuf  int // messages buffered per client (default 256)
	History    int // messages kept per extension for Last-Event-ID (default 128)
	Recent     int // finished calls kept per extension (default 10)
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Now is the clock (tests).
	Now func() time.Time
}

// Hub keeps the per-extension streams.
type Hub struct {
	opts   Options
	policy atomic.Pointer[Policy]
	log    *slog.Logger
	m      *metrics
	epoch  string

	mu     sync.Mutex
	seq    uint64
	exts   map[string]*extState
	popped map[string]time.Time // popup ids already sent (producer side)
	pruned time.Time

	done      chan struct{}
	closeOnce sync.Once
}

// New returns a hub.
func New(opts Options) *Hub {
	if opts.Policy == nil {
		opts.Policy = NewPolicy(nil, nil)
	}
	if opts.ClientBuf <= 0 {
		opts.ClientBuf = 256
	}
	if opts.History <= 0 {
		opts.History = 128
	}
	if opts.Recent <= 0 {
		opts.Recent = 10
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Claims == nil {
		opts.Claims = NewMemClaims(opts.Now)
	}
	h := &Hub{
		opts: opts, log: opts.Logger,
		epoch:  strconv.FormatInt(opts.Now().UnixNano(), 36),
		exts:   map[string]*extState{},
		popped: map[string]time.Time{},
		done:   make(chan struct{}),
	}
	h.policy.Store(opts.Policy)
	h.m = newMetrics(opts.Registerer)
	if h.opts.Fanout == nil {
		h.opts.Fanout = Local{h}
	}
	return h
}

// Run consumes sub until its channel is closed (the bus closed), then
// closes the hub.
func (h *Hub) Run(ctx context.Context, sub *event.Subscription) {
	defer h.Close()
	for ev := range sub.Events() {
		h.HandleEvent(ctx, ev)
	}
}

// SetPolicy replaces the popup settings (a configuration reload); calls
// in progress get the new settings from their next event.
func (h *Hub) SetPolicy(p *Policy) { h.policy.Store(p) }

// Close ends every stream (the daemon stops); browsers reconnect to the
// next start.
func (h *Hub) Close() { h.closeOnce.Do(func() { close(h.done) }) }

// Done is closed by Close.
func (h *Hub) Done() <-chan struct{} { return h.done }

// HandleEvent publishes the messages one call event causes: a call
// message per extension of the call and, at the trigger, one popup.
func (h *Hub) HandleEvent(ctx context.Context, ev event.Event) {
	for _, ext := range extensionOf(ev) {
		if ext == "" {
			continue
		}
		call, s := h.callFor(ext, ev)
		h.publish(ctx, Message{Ext: ext, Call: &call})
		if p, ok := h.popupFor(ext, ev, call, s); ok {
			h.publish(ctx, Message{Ext: ext, Popup: &p})
		}
		if ev.Kind.Terminal() {
			h.forget(ev.CallID, ext)
		}
	}
}

// forget drops the popup memory of a finished call. No event follows a
// terminal one, so "ended" popups are never remembered.
func (h *Hub) forget(callID, ext string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.popped, popupID(callID, ext, event.Ringing))
	delete(h.popped, popupID(callID, ext, event.Answered))
}

func (h *Hub) publish(ctx context.Context, m Message) {
	if err := h.opts.Fanout.Publish(ctx, m); err != nil {
		h.m.publishErrors.Inc()
		h.log.WarnContext(ctx, "popup stream: publish failed", "type", m.Type(), "err", err)
	}
}

// callFor builds the call message for ext with the URL its settings allow.
func (h *Hub) callFor(ext string, ev event.Event) (Call, Settings) {
	s := h.policy.Load().Resolve(ext, ev.Integration)
	c := Call{
		CallID: ev.CallID, Phase: ev.Kind, Direction: ev.Direction,
		Caller: ev.Caller, Callee: ev.Callee,
		ContactName: ev.ContactName, ContactID: ev.ContactID, Source: ev.Source,
		Integration: ev.Integration, Trigger: s.Trigger,
		Start: ev.Start, Answer: ev.Answer, End: ev.End, At: ev.At,
	}
	if c.At.IsZero() {
		c.At = h.opts.Now()
	}
	if s.Trigger != TriggerOff && ev.Direction == event.Inbound {
		c.URL, c.Integration = h.urlFor(ev, s)
	}
	return c, s
}

// urlFor is the caller's CRM record, or the new-contact page for an
// unknown caller when the settings ask for it.
func (h *Hub) urlFor(ev event.Event, s Settings) (url, integration string) {
	if ev.ContactURL != "" {
		return ev.ContactURL, ev.Integration
	}
	unknown := ev.Source == "" || ev.Source == "prefix"
	if !unknown || s.Unknown != UnknownNewContact || h.opts.NewContact == nil || s.Integration == "" {
		return "", ev.Integration
	}
	if u, ok := h.opts.NewContact.NewContactURL(s.Integration); ok {
		return u, s.Integration
	}
	return "", ev.Integration
}

// popupFor returns the popup for this event if it is the trigger's phase
// and none was sent yet for the call, extension and phase.
func (h *Hub) popupFor(ext string, ev event.Event, c Call, s Settings) (Popup, bool) {
	if c.URL == "" || phaseOf(s.Trigger) != ev.Kind {
		return Popup{}, false
	}
	id := popupID(ev.CallID, ext, ev.Kind)
	now := h.opts.Now()
	h.mu.Lock()
	_, dup := h.popped[id]
	if !dup && !ev.Kind.Terminal() {
		h.popped[id] = now
		if now.Sub(h.pruned) > time.Minute {
			h.pruned = now
			pruneOlder(h.popped, now.Add(-popupMemory))
		}
	}
	h.mu.Unlock()
	if dup {
		return Popup{}, false
	}
	return Popup{
		ID: id, URL: c.URL, CallID: ev.CallID, ContactID: ev.ContactID,
		Integration: c.Integration, Phase: ev.Kind, Caller: ev.Caller, At: c.At,
	}, true
}

// popupMemory is how long the popups of a call whose end was never seen
// (a lost event) are remembered.
const popupMemory = 12 * time.Hour

// pruneOlder drops entries older than cut.
func pruneOlder(m map[string]time.Time, cut time.Time) {
	for k, t := range m {
		if t.Before(cut) {
			delete(m, k)
		}
	}
}
