package store

import (
	"context"
	"errors"
	"testing"

	"cidproxy/config"
	"cidproxy/lookup"
)

func TestExtensionPopupSettings(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openTest(t, dir)
	if _, err := db.PutExtension(ctx, lookup.Extension{Number: "1001", Name: "Alice"}); err != nil {
		t.Fatal(err)
	}
	if e, _ := db.GetExtension(ctx, "1001"); e.Popup != nil {
		t.Errorf("no popup set: %+v", e.Popup)
	}
	for _, bad := range []lookup.PopupSettings{{Trigger: "now"}, {Unknown: "create"}} {
		var fe *FieldError
		if _, err := db.PutExtension(ctx, lookup.Extension{Number: "1001", Popup: &bad}); !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
			t.Errorf("popup %+v: %v, want a field error", bad, err)
		}
	}
	if _, err := db.PutExtension(ctx, lookup.Extension{Number: "1002", Popup: &lookup.PopupSettings{Trigger: "manual"}}); err != nil {
		t.Fatal(err)
	}
	// Seeding: a configured popup replaces the stored one, none keeps it.
	if err := db.SeedExtensions(ctx, []config.Extension{
		{Number: "1001", Popup: config.Popup{Trigger: "answered", Unknown: "none"}},
		{Number: "1002", Name: "Bob"},
	}); err != nil {
		t.Fatal(err)
	}
	// A caller changing what Get returned changes nothing stored.
	e, _ := db.GetExtension(ctx, "1002")
	e.Popup.Trigger = "off"
	db.Close()
	db = openTest(t, dir) // the record survives a restart
	for num, want := range map[string]lookup.PopupSettings{"1001": {Trigger: "answered", Unknown: "none"}, "1002": {Trigger: "manual"}} {
		e, err := db.GetExtension(ctx, num)
		if err != nil || e.Popup == nil || *e.Popup != want {
			t.Errorf("%s: popup %+v (%v), want %+v", num, e.Popup, err, want)
		}
	}
	// An empty override is dropped.
	e, err := db.PutExtension(ctx, lookup.Extension{Number: "1002", Popup: &lookup.PopupSettings{}})
	if err != nil || e.Popup != nil {
		t.Errorf("empty popup: %+v %v", e.Popup, err)
	}
}

func TestDecodeExtensionWithoutPopup(t *testing.T) {
	// A record written before popups existed: name, email, rev.
	old := appendString(appendString([]byte{recordFormat}, "Alice"), "a@example.com")
	old = append(old, 7)
	e, err := decodeExtension("1001", old)
	if err != nil || e.Name != "Alice" || e.Email != "a@example.com" || e.Rev != 7 || e.Popup != nil {
		t.Fatalf("decoded %+v, %v", e, err)
	}
	with := encodeExtension(&lookup.Extension{Name: "A", Rev: 3, Popup: &lookup.PopupSettings{Trigger: "ended"}})
	if e, err := decodeExtension("1", with); err != nil || e.Popup == nil || e.Popup.Trigger != "ended" || e.Rev != 3 {
		t.Errorf("round trip: %+v %v", e, err)
	}
	if _, err := decodeExtension("1", with[:len(with)-1]); err == nil {
		t.Error("a truncated popup field decoded")
	}
}
