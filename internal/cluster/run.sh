#!/usr/bin/env bash
# make cluster-test: builds a small production topology on loopback from the
# installed PostgreSQL binaries and Debian's PgBouncer and HAProxy, then runs
# the cluster test driver (internal/cluster, build tag `cluster`) against it:
#
#   client ── HAProxy ──┬── bin/catalogue #1 ──┬── PgBouncer (transaction mode) ── primary
#                       └── bin/catalogue #2 ──┘                                      │ streaming
#                                     └─────────── DATABASE_READ_URL ─────────── hot standby
#
# The servers connect as catalogue_server (DATABASE_URL through PgBouncer,
# DATABASE_READ_URL, and DATABASE_LISTEN_URL straight to the primary for
# LISTEN) and migrate as catalogue_owner (DATABASE_MIGRATE_URL, straight to
# the primary); the superuser catalogue is only the driver's.
#
# Everything lives in one temporary folder and is stopped and removed on exit,
# failure or interrupt included (trap EXIT). It never skips: if a piece of the
# topology cannot be built, the target fails. As root, PostgreSQL and
# PgBouncer run as the OS user postgres. Set CLUSTER_KEEP=1 to keep the folder
# (and its logs) after the run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
GO=${GO:-go}
started=$(date +%s)

say() { echo "cluster-test: $*" >&2; }
die() {
	say "$*"
	exit 1
}

as=()
if [ "$(id -u)" = 0 ]; then
	id postgres >/dev/null 2>&1 || die "as root, PostgreSQL and PgBouncer must run as the OS user postgres, which does not exist"
	as=(runuser -u postgres --)
fi

# The PostgreSQL server binaries: the same search as pgembed.FindBinaries.
pg_bin=${PG_BIN:-}
if [ -z "$pg_bin" ]; then
	pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$pg_bin" ] && command -v pg_config >/dev/null 2>&1; then pg_bin=$(pg_config --bindir); fi
if [ -z "$pg_bin" ] && command -v initdb >/dev/null 2>&1; then pg_bin=$(dirname "$(command -v initdb)"); fi
for b in initdb pg_ctl pg_basebackup psql; do
	[ -x "$pg_bin/$b" ] || die "PostgreSQL binary $b not found (looked in '${pg_bin}'): install postgresql or set PG_BIN"
done

# PgBouncer and HAProxy, installed from Debian if missing.
read -r pgbouncer haproxy < <(bash internal/cluster/tools.sh) || true
[ -n "${haproxy:-}" ] || die "PgBouncer and HAProxy are needed (see the message above)"

work=$(mktemp -d "${TMPDIR:-/tmp}/catalogue-cluster.XXXXXX")
chmod 755 "$work"
if [ ${#as[@]} -gt 0 ]; then chown postgres: "$work"; fi

stop_all() {
	local f pid
	for f in "$work/driver.pid" "$work"/server*.pid "$work/haproxy.pid" "$work/bouncer/pgbouncer.pid"; do
		[ -f "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null || true)
		[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	done
	for d in standby primary; do
		if [ -f "$work/$d/postmaster.pid" ]; then
			"${as[@]}" "$pg_bin/pg_ctl" stop -D "$work/$d" -m immediate -w -t 30 >/dev/null 2>&1 || true
		fi
	done
	wait 2>/dev/null || true
}

cleanup() {
	local status=$?
	set +e
	trap - EXIT INT TERM
	stop_all
	if [ "$status" -ne 0 ]; then
		for f in "$work"/*.log "$work"/bouncer/*.log; do
			[ -s "$f" ] || continue
			echo "----- last lines of $f" >&2
			tail -n 25 "$f" >&2
		done
	fi
	if [ "${CLUSTER_KEEP:-}" = 1 ]; then
		say "kept $work"
	else
		rm -rf "$work"
	fi
	say "$([ "$status" = 0 ] && echo passed || echo FAILED) in $(($(date +%s) - started))s"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Six free loopback ports, taken at once so that they differ.
read -r p_primary p_standby p_bouncer p_front p_app1 p_app2 < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')

password=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
owner_password=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
runtime_password=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
secret=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
printf '%s\n' "$password" >"$work/pwfile"
if [ ${#as[@]} -gt 0 ]; then chown postgres: "$work/pwfile"; fi
export PGPASSWORD=$password

sql() { # port, statement
	"$pg_bin/psql" -X -h 127.0.0.1 -p "$1" -U catalogue -d postgres -qAtc "$2"
}

pg_start() { # data folder, port, extra settings
	"${as[@]}" "$pg_bin/pg_ctl" start -D "$1" -l "$1.log" -w -t 60 \
		-o "-p $2 -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c shared_buffers=64MB -c max_connections=100 ${3:-}" >/dev/null
}

wait_for() { # what, seconds, command...
	local what=$1 limit=$2
	shift 2
	for _ in $(seq $((limit * 10))); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	die "$what did not come up within ${limit}s"
}

say "building bin/catalogue and the test driver"
"$GO" build -o bin/catalogue .
"$GO" test -c -tags cluster -o "$work/cluster.test" ./internal/cluster/

say "primary on 127.0.0.1:$p_primary"
"${as[@]}" "$pg_bin/initdb" -D "$work/primary" -U catalogue --auth=scram-sha-256 --pwfile="$work/pwfile" \
	-E UTF8 --locale=C.UTF-8 --no-sync >"$work/initdb.log" 2>&1 ||
	"${as[@]}" "$pg_bin/initdb" -D "$work/primary" -U catalogue --auth=scram-sha-256 --pwfile="$work/pwfile" \
		-E UTF8 --no-locale --no-sync >"$work/initdb.log" 2>&1
pg_start "$work/primary" "$p_primary" "-c wal_level=replica -c max_wal_senders=5"
# The roles of README "Database roles": catalogue_owner owns the schema and
# migrates (DATABASE_MIGRATE_URL, straight to the primary); catalogue_server,
# which owns nothing and which row-level security binds, serves requests
# (DATABASE_URL through PgBouncer, DATABASE_READ_URL on the standby). The
# server grants it catalogue_app (which the owner may grant) at start-up.
sql "$p_primary" "CREATE ROLE catalogue_owner LOGIN NOSUPERUSER BYPASSRLS INHERIT NOCREATEDB NOCREATEROLE PASSWORD '$owner_password'"
sql "$p_primary" "CREATE ROLE catalogue_server LOGIN NOSUPERUSER NOBYPASSRLS INHERIT NOCREATEDB NOCREATEROLE PASSWORD '$runtime_password'"
sql "$p_primary" "CREATE ROLE catalogue_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT"
sql "$p_primary" "GRANT catalogue_app TO catalogue_owner WITH ADMIN OPTION"
sql "$p_primary" "CREATE DATABASE catalogue OWNER catalogue_owner"
"$pg_bin/psql" -X -h 127.0.0.1 -p "$p_primary" -U catalogue -d catalogue -qAtc "ALTER SCHEMA public OWNER TO catalogue_owner"

say "hot standby on 127.0.0.1:$p_standby (pg_basebackup -R, streaming)"
"${as[@]}" env PGPASSWORD="$password" "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$p_primary" -U catalogue \
	-D "$work/standby" -R -X stream -c fast >"$work/basebackup.log" 2>&1
pg_start "$work/standby" "$p_standby" "-c hot_standby=on -c hot_standby_feedback=on"
streaming() { test "$(sql "$p_primary" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1; }
wait_for "streaming replication" 30 streaming

say "PgBouncer (transaction pooling) on 127.0.0.1:$p_bouncer"
mkdir -p "$work/bouncer"
printf '"catalogue" "%s"\n"catalogue_server" "%s"\n' "$password" "$runtime_password" >"$work/bouncer/userlist.txt"
cat >"$work/bouncer/pgbouncer.ini" <<EOF
[databases]
catalogue = host=127.0.0.1 port=$p_primary dbname=catalogue

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $p_bouncer
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $work/bouncer/userlist.txt
admin_users = catalogue
pool_mode = transaction
; fewer server connections than the two servers' pools hold clients, so
; that transactions of one client connection meet different backends
default_pool_size = 8
max_client_conn = 400
ignore_startup_parameters = extra_float_digits
logfile = $work/bouncer/pgbouncer.log
pidfile = $work/bouncer/pgbouncer.pid
EOF
if [ ${#as[@]} -gt 0 ]; then chown -R postgres: "$work/bouncer"; fi
"${as[@]}" "$pgbouncer" -d "$work/bouncer/pgbouncer.ini"
wait_for "PgBouncer" 10 "$pg_bin/psql" -X -h 127.0.0.1 -p "$p_bouncer" -U catalogue -d catalogue -qAtc "SELECT 1"

# The superuser: the driver's own checks and PgBouncer's console.
bouncer_url="postgres://catalogue:$password@127.0.0.1:$p_bouncer/catalogue?sslmode=disable"
primary_url="postgres://catalogue:$password@127.0.0.1:$p_primary/catalogue?sslmode=disable"
standby_url="postgres://catalogue:$password@127.0.0.1:$p_standby/catalogue?sslmode=disable&connect_timeout=2"
# The servers' roles.
migrate_url="postgres://catalogue_owner:$owner_password@127.0.0.1:$p_primary/catalogue?sslmode=disable"
runtime_url="postgres://catalogue_server:$runtime_password@127.0.0.1:$p_bouncer/catalogue?sslmode=disable"
runtime_read_url="postgres://catalogue_server:$runtime_password@127.0.0.1:$p_standby/catalogue?sslmode=disable&connect_timeout=2"
# LISTEN needs a session of its own, which PgBouncer in transaction mode
# does not keep: the listener connects to the primary directly.
runtime_listen_url="postgres://catalogue_server:$runtime_password@127.0.0.1:$p_primary/catalogue?sslmode=disable"
admin_url="postgres://catalogue:$password@127.0.0.1:$p_bouncer/pgbouncer?sslmode=disable"

say "migrating and seeding as catalogue_owner"
# PgBouncer 1.18's transaction pooling does not carry prepared statements
# from one server connection to another: the servers prepare none.
DATABASE_URL=$runtime_url DATABASE_MIGRATE_URL=$migrate_url DB_STATEMENT_CACHE=0 LOG_LEVEL=warn bin/catalogue seed >"$work/seed.log" 2>&1

serve() { # n, port
	env PORT="$2" DATABASE_URL="$runtime_url" DATABASE_READ_URL="$runtime_read_url" \
		DATABASE_MIGRATE_URL="$migrate_url" DATABASE_LISTEN_URL="$runtime_listen_url" \
		SEED_DEMO=false DEV_AUTH=false PLAYGROUND=false JWT_HS256_SECRET="$secret" \
		DB_MAX_CONNS=10 DB_STATEMENT_CACHE=0 SHUTDOWN_TIMEOUT=2s LOG_LEVEL=info \
		bin/catalogue serve >"$work/server$1.log" 2>&1 &
	echo $! >"$work/server$1.pid"
}
say "two servers on 127.0.0.1:$p_app1 and 127.0.0.1:$p_app2"
serve 1 "$p_app1"
serve 2 "$p_app2"
wait_for "server 1" 30 curl -fsS "http://127.0.0.1:$p_app1/healthz"
wait_for "server 2" 30 curl -fsS "http://127.0.0.1:$p_app2/healthz"

say "HAProxy on 127.0.0.1:$p_front"
cat >"$work/haproxy.cfg" <<EOF
global
    maxconn 1000
    log stdout format raw local0

defaults
    mode http
    log global
    option httplog
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    # A request that cannot reach its server (connection refused: the
    # process is gone) goes to another one at once; one already sent is
    # not replayed, as it may not be idempotent. Each request opens its own
    # server connection: sent over an idle one kept from before a process
    # died, it would fail as if it had been in flight.
    retries 2
    option redispatch 1
    option http-server-close

frontend api
    bind 127.0.0.1:$p_front
    default_backend servers

backend servers
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 250ms fastinter 100ms downinter 500ms fall 2 rise 2
    server app1 127.0.0.1:$p_app1 check
    server app2 127.0.0.1:$p_app2 check
EOF
"$haproxy" -c -q -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 || die "haproxy rejects its configuration"
"$haproxy" -db -f "$work/haproxy.cfg" >>"$work/haproxy.log" 2>&1 &
echo $! >"$work/haproxy.pid"
wait_for "HAProxy" 10 curl -fsS "http://127.0.0.1:$p_front/healthz"

say "topology up after $(($(date +%s) - started))s; running the cluster test"
# In the background and waited for, so that an interrupt stops it at once.
CLUSTER_FRONT="http://127.0.0.1:$p_front" \
	CLUSTER_SERVERS="http://127.0.0.1:$p_app1,http://127.0.0.1:$p_app2" \
	CLUSTER_SERVER_PIDS="$(cat "$work/server1.pid"),$(cat "$work/server2.pid")" \
	CLUSTER_PRIMARY_URL="$primary_url" CLUSTER_STANDBY_URL="$standby_url" \
	CLUSTER_BOUNCER_URL="$bouncer_url" CLUSTER_BOUNCER_ADMIN_URL="$admin_url" \
	CLUSTER_STANDBY_DIR="$work/standby" CLUSTER_JWT_SECRET="$secret" \
	"$work/cluster.test" -test.v -test.count=1 -test.timeout=5m &
echo $! >"$work/driver.pid"
wait $!
