package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"cidproxy/store"
)

// Paging bounds.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// page is the shape of every list response.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// mediaType returns the request's Content-Type without parameters, in
// lower case ("" when absent or unparsable).
func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

func isJSON(mt string) bool { return mt == "application/json" || strings.HasSuffix(mt, "+json") }

// unsupported is the 415 answer.
func unsupported(r *http.Request, want string) *problem {
	got := r.Header.Get("Content-Type")
	if got == "" {
		got = "none"
	}
	return problemf(http.StatusUnsupportedMediaType, "unsupported-media-type", "Content-Type %s is not accepted here; send %s", got, want)
}

// decodeJSON decodes the request body into v (which may hold current
// values: a PATCH merges into them). Unknown fields, trailing data and
// type mismatches are 400s naming the field; a non-JSON Content-Type is 415.
func decodeJSON(r *http.Request, v any) error {
	if !isJSON(mediaType(r)) {
		return unsupported(r, "application/json")
	}
	return decodeJSONBody(r.Body, v)
}

// decodeJSONBody is decodeJSON without the Content-Type check. The body
// (at most jsonBodyLimit, else 413) is read first so that invalid UTF-8
// and control characters are a 400 naming the field (checkJSONStrings).
func decodeJSONBody(body io.Reader, v any) error {
	b, err := io.ReadAll(io.LimitReader(body, jsonBodyLimit+1))
	if err != nil {
		return err // a MaxBytesError stays a 413
	}
	if len(b) > jsonBodyLimit {
		return &http.MaxBytesError{Limit: jsonBodyLimit}
	}
	if err := checkJSONStrings(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("unexpected data after the JSON value")
	}
	return nil
}

// jsonError turns a decoding error into a 400 problem (413 stays 413).
func jsonError(err error) error {
	var (
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return badRequest("empty body: a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed JSON: unexpected end of input")
	case errors.As(err, &se):
		return badRequest("malformed JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.As(err, &te) && te.Field == "":
		return badRequest("expected a JSON object, got JSON %s", te.Value)
	case errors.As(err, &te):
		p := badRequest("field %q: expected %s, got JSON %s", te.Field, te.Type, te.Value)
		p.Field = te.Field
		return p
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		p := badRequest("unknown field %q", name)
		p.Field = name
		return p
	}
	return badRequest("malformed JSON: %s", strings.TrimPrefix(msg, "json: "))
}

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("api: encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}

// parseLimit reads ?limit= (default 100, at most 1000).
func parseLimit(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		p := badRequest("limit must be a number from 1 to %d", maxLimit)
		p.Field = "limit"
		return 0, p
	}
	return n, nil
}

// pageOf pages a slice sorted by key: the cursor is the opaque key of
// the last item of the previous page.
func pageOf[T any](items []T, key func(T) string, r *http.Request) (page[T], error) {
	limit, err := parseLimit(r)
	if err != nil {
		return page[T]{}, err
	}
	after := ""
	if c := r.URL.Query().Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil {
			p := badRequest("invalid cursor")
			p.Field = "cursor"
			return page[T]{}, p
		}
		after = string(b)
	}
	out := page[T]{Items: make([]T, 0, min(limit, len(items)))}
	for _, it := range items {
		if after != "" && key(it) <= after {
			continue
		}
		if len(out.Items) == limit {
			out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(key(out.Items[limit-1])))
			break
		}
		out.Items = append(out.Items, it)
	}
	return out, nil
}

// etag is the entity tag of a record revision.
func etag(rev uint64) string { return `"` + strconv.FormatUint(rev, 10) + `"` }

// matchETag reports whether an If-Match / If-None-Match header value
// lists tag (or is "*"); weak tags compare equal to strong ones.
func matchETag(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}

// writeRecord answers a single resource with its ETag, or 304 when the
// client's If-None-Match already names it.
func writeRecord(w http.ResponseWriter, r *http.Request, status int, rev uint64, v any) error {
	if rev != 0 {
		tag := etag(rev)
		w.Header().Set("ETag", tag)
		if inm := r.Header.Get("If-None-Match"); inm != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) && matchETag(inm, tag) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	return writeJSON(w, status, v)
}

// The write choreography of PUT, PATCH and DELETE on one record: load it
// (loadForWrite: absent is no error for a PUT), check If-Match (ifMatch),
// save, answer 201 for a new record and 200 otherwise (writeSaved).

// loadForWrite gets record id for a write; a missing record is no error
// (exists is false).
func loadForWrite[T any](ctx context.Context, id string, get func(context.Context, string) (T, error)) (v T, exists bool, err error) {
	v, err = get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return v, false, nil
	}
	return v, err == nil, err
}

// ifMatch enforces If-Match on a write to the kind record id: 412 when
// If-Match is given for a record that does not exist or names another
// revision than rev.
func ifMatch(r *http.Request, kind, id string, exists bool, rev uint64) error {
	if !exists {
		if r.Header.Get("If-Match") != "" {
			return problemf(http.StatusPreconditionFailed, "precondition-failed", "If-Match given, but %s %q does not exist", kind, id)
		}
		return nil
	}
	return checkIfMatch(r, rev)
}

// writeSaved answers a write with the saved record: 201 Created when it
// did not exist before, 200 OK otherwise.
func writeSaved(w http.ResponseWriter, r *http.Request, existed bool, rev uint64, v any) error {
	status := http.StatusOK
	if !existed {
		status = http.StatusCreated
	}
	return writeRecord(w, r, status, rev, v)
}

// checkIfMatch enforces If-Match on a write: 412 when it names another
// revision than the current one.
func checkIfMatch(r *http.Request, rev uint64) error {
	im := r.Header.Get("If-Match")
	if im == "" || matchETag(im, etag(rev)) {
		return nil
	}
	return problemf(http.StatusPreconditionFailed, "precondition-failed",
		"the resource changed: If-Match %s, current ETag %s; fetch it again", im, etag(rev))
}
