package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestAuthRequired(t *testing.T) {
	e := newEnv(t)
	for _, rt := range routes {
		if rt.Auth != authBearer {
			continue
		}
		path := strings.NewReplacer("{ext}", "1001", "{id}", "x", "{contact}", "y").Replace(rt.Path)
		t.Run(rt.pattern(), func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				header string
			}{
				{"none", ""},
				{"wrong token", "Bearer not-a-real-token"},
				{"wrong scheme", "Basic " + e.admin},
				{"empty bearer", "Bearer "},
			} {
				q := req{method: rt.Method, path: path}
				if tc.header != "" {
					q.header = map[string]string{"Authorization": tc.header}
				}
				r := e.expect(q, http.StatusUnauthorized)
				if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s: WWW-Authenticate %q", tc.name, r.Header.Get("WWW-Authenticate"))
				}
			}
		})
	}
}

func TestUnknownPathsNeedATokenToo(t *testing.T) {
	e := newEnv(t)
	e.expect(req{method: "GET", path: "/api/v1/nothing"}, http.StatusUnauthorized)
	e.expect(req{method: "POST", path: "/api/v1/contacts/x"}, http.StatusUnauthorized)
	e.expect(req{method: "GET", path: "/phonebook/"}, http.StatusUnauthorized)
	e.expect(req{method: "GET", path: "/api/v1/nothing", token: e.tok["1001"]}, http.StatusNotFound)
	e.expect(req{method: "GET", path: "/phonebook/a/b?token=" + e.tok["1001"]}, http.StatusNotFound)
}

func TestTokensNotLogged(t *testing.T) {
	e := newEnv(t)
	e.expect(req{method: "GET", path: "/api/v1/contacts", token: e.admin}, http.StatusOK)
	e.expect(req{method: "GET", path: "/api/v1/contacts", token: "secret-wrong-token-123"}, http.StatusUnauthorized)
	e.expect(req{method: "GET", path: "/phonebook/json?token=" + e.tok["1001"]}, http.StatusOK)
	e.expect(req{method: "GET", path: "/phonebook/json?token=secret-wrong-token-456"}, http.StatusUnauthorized)
	if r := e.phoneGet("/phonebook/xml", "1002", e.tok["1002"]); r.Code != 200 {
		t.Fatalf("basic auth: %d", r.Code)
	}
	if r := e.phoneGet("/phonebook/xml", "1002", "secret-wrong-token-789"); r.Code != 401 {
		t.Fatalf("wrong basic auth: %d", r.Code)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "api request") {
		t.Fatalf("no request log lines captured:\n%s", logs)
	}
	for _, tok := range []string{e.admin, e.tok["1001"], e.tok["1002"], "secret-wrong-token-123", "secret-wrong-token-456", "secret-wrong-token-789"} {
		if strings.Contains(logs, tok) {
			t.Errorf("token %s… found in logs", tok[:4])
		}
	}
	if strings.Contains(logs, "token=") {
		t.Errorf("query string with token in logs:\n%s", logs)
	}
}

func TestMe(t *testing.T) {
	e := newEnv(t)
	var me struct {
		Admin     bool
		Extension *struct{ Number, Name string }
	}
	e.expect(req{method: "GET", path: "/api/v1/me", token: e.tok["1002"]}, http.StatusOK).decode(t, &me)
	if me.Admin || me.Extension == nil || me.Extension.Number != "1002" || me.Extension.Name != "Bob" {
		t.Errorf("me = %+v", me)
	}
	me.Extension = nil
	e.expect(req{method: "GET", path: "/api/v1/me", token: e.admin}, http.StatusOK).decode(t, &me)
	if !me.Admin || me.Extension != nil {
		t.Errorf("admin me = %+v", me)
	}
}

func TestProtectMetrics(t *testing.T) {
	for _, protect := range []bool{false, true} {
		e := newEnv(t, func(o *Options, _ *[]storeOption) { o.ProtectMetrics = protect })
		cases := []struct {
			token string
			want  int
		}{{"", http.StatusOK}, {e.tok["1001"], http.StatusOK}, {e.admin, http.StatusOK}}
		if protect {
			cases[0].want, cases[1].want = http.StatusUnauthorized, http.StatusUnauthorized
		}
		for _, tc := range cases {
			r := e.do(req{method: "GET", path: "/metrics", token: tc.token})
			if r.Code != tc.want {
				t.Errorf("protect=%v token=%v: status %d, want %d", protect, tc.token != "", r.Code, tc.want)
			}
		}
	}
}

func TestMetricsUseRoutePatterns(t *testing.T) {
	e := newEnv(t)
	id := e.ct["Sam"].ID
	e.expect(req{method: "GET", path: "/api/v1/contacts/" + id, token: e.admin}, http.StatusOK)
	e.expect(req{method: "GET", path: "/api/v1/contacts/nope", token: e.admin}, http.StatusNotFound)
	e.expect(req{method: "GET", path: "/api/v1/nothing/here", token: e.admin}, http.StatusNotFound)
	if got := testutil.ToFloat64(e.server.metrics.requests.WithLabelValues("GET /api/v1/contacts/{id}", "200")); got != 1 {
		t.Errorf("requests{route=GET /api/v1/contacts/{id},code=200} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(e.server.metrics.requests.WithLabelValues("GET /api/v1/contacts/{id}", "404")); got != 1 {
		t.Errorf("404 count = %v, want 1", got)
	}
	if got := testutil.ToFloat64(e.server.metrics.requests.WithLabelValues("unmatched", "404")); got != 1 {
		t.Errorf("unmatched count = %v, want 1", got)
	}
	n, err := testutil.GatherAndCount(e.reg, "cidproxy_api_requests_total", "cidproxy_api_request_duration_seconds")
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 { // 3 counter series + 2 histogram series
		t.Errorf("series = %d, want 5", n)
	}
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), id) {
					t.Errorf("raw id in label %s=%s", l.GetName(), l.GetValue())
				}
			}
		}
	}
	problems, err := testutil.GatherAndLint(e.reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	r := e.expect(req{method: "POST", path: "/api/v1/contacts/" + e.ct["Sam"].ID, token: e.admin, body: map[string]string{}}, http.StatusMethodNotAllowed)
	if allow := r.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "PATCH") || strings.Contains(allow, "POST") {
		t.Errorf("Allow: %q", allow)
	}
}
