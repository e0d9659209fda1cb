package crm

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cidproxy/crm/builtin"
)

func TestSealerRoundTripAndBinding(t *testing.T) {
	s := testSealer(t)
	sealed, err := s.Seal([]byte("refresh-token-value"), "crm/token/a")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("refresh-token-value")) {
		t.Fatal("plaintext visible")
	}
	plain, err := s.Open(sealed, "crm/token/a")
	if err != nil || string(plain) != "refresh-token-value" {
		t.Fatalf("%q %v", plain, err)
	}
	if _, err := s.Open(sealed, "crm/token/b"); err == nil {
		t.Fatal("opened under another key name")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open(sealed, "crm/token/a"); err == nil {
		t.Fatal("tampered value opened")
	}
	if _, err := s.Open([]byte{1, 2}, "x"); err == nil {
		t.Fatal("short value opened")
	}
	again, _ := s.Seal([]byte("refresh-token-value"), "crm/token/a")
	if bytes.Equal(again, sealed) {
		t.Fatal("nonce reused")
	}
}

func TestParseKey(t *testing.T) {
	hexKey := strings.Repeat("ab", 32)
	tests := []struct {
		in string
		ok bool
	}{
		{hexKey, true},
		{" " + hexKey + "\n", true},
		{"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=", true}, // base64 of 32 bytes
		{strings.Repeat("ab", 16), false},
		{"not a key", false},
		{"", false},
	}
	for _, tc := range tests {
		if _, err := ParseKey(tc.in); (err == nil) != tc.ok {
			t.Errorf("ParseKey(%q) err = %v", tc.in, err)
		}
	}
}

func TestKeyFileCreatedWith0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "crm.key")
	k1, err := LoadOrCreateKeyFile(path)
	if err != nil || len(k1) != KeySize {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o", st.Mode().Perm())
	}
	k2, err := LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second start read a different key: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKeyFile(path); err == nil {
		t.Fatal("world-readable key file accepted")
	}
}

// TestSecretsNeverLogged runs the whole OAuth2 life cycle with debug logging
// and checks that no secret reaches the log.
func TestSecretsNeverLogged(t *testing.T) {
	z, it, logs := newZoho(t, NewMemKV(), nil)
	authorize(t, it, z.Server)
	z.AddRecord("Contacts", map[string]any{"id": "1", "First_Name": "Ada", "Phone": "+4930777123"})
	first := it.Token()
	z.OAuth.ExpireAll()
	if _, err := it.SearchContact(context.Background(), "+4930777123"); err != nil {
		t.Fatal(err)
	}
	z.Server.FailNext(3, crmtestFault500())
	_, _ = it.SearchContact(context.Background(), "+4930777123")
	if err := it.LogCall(context.Background(), answeredCall(nil)); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "crm request") {
		t.Fatal("debug log not captured")
	}
	cur := it.Token()
	for _, s := range []string{zohoClientSecret, first.AccessToken, first.RefreshToken, cur.AccessToken, "code-1"} {
		if strings.Contains(out, s) {
			t.Fatalf("secret %q in logs:\n%s", s, out)
		}
	}
	if strings.Contains(out, "4930777123") || strings.Contains(out, "49301234567") {
		t.Fatalf("phone number in logs:\n%s", out)
	}
}

func TestNewRejectsBadConfigs(t *testing.T) {
	tpl := loadBuiltin(t, builtin.Zoho)
	if _, err := New(context.Background(), Config{Template: tpl, KV: NewMemKV()}); err == nil {
		t.Fatal("KV without Sealer accepted")
	}
	if _, err := New(context.Background(), Config{}); err == nil {
		t.Fatal("nil template accepted")
	}
	it := newIntegration(t, Config{Template: tpl})
	if err := it.Start(context.Background()); !errors.Is(err, ErrNotAuthorized) {
		t.Fatalf("Start before authorization: %v", err)
	}
}

func TestFieldsSealedAtRest(t *testing.T) {
	kv := NewMemKV()
	ss := NewSecretStore(kv, testSealer(t))
	ctx := context.Background()
	if _, err := ss.LoadFields(ctx, "zoho"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	in := map[string]string{"client_id": "1000.X", "client_secret": "very-secret-value"}
	if err := ss.SaveFields(ctx, "zoho", in); err != nil {
		t.Fatal(err)
	}
	raw, _ := kv.Get(ctx, "crm/fields/zoho")
	if bytes.Contains(raw, []byte("very-secret-value")) || bytes.Contains(raw, []byte("client_secret")) {
		t.Fatal("fields stored in clear")
	}
	out, err := ss.LoadFields(ctx, "zoho")
	if err != nil || out["client_secret"] != "very-secret-value" || len(out) != 2 {
		t.Fatalf("%v %v", out, err)
	}
}
