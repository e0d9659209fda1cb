#!/usr/bin/env bash
# soak.sh: the hardening soak (issue 15), all on 127.0.0.1/UDP:
#
#   SIPp caller at RATE calls/s -> cidproxy -> SIPp callee, which is stopped
#   for FLAP_FOR s every FLAP_EVERY s (the flapping upstream), while
#   bench/malformed sends malformed SIP (RFC 4475 invalid messages, truncated
#   and garbled INVITEs, junk) to the daemon at MALFORMED_PCT % of RATE.
#
# Every 10 s it samples the daemon's VmRSS, go_goroutines (/metrics) and
# open fds; at the end it prints a Markdown table: start / peak / end,
# crashes (daemon exit), well-formed calls failed (SIPp caller counters) and
# how many of them fall into a flap window (from its stop until FLAP_GRACE s
# after its restart: SIPp gives up on a call 5 s after its last message),
# malformed messages sent and the daemon's counters.
#
# Environment:
#   DURATION=600 (s)  RATE= (calls/s; default 80 % of the highest cidproxy rate
#   in docs/benchmarks.md's 2026-12-02 runs: 3,500 -> 2,800)
#   FLAP_EVERY=60 FLAP_FOR=5 FLAP_GRACE=10 (s)  MALFORMED_PCT=5
#   CONTACTS=200000  UDP_BUF=4194304  BIN=bin/cidproxy  PORT_BASE=26060
#   WORK=dir (kept)  KEEP=1 (keep temp dir)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
DURATION=${DURATION:-600}
RATE=${RATE:-2800}
FLAP_EVERY=${FLAP_EVERY:-60}
FLAP_FOR=${FLAP_FOR:-5}
FLAP_GRACE=${FLAP_GRACE:-10}
MALFORMED_PCT=${MALFORMED_PCT:-5}
CONTACTS=${CONTACTS:-200000}
BIN=${BIN:-$root/bin/cidproxy}
PORT_BASE=${PORT_BASE:-26060}
# shellcheck source=bench/sipp-lib.sh
. "$here/sipp-lib.sh"
UDP_BUF=${UDP_BUF:-$(default_udp_buf)}
PROXY_PORT=$PORT_BASE
UAS_PORT=$((PORT_BASE + 10))
UAC_PORT=$((PORT_BASE + 20))
ADMIN_PORT=$((PORT_BASE + 40))

die() { echo "soak: $*" >&2; exit 1; }
log() { echo "soak: $*" >&2; }

command -v sipp >/dev/null || die "sipp missing: run scripts/install-deps.sh (make deps)"
[ -x "$BIN" ] || die "$BIN missing: run make build"
((DURATION > 0 && DURATION <= 7200)) || die "DURATION must be 1..7200 s"
((RATE > 0 && FLAP_EVERY > FLAP_FOR && FLAP_FOR > 0)) || die "need RATE > 0 and FLAP_EVERY > FLAP_FOR > 0"

if [ -n "${WORK:-}" ]; then
	mkdir -p "$WORK"
	KEEP=1
else
	WORK=$(mktemp -d /tmp/cidproxy-soak.XXXXXX)
fi

# Every process we start is recorded and stopped on exit, Ctrl-C included.
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	# The callee the flapper (a subshell) started last.
	[ -s "$WORK/uas.pid" ] && kill "$(cat "$WORK/uas.pid")" 2>/dev/null || true
	sleep 0.5
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	[ -s "$WORK/uas.pid" ] && kill -9 "$(cat "$WORK/uas.pid")" 2>/dev/null || true
	if [ "${KEEP:-0}" != 1 ]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in $PROXY_PORT $UAS_PORT $UAC_PORT; do port_busy udp "$p" && die "UDP port $p busy (set PORT_BASE)"; done
port_busy tcp "$ADMIN_PORT" && die "TCP port $ADMIN_PORT busy (set PORT_BASE)"
stop_pid() { # SIGTERM, SIGKILL after 5 s
	local i
	kill "$1" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
# metric NAME: the sum of a metric's samples on /metrics (all labels).
metric() {
	curl -fsS --max-time 3 "http://127.0.0.1:$ADMIN_PORT/metrics" 2>/dev/null |
		awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $2; f = 1 } END { if (f) printf "%.0f", s; else print "-" }'
}
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# ---------------------------------------------------------------- set-up

log "work dir $WORK; $CONTACTS contacts"
"$here/gen-contacts.sh" "$WORK" "$CONTACTS"
sed "s|<!--CHECK-->|<action><ereg regexp=\"^ *\&quot;[^\&quot;]+\&quot; *\&lt;\" search_in=\"hdr\" header=\"From:\" check_it=\"true\" assign_to=\"dn\"/></action>|; s|</scenario>|  <Reference variables=\"dn\"/>\n</scenario>|" \
	"$here/scenarios/uas.xml" >"$WORK/uas-check.xml"
(cd "$root" && go build -o "$WORK/malformed" ./bench/malformed) || die "bench/malformed did not build"

cfg="$WORK/cidproxy.yaml"
cat >"$cfg" <<-CFG
	log:
	  level: warn
	  format: text
	sip:
	  listen: ["udp://127.0.0.1:$PROXY_PORT"]
	  udp_buffer: $UDP_BUF
	  upstream: "sip:127.0.0.1:$UAS_PORT"
	events:
	  log: false
	store:
	  dir: "$WORK/data"
	lookup:
	  default_region: DE
	  identify_from_all_company_contacts: true
	admin:
	  listen: "127.0.0.1:$ADMIN_PORT"
CFG
"$BIN" contacts import -config "$cfg" "$WORK/contacts.csv" >"$WORK/import.log" 2>&1 ||
	die "contacts import failed: $(tail -5 "$WORK/import.log")"
"$BIN" serve -config "$cfg" >"$WORK/cidproxy.log" 2>&1 &
CID_PID=$!
pids+=("$CID_PID")
for ((i = 0; i < 600; i++)); do
	kill -0 "$CID_PID" 2>/dev/null || die "cidproxy exited: $(tail -5 "$WORK/cidproxy.log")"
	curl -fsS "http://127.0.0.1:$ADMIN_PORT/healthz" >/dev/null 2>&1 && port_busy udp "$PROXY_PORT" && break
	sleep 0.05
done

# ---------------------------------------------------------------- peers

# The flapping callee: up for FLAP_EVERY - FLAP_FOR s, down for FLAP_FOR s.
# Each window "stop restart" (epoch s) goes to flaps.txt. Bounded by the
# soak's end (a marker file) and by each SIPp instance's -timeout.
start_uas() {
	local n=$1
	(cd "$WORK" && exec sipp -buff_size "$UDP_BUF" -sf "$WORK/uas-check.xml" -i 127.0.0.1 -p "$UAS_PORT" -t u1 -nostdin \
		-m "$((RATE * (DURATION + 60) * 2))" -timeout "$((DURATION + 60))s" \
		-trace_stat -stf "$WORK/uas-$n.csv" -fd 1 -trace_err -error_file "$WORK/uas-$n-err.log" >/dev/null 2>&1) &
	UAS_PID=$!
	echo "$UAS_PID" >"$WORK/uas.pid"
}
flapper() {
	local n=0 t0 stop_at
	stop_at=$(($(date +%s) + DURATION))
	start_uas $n
	while :; do
		sleep "$((FLAP_EVERY - FLAP_FOR))" &
		wait $! || true
		[ -e "$WORK/done" ] || (($(date +%s) >= stop_at)) && break
		t0=$(date +%s.%N)
		stop_pid "$UAS_PID"
		sleep "$FLAP_FOR"
		n=$((n + 1))
		start_uas $n
		echo "$t0 $(date +%s.%N)" >>"$WORK/flaps.txt"
		wait_port udp "$UAS_PORT" 5 || log "callee $n did not start"
	done
	stop_pid "$UAS_PID"
}
: >"$WORK/flaps.txt"
flapper &
FLAP_PID=$!
pids+=("$FLAP_PID")
wait_port udp "$UAS_PORT" 5 || die "callee did not start"

calls=$((RATE * DURATION))
(cd "$WORK" && exec sipp -buff_size "$UDP_BUF" -sf "$here/scenarios/uac.xml" -inf "$WORK/callers.csv" -s 100 \
	-i 127.0.0.1 -p "$UAC_PORT" -t u1 "127.0.0.1:$PROXY_PORT" -r "$RATE" -m "$calls" -l "$((RATE * 8 + 100))" \
	-nostdin -timeout "$((DURATION + 60))s" -recv_timeout 5000 \
	-trace_stat -stf "$WORK/uac.csv" -fd 1 -trace_err -error_file "$WORK/uac-err.log" >/dev/null 2>&1) &
UAC_PID=$!
pids+=("$UAC_PID")

mal_rate=$(((RATE * MALFORMED_PCT + 99) / 100))
"$WORK/malformed" -target "127.0.0.1:$PROXY_PORT" -rate "$mal_rate" -duration "${DURATION}s" \
	-torture "$root/sip/testdata/torture/invalid" -replies "$WORK/malformed-replies.txt" >"$WORK/malformed.out" 2>&1 &
MAL_PID=$!
pids+=("$MAL_PID")

# ---------------------------------------------------------------- sampling

log "soak: $RATE calls/s for $DURATION s, callee down $FLAP_FOR s every $FLAP_EVERY s, $mal_rate malformed/s"
: >"$WORK/samples.txt"
crashed=0
start=$(date +%s)
for ((t = 0; ; t += 10)); do
	if ! kill -0 "$CID_PID" 2>/dev/null; then
		crashed=1
		log "cidproxy exited at t=$t s: $(tail -5 "$WORK/cidproxy.log")"
		break
	fi
	echo "$t $(rss_mb "$CID_PID") $(metric go_goroutines) $(fds "$CID_PID")" >>"$WORK/samples.txt"
	kill -0 "$UAC_PID" 2>/dev/null || break
	((t < DURATION + 60)) || break
	# In the background: bash runs a trap (Ctrl-C) only once a foreground
	# command ends, but interrupts a wait at once.
	sleep $((start + t + 10 - $(date +%s) > 0 ? start + t + 10 - $(date +%s) : 0)) &
	wait $! || true
done
wait "$UAC_PID" 2>/dev/null || true
touch "$WORK/done"
wait "$MAL_PID" 2>/dev/null || true
# A quiet 10 s after the load: what the daemon holds once its transactions end.
[ "$crashed" = 1 ] || { sleep 10 & wait $! || true; }
if kill -0 "$CID_PID" 2>/dev/null; then
	echo "end+10 $(rss_mb "$CID_PID") $(metric go_goroutines) $(fds "$CID_PID")" >>"$WORK/samples.txt"
	for m in cidproxy_sip_malformed_total cidproxy_sip_requests_total cidproxy_sip_responses_total \
		cidproxy_sip_overload_rejects_total cidproxy_dialogs_active cidproxy_sip_requests_in_flight; do
		echo "$m $(metric "$m")"
	done >"$WORK/metrics-end.txt"
else
	crashed=1
fi
stop_pid "$FLAP_PID"
[ -s "$WORK/uas.pid" ] && stop_pid "$(cat "$WORK/uas.pid")"

# ---------------------------------------------------------------- report

ok=$(stat_field "$WORK/uac.csv" "SuccessfulCall(C)")
failed=$(stat_field "$WORK/uac.csv" "FailedCall(C)")
created=$(stat_field "$WORK/uac.csv" "TotalCallCreated")
# Failed calls per second (FailedCall(P) rows of -fd 1) whose time falls in
# [stop, restart + FLAP_GRACE] of a flap.
in_flaps=$(awk -F';' -v g="$FLAP_GRACE" '
	FNR == NR { s[++n] = $1; e[n] = $2 + g; next }
	FNR == 1 { for (i = 1; i <= NF; i++) { if ($i == "FailedCall(P)") c = i; if ($i == "CurrentTime") t = i }; next }
	{ k = split($t, a, "\t"); now = a[k]; for (j = 1; j <= n; j++) if (now >= s[j] && now <= e[j] + 1) { f += $c; break } }
	END { print f + 0 }' FS=' ' "$WORK/flaps.txt" FS=';' "$WORK/uac.csv")
# The SIPp caller's From tags hold "SIPpTag"; any other INVITE without a
# display name is a malformed message (torture or garbled) the daemon forwarded.
unnamed=$(regexp_failures "$WORK"/uas-*-err.log | grep -ac 'SIPpTag' || true)
unnamed_mal=$(regexp_failures "$WORK"/uas-*-err.log | grep -avc 'SIPpTag' || true)
flaps=$(wc -l <"$WORK/flaps.txt")

col_stats() { # COLUMN: start peak end (last sample under load), end+10
	awk -v c="$1" '$1 != "end+10" { v = $c; if (NR == 1) s = v; if (v + 0 > p + 0) p = v; e = v } $1 == "end+10" { q = $c }
		END { printf "%s | %s | %s | %s", s, p, e, (q == "" ? "-" : q) }' "$WORK/samples.txt"
}
echo "### Soak: $RATE calls/s for $DURATION s, $MALFORMED_PCT % malformed, callee down $FLAP_FOR s every $FLAP_EVERY s"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $CONTACTS contacts; $("$BIN" version 2>/dev/null | head -1 || echo 'cidproxy ?')."
echo
echo "| daemon | start | peak | end of load | 10 s after |"
echo "|---|---:|---:|---:|---:|"
echo "| VmRSS (MB) | $(col_stats 2) |"
echo "| goroutines (go_goroutines) | $(col_stats 3) |"
echo "| open fds | $(col_stats 4) |"
echo
echo "| outcome | value |"
echo "|---|---:|"
echo "| crashes (daemon exit) | $crashed |"
echo "| well-formed calls placed / succeeded | $created / $ok |"
echo "| well-formed calls failed (SIPp caller) | $failed |"
echo "| … of which in a flap window ($flaps flaps, stop → restart + $FLAP_GRACE s) | $in_flaps |"
echo "| … outside any flap window | $((failed - in_flaps)) |"
echo "| well-formed calls reaching the callee without a display name | $unnamed |"
echo "| malformed messages forwarded to the callee as INVITEs (no display name) | $unnamed_mal |"
echo "| malformed messages sent (bench/malformed) | $(sed -n 's/.*sent=\([0-9]*\).*/\1/p' "$WORK/malformed.out") |"
if [ -s "$WORK/metrics-end.txt" ]; then
	while read -r m v; do echo "| daemon \`$m\` at the end | $v |"; done <"$WORK/metrics-end.txt"
fi
echo
echo "bench/malformed: $(cat "$WORK/malformed.out")"
echo
echo "Samples every 10 s (t s, VmRSS MB, goroutines, fds): $(awk '{ printf "%s%s/%s/%s/%s", (NR > 1 ? "; " : ""), $1, $2, $3, $4 }' "$WORK/samples.txt")"
[ "$crashed" = 0 ] || exit 1
