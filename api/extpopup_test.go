package api

import (
	"testing"

	"cidproxy/lookup"
)

// An admin sets an extension's popup settings through the API; a PATCH of
// another field keeps them, bad values get 422 naming the field, and an
// extension token cannot change them.
func TestExtensionPopupThroughAPI(t *testing.T) {
	e := newEnv(t)
	var x lookup.Extension
	e.expect(req{method: "PATCH", path: "/api/v1/extensions/1001", token: e.admin,
		body: map[string]any{"popup": map[string]string{"trigger": "manual", "unknown": "new_contact"}}}, 200).decode(t, &x)
	if x.Popup == nil || *x.Popup != (lookup.PopupSettings{Trigger: "manual", Unknown: "new_contact"}) {
		t.Fatalf("after PATCH: %+v", x.Popup)
	}
	e.expect(req{method: "PATCH", path: "/api/v1/extensions/1001", token: e.admin, body: map[string]any{"popup": map[string]string{"trigger": "answered"}}}, 200).decode(t, &x)
	e.expect(req{method: "PATCH", path: "/api/v1/extensions/1001", token: e.admin, body: map[string]string{"name": "Alicia"}}, 200).decode(t, &x)
	if x.Popup == nil || x.Popup.Trigger != "answered" || x.Popup.Unknown != "new_contact" || x.Name != "Alicia" {
		t.Errorf("after patching trigger, then name: %+v %+v", x, x.Popup)
	}
	for field, body := range map[string]map[string]string{
		"popup.trigger": {"trigger": "immediately"},
		"popup.unknown": {"unknown": "create"},
	} {
		r := e.expect(req{method: "PATCH", path: "/api/v1/extensions/1001", token: e.admin, body: map[string]any{"popup": body}}, 422)
		if p := r.problem(t); p.Field != field {
			t.Errorf("%v: problem field %q, want %q", body, p.Field, field)
		}
	}
	e.expect(req{method: "PATCH", path: "/api/v1/extensions/1001", token: e.tok["1001"], body: map[string]any{"popup": map[string]string{"trigger": "off"}}}, 403)
	e.expect(req{method: "GET", path: "/api/v1/extensions/1001", token: e.tok["1001"]}, 200).decode(t, &x)
	if x.Popup == nil || x.Popup.Trigger != "answered" {
		t.Errorf("stored popup %+v", x.Popup)
	}
}
