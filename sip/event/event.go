// Package event holds the call lifecycle events the SIP proxy emits and a
// bounded, non-blocking bus that fans them out to workers (journal, popup,
// logging). It imports nothing of cidproxy so every package may use it.
package event

import (
	"time"
)

// Kind is a call lifecycle state.
type Kind string

// Call lifecycle kinds, in the order a call usually passes through them.
const (
	Ringing   Kind = "ringing"   // 180/183 seen
	Answered  Kind = "answered"  // 2xx to the INVITE
	Ended     Kind = "ended"     // BYE from either side after answer
	Missed    Kind = "missed"    // no answer (ring timeout, 408/480) without a CANCEL
	Cancelled Kind = "cancelled" // the caller gave up (CANCEL, 487)
	Busy      Kind = "busy"      // 486/600
	Failed    Kind = "failed"    // any other final response or transport failure
)

// Kinds lists every kind, for metrics initialisation.
var Kinds = []Kind{Ringing, Answered, Ended, Missed, Cancelled, Busy, Failed}

// Terminal reports whether no further event follows this kind for a call.
func (k Kind) Terminal() bool {
	switch k {
	case Ringing, Answered:
		return false
	}
	return true
}

// Direction tells who placed the call relative to the configured extensions.
type Direction string

// Call directions.
const (
	Inbound  Direction = "inbound"  // external caller -> extension
	Outbound Direction = "outbound" // extension -> external callee
	Internal Direction = "internal" // extension -> extension
	External Direction = "external" // neither party is an extension (transit)
)

// Party is one end of a call.
type Party struct {
	Number string `json:"number"`         // as seen in SIP (user part), not normalised
	Name   string `json:"name,omitempty"` // display name after rewrite, if any
}

// Event is one lifecycle step of one call.
type Event struct {
	Kind      Kind      `json:"kind"`
	CallID    string    `json:"call_id"`
	Direction Direction `json:"direction"`
	Caller    Party     `json:"caller"`
	Callee    Party     `json:"callee"`

	// Matched contact for the caller (empty when unknown).
	ContactName string `json:"contact_name,omitempty"`
	ContactID   string `json:"contact_id,omitempty"`
	Source      string `json:"source,omitempty"` // personal, company, prefix, crm, extension
	// Integration and ContactURL name the CRM record of the matched contact
	// (the integration's name and the record's page); empty when the
	// contact did not come from a CRM. Set by the CRM lookup path.
	Integration string `json:"integration,omitempty"`
	ContactURL  string `json:"contact_url,omitempty"`

	// Code is the SIP status code that caused the event (0 for BYE/timeouts).
	Code int `json:"code,omitempty"`
	// Reason is a short machine-readable reason ("bye-caller", "bye-callee",
	// "timeout", "cancel", "cancel-elsewhere" for a CANCEL with Reason
	// SIP;cause=200: another leg of a ring group answered, ...).
	Reason string `json:"reason,omitempty"`

	Start    time.Time     `json:"start"`              // INVITE received
	Ring     time.Time     `json:"ring,omitzero"`      // first ringing
	Answer   time.Time     `json:"answer,omitzero"`    // answered
	End      time.Time     `json:"end,omitzero"`       // terminal event time
	At       time.Time     `json:"at"`                 // when this event was emitted
	Talk     time.Duration `json:"talk_ns,omitempty"`  // answered -> ended
	Duration time.Duration `json:"total_ns,omitempty"` // start -> end
}
