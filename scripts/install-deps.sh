#!/usr/bin/env bash
# Installs what pod_dispatcher needs to build, test and benchmark on Debian 12.
# Idempotent: a second run changes nothing. Must run as root.
#   scripts/install-deps.sh           core: compiler, CMake, Boost >= 1.83, Catch2 3, SQLite 3,
#                                     Google Benchmark and valgrind (the benchmarks)
#   scripts/install-deps.sh --all     also the MongoDB driver, FerretDB, PostgreSQL 15 and libpq,
#                                     clang (fuzzing), gnuplot
set -euo pipefail

want_all=false
[[ "${1:-}" == "--all" ]] && want_all=true

backports=/etc/apt/sources.list.d/bookworm-backports.sources
if [[ ! -f "$backports" ]]; then
  cat >"$backports" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  rm -f /var/lib/apt/periodic/pod-dispatcher-updated
fi

missing() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}

apt_install() {
  local target=$1; shift
  local todo
  todo=$(missing "$@")
  [[ -z "$todo" ]] && return 0
  if [[ ! -f /var/lib/apt/periodic/pod-dispatcher-updated ]]; then
    apt-get update -q
    mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/pod-dispatcher-updated
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${target:+-t "$target"} $todo
}

apt_install "" g++ cmake ninja-build pkg-config libsqlite3-dev libbenchmark-dev valgrind python3
apt_install bookworm-backports libboost1.83-dev libboost-json1.83-dev libcatch2-dev

# FerretDB from the Go module proxy, built once into a cache. A plain `go install`
# leaves out the version file FerretDB embeds and panics at start, so build from the
# module source with that file written.
build_ferretdb() {
  local version=$1
  local bin="${POD_DISPATCHER_CACHE:-$HOME/.cache/pod_dispatcher}/ferretdb-$version"
  "$bin/ferretdb" --version >/dev/null 2>&1 && return 0
  local source work
  source=$(go mod download -json "github.com/FerretDB/FerretDB@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  work=$(mktemp -d)
  cp -r "$source/." "$work"
  chmod -R u+w "$work"
  echo "$version" >"$work/build/version/version.txt"
  mkdir -p "$bin"
  (cd "$work" && go build -o "$bin/ferretdb" ./cmd/ferretdb)
  rm -rf "$work"
}

if $want_all; then
  apt_install "" libmongoc-dev libbson-dev postgresql-15 libpq-dev clang libclang-rt-14-dev gnuplot-nox
  command -v go >/dev/null || apt_install bookworm-backports golang-go
  build_ferretdb v1.24.2
fi
