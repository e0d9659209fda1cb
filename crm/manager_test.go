package crm

import (
	"context"
	"errors"
	"testing"

	"cidproxy/crm/builtin"
	"cidproxy/crm/crmtest"
)

func TestManagerLifecycle(t *testing.T) {
	ctx := context.Background()
	kv := NewMemKV()
	f := crmtest.NewFreshdesk(fdKey)
	defer f.Close()
	f.AddContact(map[string]any{"id": 1, "name": "Ross", "phone": "+4930555"})
	m, err := NewManager(ManagerConfig{KV: kv, Sealer: testSealer(t), HTTP: f.Client(), Location: testLoc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Configure(ctx, "desk", builtin.Freshdesk, map[string]string{"domain": "acme", "api_key": fdKey}, Settings{}); err != nil {
		t.Fatal(err)
	}
	// A restart: a new manager over the same KV configures from the sealed fields.
	m2, _ := NewManager(ManagerConfig{KV: kv, Sealer: testSealer(t), HTTP: f.Client(), Location: testLoc})
	it, err := m2.Configure(ctx, "desk", builtin.Freshdesk, nil, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := it.SearchContact(ctx, "+4930555"); err != nil || len(c) != 1 {
		t.Fatalf("%v %v", c, err)
	}
	if err := m2.StartAll(ctx); err != nil {
		t.Fatal(err)
	}
	// Custom templates resolve after built-ins.
	if _, err := m2.Templates().Save(ctx, customTemplate("mydesk", 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Configure(ctx, "mine", "mydesk", map[string]string{"domain": "acme", "api_key": fdKey}, Settings{}); err != nil {
		t.Fatal(err)
	}
	if ids := m2.IDs(); len(ids) != 2 || ids[0] != "desk" || ids[1] != "mine" {
		t.Fatalf("ids %v", ids)
	}
	if err := m2.Remove(ctx, "desk"); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSecretStore(kv, testSealer(t)).LoadFields(ctx, "desk"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("fields survive Remove: %v", err)
	}
	if m2.Get("desk") != nil {
		t.Fatal("still configured")
	}
	if _, err := m2.Configure(ctx, "x", "nope", nil, Settings{}); err == nil {
		t.Fatal("unknown template accepted")
	}
}
