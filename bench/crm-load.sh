#!/usr/bin/env bash
# crm-load.sh: the daemon with a CRM in the call (issue 10), all on loopback.
# Builds cidproxy, bench/latency and bench/crmload, then runs crmload:
#   - 200 calls/s (RATE) for 10 s (SECS), every call from a new number that
#     a Zoho double answers in 50 ms: INVITE-to-180 p99 (target < 60 ms);
#     the same with the built-in MaxConcurrentRequest 5 (for comparison);
#   - the CRM hung, budget 100 ms: INVITE-to-180 p99 (target < 105 ms);
#   - journal throughput: JOURNAL_CALLS answered calls, Calls answering in
#     50 ms, MaxConcurrentRequest 3.
# Output: Markdown for docs/benchmarks.md. Every process is stopped on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v sipp >/dev/null || { echo "crm-load: sipp missing: run scripts/install-deps.sh (make deps)" >&2; exit 1; }
work=$(mktemp -d /tmp/cidproxy-crm-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
go build -o "$work/cidproxy" ./cmd/cidproxy
go build -o "$work/latency" ./bench/latency
go build -o "$work/crmload" ./bench/crmload
mkdir -p bench/results
"$work/crmload" -bin "$work/cidproxy" -latency "$work/latency" -uas bench/scenarios/uas.xml \
	-rate "${RATE:-200}" -secs "${SECS:-10}" -journal-calls "${JOURNAL_CALLS:-600}" | tee bench/results/crm-load.md
