package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"cidproxy/lookup"
	"cidproxy/store"
)

// problemTypeBase prefixes the RFC 9457 problem type of every error.
const problemTypeBase = "urn:cidproxy:problem:"

// problem is an RFC 9457 problem detail; it is also an error, so
// handlers return it.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Field names the JSON field, CSV column or vCard property at fault.
	Field string `json:"field,omitempty"`
	// Errors lists rejected rows of an import.
	Errors []lookup.ImportError `json:"errors,omitempty"`
}

func (p *problem) Error() string { return fmt.Sprintf("api: %d %s: %s", p.Status, p.Title, p.Detail) }

// problemf builds a problem of the given status; slug names its type.
func problemf(status int, slug, format string, args ...any) *problem {
	return &problem{
		Type:   problemTypeBase + slug,
		Title:  http.StatusText(status),
		Status: status,
		Detail: fmt.Sprintf(format, args...),
	}
}

var errNotFound = problemf(http.StatusNotFound, "not-found", "not found")

// notFound is the answer for anything that does not exist or that the
// caller may not see: both look the same, so existence does not leak.
func notFound(what, id string) *problem {
	return problemf(http.StatusNotFound, "not-found", "%s %q not found", what, id)
}

func unauthorized(detail string) *problem {
	return problemf(http.StatusUnauthorized, "unauthorized", "%s", detail)
}

func forbidden(format string, args ...any) *problem {
	return problemf(http.StatusForbidden, "forbidden", format, args...)
}

func badRequest(format string, args ...any) *problem {
	return problemf(http.StatusBadRequest, "bad-request", format, args...)
}

func invalid(field, format string, args ...any) *problem {
	p := problemf(http.StatusUnprocessableEntity, "invalid", format, args...)
	p.Field = field
	return p
}

// toProblem maps an error from a handler or the store to a problem. The
// second result is false for unexpected errors, which are logged and
// answered with a generic 500.
func toProblem(err error) (*problem, bool) {
	var p *problem
	var mbe *http.MaxBytesError
	var fe *store.FieldError
	switch {
	case errors.As(err, &p):
		return p, true
	case errors.As(err, &mbe):
		return problemf(http.StatusRequestEntityTooLarge, "too-large", "request body larger than %d bytes", mbe.Limit), true
	case errors.Is(err, store.ErrNotFound):
		return problemf(http.StatusNotFound, "not-found", "%s", clean(err)), true
	case errors.As(err, &fe):
		q := problemf(http.StatusUnprocessableEntity, "invalid", "%s", clean(err))
		q.Field = fe.Field
		return q, true
	case errors.Is(err, store.ErrInvalid):
		return problemf(http.StatusUnprocessableEntity, "invalid", "%s", clean(err)), true
	case errors.Is(err, store.ErrReadOnly):
		return problemf(http.StatusConflict, "read-only", "%s", clean(err)), true
	case errors.Is(err, store.ErrLimit):
		return problemf(http.StatusConflict, "limit", "%s", clean(err)), true
	case errors.Is(err, store.ErrDiskFull):
		return problemf(http.StatusInsufficientStorage, "disk-full", "the store's file system is nearly full: writes are refused until space is freed (reads and calls continue)"), true
	case errors.Is(err, store.ErrRevisionGone):
		return problemf(http.StatusGone, "revision-gone", "%s; sync again from since=0", clean(err)), true
	case errors.Is(err, store.ErrUnauthorized):
		return unauthorized("invalid token"), true
	case errors.Is(err, store.ErrConflict):
		return problemf(http.StatusConflict, "conflict", "%s", clean(err)), true
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return problemf(http.StatusServiceUnavailable, "unavailable", "request cancelled or timed out"), true
	}
	return problemf(http.StatusInternalServerError, "internal", "internal error; see the server log"), false
}

// clean drops the package prefixes of store errors from a detail.
func clean(err error) string {
	return strings.ReplaceAll(err.Error(), "store: ", "")
}

// writeError answers with err as application/problem+json.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p, ok := toProblem(err)
	if !ok {
		s.log.ErrorContext(r.Context(), "api request failed", "method", r.Method, "route", routeOf(r), "err", err)
	}
	if p.Status == http.StatusUnauthorized {
		if strings.HasPrefix(r.URL.Path, "/phonebook/") {
			w.Header().Set("WWW-Authenticate", `Basic realm="cidproxy phonebook", charset="UTF-8"`)
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cidproxy"`)
		}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}
