package httpclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Client defaults.
const (
	DefaultMaxConcurrent = 5
	DefaultTimeout       = 10 * time.Second
	DefaultMaxRetries    = 2
	DefaultMaxBodyBytes  = 4 << 20
)

// Config configures a Client. Zero values select the defaults.
type Config struct {
	Template         string        // template key, used as the metrics label
	MaxConcurrent    int           // template MaxConcurrentRequest; 0 = 5
	Timeout          time.Duration // per attempt; 0 = 10 s
	MaxRetries       int           // retries after the first attempt; 0 = 2, negative = none
	Backoff          Backoff       // delays between retries
	BreakerThreshold int           // consecutive failures that open the breaker; 0 = 5
	BreakerCooldown  time.Duration // open time before a probe; 0 = 30 s
	MaxBodyBytes     int64         // response body limit; 0 = 4 MiB
	HTTP             *http.Client  // nil = a client with its own transport
	Metrics          *Metrics      // nil = no metrics
	Logger           *slog.Logger  // nil = discard
	// OnExchange, if set, sees every attempt (the template test tool prints
	// them). It runs synchronously; it must not keep the values.
	OnExchange func(Exchange)
}

// Request is one HTTP request to a CRM.
type Request struct {
	Scenario string // metrics label (template scenario Id)
	Method   string
	URL      string
	Header   http.Header
	Body     []byte
	// Idempotent requests are retried on any 5xx; others only on 429 and
	// 503, where the server says it did not process the request, so a
	// call journal entry or a contact is never created twice.
	Idempotent bool
}

// Response is a CRM's answer with the body read (up to MaxBodyBytes).
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Exchange is one attempt as seen by Config.OnExchange.
type Exchange struct {
	Request  *Request
	Attempt  int
	Response *Response // nil on transport errors
	Err      error
	Duration time.Duration
}

// StatusError is returned for a non-2xx final response. The body is kept
// for TokenInvalid detection but never printed by Error.
type StatusError struct {
	StatusCode int
	Body       []byte
}

// Error implements error.
func (e *StatusError) Error() string { return fmt.Sprintf("crm: http status %d", e.StatusCode) }

// Client sends requests to one CRM with bounded concurrency, timeouts,
// retries and a circuit breaker. It is safe for concurrent use.
type Client struct {
	cfg     Config
	sem     chan struct{}
	breaker *Breaker
	http    *http.Client
	log     *slog.Logger
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	c := &Client{cfg: cfg, sem: make(chan struct{}, cfg.MaxConcurrent), http: cfg.HTTP, log: cfg.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.http == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = cfg.MaxConcurrent
		c.http = &http.Client{Transport: tr}
	} else {
		hc := *c.http
		c.http = &hc
	}
	c.http.CheckRedirect = sameHostRedirects(c.http.CheckRedirect)
	c.breaker = NewBreaker(cfg.BreakerThreshold, cfg.BreakerCooldown, func(s BreakerState) {
		if cfg.Metrics != nil {
			cfg.Metrics.breakerState.WithLabelValues(cfg.Template).Set(float64(s))
		}
		c.log.Warn("crm circuit breaker", "template", cfg.Template, "state", s.String())
	})
	if cfg.Metrics != nil {
		cfg.Metrics.breakerState.WithLabelValues(cfg.Template).Set(float64(BreakerClosed))
		cfg.Metrics.inflight.WithLabelValues(cfg.Template).Set(0)
	}
	return c
}

// Breaker returns the client's circuit breaker.
func (c *Client) Breaker() *Breaker { return c.breaker }

// Timeout returns the per-attempt timeout.
func (c *Client) Timeout() time.Duration { return c.cfg.Timeout }

// Do sends req, retrying as configured. A non-2xx final status returns the
// Response together with a *StatusError. ctx bounds the whole call
// including waits between retries.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := c.attempt(ctx, req, attempt)
		wait, retry := c.retryAfter(req, resp, err, attempt)
		if !retry {
			return resp, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return resp, err // waiting would outlive the caller
		}
		if c.cfg.Metrics != nil {
			c.cfg.Metrics.retries.WithLabelValues(c.cfg.Template, req.Scenario).Inc()
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return resp, fmt.Errorf("crm: %s: %w", req.Scenario, ctx.Err())
		case <-t.C:
		}
	}
}

// retryAfter decides whether to retry and how long to wait.
func (c *Client) retryAfter(req *Request, resp *Response, err error, attempt int) (time.Duration, bool) {
	if attempt >= c.cfg.MaxRetries || errors.Is(err, ErrCircuitOpen) || errors.Is(err, context.Canceled) {
		return 0, false
	}
	if resp == nil {
		if err == nil || errors.Is(err, errBodyTooLarge) || errors.Is(err, ErrCrossHostRedirect) {
			return 0, false
		}
		return c.cfg.Backoff.Delay(attempt), true // transport error or attempt timeout
	}
	code := resp.StatusCode
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
	case code >= 500 && req.Idempotent:
	default:
		return 0, false
	}
	if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		return d, true
	}
	return c.cfg.Backoff.Delay(attempt), true
}

var errBodyTooLarge = errors.New("crm: response body too large")

// ErrCrossHostRedirect is returned for a redirect to another host (or from
// https to http): the request's credentials (Authorization and API-key
// headers, keys in the query, the Referer) must not follow it.
var ErrCrossHostRedirect = errors.New("crm: redirect to another host refused")

// sameHostRedirects is the redirect policy: at most 10, same scheme and
// host only, no Referer (the previous URL may carry a key); then next.
func sameHostRedirects(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		if !strings.EqualFold(req.URL.Host, first.Host) || (first.Scheme == "https" && req.URL.Scheme != "https") {
			return ErrCrossHostRedirect
		}
		if len(via) >= 10 {
			return errors.New("crm: stopped after 10 redirects")
		}
		req.Header.Del("Referer")
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

// attempt sends req once, holding a concurrency slot only while on the wire.
func (c *Client) attempt(ctx context.Context, req *Request, attempt int) (*Response, error) {
	m, tpl := c.cfg.Metrics, c.cfg.Template
	verdict, err := c.breaker.allow()
	if err != nil {
		c.count(req, OutcomeBreakerOpen)
		return nil, fmt.Errorf("crm: %s: %w", req.Scenario, err)
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		verdict(OutcomeCanceled)
		return nil, fmt.Errorf("crm: %s: waiting for a request slot: %w", req.Scenario, ctx.Err())
	}
	if m != nil {
		m.inflight.WithLabelValues(tpl).Inc()
	}
	start := time.Now()
	resp, err := c.send(ctx, req)
	dur := time.Since(start)
	<-c.sem
	if m != nil {
		m.inflight.WithLabelValues(tpl).Dec()
		m.duration.WithLabelValues(tpl, req.Scenario).Observe(dur.Seconds())
	}
	outcome := classify(ctx, resp, err)
	c.count(req, outcome)
	verdict(outcome)
	if c.cfg.OnExchange != nil {
		c.cfg.OnExchange(Exchange{Request: req, Attempt: attempt, Response: resp, Err: err, Duration: dur})
	}
	c.log.Debug("crm request", "template", tpl, "scenario", req.Scenario, "method", req.Method,
		"attempt", attempt, "outcome", outcome, "duration", dur)
	if err == nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
		err = &StatusError{StatusCode: resp.StatusCode, Body: resp.Body}
	}
	return resp, err
}

func (c *Client) count(req *Request, outcome string) {
	if c.cfg.Metrics != nil {
		c.cfg.Metrics.requests.WithLabelValues(c.cfg.Template, req.Scenario, outcome).Inc()
	}
}

func (c *Client) send(ctx context.Context, req *Request) (*Response, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(actx, req.Method, req.URL, body)
	if err != nil {
		return nil, fmt.Errorf("crm: %s: build request: %w", req.Scenario, err)
	}
	for k, vs := range req.Header {
		hreq.Header[k] = append([]string(nil), vs...)
	}
	hresp, err := c.http.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("crm: %s: %w", req.Scenario, scrubURLError(err))
	}
	defer hresp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(hresp.Body, c.cfg.MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("crm: %s: read body: %w", req.Scenario, err)
	}
	if int64(len(b)) > c.cfg.MaxBodyBytes {
		return nil, fmt.Errorf("crm: %s: %w", req.Scenario, errBodyTooLarge)
	}
	return &Response{StatusCode: hresp.StatusCode, Header: hresp.Header, Body: b}, nil
}

// classify maps a result to the outcome label.
func classify(ctx context.Context, resp *Response, err error) string {
	switch {
	case err != nil && ctx.Err() != nil:
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return OutcomeTimeout
		}
		return OutcomeCanceled
	case err != nil && errors.Is(err, context.DeadlineExceeded):
		return OutcomeTimeout
	case errors.Is(err, ErrCrossHostRedirect):
		return OutcomeClientError // the CRM answered; the template or account is wrong
	case err != nil:
		return OutcomeNetworkError
	case resp.StatusCode == http.StatusTooManyRequests:
		return OutcomeRateLimited
	case resp.StatusCode >= 500:
		return OutcomeServerError
	case resp.StatusCode >= 400:
		return OutcomeClientError
	}
	return OutcomeOK
}
