package httpclient

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Masked replaces every secret value in printed output and logs.
const Masked = "****"

// minSecretLen avoids masking trivially short values ("1", "on") that would
// garble output without protecting anything.
const minSecretLen = 4

// Redactor replaces known secret values in text. It is safe for concurrent
// use; secrets are added as they become known (tokens after a refresh).
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// Add registers secret values to mask. Values shorter than 4 bytes are
// ignored.
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if len(v) < minSecretLen || r.has(v) {
			continue
		}
		r.secrets = append(r.secrets, v)
	}
	// Longest first, so a secret containing another is masked whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

func (r *Redactor) has(v string) bool {
	for _, s := range r.secrets {
		if s == v {
			return true
		}
	}
	return false
}

// String masks every registered secret in s, including its common
// encodings (URL query escaping).
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.secrets {
		s = strings.ReplaceAll(s, v, Masked)
		if q := url.QueryEscape(v); q != v {
			s = strings.ReplaceAll(s, q, Masked)
		}
		if p := url.PathEscape(v); p != v {
			s = strings.ReplaceAll(s, p, Masked)
		}
	}
	return s
}

// Header returns a copy of h for printing: credentials headers are masked
// entirely (keeping the scheme word) and other values pass through String.
func (r *Redactor) Header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		for _, v := range vs {
			if isCredentialHeader(k) {
				v = maskCredential(v)
			}
			out[k] = append(out[k], r.String(v))
		}
	}
	return out
}

func isCredentialHeader(name string) bool {
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-auth-token":
		return true
	}
	return false
}

// maskCredential keeps an authorization scheme ("Bearer") and masks the rest.
func maskCredential(v string) string {
	if i := strings.IndexByte(v, ' '); i > 0 && i < 32 {
		return v[:i+1] + Masked
	}
	return Masked
}

// scrubURLError reduces the URL of a *url.Error to scheme and host: the
// query may carry API keys or client secrets and the path phone numbers.
func scrubURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	short := "(invalid url)"
	if p, perr := url.Parse(ue.URL); perr == nil {
		short = p.Scheme + "://" + p.Host
	}
	return &url.Error{Op: ue.Op, URL: short, Err: ue.Err}
}

// RedactURL returns u without userinfo and with every query value masked;
// an unparsable URL becomes "(invalid url)".
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(invalid url)"
	}
	p.User = nil
	if p.RawQuery != "" {
		q := p.Query()
		for k := range q {
			q[k] = []string{Masked}
		}
		p.RawQuery = q.Encode()
	}
	return p.String()
}
