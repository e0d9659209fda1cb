// Package service runs the configured CRM integrations inside the daemon.
//
// For every integration of crm.integrations it builds a crm.Integration
// from its template and fields and adds, around it, what a running PBX
// needs:
//
//   - caller lookup in the INVITE path (Resolver): local sources first; a
//     CRM is asked only when nothing local names the caller (or with
//     always_query), within the integration's ringing budget. A late answer
//     still completes in the background. Misses are cached for miss_ttl;
//     concurrent calls from one number share one search.
//   - CRM matches become read-only contacts of the integration's phonebook
//     (source crm:NAME), so the next call is named locally; a synced
//     contact older than hit_ttl is refreshed in the background when it
//     names a call (stale-while-revalidate).
//   - CRM users linked to extensions (explicit map, or by e-mail).
//   - the call journal: at a call's end a record is written to a durable
//     outbox (Outbox) synchronously, before anything else can fail; a
//     worker delivers it with retries and backoff, marks it done after the
//     CRM's 2xx and moves records that keep failing to a dead-letter list.
//   - contact creation for unknown callers (auto or manual).
//
// The package never imports cidproxy/sip: the proxy reaches it through
// lookup.Source (Resolver) and sip/event (Recorder).
package service
