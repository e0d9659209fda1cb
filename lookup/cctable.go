package lookup

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ccInfo describes one country calling code for the "+digits" fast path.
type ccInfo struct {
	valid bool
	// trunk has bit d set when a national number of this code may start
	// with the trunk (national) prefix digit d, which phonenumbers strips
	// ("+49 0 30..." is "+49 30..."): such inputs take the slow path.
	trunk uint16
}

// ccTable is indexed by the numeric country code (1..999).
var ccTable = buildCCTable()

func buildCCTable() *[1000]ccInfo {
	var t [1000]ccInfo
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		if cc <= 0 || cc >= len(t) {
			continue
		}
		t[cc].valid = true
		for _, r := range phonenumbers.GetRegionCodesForCountryCode(cc) {
			np := phonenumbers.GetNddPrefixForRegion(r, true)
			np = strings.TrimSpace(np)
			if np != "" && np[0] >= '0' && np[0] <= '9' {
				t[cc].trunk |= 1 << (np[0] - '0')
			}
		}
	}
	return &t
}

// countryCodeLen returns the length (1..3) of the country code that d
// starts with, or 0 when none is known. Country codes are a prefix code,
// so at most one length matches.
func countryCodeLen(d []byte) int {
	v := 0
	for i := 0; i < 3 && i < len(d); i++ {
		v = v*10 + int(d[i]-'0')
		if ccTable[v].valid {
			return i + 1
		}
	}
	return 0
}

// trunkAfterCC reports whether the digit after the country code is a trunk
// prefix digit of that code.
func trunkAfterCC(d []byte, ccLen int) bool {
	if ccLen >= len(d) {
		return true
	}
	v := 0
	for i := 0; i < ccLen; i++ {
		v = v*10 + int(d[i]-'0')
	}
	return ccTable[v].trunk&(1<<(d[ccLen]-'0')) != 0
}
