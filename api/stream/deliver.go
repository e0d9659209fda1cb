package stream

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
)

// extState is what the hub keeps per extension.
type extState struct {
	clients map[*Client]struct{}
	history []Frame          // last Options.History frames, oldest first
	calls   map[string]*Call // calls in progress by call id
	recent  []Call           // finished calls, newest first
}

// Client is one connected browser tab. Read C until Gone is closed.
type Client struct {
	ext  string
	c    chan Frame
	gone chan struct{}
}

// C delivers the client's frames.
func (c *Client) C() <-chan Frame { return c.c }

// Gone is closed when the hub dropped the client for a full buffer.
func (c *Client) Gone() <-chan struct{} { return c.gone }

// replayPopupAge bounds how old a popup may be to be replayed after a
// reconnect: a record should not open minutes after the call rang.
const replayPopupAge = 30 * time.Second

func (h *Hub) ext(number string) *extState {
	st := h.exts[number]
	if st == nil {
		st = &extState{clients: map[*Client]struct{}{}, calls: map[string]*Call{}}
		h.exts[number] = st
	}
	return st
}

// Deliver records m in its extension's history and call list and hands
// it to every connected client of the extension without blocking; a
// client whose buffer is full is dropped.
func (h *Hub) Deliver(m Message) {
	data, err := m.Data()
	if err != nil || m.Ext == "" || (m.Call == nil && m.Popup == nil) {
		h.m.publishErrors.Inc()
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	f := Frame{ID: h.epoch + "-" + strconv.FormatUint(h.seq, 10), Type: m.Type(), Data: data, msg: m, seq: h.seq}
	st := h.ext(m.Ext)
	st.history = append(st.history, f)
	if n := len(st.history) - h.opts.History; n > 0 {
		st.history = append(st.history[:0], st.history[n:]...)
	}
	if m.Call != nil {
		h.trackCall(st, *m.Call)
	} else {
		h.m.popups.WithLabelValues(string(m.Popup.Phase)).Inc()
	}
	for c := range st.clients {
		select {
		case c.c <- f:
		default:
			h.dropLocked(st, c, "slow")
		}
	}
}

// trackCall keeps the calls in progress and the recent finished ones.
func (h *Hub) trackCall(st *extState, c Call) {
	if !c.Phase.Terminal() {
		st.calls[c.CallID] = &c
		h.pruneCalls(st)
		return
	}
	delete(st.calls, c.CallID)
	st.recent = append([]Call{c}, st.recent...)
	if len(st.recent) > h.opts.Recent {
		st.recent = st.recent[:h.opts.Recent]
	}
}

// maxCallAge drops calls in progress whose end was never seen.
const maxCallAge = 12 * time.Hour

func (h *Hub) pruneCalls(st *extState) {
	cut := h.opts.Now().Add(-maxCallAge)
	for id, c := range st.calls {
		if c.At.Before(cut) {
			delete(st.calls, id)
		}
	}
}

// Subscribe connects a client to ext. lastID is the Last-Event-ID of a
// reconnecting client (or ""): frames after it that the hub still holds
// are returned for replay, except popups older than replayPopupAge. A
// lastID from another hub start replays nothing.
func (h *Hub) Subscribe(ext, lastID string) (*Client, []Frame) {
	c := &Client{ext: ext, c: make(chan Frame, h.opts.ClientBuf), gone: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.ext(ext)
	st.clients[c] = struct{}{}
	h.m.clients.Inc()
	return c, h.replay(st, lastID)
}

func (h *Hub) replay(st *extState, lastID string) []Frame {
	epoch, seqs, ok := strings.Cut(lastID, "-")
	seq, err := strconv.ParseUint(seqs, 10, 64)
	if !ok || err != nil || epoch != h.epoch {
		return nil
	}
	cut := h.opts.Now().Add(-replayPopupAge)
	var out []Frame
	for _, f := range st.history {
		if f.seq <= seq || (f.msg.Popup != nil && f.msg.Popup.At.Before(cut)) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// Unsubscribe disconnects c; reason is "closed" (the browser left) or
// "write_timeout" (a stalled connection, counted as dropped).
func (h *Hub) Unsubscribe(c *Client, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.exts[c.ext]
	if st == nil {
		return
	}
	if _, ok := st.clients[c]; !ok {
		return
	}
	if reason == "closed" {
		delete(st.clients, c)
		h.m.clients.Dec()
		return
	}
	h.dropLocked(st, c, reason)
}

func (h *Hub) dropLocked(st *extState, c *Client, reason string) {
	delete(st.clients, c)
	close(c.gone)
	h.m.clients.Dec()
	h.m.dropped.WithLabelValues(reason).Inc()
}

// Current returns the calls in progress on ext (newest first) and the
// recent finished ones (newest first).
func (h *Hub) Current(ext string) (current, recent []Call) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.exts[ext]
	if st == nil {
		return nil, nil
	}
	for _, c := range st.calls {
		current = append(current, *c)
	}
	sortNewest(current)
	return current, append([]Call(nil), st.recent...)
}

// ErrUnknownPopup is returned for a claim of a popup the extension's
// stream does not hold.
var ErrUnknownPopup = errors.New("stream: unknown popup")

// Claim reports whether this is the first claim of popup id on ext: the
// tab that gets true opens the page, the others do not.
func (h *Hub) Claim(ctx context.Context, ext, id string) (bool, error) {
	if !h.holdsPopup(ext, id) {
		return false, ErrUnknownPopup
	}
	ok, err := h.opts.Claims.Claim(ctx, ext+"/"+id)
	if ok {
		h.m.claims.Inc()
	}
	return ok, err
}

func (h *Hub) holdsPopup(ext, id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.exts[ext]
	if st == nil {
		return false
	}
	for _, f := range st.history {
		if f.msg.Popup != nil && f.msg.Popup.ID == id {
			return true
		}
	}
	return false
}
