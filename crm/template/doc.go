// Package template reads, validates, writes back and renders Yeastar-style
// CRM/helpdesk integration templates (the <Information> XML format).
//
// API summary (work in progress; names are stable):
//
//	t, err := template.Parse(xmlBytes, template.WithLocation(loc))
//	t.Warnings                       // what loads but cidproxy does not act on
//	t.Bytes()                        // XML written back (round trip)
//	t.Scenario("SyncContactAuto")    // *Scenario; .Requests, .Param(name)
//	t.Auth(), t.CustomFields(), t.Headers(), t.TokenInvalid()
package template
