package crm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"cidproxy/crm/template"
)

// CreateTicket runs the first request of CreateNewTicket (helpdesk) for a
// call and returns the TicketId output ("" if the template maps none).
// Pass the id in CallRecord.TicketID to LogCall so later requests (the
// ticket update, the journal) can use {{.TicketId}}.
func (it *Integration) CreateTicket(ctx context.Context, rec CallRecord) (string, error) {
	sc := it.tpl.Scenario(template.ScenarioCreateNewTicket)
	if sc == nil || len(sc.Requests) == 0 {
		return "", errors.New("crm: template has no CreateNewTicket scenario")
	}
	vars, err := it.callVars(sc, rec)
	if err != nil {
		return "", err
	}
	r := sc.Request(template.ScenarioCreateNewTicket)
	if r == nil {
		r = sc.Requests[0]
	}
	resp, err := it.do(ctx, sc.ID, r, vars)
	if err != nil {
		return "", err
	}
	out, err := it.extractFirst(r, resp.Body, vars)
	if err != nil {
		return "", fmt.Errorf("crm: CreateNewTicket outputs: %w", err)
	}
	return cleanValue(out["TicketId"], maxFieldLen), nil
}

// LogCall journals a finished call: it runs the CallJournal requests in
// order (outputs of one feed the next) and, when rec.TicketID is set, the
// remaining CreateNewTicket requests (the ticket update of the seed).
func (it *Integration) LogCall(ctx context.Context, rec CallRecord) error {
	var errs []error
	if rec.TicketID != "" {
		if sc := it.tpl.Scenario(template.ScenarioCreateNewTicket); sc != nil && len(sc.Requests) > 1 {
			first := sc.Request(template.ScenarioCreateNewTicket)
			if first == nil {
				first = sc.Requests[0]
			}
			errs = append(errs, it.runScenario(ctx, sc, rec, first))
		}
	}
	if sc := it.tpl.Scenario(template.ScenarioCallJournal); sc != nil {
		errs = append(errs, it.runScenario(ctx, sc, rec, nil))
	} else if rec.TicketID == "" {
		return errors.New("crm: template has no CallJournal scenario")
	}
	return errors.Join(errs...)
}

// runScenario sends every request of sc except skip, feeding outputs forward.
func (it *Integration) runScenario(ctx context.Context, sc *template.Scenario, rec CallRecord, skip *template.Request) error {
	vars, err := it.callVars(sc, rec)
	if err != nil {
		return err
	}
	for _, r := range sc.Requests {
		if r == skip {
			continue
		}
		resp, err := it.do(ctx, sc.ID, r, vars)
		if errors.Is(err, template.ErrEmptyURL) {
			continue // URLFormat="{{if .RecordPath}}…{{end}}": skipped by design
		}
		if err != nil {
			return fmt.Errorf("crm: %s/%s: %w", sc.ID, r.Name, err)
		}
		out, _ := it.extractFirst(r, resp.Body, vars)
		for k, v := range out {
			vars[k] = cleanValue(v, maxFieldLen)
		}
	}
	return nil
}

// callVars builds the call variables for a journal or ticket scenario:
// fields, globals, the seed's call variables, and Subject/Description
// rendered from the scenario parameters (or the administrator's override).
func (it *Integration) callVars(sc *template.Scenario, rec CallRecord) (template.Vars, error) {
	if rec.CrmUserID == "" {
		rec.CrmUserID = it.settings.Associations[rec.Extension.Number]
	}
	if rec.ContactNumber == "" {
		rec.ContactNumber = rec.CallerNumber
		if rec.Direction == DirectionOutbound {
			rec.ContactNumber = rec.CalleeNumber
		}
	}
	if !it.playRecording(sc) {
		rec.RecordingEnabled, rec.RecordPath = false, ""
	}
	vars := merge(it.baseVars(), rec.journalVars(it.loc))
	for _, name := range []string{"Subject", "Description"} {
		s, err := it.renderSetting(sc, name, vars)
		if err != nil {
			return nil, err
		}
		vars[name] = s
	}
	return vars, nil
}

// renderSetting renders Subject or Description: the administrator's text
// when Enable<name> is 1 and one is set, else the template default.
func (it *Integration) renderSetting(sc *template.Scenario, name string, vars template.Vars) (string, error) {
	p := sc.Param(name)
	override := it.settings.Subject
	if name == "Description" {
		override = it.settings.Description
	}
	if override != "" && sc.Enabled("Enable"+name) {
		return it.tpl.RenderString(override, template.CtxPlain, vars)
	}
	if p == nil {
		return "", nil
	}
	s, err := p.Render(vars)
	if err != nil {
		return "", fmt.Errorf("crm: %s %s: %w", sc.ID, name, err)
	}
	return strings.TrimSpace(s), nil
}

// playRecording reports whether recording links go to the CRM.
func (it *Integration) playRecording(sc *template.Scenario) bool {
	if sc.Param("EnablePlayCallRecording") == nil && sc.Param("PlayCallRecording") == nil {
		return true
	}
	if sc.Enabled("EnablePlayCallRecording") && it.settings.PlayCallRecording != nil {
		return *it.settings.PlayCallRecording
	}
	return sc.Enabled("PlayCallRecording")
}
