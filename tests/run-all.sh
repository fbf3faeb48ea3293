#!/usr/bin/env bash
# Runs every check of dns.v1, as CI does (.ci/run):
#   set-up (deploy/setup-debian.sh), build (deploy/build.sh), ctest (unit and
#   integration: real PostgreSQL and pdns_server), the same on a sanitizer
#   build, buf lint and buf breaking, Python stubs, the Python end-to-end
#   tests, the Helm chart.
# Goes on after a failed suite where it can; exits non-zero if any failed and
# ends with a line "N passed, N failed" counting the suites.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
PYTHON="${PYTHON:-/usr/bin/python3}"  # Debian's: it has python3-grpcio
export PATH="$ROOT/.tools/bin:$ROOT/node_modules/.bin:$PATH"
export DNSD_BIN="${DNSD_BIN:-$BUILD_DIR/server/dnsd}"
export DNSCTL_BIN="${DNSCTL_BIN:-$BUILD_DIR/cli/dnsctl}"

passed=()
failed=()
skipped=()

# suite NAME COMMAND...: runs one suite and records the outcome.
suite() {
  local name="$1"
  shift
  echo
  echo "=== ${name} ==="
  local start=$SECONDS
  if "$@"; then
    echo "=== ${name}: PASSED ($((SECONDS - start)) s) ==="
    passed+=("$name")
    return 0
  else
    local rc=$?
    echo "=== ${name}: FAILED (exit ${rc}, $((SECONDS - start)) s) ==="
    failed+=("$name")
    return 1
  fi
}

skip() {
  echo
  echo "=== $1: SKIPPED ($2) ==="
  skipped+=("$1")
}

# not_run NAME REASON: a suite that could not run because an earlier one
# failed counts as failed.
not_run() {
  echo
  echo "=== $1: FAILED (not run: $2) ==="
  failed+=("$1")
}

summary() {
  echo
  echo "=== summary ==="
  ((${#passed[@]})) && echo "passed:  ${passed[*]}"
  ((${#failed[@]})) && echo "FAILED:  ${failed[*]}"
  ((${#skipped[@]})) && echo "skipped: ${skipped[*]}"
  if ((${#skipped[@]})); then
    echo "${#passed[@]} passed, ${#failed[@]} failed, ${#skipped[@]} skipped"
  else
    echo "${#passed[@]} passed, ${#failed[@]} failed"
  fi
  ((${#failed[@]} == 0))
}

# --- set-up and build: nothing else can run without them ------------------
if ! suite setup bash deploy/setup-debian.sh; then
  summary
  exit 1
fi
built=1
suite build bash deploy/build.sh || built=0

# --- C++ tests ---------------------------------------------------------------
if ((built)); then
  suite ctest bash -c "cd '$BUILD_DIR' && ctest --output-on-failure -j2 --timeout 900"
else
  not_run ctest "build failed"
fi

# The same tests on an AddressSanitizer + UBSan build (dnsd included: the
# integration tests start the instrumented binary); any report aborts the
# process, so it fails a test.
if ((built)); then
  suite sanitizers bash -c "
    export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    BUILD_DIR='$ROOT/build-sanitize' bash deploy/build.sh -DDNS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug &&
    cd '$ROOT/build-sanitize' && ctest --output-on-failure -j2 --timeout 900"
else
  not_run sanitizers "build failed"
fi
suite fuzz bash tests/fuzz/run_fuzzers.sh

# --- the contract ------------------------------------------------------------
suite buf-lint bash -c "cd proto && buf lint"
# Every change to the released contract must be compatible with the previous
# main's proto/ (FILE rules, proto/buf.yaml).
if git rev-parse -q --verify 'HEAD~1' >/dev/null && git cat-file -e 'HEAD~1:proto/buf.yaml' 2>/dev/null; then
  suite buf-breaking bash -c "cd proto && buf breaking --against '$ROOT/.git#ref=HEAD~1,subdir=proto'"
else
  skip buf-breaking "no previous commit with proto/buf.yaml"
fi

# --- Python client (PRAHO's view) --------------------------------------------
if suite python-stubs bash python/generate_stubs.sh; then
  if ((built)); then
    # Bounded: a hung stream must fail the suite, not outlast CI.
    suite python-e2e timeout --kill-after=30 1800 "$PYTHON" -m unittest discover -s tests/e2e -v
  else
    not_run python-e2e "build failed"
  fi
else
  not_run python-e2e "no stubs"
fi

# --- Helm chart --------------------------------------------------------------
if [[ -f helm/Chart.yaml ]]; then
  # helm lint --strict and helm template over several value sets, with
  # assertions on the rendered manifests.
  suite helm-chart bash helm/tests/chart_test.sh
else
  skip helm "no helm/Chart.yaml yet"
fi

summary
