package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"cidproxy/config"
	"cidproxy/lookup"
)

// jsonBodyTypes are the request bodies the API decodes, by fuzz selector.
var jsonBodyTypes = []func() any{
	func() any { return &lookup.Contact{} },
	func() any { return &lookup.Phonebook{} },
	func() any { return &lookup.Extension{} },
	func() any { return &lookup.PrefixRule{} },
	func() any { return &memberRef{} },
	func() any { return &newToken{} },
	func() any { return &config.Integration{} },
}

// FuzzJSONBodies feeds request bodies to the decoder of every JSON body
// type: it never panics, refuses with 400 (413 when too large) only, and
// what it accepts holds no invalid UTF-8 and no control character but
// tab, CR and LF (issue 15 item 11); accepted contacts pass checkContact
// or are refused with a 400 naming a field.
func FuzzJSONBodies(f *testing.F) {
	f.Add([]byte(`{"first_name":"Jürgen","mobile_number":"+49 171 1","phonebooks":["a"]}`), uint8(0))
	f.Add([]byte("{\"name\":\"a\\u0000\",\"view\":[\"1001\"]}"), uint8(1))
	f.Add([]byte("{\"number\":\"1001\",\"name\":\"\xff\"}"), uint8(2))
	f.Add([]byte(`{"prefix":"+4930*","name":"Berlin"}`), uint8(3))
	f.Add([]byte(`{"contact_id":"x"}`), uint8(4))
	f.Add([]byte(`{"extension":"1001","label":"l"}`), uint8(5))
	f.Add([]byte(`{"name":"zoho","template":"t","settings":{"a":"b"}}`), uint8(6))
	f.Fuzz(func(t *testing.T, body []byte, kind uint8) {
		v := jsonBodyTypes[int(kind)%len(jsonBodyTypes)]()
		err := decodeJSONBody(bytes.NewReader(body), v)
		if err != nil {
			p, ok := toProblem(err)
			if !ok || (p.Status != http.StatusBadRequest && p.Status != http.StatusRequestEntityTooLarge) || p.Detail == "" {
				t.Fatalf("error %v -> %+v", err, p)
			}
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkJSONStrings(out); err != nil {
			t.Fatalf("accepted %q, which holds %v", body, err)
		}
		if c, ok := v.(*lookup.Contact); ok {
			if err := checkContact(c); err != nil {
				if p, _ := toProblem(err); p.Status != http.StatusBadRequest || p.Field == "" {
					t.Fatalf("checkContact: %+v", p)
				}
			}
		}
	})
}

// FuzzCheckNumber: a number checkNumber accepts is empty or, trimmed,
// an optional "+" and then digits (at least one) and separators only.
func FuzzCheckNumber(f *testing.F) {
	for _, s := range []string{"+49 (30) 123-45/67", "++4930", "sip:1@x", "+4930\x00", " ", "0.0", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkNumber(s) != "" {
			return
		}
		n := strings.TrimPrefix(strings.TrimSpace(s), "+")
		if strings.TrimSpace(s) != "" && (strings.Trim(n, "0123456789 -./()") != "" || !strings.ContainsAny(n, "0123456789")) {
			t.Fatalf("accepted %q", s)
		}
	})
}
