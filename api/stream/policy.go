package stream

import (
	"cidproxy/config"
	"cidproxy/sip/event"
)

// Popup triggers and unknown-caller modes (config.Popup values).
const (
	TriggerRinging  = "ringing"
	TriggerAnswered = "answered"
	TriggerEnded    = "ended"
	TriggerManual   = "manual"
	TriggerOff      = "off"

	UnknownNewContact = "new_contact"
	UnknownNone       = "none"
)

// Settings are the effective popup settings for one call on one extension.
type Settings struct {
	Trigger     string // ringing, answered, ended, manual or off
	Unknown     string // new_contact or none
	Integration string // the integration whose page opens ("" when none applies)
}

// Policy resolves popup settings from crm.integrations[].popup and the
// extensions[].popup overrides.
type Policy struct {
	integrations []config.Integration
	source       func() []config.Integration // if set, asked per call instead
	ext          func(number string) config.Popup
}

// NewPolicy keeps the popup settings of ints and exts (in order: the first
// integration with popups on serves unknown callers).
func NewPolicy(ints []config.Integration, exts []config.Extension) *Policy {
	m := make(map[string]config.Popup, len(exts))
	for _, e := range exts {
		m[e.Number] = e.Popup
	}
	return &Policy{integrations: ints, ext: func(n string) config.Popup { return m[n] }}
}

// NewLivePolicy asks ints and ext on every call: integrations and
// extension settings changed at run time (through the API) apply to the
// next call.
func NewLivePolicy(ints func() []config.Integration, ext func(number string) config.Popup) *Policy {
	return &Policy{source: ints, ext: ext}
}

func (p *Policy) list() []config.Integration {
	if p.source != nil {
		return p.source()
	}
	return p.integrations
}

// Resolve returns the settings for a call on ext whose caller matched a
// record of integration (empty when the caller is not a CRM contact). The
// extension's own settings win field by field, then the named integration,
// then, for callers without a CRM record, the first integration with
// popups on.
func (p *Policy) Resolve(ext, integration string) Settings {
	var s Settings
	ints := p.list()
	if it, ok := findIntegration(ints, integration); ok {
		s = Settings{Trigger: it.Popup.Trigger, Unknown: it.Popup.Unknown, Integration: it.Name}
	} else if it, ok := firstOn(ints); ok && integration == "" {
		s = Settings{Trigger: it.Popup.Trigger, Unknown: it.Popup.Unknown, Integration: it.Name}
	}
	if o := p.ext(ext); o.Trigger != "" || o.Unknown != "" {
		if o.Trigger != "" {
			s.Trigger = o.Trigger
		}
		if o.Unknown != "" {
			s.Unknown = o.Unknown
		}
		if s.Integration == "" && len(ints) > 0 && integration == "" {
			s.Integration = ints[0].Name
		}
	}
	if s.Trigger == "" {
		s.Trigger = TriggerOff
	}
	if s.Unknown == "" {
		s.Unknown = UnknownNone
	}
	return s
}

func findIntegration(ints []config.Integration, name string) (config.Integration, bool) {
	if name == "" {
		return config.Integration{}, false
	}
	for _, it := range ints {
		if it.Name == name {
			return it, true
		}
	}
	return config.Integration{}, false
}

func firstOn(ints []config.Integration) (config.Integration, bool) {
	for _, it := range ints {
		if it.Popup.Trigger != "" && it.Popup.Trigger != TriggerOff {
			return it, true
		}
	}
	return config.Integration{}, false
}

// phaseOf maps a trigger to the event kind that fires it ("" for manual and off).
func phaseOf(trigger string) event.Kind {
	switch trigger {
	case TriggerRinging:
		return event.Ringing
	case TriggerAnswered:
		return event.Answered
	case TriggerEnded:
		return event.Ended
	}
	return ""
}

// extensionOf names the extension a call belongs to: the callee of an
// inbound call, the caller of an outbound one. Internal calls belong to
// both; transit calls to none.
func extensionOf(ev event.Event) []string {
	switch ev.Direction {
	case event.Inbound:
		return []string{ev.Callee.Number}
	case event.Outbound:
		return []string{ev.Caller.Number}
	case event.Internal:
		return []string{ev.Callee.Number, ev.Caller.Number}
	}
	return nil
}
