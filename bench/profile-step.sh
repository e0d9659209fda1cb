#!/usr/bin/env bash
# profile-step.sh RATE [OUT]: while `PPROF=1 bench/sipp-load.sh` runs, wait
# for the SIPp caller of the step at RATE calls/s, let it settle for 4 s,
# then take a 12 s CPU profile and a 12 s allocation profile of cidproxy
# (admin port 127.0.0.1:25100, PORT_BASE + 40). Writes OUT.cpu and
# OUT.allocs (default OUT: /tmp/cidproxy-RATE). Gives up after 5 minutes.
#
#   bench/profile-step.sh 3000 & PPROF=1 TARGETS=cidproxy RATES="200 1000 2000 3000" bench/sipp-load.sh
#   go tool pprof -top bin/cidproxy /tmp/cidproxy-3000.cpu
set -euo pipefail
rate=${1:?usage: profile-step.sh RATE [OUT]}
out=${2:-/tmp/cidproxy-$rate}
admin=127.0.0.1:$((${PORT_BASE:-25060} + 40))
for ((i = 0; i < 1200; i++)); do
	pgrep -f "sipp .*uac.xml.* -r $rate " >/dev/null && break
	sleep 0.25
done
pgrep -f "sipp .*uac.xml.* -r $rate " >/dev/null || { echo "profile-step: no step at $rate calls/s" >&2; exit 1; }
sleep 4
curl -fsS -o "$out.cpu" "http://$admin/debug/pprof/profile?seconds=12" &
curl -fsS -o "$out.allocs" "http://$admin/debug/pprof/allocs?seconds=12" &
wait
echo "profile-step: $out.cpu $out.allocs"
