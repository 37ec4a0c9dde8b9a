#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL 15 server (a cluster in a temporary
# directory, a free loopback port, its Unix socket in that directory) and always stops
# the server and removes the directory afterwards.
#
#   tests/postgres/with_postgres.sh ctest --test-dir build -R postgres
#
# The command sees POD_DISPATCHER_POSTGRES_URI, a libpq connection string for the
# server's superuser `postgres` on its database `postgres`, and
# POD_DISPATCHER_POSTGRES_CTL, a program that runs pg_ctl on the server with the options
# it was started with (`"$POD_DISPATCHER_POSTGRES_CTL" stop -m immediate`, then `start`,
# stops and starts it on the same port); it exits with the command's own status. The server programs are taken from $PG_BINDIR, else `pg_config --bindir`,
# else Debian's PostgreSQL 15 directory. PostgreSQL refuses to run as root: run as root,
# the cluster belongs to the `postgres` system user; run as anyone else, to them.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

bindir="${PG_BINDIR:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}"
if [[ ! -x "$bindir/initdb" || ! -x "$bindir/pg_ctl" ]]; then
  echo "$0: no initdb and pg_ctl in '$bindir': set PG_BINDIR, or run scripts/install-deps.sh --all" >&2
  exit 2
fi

# The server's own user: ourselves, unless we are root.
as_server=()
if [[ $(id -u) -eq 0 ]]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "$0: running as root, and there is no 'postgres' user to run the server as" >&2
    exit 2
  fi
  as_server=(runuser -u postgres --)
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/pod_dispatcher_postgres.XXXXXX")
# Readable by anyone, so that the server's user reaches what is inside; data/ holds the
# cluster, run/ the server's socket and log, both the server's own.
chmod 755 "$workdir"
data="$workdir/data"
run="$workdir/run"
mkdir "$data" "$run"
if [[ ${#as_server[@]} -gt 0 ]]; then
  chown postgres: "$data" "$run"
fi

started=false
stop_server() {
  if $started; then
    "$workdir/pg_ctl" stop -m fast >/dev/null 2>&1 || true
  fi
  rm -rf "$workdir"
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# trust: a throwaway server on loopback and a private socket directory.
if ! "${as_server[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
  >"$workdir/initdb.log" 2>&1; then
  echo "$0: initdb failed:" >&2
  cat "$workdir/initdb.log" >&2
  exit 1
fi

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The program POD_DISPATCHER_POSTGRES_CTL names: pg_ctl on this cluster, as the server's
# user, with the options of a start on port $1.
write_ctl() {
  local options="-c listen_addresses=127.0.0.1 -c port=$1 -c unix_socket_directories='$run'"
  # Nothing it stores need survive a crash of the machine, so nothing waits for a disk.
  # (PostgresStore's own commits still wait for the server's log, which is what a stop
  # with -m immediate tests.)
  options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  # Each test process opens a few connections, and the tests run two at a time.
  options+=" -c max_connections=300"
  {
    echo '#!/usr/bin/env bash'
    printf 'exec'
    printf ' %q' "${as_server[@]}" "$bindir/pg_ctl" -D "$data" -w -t 60 -l "$run/server.log" -o "$options"
    echo ' "$@"'
  } >"$workdir/pg_ctl"
  chmod 755 "$workdir/pg_ctl"
}

# A random port may be taken between the check and the bind: try a few.
for _ in 1 2 3 4 5 6 7 8 9 10; do
  port=$((20000 + RANDOM % 40000))
  answers "$port" && continue
  write_ctl "$port"
  if "$workdir/pg_ctl" start >/dev/null 2>&1; then
    started=true
    export POD_DISPATCHER_POSTGRES_URI="host=$run port=$port user=postgres dbname=postgres"
    export POD_DISPATCHER_POSTGRES_CTL="$workdir/pg_ctl"
    status=0
    "$@" || status=$?
    exit "$status"
  fi
  # Only a port taken meanwhile is worth another try.
  grep -q "could not bind\|already in use" "$run/server.log" 2>/dev/null || break
done

echo "$0: PostgreSQL did not start; its last log:" >&2
cat "$run/server.log" >&2 || true
exit 1
