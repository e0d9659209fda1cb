package crm

import "cidproxy/crm/internal/httpclient"

// The HTTP machinery lives in crm/internal/httpclient; these names are the
// part of it that crm's callers see.
type (
	// Exchange is one HTTP attempt as seen by Config.OnExchange.
	Exchange = httpclient.Exchange
	// StatusError is the error of a non-2xx final response.
	StatusError = httpclient.StatusError
	// Backoff computes the delays between retries.
	Backoff = httpclient.Backoff
	// Redactor masks known secret values in text.
	Redactor = httpclient.Redactor
)

// Masked replaces every secret value in printed output and logs.
const Masked = httpclient.Masked

// ErrCircuitOpen is returned without contacting the CRM while its circuit
// breaker is open.
var ErrCircuitOpen = httpclient.ErrCircuitOpen

// DefaultMaxConcurrent is the request concurrency of a template that sets
// no MaxConcurrentRequest.
const DefaultMaxConcurrent = httpclient.DefaultMaxConcurrent
