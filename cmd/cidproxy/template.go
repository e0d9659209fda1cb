package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"cidproxy/crm"
	"cidproxy/crm/template"
)

// templateHTTPClient is the HTTP client of "template test" (nil = default);
// tests point it at local fake CRMs.
var templateHTTPClient *http.Client

// maxPrintedBody bounds each response body printed by "template test".
const maxPrintedBody = 64 << 10

// templateCmd is "cidproxy template validate|test". Exit status: 0 ok
// (contacts found), 1 invalid template or failed test, 2 usage error; and
// for a search without contacts: 3 no match, 4 the CRM answered 404, 5 it
// answered 2xx with an error in the body.
func (c *cli) templateCmd() *cobra.Command {
	cmd := group("template", "Check CRM integration templates")
	o := &testOpts{fields: fieldFlags{}}
	test := &cobra.Command{
		Use:   "test FILE --phone NUMBER [--field name=value ...]",
		Short: "Run a template's auth and contact search against its CRM",
		Long: "Run a template's auth and contact search against the CRM it names and print\n" +
			"every request (secrets masked), the raw responses and the mapped contacts.\n" +
			"Exit status: 0 contacts found, 1 failed, 2 usage error, 3 no match,\n" +
			"4 HTTP 404 (a wrong URL, or the CRM's way of saying no match), 5 a 2xx answer with an error body.",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			o.path = args[0]
			return status(templateTest(c.ctx, o, c.stdout, c.stderr))
		},
	}
	fs := test.Flags()
	fs.StringVar(&o.phone, "phone", "", "number to search (required)")
	fs.Var(o.fields, "field", "custom field value name=value (repeatable)")
	fs.StringVar(&o.access, "access-token", "", "oauth2/bearertoken: use this access token")
	fs.StringVar(&o.refresh, "refresh-token", "", "oauth2: start from this refresh token")
	fs.StringVar(&o.redirect, "redirect-uri", "http://127.0.0.1:8765/oauth/callback", "oauth2: callback URL registered with the CRM (served locally)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.DurationVar(&o.authTimeout, "auth-timeout", 5*time.Minute, "oauth2: how long to wait for the browser authorization")
	_ = test.MarkFlagRequired("phone")
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE",
		Short: "Check a CRM integration template; every error and warning with its line",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return status(templateValidate(args[0], c.stdout, c.stderr))
		},
	}, test)
	return cmd
}

// templateValidate prints every error and warning with its line number.
func templateValidate(path string, stdout, stderr io.Writer) int {
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(stderr, "cidproxy template validate: %v\n", err)
		return 2
	}
	t, err := template.ParseFile(path)
	if t != nil {
		for _, w := range t.Warnings {
			fmt.Fprintf(stdout, "%s: warning: %s\n", path, w)
		}
	}
	if err != nil {
		errs := splitErrors(err)
		for _, e := range errs {
			fmt.Fprintf(stdout, "%s: error: %s\n", path, strings.TrimPrefix(e.Error(), "template: "))
		}
		fmt.Fprintf(stdout, "%s: invalid (%d errors)\n", path, len(errs))
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok: %s (key %s, auth %s, %d warnings)\n", path, t.Name, t.Key, t.Auth(), len(t.Warnings))
	return 0
}

func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// fieldFlags collects repeated --field name=value.
type fieldFlags map[string]string

func (f fieldFlags) String() string { return fmt.Sprint(map[string]string(f)) }

// Type names the value in help output.
func (f fieldFlags) Type() string { return "name=value" }

func (f fieldFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return errors.New("want name=value")
	}
	f[strings.TrimSpace(k)] = v
	return nil
}

type testOpts struct {
	path, phone, access, refresh, redirect string
	timeout, authTimeout                   time.Duration
	fields                                 fieldFlags
}

// templateTest runs the auth and the contact search of a template against
// the CRM it names and prints every request (secrets masked), the raw
// responses and the mapped contacts.
func templateTest(ctx context.Context, o *testOpts, stdout, stderr io.Writer) int {
	t, err := template.ParseFile(o.path)
	if err != nil {
		fmt.Fprintf(stderr, "cidproxy template test: %v\n", err)
		return 1
	}
	p := &printer{w: stdout}
	it, err := crm.New(ctx, crm.Config{
		Template: t, Fields: o.fields, HTTP: templateHTTPClient, Timeout: o.timeout, MaxRetries: -1,
		OnExchange: p.exchange,
	})
	if err != nil {
		fmt.Fprintf(stderr, "cidproxy template test: %v\n", err)
		return 1
	}
	p.red = it.Redactor()
	p.red.Add(o.access, o.refresh)
	fmt.Fprintf(stdout, "template %s (key %s), auth %s\n", t.Name, t.Key, t.Auth())
	p.fields(t, o.fields)
	if err := testAuth(ctx, it, o, stdout); err != nil {
		fmt.Fprintf(stdout, "auth failed: %s\n", p.red.String(err.Error()))
		return 1
	}
	if err := it.Start(ctx); err != nil {
		fmt.Fprintf(stdout, "GetGlobalInfo failed: %s\n", p.red.String(err.Error()))
	} else if g := it.Globals(); len(g) > 0 {
		fmt.Fprintf(stdout, "globals: %s\n", formatMap(g, p.red))
	}
	contacts, err := it.SearchContact(ctx, o.phone)
	if err != nil {
		fmt.Fprintf(stdout, "search failed: %s\n", p.red.String(err.Error()))
		return 1
	}
	p.contacts(contacts)
	return p.searchVerdict(len(contacts))
}

// Exit statuses of "template test" for a search without contacts.
const (
	exitNoMatch   = 3
	exitNotFound  = 4
	exitErrorBody = 5
)

// searchVerdict prints what the CRM said when the search found nothing and
// returns the exit status: an error body beats a 404, which beats a clean
// "no match". Error bodies and 404s are reported even beside contacts.
func (p *printer) searchVerdict(found int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	code := exitNoMatch
	for _, o := range p.searches {
		switch {
		case o.errMsg != "":
			fmt.Fprintf(p.w, "search %s: HTTP %d with an error in the body: %s\n", o.request, o.status, p.red.String(o.errMsg))
			code = exitErrorBody
		case o.status == http.StatusNotFound:
			fmt.Fprintf(p.w, "search %s: HTTP 404 Not Found (a wrong URL, or the CRM's way of saying no match)\n", o.request)
			code = max(code, exitNotFound)
		}
	}
	if found > 0 {
		return 0
	}
	if code == exitNoMatch {
		fmt.Fprintln(p.w, "no match: the CRM answered without a contact for this number")
	}
	return code
}

// searchOutcome is what the last attempt of one contact search request said.
type searchOutcome struct {
	request string // URL path, for the report
	status  int
	errMsg  string // a 2xx body that reports an error
}

// errorBody reports a JSON body that says it is an error although its
// status is 2xx (Zoho {"status":"error"}, {"error":…}, {"errors":[…]},
// Salesforce [{"errorCode":…}]) and returns its message.
func errorBody(b []byte) (string, bool) {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return "", false
	}
	if arr, ok := v.([]any); ok && len(arr) > 0 {
		v = arr[0]
	}
	m, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	status, _ := m["status"].(string)
	isErr := strings.EqualFold(status, "error") || strings.EqualFold(status, "failure")
	for _, k := range []string{"error", "errors", "errorCode", "error_code", "fault"} {
		if x, ok := m[k]; ok && x != nil && x != false && x != "" {
			isErr = true
		}
	}
	if !isErr {
		return "", false
	}
	for _, k := range []string{"message", "error_description", "description", "error", "errorCode", "code"} {
		if s, ok := m[k].(string); ok && s != "" {
			return truncateText(s, 200), true
		}
	}
	return truncateText(string(b), 200), true
}

func truncateText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// testAuth obtains a token for oauth2 (given, refreshed, or through a local
// browser authorization) and bearertoken (given or fetched).
func testAuth(ctx context.Context, it *crm.Integration, o *testOpts, stdout io.Writer) error {
	switch it.Template().Auth() {
	case template.AuthOAuth2, template.AuthBearerToken:
	default:
		return nil
	}
	if o.access != "" || o.refresh != "" {
		tok := crm.Token{AccessToken: o.access, RefreshToken: o.refresh}
		if o.access != "" {
			tok.Expiry = time.Now().Add(time.Hour)
		}
		return it.SetToken(ctx, tok)
	}
	if it.Template().Auth() == template.AuthBearerToken {
		return nil // fetched from the TokenEndPoint on the first request
	}
	return browserAuth(ctx, it, o, stdout)
}

// browserAuth serves the OAuth2 callback on the redirect URI's host:port
// and waits for the administrator to authorize in a browser.
func browserAuth(ctx context.Context, it *crm.Integration, o *testOpts, stdout io.Writer) error {
	ru, err := url.Parse(o.redirect)
	if err != nil || ru.Host == "" {
		return errors.New("bad --redirect-uri")
	}
	ln, err := net.Listen("tcp", ru.Host)
	if err != nil {
		return fmt.Errorf("listen for the OAuth2 callback: %w", err)
	}
	h := crm.NewOAuthHandler(nil)
	done := make(chan struct{}, 1)
	mux := http.NewServeMux()
	mux.HandleFunc(ru.Path, func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if it.Authorized() {
			select {
			case done <- struct{}{}:
			default:
			}
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		// Shutdown, not Close: the callback's response may still be on its
		// way to the browser when done fires.
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer scancel()
		_ = srv.Shutdown(sctx)
	}()
	u, err := h.Begin(it, o.redirect)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "open this URL in a browser and authorize:\n  %s\n", u)
	ctx, cancel := context.WithTimeout(ctx, o.authTimeout)
	defer cancel()
	select {
	case <-done:
		fmt.Fprintln(stdout, "authorized")
		return nil
	case <-ctx.Done():
		return fmt.Errorf("no authorization: %w", ctx.Err())
	}
}

// printer writes exchanges and results with every secret masked. Contact
// types are searched concurrently, so each exchange is written as one block
// under the lock.
type printer struct {
	mu       sync.Mutex
	w        io.Writer
	red      *crm.Redactor
	searches []searchOutcome // contact search answers, by request
}

func (p *printer) fields(t *template.Template, f fieldFlags) {
	known := map[string]bool{}
	shown := make(map[string]string, len(f))
	for k, v := range f {
		shown[k] = v
	}
	for _, cf := range t.CustomFields() {
		known[cf.Name] = true
		if _, ok := f[cf.Name]; ok && cf.Editor == "password" {
			shown[cf.Name] = crm.Masked // even values too short for the redactor
		}
		if _, ok := f[cf.Name]; !ok {
			fmt.Fprintf(p.w, "note: custom field %q (%s) not given (--field %s=...)\n", cf.Name, cf.Title, cf.Name)
		}
	}
	for k := range f {
		if !known[k] {
			fmt.Fprintf(p.w, "note: --field %s is not a custom field of the template\n", k)
		}
	}
	if len(f) > 0 {
		fmt.Fprintf(p.w, "fields: %s\n", formatMap(shown, p.red))
	}
}

func (p *printer) exchange(ex crm.Exchange) {
	var b strings.Builder
	p.writeExchange(&b, ex)
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = io.WriteString(p.w, b.String())
	if ex.Request.Scenario == template.ScenarioSyncContactAuto && ex.Response != nil {
		o := searchOutcome{request: requestPath(ex.Request.URL), status: ex.Response.StatusCode}
		if o.status >= 200 && o.status < 300 {
			o.errMsg, _ = errorBody(ex.Response.Body)
		}
		p.searches = append(p.searches, o)
	}
}

// requestPath is the URL's path (no query: it may hold keys and numbers).
func requestPath(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Path
	}
	return "(invalid url)"
}

func (p *printer) writeExchange(w io.Writer, ex crm.Exchange) {
	r := ex.Request
	fmt.Fprintf(w, "\n> %s %s  [%s, attempt %d]\n", r.Method, p.red.String(r.URL), r.Scenario, ex.Attempt+1)
	h := p.red.Header(r.Header)
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "> %s: %s\n", k, strings.Join(h[k], ", "))
	}
	if len(r.Body) > 0 {
		fmt.Fprintf(w, ">\n%s\n", p.body(r.Scenario, r.Body))
	}
	if ex.Err != nil && ex.Response == nil {
		fmt.Fprintf(w, "< error after %v: %s\n", ex.Duration.Round(time.Millisecond), p.red.String(ex.Err.Error()))
		return
	}
	resp := ex.Response
	fmt.Fprintf(w, "< %d %s  (%v)\n", resp.StatusCode, http.StatusText(resp.StatusCode), ex.Duration.Round(time.Millisecond))
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		fmt.Fprintf(w, "< Content-Type: %s\n", ct)
	}
	if len(resp.Body) > 0 {
		fmt.Fprintf(w, "<\n%s\n", p.body(r.Scenario, resp.Body))
	}
}

// tokenKeys are masked in token requests and responses.
var tokenKeys = map[string]bool{"access_token": true, "refresh_token": true, "id_token": true, "accessToken": true,
	"refreshToken": true, "token": true, "code": true, "client_secret": true, "password": true, "assertion": true}

// body returns a printable body: token endpoint payloads have their token
// fields masked (the new token is not known to the redactor yet), and all
// known secrets are masked.
func (p *printer) body(scenario string, b []byte) string {
	if len(b) > maxPrintedBody {
		b = append(b[:maxPrintedBody:maxPrintedBody], "…(truncated)"...)
	}
	s := string(b)
	if scenario == template.ScenarioAuth {
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			maskJSON(m)
			out, _ := json.Marshal(m)
			s = string(out)
		} else if q, err := url.ParseQuery(s); err == nil && len(q) > 0 {
			for k := range q {
				if tokenKeys[k] {
					q[k] = []string{crm.Masked}
				}
			}
			s = q.Encode()
		}
	}
	return p.red.String(s)
}

func maskJSON(m map[string]any) {
	for k, v := range m {
		if tokenKeys[k] {
			m[k] = crm.Masked
		} else if sub, ok := v.(map[string]any); ok {
			maskJSON(sub)
		}
	}
}

func (p *printer) contacts(cs []crm.Contact) {
	fmt.Fprintf(p.w, "\ncontacts: %d\n", len(cs))
	for i, c := range cs {
		b, _ := json.MarshalIndent(c, "  ", "  ")
		fmt.Fprintf(p.w, "  #%d %s (%s)\n  %s\n", i+1, c.DisplayName(), c.Type, p.red.String(string(b)))
	}
}

// formatMap prints name="value" pairs, sorted, with secrets masked before
// quoting (quoting could otherwise hide a secret from the redactor).
func formatMap(m map[string]string, red *crm.Redactor) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%q", k, red.String(m[k]))
	}
	return b.String()
}
