package main

import (
	"context"

	"cidproxy/api/stream"
)

// popupQueue is the popup hub's bus queue: it only encodes and fans out,
// so it keeps up at full call rate; a burst beyond it is dropped and
// counted by the bus.
const popupQueue = 8192

// startPopups builds the popup hub from crm.integrations[].popup and
// extensions[].popup and feeds it from the bus. newContact gives the
// CRM's new-contact pages (the CRM integration runtime); nil: unknown
// callers get no popup.
func (m *Main) startPopups(ctx context.Context, newContact stream.NewContactURLer) {
	m.Popups = stream.New(stream.Options{
		Policy:     stream.NewPolicy(m.Config.CRM.Integrations, m.Config.Extensions),
		NewContact: newContact,
		Logger:     m.Log.With("component", "popup"),
		Registerer: m.Registry,
	})
	sub := m.Bus.Subscribe("popup", popupQueue)
	m.consume(func() { m.Popups.Run(context.WithoutCancel(ctx), sub) })
}
