package service

import (
	"context"
	"errors"
	"slices"
	"time"

	"cidproxy/crm"
	"cidproxy/crm/template"
	"cidproxy/lookup"
	"cidproxy/sip/event"
)

// Ring-time work (tickets, contacts for unknown numbers) talks to the CRM,
// so Record only queues it; a full queue drops the task and counts it.
const ringQueue = 1024

// ringTask is one call that started ringing or was answered.
type ringTask struct{ ev event.Event }

// queueRingWork hands a ringing or answered event to the ring worker when
// some integration creates tickets or contacts.
func (s *Service) queueRingWork(ev event.Event) {
	if !s.members().ringWork || (ev.Kind != event.Ringing && ev.Kind != event.Answered) {
		return
	}
	select {
	case s.ringQ <- ringTask{ev}:
	default:
		s.m.ringDropped.Inc()
	}
}

// runRing does the queued ring-time work until ctx is done.
func (s *Service) runRing(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-s.ringQ:
			for _, in := range s.members().list {
				in.ringing(ctx, t.ev)
			}
		}
	}
}

// extensionOf returns our side of a call: the callee of an inbound call,
// the caller of an outbound one ("" otherwise).
func extensionOf(ev event.Event) (ext, other string) {
	switch ev.Direction {
	case event.Inbound:
		return ev.Callee.Number, ev.Caller.Number
	case event.Outbound:
		return ev.Caller.Number, ev.Callee.Number
	}
	return "", ""
}

// ringing creates the call's ticket (helpdesk templates, inbound calls, at
// the first ringing) and, with create_contact.mode auto, a contact for an
// unknown number on a call of the configured kinds.
func (in *Integration) ringing(ctx context.Context, ev event.Event) {
	ext, other := extensionOf(ev)
	if ext == "" || other == "" {
		return
	}
	user, _ := in.userFor(ext)
	if user == "" {
		return
	}
	if ev.Direction == event.Inbound && in.it.Template().Feature(template.FeatureCreateNewTicket) {
		in.createTicket(ctx, ev, ext, user)
	}
	cc := in.cfg.CreateContact
	if cc.Mode != "auto" || !slices.Contains(callsOrInbound(cc.Calls), string(ev.Direction)) {
		return
	}
	if in.known(ctx, ev, other) {
		return
	}
	key, err := in.s.opts.Normalize(other)
	if err != nil {
		return
	}
	display := ""
	if ev.Direction == event.Inbound {
		display = ev.Caller.Name
	}
	// Legs of one ring group ring at once: one creation per number.
	_, _, _ = in.flight.Do("create:"+key, func() (any, error) {
		if _, _, err := in.createContact(ctx, other, display); err != nil {
			in.s.log.Warn("crm contact not created", "integration", in.name, "err", in.it.Redactor().String(err.Error()))
		}
		return nil, nil
	})
}

func callsOrInbound(calls []string) []string {
	if len(calls) == 0 {
		return []string{"inbound"}
	}
	return calls
}

// known reports whether the call's other party already has a name.
func (in *Integration) known(ctx context.Context, ev event.Event, other string) bool {
	if ev.Direction == event.Inbound && ev.Source != "" && ev.Source != lookup.SourcePrefix {
		return true
	}
	if in.s.local == nil {
		return false
	}
	_, err := in.s.local.Lookup(ctx, lookup.Query{Number: other})
	return err == nil
}

const ticketPrefix = "ticket/"

// createTicket runs CreateNewTicket once per call and keeps its TicketId
// for the journal record of the call.
func (in *Integration) createTicket(ctx context.Context, ev event.Event, ext, user string) {
	key := ticketPrefix + EntryKey(in.name, ev.CallID)
	if _, err := in.s.opts.KV.Get(ctx, key); err == nil || !errors.Is(err, crm.ErrNotFound) {
		return // created already (or the KV is failing: do not risk a second)
	}
	// Reserve the key first: a second event of the call never creates twice.
	if err := in.s.opts.KV.Put(ctx, key, nil); err != nil {
		return
	}
	rec := crm.CallRecord{
		CallID: ev.CallID, Start: ev.Start, End: in.s.opts.Now(), Direction: crm.DirectionInbound,
		CallerName: ev.Caller.Name, CallerNumber: ev.Caller.Number, CalleeNumber: ev.Callee.Number,
		ContactNumber: ev.Caller.Number, Extension: crm.Extension{Number: ext}, CrmUserID: user,
	}
	if x, err := in.s.opts.Store.GetExtension(ctx, ext); err == nil {
		rec.Extension = toCRMExtension(x)
	}
	if ev.ContactID != "" {
		rec.Contact = in.contactFor(ctx, ev.ContactID)
	}
	tctx, cancel := context.WithTimeout(ctx, in.s.opts.Timeout+time.Second)
	defer cancel()
	id, err := in.it.CreateTicket(tctx, rec)
	if err != nil {
		in.fail(err)
		in.s.log.Warn("crm ticket not created", "integration", in.name, "err", in.it.Redactor().String(err.Error()))
		return
	}
	_ = in.s.opts.KV.Put(ctx, key, []byte(id))
}

// ticketFor returns the TicketId created for the call ("" if none).
func (in *Integration) ticketFor(ctx context.Context, callID string) string {
	v, err := in.s.opts.KV.Get(ctx, ticketPrefix+EntryKey(in.name, callID))
	if err != nil {
		return ""
	}
	return string(v)
}
