#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang and runs each one for
# a bounded time on a temporary copy of its committed corpus
# (tests/fuzz/corpus/<target>/), so a run never writes into the repository.
# Exits non-zero if any target crashed, leaked, timed out or broke one of its
# properties, and says where the input that did it was saved.
#
# Environment:
#   FUZZ_BUILD_DIR   build folder (default: build-fuzz/ at the repository root)
#   FUZZ_SECONDS     time per target (default 30)
#   FUZZ_RSS_MB      memory limit per target (default 2048)
#   FUZZ_TIMEOUT     seconds one input may take (default 10)
#   FUZZ_ARTIFACTS   where crashing inputs go (default: a new temporary folder,
#                    kept when something failed)
#   FUZZ_TARGETS     targets to run, space-separated (default: all four)
#   FUZZ_JOBS        make -j (default 2)
# Extra arguments go to every fuzzer (e.g. -only_ascii=1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
SECONDS_EACH="${FUZZ_SECONDS:-30}"
RSS_MB="${FUZZ_RSS_MB:-2048}"
TIMEOUT="${FUZZ_TIMEOUT:-10}"
TARGETS=(${FUZZ_TARGETS:-record_validator dns_name zone_file pdns_json})
CXX_BIN="${CXX:-clang++}"
if [[ "$CXX_BIN" != *clang* ]]; then CXX_BIN=clang++; fi

cmake -S "$ROOT/tests/fuzz" -B "$BUILD" -DCMAKE_CXX_COMPILER="$CXX_BIN" >/dev/null
make -C "$BUILD" -j"${FUZZ_JOBS:-2}" "${TARGETS[@]/%/_fuzzer}"

work="$(mktemp -d "${TMPDIR:-/tmp}/dns-fuzz.XXXXXX")"
artifacts="${FUZZ_ARTIFACTS:-$work/artifacts}"
mkdir -p "$artifacts"
# A leak report is a failure; UBSan findings already abort
# (-fno-sanitize-recover), this also makes them print a stack.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

failed=()
for target in "${TARGETS[@]}"; do
  corpus="$work/corpus-$target"
  mkdir -p "$corpus"
  cp -r "$ROOT/tests/fuzz/corpus/$target/." "$corpus/"
  args=(-max_total_time="$SECONDS_EACH" -rss_limit_mb="$RSS_MB" -timeout="$TIMEOUT"
        -artifact_prefix="$artifacts/$target-" -print_final_stats=1)
  if [[ -f "$ROOT/tests/fuzz/$target.dict" ]]; then
    args+=(-dict="$ROOT/tests/fuzz/$target.dict")
  fi
  log="$work/$target.log"
  echo "--- $target: ${SECONDS_EACH} s on $(ls "$corpus" | wc -l) seed inputs"
  if "$BUILD/${target}_fuzzer" "${args[@]}" "$@" "$corpus" >"$log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::new_units_added)' "$log" || true
  else
    rc=$?
    failed+=("$target")
    echo "--- $target FAILED (exit $rc); the end of its log:"
    tail -n 60 "$log"
    echo "--- $target: inputs that failed (replay: $BUILD/${target}_fuzzer FILE):"
    ls -1 "$artifacts/$target-"* 2>/dev/null || echo "(none saved)"
    echo "--- $target: full log in $log"
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (artifacts in $artifacts)"
  exit 1
fi
rm -rf "$work"
echo "fuzz: ${#TARGETS[@]} targets ran ${SECONDS_EACH} s each without a finding"
