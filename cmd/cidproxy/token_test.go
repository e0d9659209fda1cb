package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"cidproxy/config"
	"cidproxy/lookup"
	"cidproxy/store"
)

func TestTokenCreate(t *testing.T) {
	cfg := config.Default()
	cfg.Store.Dir = filepath.Join(t.TempDir(), "data")
	log := slog.New(slog.DiscardHandler)
	db, err := store.Open(cfg.Store, log, store.WithLookup(cfg.Lookup))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutExtension(context.Background(), lookup.Extension{Number: "1001", Name: "Alice"}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := command("token")(context.Background(), cfg, log, args, &out, &errb)
		return code, out.String(), errb.String()
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"list", "x"}, 2},
		{[]string{"revoke"}, 2},
		{[]string{"create"}, 2},
		{[]string{"create", "--ext", "1001", "--admin"}, 2},
		{[]string{"create", "--ext", "1001", "extra"}, 2},
		{[]string{"create", "--ext", "9999"}, 1},
	} {
		if code, out, _ := run(tc.args...); code != tc.code || out != "" {
			t.Errorf("%q: code %d stdout %q, want %d and nothing", tc.args, code, out, tc.code)
		}
	}
	want := map[string]lookup.Viewer{}
	for _, args := range [][]string{{"create", "--ext", "1001", "--label", "desk phone"}, {"create", "--admin"}} {
		code, out, errOut := run(args...)
		tok := strings.TrimSpace(out)
		if code != 0 || tok == "" || strings.Count(out, "\n") != 1 {
			t.Fatalf("%q: code %d stdout %q stderr %q", args, code, out, errOut)
		}
		if strings.Contains(errOut, tok) {
			t.Errorf("%q: token repeated on stderr", args)
		}
		want[tok] = lookup.Viewer{Admin: args[1] == "--admin", Extension: map[bool]string{true: "1001"}[args[1] == "--ext"]}
	}
	code, out, _ := run("list")
	if code != 0 || !strings.Contains(out, "extension 1001") || !strings.Contains(out, "desk phone") || strings.Count(out, "\n") != 3 {
		t.Errorf("list: %d %q", code, out)
	}
	for tok := range want {
		if strings.Contains(out, tok) {
			t.Error("list shows a token")
		}
	}
	// Revoke the extension's token by the id from the list.
	var extID string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "extension 1001") {
			extID = strings.Fields(line)[0]
		}
	}
	if code, _, errOut := run("revoke", extID); code != 0 {
		t.Fatalf("revoke %s: %d %s", extID, code, errOut)
	}
	if code, _, _ := run("revoke", "deadbeef00"); code != 1 {
		t.Errorf("revoke of an unknown id: %d", code)
	}
	revoked := ""
	for tok, v := range want {
		if !v.Admin {
			revoked = tok
			delete(want, tok)
		}
	}
	db, err = store.Open(cfg.Store, slog.New(slog.NewTextHandler(io.Discard, nil)), store.WithLookup(cfg.Lookup))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if len(want) != 1 {
		t.Fatalf("want %d tokens left", len(want))
	}
	if _, err := db.Authenticate(context.Background(), revoked); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("revoked token: %v", err)
	}
	for tok, v := range want {
		got, err := db.Authenticate(context.Background(), tok)
		if err != nil || got != v {
			t.Errorf("Authenticate: %+v %v, want %+v", got, err, v)
		}
	}
}
