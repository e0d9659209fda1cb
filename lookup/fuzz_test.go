package lookup

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"+49 30 1234567", "004930 1234567", "030 1234567", "1001", "tel:+49-30-1234567;ext=12", "anonymous"} {
		f.Add(s)
	}
	zs := []*Normalizer{mustNormalizer(f, "DE"), mustNormalizer(f, "US"), mustNormalizer(f, "BR")}
	f.Fuzz(func(t *testing.T, s string) {
		for _, z := range zs {
			out := z.Normalize(s)
			if out != "" && !keyRE.MatchString(out) {
				t.Fatalf("%s: Normalize(%q) = %q: not a key", z.region, s, out)
			}
			// A well-formed E.164 key (no trunk prefix after the country
			// code) normalises to itself. Degenerate inputs such as
			// "0000000" are not covered: phonenumbers strips one more
			// trunk zero on every parse.
			if d := []byte(strings.TrimPrefix(out, "+")); strings.HasPrefix(out, "+") && len(d) > 2 && !trunkAfterCC(d, max(1, countryCodeLen(d))) {
				if again := z.Normalize(out); again != out {
					t.Fatalf("%s: Normalize(%q) = %q, but Normalize(%q) = %q", z.region, s, out, out, again)
				}
			}
			if p, err := z.NormalizePrefix(s); err == nil && !keyRE.MatchString(p) {
				t.Fatalf("%s: NormalizePrefix(%q) = %q", z.region, s, p)
			}
		}
	})
}

// fuzzModel is the obvious, slow reference for the index.
type fuzzModel struct {
	lastN    int
	contacts map[string][]string // id -> keys
	rules    map[string]string   // id -> normalised prefix
}

func (m *fuzzModel) lookup(k string) (string, error) {
	best := ""
	for id, keys := range m.contacts {
		for _, x := range keys {
			if x == k && (best == "" || id < best) {
				best = id
			}
		}
	}
	if best != "" {
		return best, nil
	}
	digits := strings.TrimPrefix(k, "+")
	tails := map[string]bool{}
	if m.lastN > 0 && len(digits) >= m.lastN {
		for id, keys := range m.contacts {
			for _, x := range keys {
				if strings.HasSuffix(strings.TrimPrefix(x, "+"), digits[len(digits)-m.lastN:]) {
					tails[id] = true
				}
			}
		}
	}
	if len(tails) == 1 {
		for id := range tails {
			return id, nil
		}
	}
	rule, plen := "", -1
	for id, p := range m.rules {
		if strings.HasPrefix(k, p) && len(p) > plen {
			rule, plen = id, len(p)
		}
	}
	if rule != "" {
		return rule, nil
	}
	if len(tails) > 1 {
		return "", ErrAmbiguous
	}
	return "", ErrNotFound
}

func fuzzNumber(b byte) string {
	if b >= 240 {
		return fmt.Sprintf("10%d", b%10) // an extension
	}
	return fmt.Sprintf("+4930%02d%05d", b>>4&3, 12340+int(b&15))
}

func FuzzIndex(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 0, 2, 18, 3, 2, 1, 2, 4}, "+493000012342")
	f.Add([]byte{0, 1, 5, 5, 0, 2, 21, 21, 1, 1, 0, 0}, "12345")
	z := mustNormalizer(f, "DE")
	f.Fuzz(func(t *testing.T, ops []byte, query string) {
		if len(ops) > 400 {
			ops = ops[:400]
		}
		ix := NewIndex(z, 5)
		m := &fuzzModel{lastN: 5, contacts: map[string][]string{}, rules: map[string]string{}}
		for i := 0; i+4 <= len(ops); i += 4 {
			op, id, n1, n2 := ops[i]%4, fmt.Sprintf("c%d", ops[i+1]%8), ops[i+2], ops[i+3]
			switch op {
			case 0:
				c := Contact{ID: id, FirstName: id, Business: fuzzNumber(n1), Mobile: fuzzNumber(n2)}
				ix.PutContact(EntryOf(&c, z))
				m.contacts[id] = z.Keys(&c)
			case 1:
				ix.DeleteContact(id)
				delete(m.contacts, id)
			case 2:
				num := fuzzNumber(n1)
				prefix := num[:max(1, len(num)-1-int(n2)%6)]
				p, perr := z.NormalizePrefix(prefix)
				taken := ""
				for rid, rp := range m.rules {
					if rp == p && rid != id {
						taken = rid
					}
				}
				err := ix.PutRule(PrefixRule{ID: id, Prefix: prefix, Name: id})
				if (err != nil) != (taken != "" || perr != nil) {
					t.Fatalf("PutRule(%s, %s): %v, taken by %q", id, prefix, err, taken)
				}
				if err == nil {
					m.rules[id] = p
				}
			case 3:
				ix.DeleteRule(id)
				delete(m.rules, id)
			}
			check(t, ix, m, fuzzNumber(n1))
			check(t, ix, m, fuzzNumber(n2)[2:])
		}
		check(t, ix, m, query)
	})
}

func check(t *testing.T, ix *Index, m *fuzzModel, q string) {
	t.Helper()
	k := ix.Normalizer().Normalize(q)
	if k == "" {
		return
	}
	if _, ok := packKeyString(k); !ok {
		return
	}
	want, wantErr := m.lookup(k)
	r, err := ix.LookupNumber(q)
	if wantErr != nil {
		if !errors.Is(err, wantErr) {
			t.Fatalf("%q (%s): got %+v %v, want %v", q, k, r, err, wantErr)
		}
		return
	}
	if err != nil || r.ContactID != want {
		t.Fatalf("%q (%s): got %+v %v, want %s", q, k, r, err, want)
	}
}
