package lookup

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func mustNormalizer(t testing.TB, region string) *Normalizer {
	t.Helper()
	z, err := NewNormalizer(region)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		region, in, want string
	}{
		// The three forms of one number.
		{"DE", "+49 30 1234567", "+49301234567"},
		{"DE", "004930 1234567", "+49301234567"},
		{"DE", "030 1234567", "+49301234567"},
		{"DE", "+49301234567", "+49301234567"},
		{"DE", "0049301234567", "+49301234567"},
		{"DE", "+49 (0)30 123-4567", "+49301234567"},
		{"DE", "+490301234567", "+49301234567"}, // trunk 0 after +49
		{"DE", "030/123 45 67", "+49301234567"},
		{"DE", "030.123.4567", "+49301234567"},
		// URIs, parameters, extensions.
		{"DE", "sip:+49301234567@pbx.example;user=phone", "+49301234567"},
		{"DE", "<sip:0301234567@10.0.0.1:5060>", "+49301234567"},
		{"DE", "sips:004930 1234567@host", "+49301234567"},
		{"DE", "tel:+49-30-1234567;ext=12", "+49301234567"},
		{"DE", "TEL:+49301234567", "+49301234567"},
		{"DE", "+4930123456x", "+4930123456"},
		// Short numbers and extensions stay digits; never "+4912345".
		{"DE", "1001", "1001"},
		{"DE", "12345", "12345"},
		{"DE", "sip:1001@pbx", "1001"},
		{"DE", "112", "112"},
		{"DE", "+4930", "4930"},
		// Vectors of field-notes.md.
		{"GB", "07700 900000", "+447700900000"}, // invalid (drama range) but matched
		{"GB", "0044 7700 900000", "+447700900000"},
		{"DE", "0171 1234567", "+491711234567"},
		{"DE", "00491711234567", "+491711234567"},
		{"US", "011 44 20 7946 0000", "+442079460000"},
		{"US", "555-0123", "+15550123"},
		{"US", "(202) 555-0143", "+12025550143"},
		{"US", "2025550143", "+12025550143"}, // bare national number: fast path
		{"DE", "301234567", "+49301234567"},
		{"US", "1 202 555 0143", "+12025550143"},
		{"US", "+1 202 555 0143", "+12025550143"},
		{"DE", "+1 202 555 0143", "+12025550143"},
		{"DE", "+44 (0)20 7946 0000", "+442079460000"},
		{"DE", "+44 020 7946 0000", "+442079460000"},
		{"DE", "+39 06 1234567", "+39061234567"}, // Italy keeps its 0
		{"IT", "06 1234567", "+39061234567"},
		// Nothing to match.
		{"US", "anonymous", ""},
		{"DE", "", ""},
		{"DE", "sip:anonymous@anonymous.invalid", ""},
		// Unparseable but with digits: keep the digits.
		{"DE", "123456789012345678901", "123456789012345678901"},
	}
	for _, tt := range tests {
		t.Run(tt.region+"/"+tt.in, func(t *testing.T) {
			if got := mustNormalizer(t, tt.region).Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q, %s) = %q, want %q", tt.in, tt.region, got, tt.want)
			}
		})
	}
}

func TestNewNormalizerUnknownRegion(t *testing.T) {
	if _, err := NewNormalizer("XX"); err == nil {
		t.Fatal("NewNormalizer(XX) succeeded")
	}
}

func TestNormalizerFastPathRules(t *testing.T) {
	tests := []struct{ region, idd, np string }{
		{"DE", "00", "0"}, {"US", "011", "1"}, {"GB", "00", "0"}, {"IT", "00", ""},
		{"FI", "", "0"}, // FI: IDD is "00" or "99x"
		{"BR", "", ""},  // BR: IDD pattern, transforming national prefix
	}
	for _, tt := range tests {
		z := mustNormalizer(t, tt.region)
		if z.idd != tt.idd || z.np != tt.np {
			t.Errorf("%s: idd %q np %q, want %q %q", tt.region, z.idd, z.np, tt.idd, tt.np)
		}
	}
}

// TestFastPathAgreesWithPhonenumbers generates numbers in the forms the
// fast path accepts and checks they give what phonenumbers gives.
func TestFastPathAgreesWithPhonenumbers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, region := range []string{"DE", "US", "GB", "FR", "AT", "CH", "NL", "IT", "ES", "PL"} {
		z := mustNormalizer(t, region)
		for i := 0; i < 300; i++ {
			nsn := fmt.Sprintf("%d%08d", 1+rng.IntN(9), rng.IntN(1e8))
			forms := []string{"+" + z.cc + nsn, z.idd + z.cc + nsn, z.np + nsn, "+" + z.cc + " " + nsn[:3] + "-" + nsn[3:],
				nsn, nsn[:7], z.np + nsn[:6], fmt.Sprintf("%d%06d", rng.IntN(10), rng.IntN(1e6))}
			for _, in := range forms {
				if len(in) <= DefaultShortMax {
					continue // short numbers stay digits by design
				}
				var buf [40]byte
				fast := string(z.appendKey(buf[:0], in))
				slow := string(z.parse(nil, in))
				if fast != slow {
					t.Errorf("%s %q: fast %q, phonenumbers %q", region, in, fast, slow)
				}
			}
		}
	}
}

var keyRE = regexp.MustCompile(`^\+?[0-9]+$`)

func TestNormalizePrefix(t *testing.T) {
	z := mustNormalizer(t, "DE")
	tests := []struct{ in, want string }{
		{"+4930123*", "+4930123"},
		{"+49 30 123", "+4930123"},
		{"030123", "+4930123"},
		{"004930123*", "+4930123"},
		{"1", "1"},
		{"2*", "2"},
	}
	for _, tt := range tests {
		got, err := z.NormalizePrefix(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizePrefix(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "*", "abc", "+49x"} {
		if got, err := z.NormalizePrefix(bad); err == nil {
			t.Errorf("NormalizePrefix(%q) = %q, want error", bad, got)
		}
	}
}

func TestNormalizeFastPathDoesNotAllocate(t *testing.T) {
	z := mustNormalizer(t, "DE")
	for _, in := range []string{"+49301234567", "0301234567", "00491711234567", "sip:+49301234567@h;user=phone", "1001", "301234567"} {
		var buf [40]byte
		if n := testing.AllocsPerRun(100, func() { _ = z.appendKey(buf[:0], in) }); n != 0 {
			t.Errorf("appendKey(%q): %.0f allocs", in, n)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	z := mustNormalizer(b, "DE")
	b.Run("slow_uncached", func(b *testing.B) {
		b.ReportAllocs()
		var buf [40]byte
		for b.Loop() {
			_ = z.parse(buf[:0], "+49 (0)30 123-4567")
		}
	})
	for _, bc := range []struct{ name, in string }{
		{"canonical", "+49301234567"},
		{"national", "030 1234567"},
		{"idd", "0049301234567"},
		{"sipuri", "sip:+49301234567@pbx.example;user=phone"},
		{"extension", "1001"},
		{"slow_cached", "+49 (0)30 123-4567"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var buf [40]byte
			for b.Loop() {
				_ = z.appendKey(buf[:0], bc.in)
			}
		})
	}
}

func TestSlowCacheIsBounded(t *testing.T) {
	z := mustNormalizer(t, "DE")
	for i := 0; i < slowCacheSize+100; i++ {
		in := fmt.Sprintf("+49 (0)30 %07d", i)
		if got, want := z.Normalize(in), fmt.Sprintf("+4930%07d", i); got != want {
			t.Fatalf("%q: %q, want %q", in, got, want)
		}
	}
	if n := len(z.cache.m); n > slowCacheSize {
		t.Errorf("cache holds %d entries", n)
	}
	if got := z.Normalize("+49 (0)30 0000001"); got != "+49300000001" { // evicted or not, same answer
		t.Errorf("got %q", got)
	}
	long := "+49 (0)30 1234567" + strings.Repeat(" ", 80)
	_ = z.Normalize(long)
	if _, ok := z.cache.get(long); ok {
		t.Error("long input cached")
	}
}
