#!/usr/bin/env bash
# Go benchmarks for `make bench`: fast micro-benchmarks with a time budget,
# the 500k-contact store benchmarks once each. Output: bench/results/go-bench.txt
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results
mkdir -p "$out"
log="$out/go-bench.txt"
: >"$log"
run() { # pkg pattern benchtime
	echo "== go test -run '^\$' -bench '$2' -benchtime $3 $1" | tee -a "$log"
	go test -run '^$' -bench "$2" -benchmem -benchtime "$3" -timeout 20m "$1" 2>&1 | tee -a "$log"
}
run ./lookup/ 'Lookup|Normalize|Fold|ResolvePerCallee' 1s
run ./lookup/ 'IndexBuild' 3x
run ./sip/ 'RewriteInvite|CloneInvite|CallerNumber' 1s
run ./sip/ 'ProxyCall' 2000x
run ./crm/template/ 'RenderExtract50' 1s
run ./crm/ 'MapSearch50|SearchContactLoopback' 1s
run ./crm/service/ 'Record|OutboxDue|ResolverLocalHit' 2000x
run ./api/... '.' 1s
run ./store/ 'ChangesSince|SearchText' 1s
run ./store/ 'ImportCSV500k|Open500k' 1x
echo "results in $log"
