package lookup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"cidproxy/config"
)

func newTestIndex(t testing.TB, lastN int) *Index {
	t.Helper()
	return NewIndex(mustNormalizer(t, "DE"), lastN)
}

func putContact(t testing.TB, ix *Index, c Contact) {
	t.Helper()
	ix.PutContact(EntryOf(&c, ix.Normalizer()))
}

func TestIndexLookup(t *testing.T) {
	ix := newTestIndex(t, 0)
	putContact(t, ix, Contact{ID: "c1", FirstName: "Anna", LastName: "Alt", Business: "+49 30 1234567", Mobile: "0171 1111111"})
	putContact(t, ix, Contact{ID: "c2", Company: "ACME GmbH", Business: "030 9999999"})
	putContact(t, ix, Contact{ID: "c3", FirstName: "Reception", Other: "1001"})
	for _, r := range []PrefixRule{
		{ID: "p1", Prefix: "+4930*", Name: "Berlin"},
		{ID: "p2", Prefix: "+4930123*", Name: "ACME Berlin"},
		{ID: "p3", Prefix: "0221", Name: "Köln"},
		{ID: "p4", Prefix: "2", Name: "Internal 2xxx"},
	} {
		if err := ix.PutRule(r); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		in               string
		name, source, id string
		wantErr          error
	}{
		{"+49301234567", "Anna Alt", SourceCompany, "c1", nil},
		{"004930 1234567", "Anna Alt", SourceCompany, "c1", nil},
		{"030 1234567", "Anna Alt", SourceCompany, "c1", nil},
		{"sip:+491711111111@x", "Anna Alt", SourceCompany, "c1", nil},
		{"+49309999999", "ACME GmbH", SourceCompany, "c2", nil},
		{"1001", "Reception", SourceCompany, "c3", nil},
		{"+49301230000", "ACME Berlin", SourcePrefix, "p2", nil}, // longest prefix
		{"+49305550000", "Berlin", SourcePrefix, "p1", nil},
		{"0221 555555", "Köln", SourcePrefix, "p3", nil},
		{"2001", "Internal 2xxx", SourcePrefix, "p4", nil},
		{"+4940123456", "", "", "", ErrNotFound},
		{"1002", "", "", "", ErrNotFound},
		{"anonymous", "", "", "", ErrNotFound},
	}
	for _, tt := range tests {
		r, err := ix.Lookup(context.Background(), Query{Number: tt.in})
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
			t.Errorf("%q: err %v, want %v", tt.in, err, tt.wantErr)
			continue
		}
		if r.Name != tt.name || r.Source != tt.source || r.ContactID != tt.id {
			t.Errorf("%q: got %+v, want %q %q %q", tt.in, r, tt.name, tt.source, tt.id)
		}
	}
	if ix.Contacts() != 3 || ix.Rules() != 4 {
		t.Errorf("counts %d/%d, want 3/4", ix.Contacts(), ix.Rules())
	}
}

func TestIndexSharedNumberIsDeterministic(t *testing.T) {
	for _, order := range [][]string{{"b", "a", "c"}, {"c", "b", "a"}, {"a", "c", "b"}} {
		ix := newTestIndex(t, 0)
		for _, id := range order {
			putContact(t, ix, Contact{ID: id, FirstName: "N" + id, Business: "+49301234567"})
		}
		r, err := ix.LookupNumber("030 1234567")
		if err != nil || r.ContactID != "a" {
			t.Fatalf("order %v: got %+v %v, want contact a", order, r, err)
		}
		if got := ix.Candidates("+49301234567"); !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Errorf("Candidates = %v", got)
		}
		ix.DeleteContact("a")
		if r, _ := ix.LookupNumber("+49301234567"); r.ContactID != "b" {
			t.Errorf("after delete a: %+v, want b", r)
		}
		ix.DeleteContact("b")
		if r, _ := ix.LookupNumber("+49301234567"); r.ContactID != "c" {
			t.Errorf("after delete b: %+v, want c", r)
		}
	}
}

func TestIndexUpdateReplacesNumbers(t *testing.T) {
	ix := newTestIndex(t, 0)
	putContact(t, ix, Contact{ID: "c1", FirstName: "Old", Business: "+49301111111"})
	putContact(t, ix, Contact{ID: "c1", FirstName: "New", Business: "+49302222222"})
	if _, err := ix.LookupNumber("+49301111111"); !errors.Is(err, ErrNotFound) {
		t.Errorf("old number still matches: %v", err)
	}
	if r, err := ix.LookupNumber("+49302222222"); err != nil || r.Name != "New" {
		t.Errorf("new number: %+v %v", r, err)
	}
	if !ix.DeleteContact("c1") || ix.DeleteContact("c1") {
		t.Error("DeleteContact reports wrong presence")
	}
	if ix.Contacts() != 0 {
		t.Errorf("Contacts = %d", ix.Contacts())
	}
}

func TestIndexLastDigits(t *testing.T) {
	ix := newTestIndex(t, 7)
	putContact(t, ix, Contact{ID: "a", FirstName: "Anna", Business: "+49301234567", Mobile: "+49 40 1234567"}) // same tail twice: one contact
	putContact(t, ix, Contact{ID: "b", FirstName: "Bert", Business: "+49697654321"})
	putContact(t, ix, Contact{ID: "c", FirstName: "Carl", Business: "+44 20 7654321"})
	tests := []struct {
		in, id  string
		wantErr error
	}{
		{"1234567", "a", nil},         // a local number without area code
		{"+4930 1234567", "a", nil},   // exact
		{"99 1234567", "a", nil},      // tail of one contact
		{"7654321", "", ErrAmbiguous}, // b and c share the tail
		{"0049697654321", "b", nil},   // exact beats the ambiguous tail
		{"123456", "", ErrNotFound},   // fewer digits than N
		{"5550000", "", ErrNotFound},
	}
	for _, tt := range tests {
		r, err := ix.LookupNumber(tt.in)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%q: %+v %v, want %v", tt.in, r, err, tt.wantErr)
			}
			continue
		}
		if err != nil || r.ContactID != tt.id {
			t.Errorf("%q: %+v %v, want %s", tt.in, r, err, tt.id)
		}
	}
	// An ambiguous tail through a chain: reported, and errors.Is holds.
	_, err := Chain{ix}.Lookup(context.Background(), Query{Number: "7654321"})
	if !errors.Is(err, ErrAmbiguous) || !errors.Is(err, ErrNotFound) {
		t.Errorf("chain: %v", err)
	}
	// A prefix rule is a real answer, not a guess: it beats the ambiguity.
	if err := ix.PutRule(PrefixRule{ID: "p", Prefix: "0765", Name: "Pfx"}); err != nil {
		t.Fatal(err)
	}
	if r, err := ix.LookupNumber("7654321"); err != nil || r.Source != SourcePrefix {
		t.Errorf("prefix after ambiguity: %+v %v", r, err)
	}
	ix.DeleteContact("c")
	if r, err := ix.LookupNumber("7654321"); err != nil || r.ContactID != "b" {
		t.Errorf("after delete: %+v %v, want b", r, err)
	}
}

func TestIndexRules(t *testing.T) {
	ix := newTestIndex(t, 0)
	if err := ix.PutRule(PrefixRule{ID: "p1", Prefix: "+4930123*", Name: "A"}); err != nil {
		t.Fatal(err)
	}
	err := ix.PutRule(PrefixRule{ID: "p2", Prefix: "030123", Name: "B"})
	if !errors.Is(err, ErrPrefixTaken) {
		t.Errorf("same prefix, other id: %v", err)
	}
	if ix.RuleOwner("004930123") != "p1" {
		t.Errorf("RuleOwner = %q", ix.RuleOwner("004930123"))
	}
	if err := ix.PutRule(PrefixRule{ID: "p1", Prefix: "+4930124", Name: "A2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.LookupNumber("+49301231111"); !errors.Is(err, ErrNotFound) {
		t.Errorf("moved rule still matches old prefix: %v", err)
	}
	if r, _ := ix.LookupNumber("+49301241111"); r.Name != "A2" {
		t.Errorf("moved rule: %+v", r)
	}
	if err := ix.PutRule(PrefixRule{ID: "p3", Prefix: "x"}); err == nil {
		t.Error("bad prefix accepted")
	}
	if !ix.DeleteRule("p1") || ix.DeleteRule("p1") || ix.Rules() != 0 {
		t.Error("DeleteRule")
	}
	if _, err := ix.LookupNumber("+49301241111"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted rule matches: %v", err)
	}
}

func TestContactDisplayName(t *testing.T) {
	tests := []struct {
		c    Contact
		want string
	}{
		{Contact{FirstName: "Anna", LastName: "Alt", Company: "X"}, "Anna Alt"},
		{Contact{FirstName: " Anna "}, "Anna"},
		{Contact{LastName: "Alt"}, "Alt"},
		{Contact{Company: " ACME "}, "ACME"},
		{Contact{}, ""},
	}
	for _, tt := range tests {
		if got := tt.c.DisplayName(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.c, got, tt.want)
		}
	}
	c := Contact{Business: "1", HomeFax: " ", Other: "9"}
	if got := c.Numbers(); !slices.Equal(got, []string{"1", "9"}) {
		t.Errorf("Numbers = %v", got)
	}
}

// TestIndexConcurrent updates the index while readers look up; run with
// -race.
func TestIndexConcurrent(t *testing.T) {
	ix := newTestIndex(t, 7)
	putContact(t, ix, Contact{ID: "stable", FirstName: "Stable", Business: "+49301234567"})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Go(func() {
			for ctx.Err() == nil {
				res, err := ix.LookupNumber("030 1234567")
				if err != nil || res.ContactID != "stable" {
					t.Errorf("reader: %+v %v", res, err)
					return
				}
				_, _ = ix.LookupNumber("+49301230000")
			}
		})
	}
	for i := 0; i < 2000; i++ {
		id := fmt.Sprintf("c%d", i%50)
		putContact(t, ix, Contact{ID: id, FirstName: id, Business: fmt.Sprintf("+493012%05d", i)})
		if err := ix.PutRule(PrefixRule{ID: fmt.Sprintf("p%d", i%20), Prefix: fmt.Sprintf("+4930123%d", i%20), Name: "R"}); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			ix.DeleteContact(id)
		}
	}
	cancel()
	wg.Wait()
}

func TestNewIndexFromConfig(t *testing.T) {
	ix, err := NewIndexFromConfig(config.Lookup{DefaultRegion: "US", MatchLastDigits: 7})
	if err != nil || ix.Normalizer().Region() != "US" || ix.LastDigits() != 7 {
		t.Fatalf("%v %v", ix, err)
	}
	if _, err := NewIndexFromConfig(config.Lookup{DefaultRegion: "XX"}); err == nil {
		t.Error("unknown region accepted")
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	ix := newTestIndex(t, 7)
	putContact(t, ix, Contact{ID: "c1", FirstName: "Anna", Business: "+49301234567"})
	if err := ix.PutRule(PrefixRule{ID: "p1", Prefix: "+4940", Name: "Hamburg"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, in := range []string{"+49301234567", "030 1234567", "sip:0049301234567@pbx;user=phone", "+494012345678", "+4950999999"} {
		q := Query{Number: in, Callee: "1001"}
		if n := testing.AllocsPerRun(200, func() { _, _ = ix.Lookup(ctx, q) }); n != 0 {
			t.Errorf("Lookup(%q): %.1f allocations", in, n)
		}
	}
}
