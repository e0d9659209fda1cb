package httpclient

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter caps what a CRM can make us wait with Retry-After.
const maxRetryAfter = 5 * time.Minute

// ParseRetryAfter interprets a Retry-After header value (RFC 9110 §10.2.3):
// either delay-seconds or an HTTP-date, relative to now. It reports false
// for an empty or malformed value. Negative results (a date in the past)
// become 0, and very long waits are capped at 5 minutes.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		if len(v) > 9 { // > ~31 years: treat as the cap, avoid overflow
			return maxRetryAfter, true
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, false
		}
		return min(time.Duration(n)*time.Second, maxRetryAfter), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		d = 0
	}
	return min(d, maxRetryAfter), true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Backoff computes retry delays: exponential from Base, capped at Max, with
// "equal jitter" (a uniform random delay in [d/2, d]). Not full jitter
// ([0, d]): a retry keeps at least half of its backoff, so a struggling CRM
// is never hit again at once, while the random half still spreads the
// retries of many calls.
type Backoff struct {
	Base time.Duration
	Max  time.Duration
}

// Delay returns the wait before retry number attempt (0 = first retry).
func (b Backoff) Delay(attempt int) time.Duration {
	base, maxD := b.Base, b.Max
	if base <= 0 {
		base = 200 * time.Millisecond
	}
	if maxD <= 0 {
		maxD = 5 * time.Second
	}
	d := base
	for i := 0; i < attempt && d < maxD; i++ {
		d *= 2
	}
	d = min(d, maxD)
	half := d / 2
	return half + rand.N(half+1)
}
