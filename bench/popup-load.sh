#!/usr/bin/env bash
# popup-load.sh: the popup event stream under load (issue 13), all on
# loopback. Builds cidproxy, bench/latency and bench/popupload, then runs
# popupload: CLIENTS (100) event stream clients on as many extensions while
# RATE (200) calls/s for SECS (10) s ring them, every caller a CRM contact:
# popup delay p99 (target < 50 ms) and INVITE-to-180 with and without the
# clients. Output: Markdown for docs/benchmarks.md (also in
# bench/results/popup-load.md). Every process is stopped on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v sipp >/dev/null || { echo "popup-load: sipp missing: run scripts/install-deps.sh (make deps)" >&2; exit 1; }
work=$(mktemp -d /tmp/cidproxy-popup-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
go build -o "$work/cidproxy" ./cmd/cidproxy
go build -o "$work/latency" ./bench/latency
go build -o "$work/popupload" ./bench/popupload
mkdir -p bench/results
"$work/popupload" -bin "$work/cidproxy" -latency "$work/latency" -uas bench/scenarios/uas.xml \
	-rate "${RATE:-200}" -secs "${SECS:-10}" -clients "${CLIENTS:-100}" | tee bench/results/popup-load.md
