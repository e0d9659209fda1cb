package store

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"cidproxy/lookup"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := newFixture(t, dir)
	db := f.db
	admin, err := db.CreateToken(ctx, lookup.Viewer{Admin: true, Extension: "1001"}, "ops")
	if err != nil || len(admin) != tokenLen {
		t.Fatalf("CreateToken admin = %q %v", admin, err)
	}
	ext, err := db.CreateToken(ctx, lookup.Viewer{Extension: "1002"}, "desk phone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateToken(ctx, lookup.Viewer{Extension: "4711"}, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("token for a missing extension: %v", err)
	}
	check := func(db *DB) {
		t.Helper()
		if v, err := db.Authenticate(ctx, admin); err != nil || v != (lookup.Viewer{Admin: true}) {
			t.Errorf("admin token = %+v %v", v, err)
		}
		if v, err := db.Authenticate(ctx, ext); err != nil || v != (lookup.Viewer{Extension: "1002"}) {
			t.Errorf("extension token = %+v %v", v, err)
		}
		wrong := []byte(ext)
		wrong[0] ^= 1
		for _, tok := range []string{"", "x", string(wrong), ext + "A", strings.ToUpper(ext), ext[:tokenLen-1] + "!"} {
			if v, err := db.Authenticate(ctx, tok); !errors.Is(err, ErrUnauthorized) {
				t.Errorf("Authenticate(%q) = %+v %v, want ErrUnauthorized", tok, v, err)
			}
		}
	}
	check(db)
	infos, err := db.ListTokens(ctx)
	if err != nil || len(infos) != 2 {
		t.Fatalf("ListTokens = %+v %v", infos, err)
	}
	desk := slices.IndexFunc(infos, func(i TokenInfo) bool { return i.Label == "desk phone" })
	if desk < 0 || infos[desk].Viewer.Extension != "1002" || len(infos[desk].ID) != 12 {
		t.Fatalf("ListTokens = %+v", infos)
	}
	_ = db.Close()
	db2 := openTest(t, dir)
	check(db2)
	// The plain token is not in the store files.
	if found := grepDir(t, dir, admin); found != "" {
		t.Errorf("plain token found in %s", found)
	}
	if err := db2.DeleteToken(ctx, infos[desk].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db2.Authenticate(ctx, ext); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("revoked token: %v", err)
	}
	if err := db2.DeleteToken(ctx, "abc"); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeleteToken short id: %v", err)
	}
}

// TestAuthenticateComparesInConstantTime checks the source: the stored
// hash is compared with subtle.ConstantTimeCompare, not ==.
func TestAuthenticateComparesInConstantTime(t *testing.T) {
	src, err := os.ReadFile("tokens.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "subtle.ConstantTimeCompare(stored, h[:])") {
		t.Error("Authenticate does not use subtle.ConstantTimeCompare")
	}
}

func grepDir(t *testing.T, dir, s string) string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, err := os.ReadFile(dir + "/" + e.Name())
		if err == nil && strings.Contains(string(b), s) {
			return e.Name()
		}
	}
	return ""
}

// FuzzAuthenticate: arbitrary presented tokens never panic and never
// authenticate (only the issued one does).
func FuzzAuthenticate(f *testing.F) {
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("")
	db := openTest(f, f.TempDir())
	ctx := context.Background()
	if _, err := db.PutExtension(ctx, lookup.Extension{Number: "1001"}); err != nil {
		f.Fatal(err)
	}
	tok, err := db.CreateToken(ctx, lookup.Viewer{Extension: "1001"}, "")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := db.Authenticate(ctx, s)
		if s == tok {
			if err != nil || v.Extension != "1001" {
				t.Fatalf("issued token: %+v %v", v, err)
			}
			return
		}
		if !errors.Is(err, ErrUnauthorized) || v != (lookup.Viewer{}) {
			t.Fatalf("Authenticate(%q) = %+v %v", s, v, err)
		}
	})
}
