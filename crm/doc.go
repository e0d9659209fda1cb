// Package crm runs CRM and helpdesk integrations described by Yeastar-style
// XML templates (package cidproxy/crm/template): it authenticates (none,
// basic, oauth2, bearertoken), searches contacts for the call path, creates
// contacts and tickets, lists CRM users for extension association and logs
// finished calls into the CRM's call journal.
//
// One Integration exists per configured template instance. Each has its own
// HTTP client (package crm/internal/httpclient) that enforces the template's
// MaxConcurrentRequest with a semaphore, a per-attempt timeout, retries with
// exponential backoff and jitter (5xx and 429, honouring Retry-After), and a
// circuit breaker.
//
// Secrets (custom field values of password type, OAuth2 and bearer tokens)
// are sealed with AES-256-GCM before they reach the KV store and are masked
// in every log line and printed output.
//
// The package never imports cidproxy/sip; the call path talks to it through
// Integration's methods (SearchContact, CreateContact, CreateTicket, LogCall,
// Users, ContactURL).
package crm
