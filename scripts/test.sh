#!/usr/bin/env bash
# Runs lookout's whole test suite: vet, unit and moto-backed integration tests (race detector
# on), and a short fuzzing budget per parser. This is the README's test command and what
# .ci/run executes.
#
# moto_server (moto 5.2.1 with server extras) must be installed. Under CI=true its absence fails
# the run loudly; elsewhere the AWS-facing tests skip with a message.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null; then
  echo "test.sh: go is not installed" >&2; exit 1
fi
if ! command -v moto_server >/dev/null || ! python3 -c 'import moto.server' 2>/dev/null; then
  if [ "${CI:-}" = "true" ]; then
    echo "test.sh: moto_server is required under CI=true but is not installed (pip install 'moto[server]==5.2.1')" >&2
    exit 1
  fi
  echo "test.sh: moto_server not found: AWS-facing tests will be skipped" >&2
fi

# The HTML report is loaded in a real headless browser (Debian's chromium package). It is
# installed here when missing; under CI=true its absence after that fails the run.
chromium_bin() { command -v chromium || command -v chromium-browser || command -v google-chrome || true; }
if [ -z "$(chromium_bin)" ] && command -v apt-get >/dev/null; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="$(command -v sudo || true)"; fi
  if [ "$(id -u)" = 0 ] || [ -n "$sudo" ]; then
    echo "test.sh: installing chromium (apt-get) for the HTML report's browser test" >&2
    { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/tmp/lookout-chromium-install.log 2>&1 ||
      { echo "test.sh: apt-get install chromium failed:" >&2; tail -20 /tmp/lookout-chromium-install.log >&2; }
  fi
fi
if [ -z "$(chromium_bin)" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "test.sh: chromium is required under CI=true but could not be installed (apt-get install -y chromium)" >&2
    exit 1
  fi
  echo "test.sh: chromium not found: the HTML report's browser test will be skipped" >&2
fi

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 -timeout 15m ./...

# Each fuzz target runs briefly so that a parser regression that panics is caught in CI; longer
# runs are for developers (go test -fuzz=FuzzX -fuzztime=10m ./pkg).
fuzztime="${LOOKOUT_FUZZTIME:-10s}"
echo "== fuzz (${fuzztime} per target)"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "-- $pkg $target"
    if ! go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg" >/tmp/lookout-fuzz.log 2>&1; then
      # Go 1.26's fuzz coordinator can report a bare "context deadline exceeded" when a
      # duration -fuzztime ends while a worker is mid-call on a loaded machine (go.dev/issue/75804,
      # fixed in Go 1.27): no input failed. Such a run is retried once; a written failing input,
      # a panic or any other failure fails at once.
      if grep -q 'context deadline exceeded' /tmp/lookout-fuzz.log && ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' /tmp/lookout-fuzz.log; then
        echo "   (the fuzz coordinator's deadline race, go.dev/issue/75804: retrying once)"
        go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg" >/tmp/lookout-fuzz.log 2>&1 || { cat /tmp/lookout-fuzz.log; exit 1; }
      else
        cat /tmp/lookout-fuzz.log; exit 1
      fi
    fi
  done
done
echo "test.sh: all passed"
