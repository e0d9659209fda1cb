#!/usr/bin/env bash
# sipp-load.sh: SIPp load comparison on this machine, all on 127.0.0.1/UDP.
#
#   direct    SIPp caller -> SIPp callee (the physical limit of the box)
#   cidproxy  SIPp caller -> cidproxy (500,000 contacts) -> SIPp callee
#   kamailio  SIPp caller -> Kamailio (tm, rr, htable of the same contacts,
#             uac_replace_from, 2 workers; bench/kamailio.cfg) -> SIPp callee
#
# Each target runs at rising rates (RATES, calls/s) for STEP_SECS each and
# stops after the first step that fails (>= 0.5 % failed calls, or SIPp
# could not reach 90 % of the rate). A call fails when the caller does not
# complete INVITE/180/200/ACK/BYE/200 or, through a proxy, when the callee
# sees no display name in From (check_it in the callee scenario).
# INVITE->180 percentiles come from SIPp's response-time trace (1 ms
# resolution: 0 means under 1 ms).
#
# Environment:
#   RATES="200 500 1000 2000 3000 3500 4000 4500 5000 6000 8000 10000"  STEP_SECS=20  HOLD_MS=0 (ACK->BYE)
#   TARGETS="direct cidproxy kamailio"  CONTACTS=500000
#   SOAK=1 SOAK_SECS=300   also run cidproxy at half its max rate, VmRSS every 10 s
#   UDP_BUF=4194304 (bytes; every peer's UDP socket buffer, capped by net.core.rmem_max)
#   UDP_READERS=0 (cidproxy sip.udp_readers)  MAX_BACKLOG= (cidproxy sip.max_backlog; unset = default)
#   BIN=bin/cidproxy  PORT_BASE=25060  WORK=dir (kept)  KEEP=1 (keep temp dir)
# Output: Markdown, ready for docs/benchmarks.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/sipp-lib.sh
. "$here/sipp-lib.sh"
root=$(cd "$here/.." && pwd)
RATES=${RATES:-"200 500 1000 2000 3000 3500 4000 4500 5000 6000 8000 10000"}
STEP_SECS=${STEP_SECS:-20}
HOLD_MS=${HOLD_MS:-0}
LAT_SECS=${LAT_SECS:-10}
TARGETS=${TARGETS:-"direct cidproxy kamailio"}
CONTACTS=${CONTACTS:-500000}
SOAK=${SOAK:-0}
SOAK_SECS=${SOAK_SECS:-300}
BIN=${BIN:-$root/bin/cidproxy}
PORT_BASE=${PORT_BASE:-25060}
MAX_FAIL_PCT=0.5
# UDP socket buffer of every peer (SIPp -buff_size, Kamailio maxbuffer (its
# receive buffer), cidproxy sip.udp_buffer): the same for all, and within
# net.core.rmem_max so that the kernel grants it without privileges.
UDP_READERS=${UDP_READERS:-0} # cidproxy sip.udp_readers (0 = one per CPU)
UDP_BUF=${UDP_BUF:-$(default_udp_buf)}

PROXY_PORT=$PORT_BASE
UAS_PORT=$((PORT_BASE + 10))
UAC_PORT=$((PORT_BASE + 20))
KAM_PORT=$((PORT_BASE + 30))
ADMIN_PORT=$((PORT_BASE + 40))

die() { echo "sipp-load: $*" >&2; exit 1; }
log() { echo "sipp-load: $*" >&2; }

command -v sipp >/dev/null || die "sipp missing: run scripts/install-deps.sh (make deps)"
case " $TARGETS " in *" kamailio "*)
	command -v kamailio >/dev/null || [ -x /usr/sbin/kamailio ] || die "kamailio missing: run scripts/install-deps.sh"
	;;
esac
case " $TARGETS " in *" cidproxy "*) [ -x "$BIN" ] || die "$BIN missing: run make build" ;; esac
PATH=$PATH:/usr/sbin

if [ -n "${WORK:-}" ]; then
	mkdir -p "$WORK"
	KEEP=1
else
	WORK=$(mktemp -d /tmp/cidproxy-bench.XXXXXX)
fi

# Every process we start is recorded and killed on exit.
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	if [ "${KEEP:-0}" != 1 ]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in $PROXY_PORT $UAS_PORT $UAC_PORT $KAM_PORT; do
	port_busy udp "$p" && die "UDP port $p busy (set PORT_BASE)"
done
port_busy tcp "$ADMIN_PORT" && die "TCP port $ADMIN_PORT busy (set PORT_BASE)"



# percentiles FILE...: p50 p90 p99 max count of the INVITE->180 times (ms)
# in SIPp rtt traces.
percentiles() {
	awk -F';' 'NR > 1 && $3 == 1 { print $2 }' "$@" 2>/dev/null | sort -n | awk '
		function at(q,   i) { i = int(NR * q + 0.5); if (i < 1) i = 1; return v[i] }
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "- - - - 0"; exit }
			printf "%s %s %s %s %d\n", at(0.50), at(0.90), at(0.99), v[NR], NR
		}'
}

# creation_rate FILE: calls created per second while SIPp was creating them
# (from the -fd 1 rows: first row that shows the final count).
creation_rate() {
	awk -F';' '
		NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "TotalCallCreated") c = i; if ($i == "CurrentTime") t = i; if ($i == "StartTime") s = i }; next }
		{ n = split($t, a, "\t"); now = a[n]; n = split($s, b, "\t"); start = b[n]
		  if ($c != last) { last = $c; when = now - start } }
		END { if (when > 0) printf "%.0f", last / when; else print 0 }' "$1" 2>/dev/null || echo 0
}

cpu_ticks() { # PID: utime+stime of the process and its threads (or children for kamailio)
	local t=0 p
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$t"
}
# box_ticks: "busy total" jiffies of all CPUs (/proc/stat).
box_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- data

log "work dir $WORK; generating $CONTACTS contacts"
"$here/gen-contacts.sh" "$WORK" "$CONTACTS"
sed "s|<!--CHECK-->|<action><ereg regexp=\"^ *\&quot;[^\&quot;]+\&quot; *\&lt;\" search_in=\"hdr\" header=\"From:\" check_it=\"true\" assign_to=\"dn\"/></action>|; s|</scenario>|  <Reference variables=\"dn\"/>\n</scenario>|" \
	"$here/scenarios/uas.xml" >"$WORK/uas-check.xml"
cp "$here/scenarios/uas.xml" "$WORK/uas-plain.xml"
if command -v go >/dev/null; then
	(cd "$root" && go build -o "$WORK/latency" ./bench/latency) || log "bench/latency did not build; µs latency skipped"
else
	log "no go toolchain: µs latency (bench/latency) skipped"
fi

# stop_pid PID: SIGTERM, then SIGKILL after 5 s. A SIPp callee that a proxy
# keeps feeding retransmitted INVITEs after an overloaded step may not exit
# on SIGTERM (seen once, hanging the run for minutes).
stop_pid() {
	local i
	kill "$1" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# ---------------------------------------------------------------- one step

# run_step TARGET_ADDR RATE UAS_SCENARIO PIDS... ; sets STEP_* globals.
run_step() {
	local addr=$1 rate=$2 uas=$3
	shift 3
	local calls=$((rate * STEP_SECS)) d="$WORK/step-$rate-$RANDOM"
	mkdir -p "$d"
	# The callee is not bounded by the call count: INVITEs a proxy still
	# retransmits from an earlier overloaded step would use up its -m. It is
	# stopped once the caller is done.
	(cd "$d" && exec sipp -buff_size "$UDP_BUF" -sf "$uas" -i 127.0.0.1 -p "$UAS_PORT" -t u1 -m "$((calls * 10))" -nostdin \
		-timeout "$((STEP_SECS + 40))s" -trace_stat -stf "$d/uas.csv" -fd 1 \
		-trace_err -error_file "$d/uas-err.log" >/dev/null 2>&1) &
	local uas_pid=$!
	pids+=("$uas_pid")
	wait_port udp "$UAS_PORT" 5 || die "callee did not start (see $d)"
	local c0 t0 t1 c1 b0 b1
	c0=$(cpu_ticks "$@")
	b0=$(box_ticks)
	t0=$(date +%s.%N)
	(cd "$d" && exec sipp -buff_size "$UDP_BUF" -sf "$here/scenarios/uac.xml" -inf "$WORK/callers.csv" -s 100 \
		-i 127.0.0.1 -p "$UAC_PORT" -t u1 "$addr" -r "$rate" -m "$calls" -l "$((rate * 4 + 100))" -d "$HOLD_MS" \
		-nostdin -timeout "$((STEP_SECS + 30))s" -recv_timeout 5000 \
		-trace_stat -stf "$d/uac.csv" -fd 1 -trace_rtt -rtt_freq 500 \
		-trace_err -error_file "$d/uac-err.log" >/dev/null 2>&1) &
	local uac_pid=$!
	pids+=("$uac_pid")
	wait "$uac_pid" || true
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$@")
	b1=$(box_ticks)
	# Let the last BYEs reach the callee, then stop it; its statistics come
	# from the rows it writes every second (-fd 1).
	sleep 1
	stop_pid "$uas_pid"

	local ok failed unnamed
	ok=$(stat_field "$d/uac.csv" "SuccessfulCall(C)")
	unnamed=$(regexp_failures "$d/uas-err.log" | wc -l)
	failed=$((calls - ok + unnamed))
	((failed > calls)) && failed=$calls
	STEP_CALLS=$calls
	STEP_FAILED=$failed
	STEP_UNNAMED=$unnamed
	STEP_RETRANS=$(stat_field "$d/uac.csv" "Retransmissions(C)")
	STEP_ACHIEVED=$(creation_rate "$d/uac.csv")
	STEP_FAILPCT=$(awk -v f="$failed" -v c="$calls" 'BEGIN { printf "%.2f", 100 * f / c }')
	read -r STEP_P50 STEP_P90 STEP_P99 STEP_MAX STEP_N <<<"$(percentiles "$d"/*_rtt.csv)"
	if [ "$#" -gt 0 ]; then
		STEP_CPU=$(awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" -v hz="$CLK_TCK" 'BEGIN { printf "%.0f", 100 * (b - a) / hz / (e - s) }')
	else
		STEP_CPU="-"
	fi
	STEP_BOX=$(awk -v a="$b0" -v b="$b1" 'BEGIN { split(a, x, " "); split(b, y, " "); if (y[2] > x[2]) printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]); else print "-" }')
	STEP_OK=1
	awk -v p="$STEP_FAILPCT" -v m="$MAX_FAIL_PCT" -v a="$STEP_ACHIEVED" -v r="$rate" 'BEGIN { exit !(p < m && a >= 0.9 * r) }' || STEP_OK=0
	[ "${KEEP:-0}" = 1 ] || rm -rf "$d"
}

# run_latency NAME ADDR UAS_SCENARIO: INVITE->180 with µs resolution at 200
# calls/s for LAT_SECS (bench/latency); sets LAT_P50[NAME].
declare -A LAT_P50
run_latency() {
	local name=$1 addr=$2 uas=$3 rate=200
	LAT_P50[$name]="-"
	[ -x "$WORK/latency" ] || return 0
	local calls=$((rate * LAT_SECS)) d="$WORK/lat-$name"
	mkdir -p "$d"
	(cd "$d" && exec sipp -buff_size "$UDP_BUF" -sf "$uas" -i 127.0.0.1 -p "$UAS_PORT" -t u1 -m "$((calls * 10))" -nostdin \
		-timeout "$((LAT_SECS + 20))s" >/dev/null 2>&1) &
	local uas_pid=$!
	pids+=("$uas_pid")
	wait_port udp "$UAS_PORT" 5 || die "callee did not start"
	local out
	out=$("$WORK/latency" -target "$addr" -rate "$rate" -duration "${LAT_SECS}s" -callers "$WORK/callers.csv" 2>&1) || true
	stop_pid "$uas_pid"
	local r180 r200
	r180=$(sed -n 's/.*inv180_us=\([^ ]*\).*/\1/p' <<<"$out")
	r200=$(sed -n 's/.*inv200_us=\([^ ]*\).*/\1/p' <<<"$out")
	LAT_P50[$name]=${r180%%/*}
	echo
	echo "$name, Go client at $rate calls/s for $LAT_SECS s (µs, p50/p90/p99/max): INVITE->180 ${r180:-?}, INVITE->200 ${r200:-?}; $(sed -n 's/^\(calls=[0-9]* answered=[0-9]* no180=[0-9]*\).*/\1/p' <<<"$out")"
}

# run_target NAME ADDR UAS_SCENARIO PIDS...: all steps; sets MAX_RATE[NAME], P50_200[NAME].
declare -A MAX_RATE P50_200
run_target() {
	local name=$1 addr=$2 uas=$3
	shift 3
	MAX_RATE[$name]=0
	P50_200[$name]="-"
	echo
	echo "### $name"
	echo
	echo "| rate (calls/s) | achieved | calls | failed | failed % | not named | retrans | 180 p50 ms | p90 | p99 | max | proxy CPU % | box busy % | step |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	local rate verdict
	for rate in $RATES; do
		run_step "$addr" "$rate" "$uas" "$@"
		verdict=pass
		[ "$STEP_OK" = 1 ] || verdict=FAIL
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
			"$rate" "$STEP_ACHIEVED" "$STEP_CALLS" "$STEP_FAILED" "$STEP_FAILPCT" "$STEP_UNNAMED" "$STEP_RETRANS" \
			"$STEP_P50" "$STEP_P90" "$STEP_P99" "$STEP_MAX" "$STEP_CPU" "$STEP_BOX" "$verdict"
		[ "$rate" = 200 ] && P50_200[$name]=$STEP_P50
		[ "$STEP_OK" = 1 ] || break
		MAX_RATE[$name]=$rate
	done
}

# ---------------------------------------------------------------- targets

start_cidproxy() {
	local cfg="$WORK/cidproxy.yaml"
	# The store is imported once per work dir (data.imported marks it) and
	# reused by a later start (the soak's fresh daemon).
	[ -e "$WORK/data.imported" ] || rm -rf "$WORK/data"
	cat >"$cfg" <<-EOF
		log:
		  level: warn
		  format: text
		sip:
		  listen: ["udp://127.0.0.1:$PROXY_PORT"]
		  udp_buffer: $UDP_BUF
		  udp_readers: $UDP_READERS
		  $([ -n "${MAX_BACKLOG:-}" ] && echo "max_backlog: $MAX_BACKLOG")
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
		  pprof: $([ "${PPROF:-0}" = 1 ] && echo true || echo false)
		limits:
		  tiers: [{min_extensions: 0, company_contacts: $((CONTACTS > 1000000 ? CONTACTS : 1000000)), phonebooks: 200, personal_contacts: 100}]
	EOF
	# `contacts import` applies the default limits tiers, not the configured
	# ones (200,000 company contacts below 1,000 extensions): 1,000 bench
	# extensions (numbers 2000-2999, never a caller here), seeded by one short
	# `serve`, put the store in the 500,000 tier.
	if ((CONTACTS > 200000)); then
		echo "extensions:" >>"$cfg"
		awk 'BEGIN { for (i = 2000; i < 3000; i++) printf "  - {number: \"%d\", name: \"Bench %d\"}\n", i, i }' >>"$cfg"
	fi
	if [ ! -e "$WORK/data.imported" ]; then
		if ((CONTACTS > 200000)); then
			"$BIN" serve -config "$cfg" >"$WORK/seed.log" 2>&1 &
			local seed=$!
			pids+=("$seed")
			local j
			for ((j = 0; j < 400; j++)); do
				curl -fsS "http://127.0.0.1:$ADMIN_PORT/healthz" >/dev/null 2>&1 && break
				kill -0 "$seed" 2>/dev/null || die "seeding serve exited: $(tail -3 "$WORK/seed.log")"
				sleep 0.05
			done
			stop_pid "$seed"
		fi
		local t0 t1
		t0=$(date +%s.%N)
		"$BIN" contacts import -config "$cfg" "$WORK/contacts.csv" >"$WORK/import.log" 2>&1 ||
			die "contacts import failed: $(tail -5 "$WORK/import.log")"
		t1=$(date +%s.%N)
		IMPORT_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
		touch "$WORK/data.imported"
	fi
	local t0 t1
	t0=$(date +%s.%N)
	"$BIN" serve -config "$cfg" >"$WORK/cidproxy.log" 2>&1 &
	CID_PID=$!
	pids+=("$CID_PID")
	local i
	for ((i = 0; i < 600; i++)); do
		kill -0 "$CID_PID" 2>/dev/null || die "cidproxy exited: $(tail -5 "$WORK/cidproxy.log")"
		if curl -fsS "http://127.0.0.1:$ADMIN_PORT/healthz" >/dev/null 2>&1 && port_busy udp "$PROXY_PORT"; then
			break
		fi
		sleep 0.05
	done
	t1=$(date +%s.%N)
	START_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	START_RSS=$(rss_mb "$CID_PID")
}

stop_pid() {
	kill "$1" 2>/dev/null || true
	local i
	for ((i = 0; i < 100; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$1" 2>/dev/null || true
}

start_kamailio() {
	local mpath
	mpath=$(dirname "$(ls /usr/lib/*/kamailio/modules/tm.so | head -1)")/
	sed "s|__TSV__|$WORK/kamailio-cid.tsv|" "$here/kamailio-htable.lua" >"$WORK/kamailio-htable.lua"
	sed -e "s|__LISTEN__|127.0.0.1:$KAM_PORT|; s|__UPSTREAM__|sip:127.0.0.1:$UAS_PORT|" \
		-e "s|__LOADER__|$WORK/kamailio-htable.lua|; s|__CHILDREN__|2|; s|__MPATH__|$mpath|; s|__UDPBUF__|$UDP_BUF|g" \
		"$here/kamailio.cfg" >"$WORK/kamailio.cfg"
	mkdir -p "$WORK/kamrun"
	# Shared memory: the htable (500,000 names, ~120 MB) plus tm's
	# transactions; 256 MB ran out ("could not allocate shared memory") at 1,000 calls/s.
	local t0 t1
	t0=$(date +%s.%N)
	kamailio -f "$WORK/kamailio.cfg" -DD -E -m 1024 -M 32 -Y "$WORK/kamrun" >"$WORK/kamailio.log" 2>&1 &
	KAM_PID=$!
	pids+=("$KAM_PID")
	local i
	for ((i = 0; i < 1800; i++)); do
		kill -0 "$KAM_PID" 2>/dev/null || die "kamailio exited: $(tail -5 "$WORK/kamailio.log")"
		grep -q 'cidbench: htable cid loaded' "$WORK/kamailio.log" && break
		sleep 0.1
	done
	grep -q 'cidbench: htable cid loaded' "$WORK/kamailio.log" || die "kamailio did not load the htable in 180 s"
	t1=$(date +%s.%N)
	KAM_START_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	KAM_PIDS=$(pgrep -P "$KAM_PID" | tr '\n' ' ')
}

echo "## SIPp load: direct vs cidproxy vs Kamailio"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load before start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "$(sipp -v 2>&1 | grep -o 'SIPp v[^ -]*' | head -1), $(kamailio -v 2>/dev/null | head -1 | sed 's/^version: //; s/ *$//'), $("$BIN" version 2>/dev/null | head -1 || echo 'cidproxy ?')."
echo "UDP on 127.0.0.1, socket buffers $UDP_BUF bytes for every peer; $CONTACTS contacts; callers: every 5th contact (all known), From without display name;"
echo "steps of $STEP_SECS s at ${RATES// /, } calls/s; a step fails at >= $MAX_FAIL_PCT % failed calls or < 90 % of the rate reached."
echo "Calls: INVITE/100/180/200/ACK/BYE/200, hold time $HOLD_MS ms. 180 latency = INVITE sent -> 180 received at the caller (SIPp, 1 ms resolution)."
echo "proxy CPU % = the proxy's processes (100 = one core); box busy % = all CPUs of the machine (100 = saturated, by anything)."
echo "Per target, the Go client (bench/latency, µs) runs first at 200 calls/s on the idle proxy, then the SIPp steps."

for target in $TARGETS; do
	case $target in
	direct)
		run_latency direct "127.0.0.1:$UAS_PORT" "$WORK/uas-plain.xml"
		run_target direct "127.0.0.1:$UAS_PORT" "$WORK/uas-plain.xml"
		;;
	cidproxy)
		start_cidproxy
		run_latency cidproxy "127.0.0.1:$PROXY_PORT" "$WORK/uas-check.xml"
		run_target cidproxy "127.0.0.1:$PROXY_PORT" "$WORK/uas-check.xml" "$CID_PID"
		CID_END_RSS=$(rss_mb "$CID_PID")
		echo
		echo "cidproxy: contacts import ${IMPORT_SECS:-?} s, start to /healthz ${START_SECS} s, RSS after start ${START_RSS} MB, after the steps ${CID_END_RSS} MB."
		# Stopped even before a soak (which starts a fresh daemon): after an
		# overload step its client transactions still retransmit for 32 s
		# toward the callee port the next target's callee uses.
		stop_pid "$CID_PID"
		;;
	kamailio)
		start_kamailio
		run_latency kamailio "127.0.0.1:$KAM_PORT" "$WORK/uas-check.xml"
		# shellcheck disable=SC2086 # one argument per worker PID
		run_target kamailio "127.0.0.1:$KAM_PORT" "$WORK/uas-check.xml" "$KAM_PID" $KAM_PIDS
		echo
		echo "kamailio: start until the htable held $CONTACTS entries ${KAM_START_SECS} s."
		stop_pid "$KAM_PID"
		;;
	*) die "unknown target $target" ;;
	esac
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo
echo "### Summary"
echo
echo "| target | highest rate with < $MAX_FAIL_PCT % failed (calls/s) | INVITE->180 p50 at 200 calls/s, SIPp (ms) | same, Go client (µs) |"
echo "|---|---:|---:|---:|"
for target in $TARGETS; do
	echo "| $target | ${MAX_RATE[$target]} | ${P50_200[$target]} | ${LAT_P50[$target]:--} |"
done
echo
if [ -n "${MAX_RATE[cidproxy]:-}" ]; then
	[ -n "${MAX_RATE[kamailio]:-}" ] && echo "- cidproxy / Kamailio: **$(ratio "${MAX_RATE[cidproxy]}" "${MAX_RATE[kamailio]}")**"
	[ -n "${MAX_RATE[direct]:-}" ] && echo "- cidproxy / direct: **$(ratio "${MAX_RATE[cidproxy]}" "${MAX_RATE[direct]}")**"
	[ -n "${MAX_RATE[direct]:-}" ] && echo "- median INVITE->180 at 200 calls/s: direct ${LAT_P50[direct]:--} µs, cidproxy ${LAT_P50[cidproxy]:--} µs (Go client); SIPp: ${P50_200[direct]} ms vs ${P50_200[cidproxy]} ms (1 ms resolution)"
fi
max_step=$(echo "$RATES" | awk '{ print $NF }')
for target in $TARGETS; do
	[ "${MAX_RATE[$target]}" = "$max_step" ] && echo "- $target passed every step; its limit is above $max_step calls/s (SIPp's own ceiling on this box may be the bound)."
done

# ---------------------------------------------------------------- soak

if [ "$SOAK" = 1 ] && [ -n "${CID_PID:-}" ]; then
	rate=$((MAX_RATE[cidproxy] / 2))
	((rate > 0)) || rate=100
	# A fresh daemon, so the reading starts from a clean start-up rather
	# than from what the overload steps left behind.
	start_cidproxy
	echo
	echo "### cidproxy RSS over $SOAK_SECS s at $rate calls/s (half the max), fresh daemon (RSS after start $START_RSS MB)"
	echo
	calls=$((rate * SOAK_SECS))
	d="$WORK/soak"
	mkdir -p "$d"
	(cd "$d" && exec sipp -buff_size "$UDP_BUF" -sf "$WORK/uas-check.xml" -i 127.0.0.1 -p "$UAS_PORT" -t u1 -m "$((calls * 10))" -nostdin \
		-timeout "$((SOAK_SECS + 60))s" -trace_stat -stf "$d/uas.csv" -fd 10 >/dev/null 2>&1) &
	uas_pid=$!
	pids+=("$uas_pid")
	wait_port udp "$UAS_PORT" 5 || die "callee did not start"
	(cd "$d" && exec sipp -buff_size "$UDP_BUF" -sf "$here/scenarios/uac.xml" -inf "$WORK/callers.csv" -s 100 \
		-i 127.0.0.1 -p "$UAC_PORT" -t u1 "127.0.0.1:$PROXY_PORT" -r "$rate" -m "$calls" -l "$((rate * 4 + 100))" -d "$HOLD_MS" \
		-nostdin -timeout "$((SOAK_SECS + 40))s" -recv_timeout 5000 -trace_stat -stf "$d/uac.csv" -fd 10 >/dev/null 2>&1) &
	uac_pid=$!
	pids+=("$uac_pid")
	echo "| t (s) | VmRSS (MB) |"
	echo "|---:|---:|"
	samples=()
	for ((t = 0; t <= SOAK_SECS; t += 10)); do
		r=$(rss_mb "$CID_PID")
		samples+=("$r")
		echo "| $t | $r |"
		kill -0 "$uac_pid" 2>/dev/null || break
		sleep 10
	done
	wait "$uac_pid" || true
	stop_pid "$uas_pid"
	ok=$(stat_field "$d/uac.csv" "SuccessfulCall(C)")
	echo
	printf '%s\n' "${samples[@]}" | awk -v ok="$ok" -v calls="$calls" '
		{ v[NR] = $1; if (NR == 1 || $1 < mn) mn = $1; if ($1 > mx) mx = $1 }
		END {
			h = int(NR / 2)
			for (i = h + 1; i <= NR; i++) { s2 += v[i]; n2++ }
			printf "- %d of %d calls succeeded; RSS first %s MB, min %s, max %s, last %s; mean of the second half %.0f MB, change over the second half %+d MB\n", ok, calls, v[1], mn, mx, v[NR], (n2 ? s2 / n2 : 0), v[NR] - v[h + 1]
		}'
	stop_pid "$CID_PID"
fi
