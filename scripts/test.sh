#!/usr/bin/env bash
# Sets up what is missing (the MongoDB driver, FerretDB and PostgreSQL included), builds
# everything and runs every test, the MongoDB half against a FerretDB server and the
# PostgreSQL half against a PostgreSQL server, both started for the run.
# Safe to rerun. Extra arguments go to the CMake configure step, e.g.
#   scripts/test.sh -DPOD_DISPATCHER_SANITIZE=address,undefined
# BUILD_DIR picks the build directory (default: build).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${BUILD_DIR:-$repo/build}"

"$repo/scripts/install-deps.sh" --all
# Line tables only (-g1): enough for every stack trace a failing test prints, and a third
# less compile time than full debug information.
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" "$@"
cmake --build "$build" -j2
"$repo/tests/mongo/with_ferretdb.sh" "$repo/tests/postgres/with_postgres.sh" \
  ctest --test-dir "$build" --output-on-failure -j2
