package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestReloadAPI(t *testing.T) {
	fail := false
	calls := 0
	e := newEnv(t, func(o *Options, _ *[]storeOption) {
		o.Reload = func(context.Context) (any, error) {
			calls++
			if fail {
				return nil, errors.New("config: x.yaml: line 3: key sip.lookup_budget: bad")
			}
			return map[string][]string{"applied": {"crm"}, "restart_required": {}}, nil
		}
	})
	r := e.expect(req{method: "POST", path: "/api/v1/reload", token: e.admin}, http.StatusOK)
	if !strings.Contains(string(r.Body), `"applied":["crm"]`) {
		t.Errorf("body %s", r.Body)
	}
	fail = true
	r = e.expect(req{method: "POST", path: "/api/v1/reload", token: e.admin}, http.StatusUnprocessableEntity)
	if p := r.problem(t); !strings.Contains(p.Detail, "line 3: key sip.lookup_budget") {
		t.Errorf("problem %+v", p)
	}
	e.expect(req{method: "POST", path: "/api/v1/reload", token: e.tok["1001"]}, http.StatusNotFound)
	e.expect(req{method: "POST", path: "/api/v1/reload"}, http.StatusUnauthorized)
	if calls != 2 {
		t.Errorf("Reload called %d times, want 2", calls)
	}
	e2 := newEnv(t)
	e2.expect(req{method: "POST", path: "/api/v1/reload", token: e2.admin}, http.StatusNotImplemented)
}
