package main

import (
	"context"
	"sync/atomic"

	"cidproxy/api/stream"
	"cidproxy/config"
	"cidproxy/crm/service"
)

// popupPolicy reads the running integrations (the file's and those
// managed through the API) and the extensions' stored settings (seeded
// from the file, editable through the API) on every call.
func (m *Main) popupPolicy() *stream.Policy {
	fileInts := m.Config.CRM.Integrations
	ints := func() []config.Integration { return fileInts }
	if crm := m.CRM; crm != nil {
		ints = func() []config.Integration {
			ins := crm.Integrations()
			out := make([]config.Integration, len(ins))
			for i, in := range ins {
				out[i] = in.Config()
			}
			return out
		}
	}
	db := m.DB
	return stream.NewLivePolicy(ints, func(number string) config.Popup {
		e, err := db.GetExtension(context.Background(), number) // in memory
		if err != nil || e.Popup == nil {
			return config.Popup{}
		}
		return config.Popup{Trigger: e.Popup.Trigger, Unknown: e.Popup.Unknown}
	})
}

// popupQueue is the popup hub's bus queue: it only encodes and fans out,
// so it keeps up at full call rate; a burst beyond it is dropped and
// counted by the bus.
const popupQueue = 8192

// startPopups builds the popup hub from crm.integrations[].popup and
// extensions[].popup (Reload swaps the policy) and feeds it from the bus.
// The CRM service gives the new-contact pages (popup.new_contact_url).
func (m *Main) startPopups(ctx context.Context, crm *service.Service) error {
	var newContact stream.NewContactURLer
	if crm != nil { // a nil *service.Service must not become a non-nil interface
		newContact = crm
	}
	var hub atomic.Pointer[stream.Hub]
	fan, claims, err := m.popupFanout(&hub)
	if err != nil {
		return err
	}
	m.Popups = stream.New(stream.Options{
		Policy:     m.popupPolicy(),
		NewContact: newContact,
		Fanout:     fan,
		Claims:     claims,
		Logger:     m.Log.With("component", "popup"),
		Registerer: m.Registry,
	})
	hub.Store(m.Popups)
	sub := m.Bus.Subscribe("popup", popupQueue)
	m.consume(func() { m.Popups.Run(context.WithoutCancel(ctx), sub) })
	return nil
}
