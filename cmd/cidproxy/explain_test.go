package main

import (
	"context"
	"strings"
	"testing"

	"cidproxy/lookup"
)

// lookup --explain says, source by source, why a number does or does not
// name the caller for a callee (issue 16 item 3).
func TestLookupExplain(t *testing.T) {
	cfg := testCLIConfig(t)
	db, err := openStore(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, e := range []lookup.Extension{{Number: "1001", Name: "Alice"}, {Number: "1002", Name: "Bob"}} {
		if _, err := db.PutExtension(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	sales, _ := db.PutPhonebook(ctx, lookup.Phonebook{Name: "Sales", View: []string{"1001"}})
	for _, c := range []lookup.Contact{
		{FirstName: "Anna", LastName: "Alt", Business: "030 1111111", Phonebooks: []string{sales.ID}},
		{FirstName: "Nick", LastName: "Nobook", Business: "030 2222222"},
	} {
		if _, err := db.PutContact(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.PutPersonal(ctx, "1002", lookup.Contact{FirstName: "Pia", Mobile: "0171 3333333"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutPrefixRule(ctx, lookup.PrefixRule{Prefix: "+4930*", Name: "Berlin"}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	tests := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"030 1111111", "--callee", "1001"}, 0, []string{"callee: extension 1001 (Alice)", `3. company contact "Anna Alt"`, `in phonebook "Sales", which the callee may view: names the caller`, "name: Anna Alt\n"}},
		{[]string{"030 1111111", "--callee", "1002"}, 0, []string{`only in phonebook "Sales", which the callee may not view`, `4. prefix rules: +4930* "Berlin" is the longest match`, "name: Berlin\nsource: prefix\n"}},
		{[]string{"030 2222222", "--callee", "1001"}, 0, []string{`"Nick Nobook"`, "in no phonebook, so it names nobody", "name: Berlin\n"}},
		{[]string{"0171 3333333", "--callee", "1002"}, 0, []string{`2. personal contacts of 1002: "Pia"`, "name: Pia\nsource: personal\n"}},
		{[]string{"0171 3333333", "--callee", "1001"}, 1, []string{"2. personal contacts of 1001: none", "3. company contacts: none", "4. prefix rules: none matches", "5. CRM integrations"}},
		{[]string{"1002", "--callee", "999"}, 0, []string{"callee: 999 is not an extension", "1. extensions: 1002 is extension 1002", "name: Bob\n"}},
	}
	for _, tc := range tests {
		r := runCLI(t, cfg, lookupCmd, append(tc.args, "--explain")...)
		if r.code != tc.code {
			t.Errorf("%v: status %d, want %d\n%s%s", tc.args, r.code, tc.code, r.stdout, r.stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%v: output lacks %q:\n%s", tc.args, w, r.stdout)
			}
		}
	}
	if r := runCLI(t, cfg, lookupCmd, "0171 3333333", "--callee", "1001"); !strings.Contains(r.stderr, "not found (--explain") {
		t.Errorf("not found without a hint: %+v", r)
	}
}
