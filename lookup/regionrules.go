package lookup

import (
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// regionRules are the fast-path rules of a region, derived from
// phonenumbers' metadata and probed against it once per region.
type regionRules struct {
	cc  string // country calling code of region, digits
	idd string // literal international prefix ("00", "011"), "" = no fast IDD path
	np  string // literal national prefix ("0", "1"), "" = no fast national path
	// nat[d][n]: a national-prefix form whose national number starts with
	// digit d and has n digits is "+" cc number, as phonenumbers says.
	nat [10][16]bool
	// bare[d][n]: the same for digits written without any prefix.
	bare [10][16]bool
}

var rulesCache sync.Map // region -> *regionRules

func rulesFor(region string, cc int) *regionRules {
	if r, ok := rulesCache.Load(region); ok {
		return r.(*regionRules)
	}
	r := &regionRules{cc: strconv.Itoa(cc)}
	md := regionMetadata(region)
	// Literal prefixes only: a region whose international prefix is a
	// pattern (FI: 00 or 99x) keeps IDD forms on the slow path, one whose
	// national prefix parsing transforms numbers (AR, MX, BR) its national
	// forms, and bare numbers take the fast path only where neither
	// applies (GB also strips "180020"). The probes check every rule
	// against phonenumbers.
	simpleIDD := md != nil && isDigits(md.GetInternationalPrefix())
	noTransform := md != nil && md.GetNationalPrefixTransformRule() == ""
	np, npfp := md.GetNationalPrefix(), md.GetNationalPrefixForParsing()
	if simpleIDD {
		r.idd = probeIDD(region, cc)
	}
	if noTransform && isDigits(np) {
		r.np = np
		r.probe(&r.nat, np, region)
	}
	if r.idd != "" && noTransform && (npfp == "" || npfp == np) {
		r.probe(&r.bare, "", region)
		for d := range r.bare { // a bare number must not look like a prefixed one
			if r.idd[0]-'0' == byte(d) || (r.np != "" && r.np[0]-'0' == byte(d)) {
				r.bare[d] = [16]bool{}
			}
		}
	}
	rulesCache.Store(region, r)
	return r
}

// regionMetadata returns phonenumbers' metadata of region, or nil.
func regionMetadata(region string) *phonenumbers.PhoneMetadata {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil
	}
	for _, md := range coll.GetMetadata() {
		if md.GetId() == region {
			return md
		}
	}
	return nil
}

// probe fills t[d][n] for national numbers of n digits (7..15 with the
// country code) starting with d, written after prefix, where phonenumbers
// agrees that the result is "+" cc number, with two digit patterns each.
func (r *regionRules) probe(t *[10][16]bool, prefix, region string) {
	for d := 0; d < 10; d++ {
		for n := 2; n+len(r.cc) <= 15 && n < 16; n++ {
			ok := true
			for _, pat := range [...]string{"23456789012345", "98765432109876"} {
				nsn := strconv.Itoa(d) + pat[:n-1]
				if slowE164(prefix+nsn, region) != "+"+r.cc+nsn {
					ok = false
					break
				}
			}
			t[d][n] = ok
		}
	}
}

// probeIDD finds the region's international prefix when it is a literal
// digit string and phonenumbers agrees with using it.
func probeIDD(region string, cc int) string {
	foreign := "+442079460000"
	if cc == 44 {
		foreign = "+4930123456"
	}
	num, err := phonenumbers.Parse(foreign, "ZZ")
	if err != nil {
		return ""
	}
	out := phonenumbers.FormatOutOfCountryCallingNumber(num, region)
	fcc := " " + strconv.Itoa(int(num.GetCountryCode())) + " "
	i := strings.Index(out, fcc)
	if i <= 0 || !isDigits(out[:i]) {
		return ""
	}
	idd := out[:i]
	if slowE164(idd+foreign[1:], region) != foreign {
		return ""
	}
	return idd
}
