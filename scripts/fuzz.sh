#!/usr/bin/env bash
# Runs every fuzz target of the module for DURATION each (default 30s):
# `make fuzz` with FUZZTIME, `make test` briefly with FUZZSMOKE. Failing
# inputs are written to the package's testdata/fuzz/ by go test.
set -euo pipefail
dur="${1:-30s}"
go="${GO:-go}"
n=0
for pkg in $($go list ./...); do
	for f in $($go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
		# FUZZ_SKIP names targets with a known open finding (see the CHANGELOG /
		# issue notes); `make fuzz` runs them all.
		case " ${FUZZ_SKIP:-} " in *" $f "*) echo "== $pkg $f skipped (FUZZ_SKIP: known open finding)"; continue ;; esac
		echo "== $pkg $f ($dur)"
		$go test -run '^$' -fuzz "^$f\$" -fuzztime "$dur" "$pkg"
		n=$((n + 1))
	done
done
echo "fuzz: $n targets ran $dur each"
