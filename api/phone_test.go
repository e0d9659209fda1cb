package api

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"cidproxy/api/phonedir"
	"cidproxy/lookup"
)

// xmlRoot checks that b is well-formed XML and returns its root element.
func xmlRoot(t *testing.T, b []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return root
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, b)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
}

// phoneGet fetches a phone directory with HTTP Basic credentials.
func (e *env) phoneGet(path, user, pass string) *resp {
	e.t.Helper()
	r, err := http.NewRequest("GET", e.srv.URL+path, nil)
	e.must(err)
	r.SetBasicAuth(user, pass)
	res, err := e.srv.Client().Do(r)
	e.must(err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	e.must(err)
	return &resp{Code: res.StatusCode, Header: res.Header, Body: b}
}

func TestPhoneDirectoryFormats(t *testing.T) {
	e := newEnv(t)
	roots := map[string]string{"yealink": "YealinkIPPhoneDirectory", "grandstream": "AddressBook", "cisco": "CiscoIPPhoneDirectory", "snom": "SnomIPPhoneDirectory", "xml": "Directory"}
	// Grandstream lists first and last name separately.
	visible := []string{"Paula", "Sam", "Sue", "Eve"}
	hidden := []string{"Bert", "Xavier"}
	for _, f := range phonedir.Formats {
		for _, auth := range []string{"token", "basic"} {
			t.Run(string(f)+"/"+auth, func(t *testing.T) {
				var r *resp
				if auth == "token" {
					r = e.expect(req{method: "GET", path: "/phonebook/" + string(f) + "?token=" + url.QueryEscape(e.tok["1001"])}, 200)
				} else {
					r = e.phoneGet("/phonebook/"+string(f), "1001", e.tok["1001"])
				}
				if r.Code != 200 {
					t.Fatalf("status %d: %s", r.Code, r.Body)
				}
				if ct := r.Header.Get("Content-Type"); ct != f.ContentType() {
					t.Errorf("Content-Type %q", ct)
				}
				if f == phonedir.JSON {
					var d phonedir.JSONDirectory
					if err := json.Unmarshal(r.Body, &d); err != nil || d.Total != 4 {
						t.Errorf("json %v total %d", err, d.Total)
					}
				} else if root := xmlRoot(t, r.Body); root != roots[string(f)] {
					t.Errorf("root %q, want %q", root, roots[string(f)])
				}
				for _, n := range visible {
					if !bytes.Contains(r.Body, []byte(n)) {
						t.Errorf("%s missing", n)
					}
				}
				for _, n := range hidden {
					if bytes.Contains(r.Body, []byte(n)) {
						t.Errorf("%s visible to 1001", n)
					}
				}
			})
		}
	}
}

func TestPhoneDirectoryAuth(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name       string
		user, pass string
		code       int
	}{
		{"own token", "1001", e.tok["1001"], 200},
		{"other extension's name", "1002", e.tok["1001"], 401},
		{"wrong token", "1001", "wrong", 401},
		{"admin token", "admin", e.admin, 200},
	} {
		r := e.phoneGet("/phonebook/yealink", tc.user, tc.pass)
		if r.Code != tc.code {
			t.Errorf("%s: %d, want %d", tc.name, r.Code, tc.code)
		}
		if r.Code == 401 && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("%s: WWW-Authenticate %q", tc.name, r.Header.Get("WWW-Authenticate"))
		}
	}
	e.expect(req{method: "GET", path: "/phonebook/yealink"}, 401)
	e.expect(req{method: "GET", path: "/phonebook/yealink?token=nope"}, 401)
	e.expect(req{method: "GET", path: "/phonebook/yealink", token: e.tok["1002"]}, 200)
	e.expect(req{method: "GET", path: "/phonebook/polycom?token=" + e.tok["1001"]}, 404)
	e.expect(req{method: "GET", path: "/phonebook/yealink?offset=-1&token=" + e.tok["1001"]}, 400)
}

func TestPhoneDirectoryScope(t *testing.T) {
	e := newEnv(t)
	get := func(who, query string) string {
		return string(e.expect(req{method: "GET", path: "/phonebook/json?" + query, token: e.viewers()[who]}, 200).Body)
	}
	if body := get("1001", "phonebook="+e.pb["sales"]); !strings.Contains(body, "Sam") || strings.Contains(body, "Paula") || !strings.Contains(body, `"title": "sales"`) {
		t.Errorf("sales only: %s", body)
	}
	e.expect(req{method: "GET", path: "/phonebook/json?phonebook=" + e.pb["secret"], token: e.tok["1001"]}, 404)
	e.expect(req{method: "GET", path: "/phonebook/json?phonebook=" + e.pb["sales"], token: e.tok["1003"]}, 404)
	if body := get("1002", ""); !strings.Contains(body, "Bert") || strings.Contains(body, "Paula") {
		t.Errorf("1002: %s", body)
	}
	if body := get("admin", ""); !strings.Contains(body, "Xavier") || strings.Contains(body, "Paula") {
		t.Errorf("admin: %s", body)
	}
}

func TestPhoneDirectoryCiscoSearchAndPaging(t *testing.T) {
	e := newEnv(t, func(o *Options, _ *[]storeOption) { o.PublicURL = "https://pbx.example.com/admin/" })
	tok := url.QueryEscape(e.tok["1003"])
	r := e.expect(req{method: "GET", path: "/phonebook/cisco?search=1&token=" + tok}, 200)
	if root := xmlRoot(t, r.Body); root != "CiscoIPPhoneInput" {
		t.Fatalf("root %q", root)
	}
	var form struct {
		URL string `xml:"URL"`
	}
	e.must(xml.Unmarshal(r.Body, &form))
	if !strings.HasPrefix(form.URL, "https://pbx.example.com/admin/phonebook/cisco?") || !strings.Contains(form.URL, "token=") || strings.Contains(form.URL, "search=") {
		t.Errorf("form action %q", form.URL)
	}
	for _, tc := range []struct{ query, want, not string }{
		{"name=SUE", "Sue", "Eve"},
		{"name=erp", "Eve", "Sue"},
		{"number=222222", "Sue", "Eve"},
		{"number=030%20222222", "Sue", "Eve"}, // national form, matched by the normaliser
	} {
		body := string(e.expect(req{method: "GET", path: "/phonebook/cisco?" + tc.query + "&token=" + tok}, 200).Body)
		if !strings.Contains(body, tc.want) || strings.Contains(body, tc.not) {
			t.Errorf("%s: %s", tc.query, body)
		}
	}
	for i := range 40 {
		_, err := e.db.PutPersonal(t.Context(), "1003", lookup.Contact{FirstName: fmt.Sprintf("P%02d", i), Mobile: fmt.Sprintf("+4915190000%02d", i)})
		e.must(err)
	}
	var dir struct {
		Entries []struct{ Name string }      `xml:"DirectoryEntry"`
		Keys    []struct{ Name, URL string } `xml:"SoftKeyItem"`
	}
	e.must(xml.Unmarshal(e.expect(req{method: "GET", path: "/phonebook/cisco?token=" + tok}, 200).Body, &dir))
	if len(dir.Entries) != phonedir.CiscoMaxEntries {
		t.Errorf("%d entries on page 1", len(dir.Entries))
	}
	next := ""
	for _, k := range dir.Keys {
		if k.Name == "Next" {
			next = k.URL
		}
	}
	if !strings.HasPrefix(next, "https://pbx.example.com/admin/phonebook/cisco?") || !strings.Contains(next, "offset=32") || !strings.Contains(next, "token=") {
		t.Fatalf("Next key %q", next)
	}
	u, err := url.Parse(next)
	e.must(err)
	dir.Entries = nil
	e.must(xml.Unmarshal(e.expect(req{method: "GET", path: u.Path[len("/admin"):] + "?" + u.RawQuery}, 200).Body, &dir))
	if len(dir.Entries) != 42-32 { // 40 + Sue + Eve
		t.Errorf("%d entries on page 2", len(dir.Entries))
	}
}

// Snom phones get their directory (it answered 404), Grandstream phones
// e-mail, company and the phonebooks the extension may view as groups.
func TestPhoneDirectorySnomAndGrandstreamGroups(t *testing.T) {
	e := newEnv(t)
	r := e.expect(req{method: "GET", path: "/phonebook/snom?token=" + e.tok["1001"]}, 200)
	body := string(r.Body)
	if !strings.Contains(body, "<SnomIPPhoneDirectory>") || !strings.Contains(body, "<Name>Sam Sales</Name>") || !strings.Contains(body, "<Telephone>+4917011111</Telephone>") ||
		r.Header.Get("Content-Type") != "text/xml; charset=utf-8" {
		t.Errorf("snom: %s %v", body, r.Header)
	}
	body = string(e.expect(req{method: "GET", path: "/phonebook/grandstream?token=" + e.tok["1001"]}, 200).Body)
	for _, want := range []string{"<name>sales</name>", "<name>support</name>", "<name>erp</name>"} {
		if !strings.Contains(body, want) {
			t.Errorf("grandstream lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<name>secret</name>") {
		t.Error("grandstream shows a phonebook 1001 may not view")
	}
	if !strings.Contains(body, "<Group>") {
		t.Errorf("no contact filed under a group:\n%s", body)
	}
}
