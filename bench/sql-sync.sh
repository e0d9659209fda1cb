#!/usr/bin/env bash
# SQL contact sync bench for `make bench` (issue 14): ROWS (default
# 500,000) rows from PostgreSQL (127.0.0.1:5432, db test) into an empty
# store through the running daemon (index maintained), then an unchanged
# re-sync, then a re-sync with 1% of the rows renamed. Reports each run's
# duration (the daemon's own figure) and the daemon's peak RSS (VmHWM).
# Targets: first sync < 60 s with RSS < 500 MB; unchanged re-sync < 15 s.
# Calls keep their latency during a sync: bench/latency places 50 calls/s
# (callers from the table) through the daemon to a SIPp callee for 10 s
# before the first sync and during it; INVITE->180 percentiles of both.
# Output: bench/results/sql-sync.txt
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
ROWS=${ROWS:-500000}
PG=${PG:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
out=bench/results
mkdir -p "$out"
log="$out/sql-sync.txt"
: >"$log"
say() { echo "$*" | tee -a "$log"; }

go build -o bin/cidproxy ./cmd/cidproxy
work=$(mktemp -d)
go build -o "$work/latency" ./bench/latency
schema=bench_sql_$$
cleanup() {
	[ -n "${uas_pid:-}" ] && kill "$uas_pid" 2>/dev/null || true
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	psql "$PG" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

say "== $(date -u +%FT%TZ) $ROWS rows, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
psql "$PG" -q <<SQL
CREATE SCHEMA $schema;
CREATE TABLE $schema.contacts AS
SELECT i AS id,
       (ARRAY['Anna','Ben','Clara','David','Elif','Finn','Greta','Hamid'])[1 + i % 8] AS first,
       'Name' || i AS last,
       CASE WHEN i % 5 = 0 THEN 'Firma ' || (i % 1000) ELSE '' END AS company,
       '+49 30 ' || lpad(i::text, 8, '0') AS phone,
       CASE WHEN i % 3 = 0 THEN '0171 ' || lpad(i::text, 7, '0') ELSE '' END AS mobile,
       (ARRAY['Sales','Support','Service',''])[1 + i % 4] AS team,
       'Berlin' AS city
FROM generate_series(1, $ROWS) AS i;
ALTER TABLE $schema.contacts ADD PRIMARY KEY (id);
SQL

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
uas=$(port)
admin=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sip=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/cidproxy.yaml" <<YAML
log: {level: info, format: text}
sip: {listen: ["udp://127.0.0.1:$sip"], upstream: "sip:127.0.0.1:$uas"}
store: {dir: "$work/data"}
admin: {listen: "127.0.0.1:$admin"}
events: {log: false}
limits:
  tiers: [{min_extensions: 0, company_contacts: 600000, phonebooks: 500, personal_contacts: 100}]
sql:
  sources:
    - name: bench
      driver: postgres
      dsn: "$PG"
      map: {id: id, first_name: first, last_name: last, company: company, business_number: phone, mobile_number: mobile, city: city}
      filter: select \${MAP} from $schema.contacts order by id
      phonebook: {by_column: team}
      remove_missing: true
      timeout: 10m
YAML
bin/cidproxy serve -config "$work/cidproxy.yaml" 2>"$work/daemon.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$admin/healthz" >/dev/null && break; sleep 0.1; done
rss() { awk -v f="$1" '$1 == f":" { printf "%.0f MB", $2 / 1024 }' "/proc/$pid/status"; }
say "daemon started: RSS $(rss VmRSS)"
{ echo SEQUENTIAL; for i in $(seq 7 7919 $ROWS); do printf '+4930%08d;\n' "$i"; done; } >"$work/callers.csv"
(cd "$work" && exec sipp -sf "$here/bench/scenarios/uas.xml" -i 127.0.0.1 -p "$uas" -t u1 -nostdin -timeout 600s >/dev/null 2>&1) &
uas_pid=$!
sleep 1
calls() { # label seconds
	say "$1: $("$work/latency" -target "127.0.0.1:$sip" -rate 50 -duration "$2s" -callers "$work/callers.csv" 2>&1)"
}
calls "calls before the sync (INVITE->180/200 µs p50/p90/p99/max)" 10
calls "calls during the first sync" 10 &
lat_pid=$!

sync() { # label
	local t0 t1
	t0=$(date +%s.%N)
	bin/cidproxy sql sync bench -config "$work/cidproxy.yaml" 2>&1 | tee -a "$log"
	t1=$(date +%s.%N)
	say "$1: wall $(echo "$t1 - $t0" | bc) s (CLI, polling), daemon RSS $(rss VmRSS), peak $(rss VmHWM)"
}
sync "first sync into an empty store"
wait "$lat_pid" || true
say "$(curl -s "http://127.0.0.1:$admin/metrics" | grep -E '^cidproxy_sip_read_pauses_total' || true)"
sync "unchanged re-sync"
psql "$PG" -qc "UPDATE $schema.contacts SET last = last || 'x' WHERE id % 100 = 0"
sync "re-sync with 1% renamed"
say "$(curl -s "http://127.0.0.1:$admin/metrics" | grep -E '^cidproxy_contacts ' || true)"
echo "results in $log"
