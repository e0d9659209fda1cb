package stream

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"cidproxy/sip/event"
)

// Server-sent event types.
const (
	TypeCall  = "call"  // every lifecycle change of a call on the extension
	TypePopup = "popup" // the configured trigger fired: open URL
)

// Call is one lifecycle step of a call as the browser sees it.
type Call struct {
	CallID      string          `json:"call_id"`
	Phase       event.Kind      `json:"phase"`
	Direction   event.Direction `json:"direction"`
	Caller      event.Party     `json:"caller"`
	Callee      event.Party     `json:"callee"`
	ContactName string          `json:"contact_name,omitempty"`
	ContactID   string          `json:"contact_id,omitempty"`
	Source      string          `json:"source,omitempty"`
	Integration string          `json:"integration,omitempty"`
	// URL is the CRM record (or new-contact page) when the extension's
	// popup settings allow one; Trigger says when it opens by itself.
	URL     string    `json:"url,omitempty"`
	Trigger string    `json:"trigger"`
	Start   time.Time `json:"start"`
	Answer  time.Time `json:"answer,omitzero"`
	End     time.Time `json:"end,omitzero"`
	At      time.Time `json:"at"`
}

// Popup asks the extension's browser to open URL once.
type Popup struct {
	// ID identifies the popup (call, extension, phase); the first browser
	// tab that claims it opens the page.
	ID          string      `json:"id"`
	URL         string      `json:"url"`
	CallID      string      `json:"call_id"`
	ContactID   string      `json:"contact_id,omitempty"`
	Integration string      `json:"integration,omitempty"`
	Phase       event.Kind  `json:"phase"`
	Caller      event.Party `json:"caller"`
	At          time.Time   `json:"at"`
}

// Message is one event for one extension, as it travels through a Fanout.
// Exactly one of Call and Popup is set.
type Message struct {
	Ext   string `json:"ext"`
	Call  *Call  `json:"call,omitempty"`
	Popup *Popup `json:"popup,omitempty"`
}

// Type is the SSE event name.
func (m Message) Type() string {
	if m.Popup != nil {
		return TypePopup
	}
	return TypeCall
}

// at is when the underlying call event happened.
func (m Message) at() time.Time {
	if m.Popup != nil {
		return m.Popup.At
	}
	return m.Call.At
}

// Data is the JSON payload of the SSE event.
func (m Message) Data() ([]byte, error) {
	if m.Popup != nil {
		return json.Marshal(m.Popup)
	}
	return json.Marshal(m.Call)
}

// Frame is a message with its stream position, ready to write.
type Frame struct {
	ID   string // SSE id: EPOCH-SEQ
	Type string
	Data []byte
	msg  Message
	seq  uint64
}

// popupID is a stable, URL-safe identifier for (call, extension, phase).
func popupID(callID, ext string, phase event.Kind) string {
	h := sha256.Sum256([]byte(callID + "\x00" + ext + "\x00" + string(phase)))
	return hex.EncodeToString(h[:12])
}
