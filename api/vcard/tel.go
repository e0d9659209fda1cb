package vcard

import (
	"strings"

	"cidproxy/lookup"
)

// telKind is the kind of a TEL property after reading its types.
type telKind int

const (
	kindOther telKind = iota
	kindWork
	kindWorkFax
	kindCell
	kindHome
	kindHomeFax
)

// Indexes into lookup.Contact.NumberFields (order of NumberFieldNames).
const (
	slotBusiness = iota
	slotBusiness2
	slotBusinessFax
	slotMobile
	slotMobile2
	slotHome
	slotHome2
	slotHomeFax
	slotOther
)

// preferred lists the slots a kind fills first; every kind then falls
// back to "other" and finally to the first free slot, so no number is
// lost while any field is free.
var preferred = map[telKind][]int{
	kindWork:    {slotBusiness, slotBusiness2},
	kindWorkFax: {slotBusinessFax},
	kindCell:    {slotMobile, slotMobile2},
	kindHome:    {slotHome, slotHome2},
	kindHomeFax: {slotHomeFax},
}

// slotKind is the kind Encode writes for each slot; decoding what Encode
// wrote puts every number back in its slot.
var slotKind = [lookup.NumberFieldCount]telKind{
	kindWork, kindWork, kindWorkFax, kindCell, kindCell,
	kindHome, kindHome, kindHomeFax, kindOther,
}

// telSlots assigns numbers to the nine fields in the order they appear.
type telSlots struct {
	nums [lookup.NumberFieldCount]string
}

// place stores num in the first free slot for kind; false if all nine
// fields are taken. A number already stored is not stored twice.
func (s *telSlots) place(num string, kind telKind) bool {
	for _, n := range s.nums {
		if n == num {
			return true
		}
	}
	for _, i := range append(preferred[kind], slotOther) {
		if s.nums[i] == "" {
			s.nums[i] = num
			return true
		}
	}
	for i := range s.nums {
		if s.nums[i] == "" {
			s.nums[i] = num
			return true
		}
	}
	return false
}

func (s *telSlots) apply(ct *lookup.Contact) {
	for i, p := range ct.NumberFields() {
		*p = s.nums[i]
	}
}

// classify maps TEL types: fax with home -> home fax, other fax -> work
// fax; cell (also "mobile", "iphone") -> mobile; home -> home; work ->
// business; anything else (voice alone, main, pager, untyped) -> other.
func classify(t typeSet) telKind {
	switch {
	case t.has(tFax) && t.has(tHome) && !t.has(tWork):
		return kindHomeFax
	case t.has(tFax):
		return kindWorkFax
	case t.has(tCell):
		return kindCell
	case t.has(tHome):
		return kindHome
	case t.has(tWork):
		return kindWork
	}
	return kindOther
}

// onlyPref reports whether t says nothing about the kind of number.
func onlyPref(t typeSet) bool { return t&^(tPref|tVoice) == 0 }

// labelTypes reads an Apple X-ABLabel ("_$!<Mobile>!$_", "iPhone" or a
// custom label) as TEL types.
func labelTypes(label string) typeSet {
	l := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(label, "_$!<"), ">!$_"))
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(l, w) {
				return true
			}
		}
		return false
	}
	var t typeSet
	if has("fax") {
		t |= tFax
	}
	if has("mobil", "cell", "iphone", "handy") {
		t |= tCell
	}
	if has("home", "privat") {
		t |= tHome
	}
	if has("work", "office", "business", "büro", "buero") {
		t |= tWork
	}
	return t
}

// telTypes returns the TYPE values Encode writes for a slot.
func telTypes(slot int, version string) string {
	var s string
	switch slotKind[slot] {
	case kindWork:
		s = "WORK,VOICE"
	case kindWorkFax:
		s = "WORK,FAX"
	case kindCell:
		s = "CELL"
	case kindHome:
		s = "HOME,VOICE"
	case kindHomeFax:
		s = "HOME,FAX"
	default:
		return ""
	}
	if version == Version40 {
		return strings.ToLower(s)
	}
	return s
}
