package crmtest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cidproxy/crm/builtin"
)

// ZohoLocal serves a Zoho double on 127.0.0.1 for a process that cannot
// use Transport (the real daemon in e2e tests and benchmarks): /oauth/v2/*
// goes to the OAuth server, everything else to the Zoho API. Knobs make
// searches slow or hanging and the Calls endpoint fail; counters say what
// the daemon asked. Template returns the built-in Zoho template pointed at
// it.
type ZohoLocal struct {
	*Zoho
	// URL is http://127.0.0.1:PORT.
	URL string
	srv *httptest.Server

	// SearchDelay delays every search (ns); SearchHang blocks searches
	// until the client gives up or Close.
	SearchDelay atomic.Int64
	SearchHang  atomic.Bool
	// CallsStatus > 0: POST .../Calls answers this status (a failing CRM).
	CallsStatus atomic.Int64
	// CallsDelay delays every POST .../Calls (ns).
	CallsDelay atomic.Int64

	callPosts atomic.Int64
	inCalls   atomic.Int64 // POST .../Calls in flight
	maxCalls  atomic.Int64
	release   chan struct{}
	closeOnce sync.Once
	mu        sync.Mutex
	searches  map[string]int                         // module -> search requests
	took      []time.Duration                        // search response times (delay included)
	index     map[string]map[string][]map[string]any // IndexPhones: module -> digits -> records
}

var zohoLocalSearch = regexp.MustCompile(`^/crm/v[0-9]+/([A-Za-z_]+)/search$`)

// NewZohoLocal starts a Zoho double on loopback for one OAuth client that
// accepts refreshToken; the token response's api_domain is its own URL.
func NewZohoLocal(clientID, clientSecret, refreshToken string) *ZohoLocal {
	l := &ZohoLocal{Zoho: NewZoho(clientID, clientSecret), release: make(chan struct{}), searches: map[string]int{}}
	l.OAuth.AddRefreshToken(refreshToken)
	l.srv = httptest.NewServer(http.HandlerFunc(l.serve))
	l.URL = l.srv.URL
	l.APIDomain = l.URL
	return l
}

func (l *ZohoLocal) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/oauth/v2/token":
		l.OAuth.Token(w, r)
		return
	case "/oauth/v2/auth":
		l.OAuth.Authorize(w, r)
		return
	}
	if m := zohoLocalSearch.FindStringSubmatch(r.URL.Path); m != nil {
		start := time.Now()
		l.mu.Lock()
		l.searches[m[1]]++
		l.mu.Unlock()
		if !l.wait(r, time.Duration(l.SearchDelay.Load()), l.SearchHang.Load()) {
			return
		}
		defer func() {
			l.mu.Lock()
			l.took = append(l.took, time.Since(start))
			l.mu.Unlock()
		}()
		if l.indexed(w, r, m[1]) {
			return
		}
	}
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Calls") {
		l.callPosts.Add(1)
		n := l.inCalls.Add(1)
		defer l.inCalls.Add(-1)
		for m := l.maxCalls.Load(); n > m && !l.maxCalls.CompareAndSwap(m, n); m = l.maxCalls.Load() {
		}
		if !l.wait(r, time.Duration(l.CallsDelay.Load()), false) {
			return
		}
		if code := l.CallsStatus.Load(); code > 0 {
			writeJSON(w, int(code), zohoErr("INTERNAL_ERROR", "the double fails Calls on purpose"))
			return
		}
	}
	l.Recorder.ServeHTTP(w, r)
}

// IndexPhones snapshots the records' phone numbers: later phone searches
// are answered from the snapshot (same responses, not recorded) instead of
// a scan of every record, so a load benchmark measures the daemon rather
// than the double. Records added later are not found.
func (l *ZohoLocal) IndexPhones() {
	l.Zoho.mu.Lock()
	idx := map[string]map[string][]map[string]any{}
	for module, recs := range l.records {
		idx[module] = map[string][]map[string]any{}
		for _, rec := range recs {
			for _, f := range zohoPhoneFields {
				if v, ok := rec[f]; ok && v != nil {
					d := digits(fmt.Sprint(v))
					idx[module][d] = append(idx[module][d], rec)
				}
			}
		}
	}
	l.Zoho.mu.Unlock()
	l.mu.Lock()
	l.index = idx
	l.mu.Unlock()
}

// indexed answers a phone search from the IndexPhones snapshot.
func (l *ZohoLocal) indexed(w http.ResponseWriter, r *http.Request, module string) bool {
	l.mu.Lock()
	idx := l.index
	l.mu.Unlock()
	phone := r.URL.Query().Get("phone")
	if idx == nil || phone == "" {
		return false
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Zoho-oauthtoken ")
	if !l.OAuth.Valid(tok) {
		writeJSON(w, http.StatusUnauthorized, zohoErr("INVALID_TOKEN", "invalid oauth token"))
		return true
	}
	recs := idx[module][digits(phone)]
	if len(recs) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": recs, "info": info(len(recs))})
	return true
}

// wait sleeps d (or, with hang, until the client goes away); false when
// the request is abandoned.
func (l *ZohoLocal) wait(r *http.Request, d time.Duration, hang bool) bool {
	var t <-chan time.Time
	switch {
	case hang:
	case d > 0:
		t = time.After(d)
	default:
		return true
	}
	select {
	case <-t:
		return true
	case <-r.Context().Done():
	case <-l.release:
	}
	return false
}

// Searches returns the search requests per module (Contacts, Leads, ...).
func (l *ZohoLocal) Searches() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.searches))
	for k, v := range l.searches {
		out[k] = v
	}
	return out
}

// SearchTimes returns how long each answered search took the double,
// its delay included.
func (l *ZohoLocal) SearchTimes() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Duration(nil), l.took...)
}

// SearchTotal returns the number of search requests.
func (l *ZohoLocal) SearchTotal() int {
	n := 0
	for _, v := range l.Searches() {
		n += v
	}
	return n
}

// CallPosts returns the number of POST .../Calls requests (failed ones too).
func (l *ZohoLocal) CallPosts() int64 { return l.callPosts.Load() }

// MaxCallsInFlight returns the most POST .../Calls handled at once.
func (l *ZohoLocal) MaxCallsInFlight() int64 { return l.maxCalls.Load() }

// Refreshes returns the number of successful refresh_token grants.
func (l *ZohoLocal) Refreshes() int {
	l.OAuth.mu.Lock()
	defer l.OAuth.mu.Unlock()
	return l.OAuth.Refreshes
}

// Close releases hanging requests and stops the servers.
func (l *ZohoLocal) Close() {
	l.closeOnce.Do(func() {
		close(l.release)
		l.srv.Close()
		l.Zoho.Close()
	})
}

// Template returns the built-in Zoho template with the Zoho hosts replaced
// by the custom fields api_url and accounts_url (see Fields) and, when
// maxConcurrent > 0, MaxConcurrentRequest set to it.
func (l *ZohoLocal) Template(maxConcurrent int) ([]byte, error) {
	return LocalTemplate(builtin.Zoho, map[string]string{
		"https://accounts.zoho.{{.domain}}": "accounts_url",
		"https://www.zohoapis.{{.domain}}":  "api_url",
	}, maxConcurrent)
}

// LocalTemplate returns built-in template key with every base URL of bases
// (e.g. "https://api.hubapi.com") replaced by a custom field (its value in
// bases, e.g. "api_url": {{.api_url}}), those fields declared, and, when
// maxConcurrent > 0, MaxConcurrentRequest set to it: the template of a
// process that reaches a double on loopback.
func LocalTemplate(key string, bases map[string]string, maxConcurrent int) ([]byte, error) {
	b, err := builtin.Bytes(key)
	if err != nil {
		return nil, err
	}
	anchor := []byte(`<Parameter Father="CustomFieldList"`)
	i := bytes.Index(b, anchor)
	if i < 0 {
		return nil, fmt.Errorf("crmtest: template %s has no custom field", key)
	}
	var decl bytes.Buffer
	declared := map[string]bool{}
	for base, field := range bases {
		if !bytes.Contains(b, []byte(base)) {
			return nil, fmt.Errorf("crmtest: template %s does not use %s", key, base)
		}
		if !declared[field] {
			declared[field] = true
			fmt.Fprintf(&decl, "<Parameter Father=\"CustomFieldList\" Name=%q Editor=\"string\" Title=%q></Parameter>\n        ", field, field)
		}
	}
	b = append(b[:i:i], append(decl.Bytes(), b[i:]...)...)
	for base, field := range bases {
		b = bytes.ReplaceAll(b, []byte(base), []byte("{{."+field+"}}"))
	}
	if maxConcurrent > 0 {
		re := regexp.MustCompile(`MaxConcurrentRequest="[0-9]+"`)
		b = re.ReplaceAll(b, []byte(`MaxConcurrentRequest="`+strconv.Itoa(maxConcurrent)+`"`))
	}
	return b, nil
}

// Fields returns the integration fields for Template: the OAuth client,
// refreshToken (seeds the token) and the double's URLs.
func (l *ZohoLocal) Fields(refreshToken string) map[string]string {
	return map[string]string{
		"client_id": l.OAuth.ClientID, "client_secret": l.OAuth.ClientSecret, "refresh_token": refreshToken,
		"api_url": l.URL, "accounts_url": l.URL, "domain": "com",
	}
}

// UpdateRecord sets fields of the record id of module (a CRM user edits a
// contact); it reports whether the record exists.
func (z *Zoho) UpdateRecord(module, id string, fields map[string]any) bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	for _, rec := range z.records[module] {
		if rec["id"] == id {
			for k, v := range fields {
				rec[k] = v
			}
			return true
		}
	}
	return false
}

// DeleteRecord removes the record id of module; it reports whether it existed.
func (z *Zoho) DeleteRecord(module, id string) bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	recs := z.records[module]
	for i, rec := range recs {
		if rec["id"] == id {
			z.records[module] = append(recs[:i:i], recs[i+1:]...)
			return true
		}
	}
	return false
}
