#!/usr/bin/env bash
# Runs the suite's vet and race-enabled tests N times in a row (default 5) while two CPU hogs
# keep both cores of a small machine busy: the proof that the suite does not flake under load
# (BENCHMARKS.md, "The suite under load"). moto_server must be installed (CI=true is set, so
# a missing emulator fails the run rather than skipping tests).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
hog() { while :; do :; done; }
hog & h1=$!
hog & h2=$!
trap 'kill "$h1" "$h2" 2>/dev/null || true' EXIT
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $(nproc) cores; two CPU hogs"
failed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  log="$(mktemp -t lookout-load-run.XXXXXX)"
  note=""
  if go vet ./... && CI=true go test -race -count=1 -timeout 20m ./... >"$log" 2>&1; then
    rc=0
    rm -f "$log"
  else
    rc=$?
    failed=$((failed + 1))
    note=", output in $log"
  fi
  echo "run $i: exit $rc, $(($(date +%s) - start)) s, load $(cut -d' ' -f1-3 /proc/loadavg)$note"
done
echo "$((runs - failed)) of $runs runs passed"
[ "$failed" = 0 ]
