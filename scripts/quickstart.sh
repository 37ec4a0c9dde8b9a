#!/usr/bin/env bash
# Sets up what is missing, builds and runs the in-memory quickstart. Safe to rerun.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

"$repo/scripts/install-deps.sh"
cmake -S "$repo" -B "$repo/build" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$repo/build" --target quickstart
"$repo/build/examples/quickstart"
