package crm

import (
	"context"
	"errors"
	"time"

	"cidproxy/lookup"
	"cidproxy/sip/event"
)

var _ lookup.Source = (*Integration)(nil)

// Name implements lookup.Source: "crm:<id>".
func (it *Integration) Name() string { return lookup.SourceCRM + ":" + it.id }

// Remote implements lookup.Remote: a CRM is outside the daemon, so withheld
// callers are never sent to it.
func (it *Integration) Remote() bool { return true }

var _ lookup.Remote = (*Integration)(nil)

// Lookup implements lookup.Source: the first contact found for the caller's
// number names the call. No contact is lookup.ErrNotFound; other errors are
// returned (the chain treats them as no match). Use a short ctx deadline on
// the call path; the Client never waits beyond it.
func (it *Integration) Lookup(ctx context.Context, q lookup.Query) (lookup.Result, error) {
	cs, err := it.SearchContact(ctx, q.Number)
	if err != nil {
		return lookup.Result{}, err
	}
	for _, c := range cs {
		if n := c.DisplayName(); n != "" {
			return lookup.Result{Name: n, Source: lookup.SourceCRM, ContactID: c.Type + "/" + c.ID}, nil
		}
	}
	return lookup.Result{}, lookup.ErrNotFound
}

// ErrNotJournaled is returned by CallRecordFromEvent for events that are not
// the end of a call between an extension and an external party.
var ErrNotJournaled = errors.New("crm: event is not a journaled call")

// CallRecordFromEvent turns a terminal call event into a CallRecord for
// LogCall. ext describes the extension on our side (the callee of an
// inbound call, the caller of an outbound one); contact may be nil.
func CallRecordFromEvent(ev event.Event, ext Extension, contact *Contact) (CallRecord, error) {
	if !ev.Kind.Terminal() {
		return CallRecord{}, ErrNotJournaled
	}
	rec := CallRecord{
		CallID: ev.CallID, Start: ev.Start, Answer: ev.Answer, End: ev.End,
		CallerName: ev.Caller.Name, CallerNumber: ev.Caller.Number,
		CalleeName: ev.Callee.Name, CalleeNumber: ev.Callee.Number,
		Extension: ext, Contact: contact,
	}
	if rec.End.IsZero() {
		rec.End = ev.At
	}
	if rec.Start.IsZero() {
		rec.Start = rec.End
	}
	switch ev.Direction {
	case event.Inbound:
		rec.Direction, rec.ContactNumber = DirectionInbound, ev.Caller.Number
		if ev.ContactName != "" && rec.CallerName == "" {
			rec.CallerName = ev.ContactName
		}
	case event.Outbound:
		rec.Direction, rec.ContactNumber = DirectionOutbound, ev.Callee.Number
	default:
		return CallRecord{}, ErrNotJournaled
	}
	switch ev.Kind {
	case event.Ended:
		rec.Disposition = DispositionAnswered
		if rec.Answer.IsZero() {
			rec.Answer = rec.End.Add(-ev.Talk)
		}
	case event.Busy:
		rec.Disposition = DispositionBusy
	case event.Missed, event.Cancelled:
		rec.Disposition = DispositionMissed
		if ev.Direction == event.Outbound {
			rec.Disposition = DispositionNoAnswer
		}
	default:
		rec.Disposition = DispositionNoAnswer
	}
	if rec.Disposition != DispositionAnswered {
		rec.Answer = time.Time{}
	}
	return rec, nil
}

// IsSecretField reports whether a custom field of that name holds a secret
// (client_secret, api_key, tokens, passwords): it is masked in output and
// never shown by the API. Fields of Editor="password" are secret too.
func IsSecretField(name string) bool { return isSecretName(name) || name == "refresh_token" }
