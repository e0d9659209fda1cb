package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"cidproxy/config"
	"cidproxy/internal/testsupport"
	"cidproxy/lookup"
	"cidproxy/store"
)

// The store must satisfy the API's contract.
var _ Store = (*store.DB)(nil)

// env is a real server on a real store in a temporary directory, with
// the fixture below:
//
//	extensions 1001 Alice, 1002 Bob, 1003 Carol
//	phonebook sales:   view 1001, manage 1002     -> contact "Sam Sales"
//	phonebook support: view all                   -> contact "Sue Support"
//	phonebook secret:  no grants                  -> contact "Xavier Secret"
//	phonebook erp:     synced (sql:erp), view all -> contact "Eve Erp" (read-only)
//	personal: 1001 "Paula Private", 1002 "Bert Bobfriend"
type env struct {
	t      *testing.T
	db     *store.DB
	srv    *httptest.Server
	reg    *prometheus.Registry
	logs   *testsupport.Buffer
	admin  string
	tok    map[string]string         // extension -> token
	pb     map[string]string         // name -> phonebook id
	ct     map[string]lookup.Contact // name -> company contact
	pc     map[string]lookup.Contact // name -> personal contact
	server *Server
	// sweepPrefix and sweepTokenID: ids of newEnvForSweep's prefix rule and token.
	sweepPrefix, sweepTokenID string
}

type envOpt func(*Options, *[]storeOption)

type storeOption = store.Option

func withLimits(companies, phonebooks, personal int) envOpt {
	return func(_ *Options, so *[]storeOption) {
		*so = append(*so, store.WithLimits(config.Limits{Tiers: []config.LimitTier{{CompanyContacts: companies, Phonebooks: phonebooks, PersonalContacts: personal}}}))
	}
}

func withMaxBody(n int64) envOpt { return func(o *Options, _ *[]storeOption) { o.MaxBodySize = n } }

func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	logs := &testsupport.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var sopts []store.Option
	o := Options{Logger: log}
	for _, f := range opts {
		f(&o, &sopts)
	}
	sopts = append([]storeOption{store.WithLookup(config.Default().Lookup)}, sopts...)
	db, err := store.Open(config.Store{Dir: t.TempDir()}, log, sopts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, db: db, logs: logs, reg: prometheus.NewRegistry(),
		tok: map[string]string{}, pb: map[string]string{}, ct: map[string]lookup.Contact{}, pc: map[string]lookup.Contact{}}
	o.Registerer = e.reg
	o.Normalize = KeyFunc(db.Normalizer().Key)
	o.Resolver = lookup.Chain{db.Resolver()}
	e.server = New(db, o)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", e.server.ProtectMetrics(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "metrics\n") })))
	e.server.Mount(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	t.Cleanup(func() { recordRoutes(e.reg) })
	e.seed()
	return e
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) seed() {
	ctx := context.Background()
	var err error
	e.admin, err = e.db.CreateToken(ctx, lookup.Viewer{Admin: true}, "test admin")
	e.must(err)
	for _, x := range []lookup.Extension{{Number: "1001", Name: "Alice"}, {Number: "1002", Name: "Bob"}, {Number: "1003", Name: "Carol"}} {
		_, err := e.db.PutExtension(ctx, x)
		e.must(err)
		e.tok[x.Number], err = e.db.CreateToken(ctx, lookup.Viewer{Extension: x.Number}, "test")
		e.must(err)
	}
	for _, p := range []lookup.Phonebook{
		{Name: "sales", View: []string{"1001"}, Manage: []string{"1002"}},
		{Name: "support", ViewAll: true},
		{Name: "secret"},
	} {
		p, err := e.db.PutPhonebook(ctx, p)
		e.must(err)
		e.pb[p.Name] = p.ID
	}
	erp, err := e.db.SyncPhonebook(ctx, lookup.Phonebook{Name: "erp", Source: "sql:erp", ViewAll: true})
	e.must(err)
	e.pb["erp"] = erp.ID
	for _, c := range []lookup.Contact{
		{FirstName: "Sam", LastName: "Sales", Mobile: "+4917011111", Phonebooks: []string{e.pb["sales"]}},
		{FirstName: "Sue", LastName: "Support", Business: "+4930222222", Phonebooks: []string{e.pb["support"]}},
		{FirstName: "Xavier", LastName: "Secret", Business: "+4930333333", Phonebooks: []string{e.pb["secret"]}},
	} {
		c, err := e.db.PutContact(ctx, c)
		e.must(err)
		e.ct[c.FirstName] = c
	}
	eve, err := e.db.SyncContact(ctx, lookup.Contact{FirstName: "Eve", LastName: "Erp", Business: "+4930444444", Source: "sql:erp", Phonebooks: []string{e.pb["erp"]}})
	e.must(err)
	e.ct["Eve"] = eve
	for owner, c := range map[string]lookup.Contact{
		"1001": {FirstName: "Paula", LastName: "Private", Mobile: "+4915155555"},
		"1002": {FirstName: "Bert", LastName: "Bobfriend", Mobile: "+4915166666"},
	} {
		c, err := e.db.PutPersonal(ctx, owner, c)
		e.must(err)
		e.pc[c.FirstName] = c
	}
}

// resp is a finished request.
type resp struct {
	Code   int
	Header http.Header
	Body   []byte
}

// decode unmarshals the body into v, zeroed first.
func (r *resp) decode(t *testing.T, v any) {
	t.Helper()
	reflect.ValueOf(v).Elem().SetZero()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// problem decodes a problem reply and checks its media type.
func (r *resp) problem(t *testing.T) problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; body %s", ct, r.Body)
	}
	var p problem
	r.decode(t, &p)
	if p.Status != r.Code || p.Title == "" || !strings.HasPrefix(p.Type, problemTypeBase) {
		t.Fatalf("bad problem %+v for status %d", p, r.Code)
	}
	return p
}

// req is a request description for env.do.
type req struct {
	method, path string
	token        string // "" for none
	body         any    // string/[]byte sent as is, else JSON
	ctype        string // default application/json when body is set
	header       map[string]string
}

func (e *env) do(q req) *resp {
	e.t.Helper()
	var body io.Reader
	if q.body != nil {
		switch b := q.body.(type) {
		case string:
			body = strings.NewReader(b)
		case []byte:
			body = bytes.NewReader(b)
		default:
			j, err := json.Marshal(b)
			e.must(err)
			body = bytes.NewReader(j)
		}
		if q.ctype == "" {
			q.ctype = "application/json"
		}
	}
	r, err := http.NewRequest(q.method, e.srv.URL+q.path, body)
	e.must(err)
	if q.ctype != "" {
		r.Header.Set("Content-Type", q.ctype)
	}
	if q.token != "" {
		r.Header.Set("Authorization", "Bearer "+q.token)
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	res, err := e.srv.Client().Do(r)
	e.must(err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	e.must(err)
	return &resp{Code: res.StatusCode, Header: res.Header, Body: b}
}

// expect runs q and fails unless the status is want.
func (e *env) expect(q req, want int) *resp {
	e.t.Helper()
	r := e.do(q)
	if r.Code != want {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", q.method, q.path, r.Code, want, r.Body)
	}
	if want >= 400 {
		r.problem(e.t)
	}
	return r
}

// names returns the display names of a contact page, sorted as given.
func names(t *testing.T, r *resp) []string {
	t.Helper()
	var p page[lookup.Contact]
	r.decode(t, &p)
	out := []string{}
	for _, c := range p.Items {
		out = append(out, c.DisplayName())
	}
	return out
}
