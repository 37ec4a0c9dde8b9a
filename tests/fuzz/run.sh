#!/usr/bin/env bash
# Builds the JSON fuzzer with clang and runs it for a bounded time on a copy of the
# seed corpus. Exits non-zero on any crash, leak or timeout.
#   tests/fuzz/run.sh [build-dir]      (default: build-fuzz, relative to the repo root)
#   FUZZ_SECONDS=600 tests/fuzz/run.sh
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-build-fuzz}
[[ "$build" = /* ]] || build="$repo/$build"
seconds=${FUZZ_SECONDS:-60}

cmake -S "$repo" -B "$build" -G Ninja \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPOD_DISPATCHER_FUZZ=ON -DPOD_DISPATCHER_BUILD_EXAMPLES=OFF -DPOD_DISPATCHER_BUILD_BENCHMARKS=OFF
cmake --build "$build" --target fuzz_json -j2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/artifacts"
cp "$repo"/tests/fuzz/corpus/* "$work/corpus/"

# libFuzzer exits non-zero on a crash, a leak (ASan) or a timeout, and saves the input.
if ! "$build/tests/fuzz/fuzz_json" -max_total_time="$seconds" -timeout=10 \
    -artifact_prefix="$work/artifacts/" "$work/corpus"; then
  mkdir -p "$build/fuzz-artifacts"
  cp "$work"/artifacts/* "$build/fuzz-artifacts/" 2>/dev/null || true
  echo "fuzz_json failed; reproducer(s) in $build/fuzz-artifacts" >&2
  exit 1
fi
echo "fuzz_json: no failure in ${seconds}s; corpus grew to $(ls "$work/corpus" | wc -l) inputs"
