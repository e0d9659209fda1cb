package crmtest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Recorded is one request as received by a fake server.
type Recorded struct {
	Method string
	Host   string // the Host the client addressed (before rerouting)
	Path   string
	Query  url.Values
	URL    string // scheme-less host + request URI, e.g. www.zohoapis.com/crm/v7/Contacts/search?phone=1
	Header http.Header
	Body   []byte
}

// Recorder wraps a handler, recording requests and tracking concurrency.
type Recorder struct {
	next http.Handler

	mu   sync.Mutex
	reqs []Recorded

	inflight    atomic.Int64
	maxInflight atomic.Int64

	faults []Fault
	delay  atomic.Int64 // per-request latency (ns)
}

// SetDelay makes every request take at least d (latency of a real CRM).
func (r *Recorder) SetDelay(d time.Duration) { r.delay.Store(int64(d)) }

// Fault is a canned response served instead of the real handler.
type Fault struct {
	Status int
	Header http.Header
	Body   string
	// Hang blocks until the client goes away (a hanging server).
	Hang bool
}

// FailNext makes the next n requests receive f.
func (r *Recorder) FailNext(n int, f Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 0; i < n; i++ {
		r.faults = append(r.faults, f)
	}
}

func (r *Recorder) nextFault() (Fault, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.faults) == 0 {
		return Fault{}, false
	}
	f := r.faults[0]
	r.faults = r.faults[1:]
	return f, true
}

func serveFault(w http.ResponseWriter, req *http.Request, f Fault) {
	if f.Hang {
		<-req.Context().Done()
		return
	}
	for k, vs := range f.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, f.Body)
}

// NewRecorder returns a Recorder in front of next.
func NewRecorder(next http.Handler) *Recorder { return &Recorder{next: next} }

// ServeHTTP implements http.Handler.
func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	n := r.inflight.Add(1)
	defer r.inflight.Add(-1)
	for {
		m := r.maxInflight.Load()
		if n <= m || r.maxInflight.CompareAndSwap(m, n) {
			break
		}
	}
	body, _ := io.ReadAll(io.LimitReader(req.Body, 8<<20))
	req.Body = io.NopCloser(bytes.NewReader(body))
	rec := Recorded{
		Method: req.Method, Host: req.Host, Path: req.URL.Path, Query: req.URL.Query(),
		URL: req.Host + req.URL.RequestURI(), Header: req.Header.Clone(), Body: body,
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	r.mu.Unlock()
	if d := time.Duration(r.delay.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-req.Context().Done():
		}
	}
	if f, ok := r.nextFault(); ok {
		serveFault(w, req, f)
		return
	}
	r.next.ServeHTTP(w, req)
}

// Requests returns a copy of the recorded requests, in arrival order.
func (r *Recorder) Requests() []Recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Recorded(nil), r.reqs...)
}

// Reset forgets recorded requests and the in-flight maximum.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.reqs = nil
	r.mu.Unlock()
	r.maxInflight.Store(0)
}

// MaxInFlight is the highest number of requests handled at the same time.
func (r *Recorder) MaxInFlight() int64 { return r.maxInflight.Load() }

// Server is a started httptest.Server with a Recorder.
type Server struct {
	*httptest.Server
	*Recorder
}

// NewServer starts a loopback server recording requests to h.
func NewServer(h http.Handler) *Server {
	rec := NewRecorder(h)
	return &Server{Server: httptest.NewServer(rec), Recorder: rec}
}

// Client returns an http.Client whose transport reroutes every request to
// the server (see Transport).
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: Transport(s.Server)}
}

// Transport returns a RoundTripper that sends every request, whatever its
// URL, to srv over plain HTTP on loopback, preserving the original Host
// header. Redirects are not followed by the transport itself.
func Transport(srv *httptest.Server) http.RoundTripper {
	target, _ := url.Parse(srv.URL)
	base := srv.Client().Transport
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		r := req.Clone(req.Context())
		if r.Host == "" {
			r.Host = req.URL.Host
		}
		r.URL.Scheme = target.Scheme
		r.URL.Host = target.Host
		return base.RoundTrip(r)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
