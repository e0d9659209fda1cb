# sipp-lib.sh: shell helpers shared by bench/sipp-load.sh and bench/soak.sh
# (sourced, not run).

# port_busy PROTO PORT: something is bound to 127.0.0.1:PORT (or *:PORT);
# for TCP only a listener counts (TIME-WAIT entries of the last run do not).
port_busy() {
	local hex
	hex=$(printf ':%04X' "$2")
	awk -v h="$hex" -v p="$1" 'NR > 1 && substr($2, length($2) - 4) == h && (p != "tcp" || $4 == "0A") { f = 1 } END { exit !f }' "/proc/net/$1" "/proc/net/${1}6" 2>/dev/null
}

wait_port() { # PROTO PORT SECONDS
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		port_busy "$1" "$2" && return 0
		sleep 0.05
	done
	return 1
}

# stat_field FILE NAME: the last value of column NAME of a SIPp -trace_stat CSV.
stat_field() {
	awk -F';' -v k="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) c = i; next } { v = $c } END { print (c && v != "" ? v : 0) }' "$1" 2>/dev/null || echo 0
}

rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "-"; }

# default_udp_buf: 4 MiB, or net.core.rmem_max if lower (granted without privileges).
default_udp_buf() {
	local max
	max=$(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo 4194304)
	echo $((max < 4194304 ? max : 4194304))
}

# regexp_failures FILE...: one line per failed check_it regexp in SIPp error
# logs (-trace_err), the text it looked in. SIPp 3.6 logs the failure as a
# warning and goes on with the call: its FailedRegexp* counters stay 0.
regexp_failures() {
	cat "$@" 2>/dev/null | grep -ao "Failed regexp match: looking in '[^']*'" || true
}
