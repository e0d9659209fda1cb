// Package httpclient sends the HTTP requests of the crm package: bounded
// concurrency (a semaphore held only while a request is on the wire), a
// per-attempt timeout, retries with exponential backoff honouring
// Retry-After, a circuit breaker (sony/gobreaker), metrics, and redaction of
// secrets in errors, logs and printed exchanges.
//
// It knows nothing of templates: crm renders a Request and reads the
// Response.
package httpclient
