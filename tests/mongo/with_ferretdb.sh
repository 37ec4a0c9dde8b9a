#!/usr/bin/env bash
# Runs a command against a throwaway FerretDB server (SQLite backend, temporary
# directory, free loopback port) and always stops the server afterwards.
#
#   tests/mongo/with_ferretdb.sh ctest --test-dir build -R mongo
#
# The command sees POD_DISPATCHER_MONGODB_URI=mongodb://127.0.0.1:PORT/ and exits
# with its own status. The server binary is $FERRETDB, else `ferretdb` on PATH,
# else the one scripts/install-deps.sh --all builds.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

version=v1.24.2
cache="${POD_DISPATCHER_CACHE:-$HOME/.cache/pod_dispatcher}"
ferretdb="${FERRETDB:-$(command -v ferretdb || echo "$cache/ferretdb-$version/ferretdb")}"
if ! "$ferretdb" --version >/dev/null 2>&1; then
  echo "$0: no working FerretDB $version at '$ferretdb': set FERRETDB, or run scripts/install-deps.sh --all" >&2
  echo "$0: (a FerretDB built without its build/version/version.txt stops at start)" >&2
  exit 2
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/pod_dispatcher_ferretdb.XXXXXX")
server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap stop_server EXIT
trap 'exit 130' INT TERM

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A random port may be taken between the check and the bind: try a few.
for _ in 1 2 3 4 5 6 7 8 9 10; do
  port=$((20000 + RANDOM % 40000))
  answers "$port" && continue
  mkdir -p "$workdir/data"
  # WAL with synchronous=NORMAL: a commit no longer waits for the disk, only a checkpoint
  # does (FULL, the default, syncs every write). A crash of the process loses nothing;
  # a crash of the machine may lose the last writes, which a throwaway server can afford.
  "$ferretdb" --handler=sqlite --sqlite-url="file:$workdir/data/?_pragma=synchronous(normal)" \
    --listen-addr="127.0.0.1:$port" --state-dir="$workdir" --debug-addr=- \
    --telemetry=disable --log-level=WARN >"$workdir/ferretdb.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    answers "$port" && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if answers "$port"; then
    export POD_DISPATCHER_MONGODB_URI="mongodb://127.0.0.1:$port/"
    status=0
    "$@" || status=$?
    exit "$status"
  fi
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
done

echo "$0: FerretDB did not start; its last log:" >&2
cat "$workdir/ferretdb.log" >&2 || true
exit 1
