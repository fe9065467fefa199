#!/usr/bin/env bash
# The scale-out run of `make bench` (BENCH_SCALE=1, or BENCH_SCALE=only), run
# by bench/run.sh once the bench data is served: the same shapes driven the
# same way through two topologies built on the bench cluster,
#
#   A: wrk ── HAProxy ── 1 bin/catalogue ── PgBouncer ── primary
#   B: wrk ── HAProxy ─┬ 2 bin/catalogue ── PgBouncer ── primary
#                      └───────────── DATABASE_READ_URL ── hot standby
#
# with the CPU time of every process group measured around each run, so that
# bench.py can report req/s and CPU per request per tier, and derive a
# capacity model. The standby is made with pg_basebackup -R for the run and
# removed afterwards, with everything else this script starts.
#
# Expects from run.sh (environment): ROOT, WORK, PG_DIR, PG_BIN, BIN, PGPORT,
# PGPASSWORD, BENCH_AUTH, SCALE_SHAPES, DURATION, WARMUP, CONNS, THREADS,
# JWT_SECRET (the secret BENCH_AUTH is signed with).
set -euo pipefail
cd "$ROOT"
PY="python3 $ROOT/bench/bench.py"
S="$WORK/scale"
mkdir -p "$S"
say() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() {
	printf 'bench: scale-out: %s\n' "$*" >&2
	exit 1
}

as=()
if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
read -r pgbouncer haproxy < <(bash "$ROOT/internal/cluster/tools.sh") || true
[ -n "${haproxy:-}" ] || die "PgBouncer and HAProxy are needed (see above)"

servers=()
haproxy_pid=""
stop_servers() {
	local p
	for p in "${servers[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${servers[@]}"; do wait "$p" 2>/dev/null || true; done
	servers=()
}
stop_haproxy() {
	if [ -n "$haproxy_pid" ]; then kill "$haproxy_pid" 2>/dev/null || true; fi
	haproxy_pid=""
}
cleanup() {
	local rc=$?
	set +e
	stop_servers
	stop_haproxy
	[ -f "$S/pgbouncer.pid" ] && kill "$(cat "$S/pgbouncer.pid")" 2>/dev/null
	if [ -f "$S/standby/postmaster.pid" ]; then
		"${as[@]}" "$PG_BIN/pg_ctl" stop -D "$S/standby" -m fast -w >/dev/null 2>&1
	fi
	rm -rf "$S/standby"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

read -r p_standby p_bouncer p_front p_app1 p_app2 < <($PY free-port --count 5)
chmod 755 "$S"
if [ ${#as[@]} -gt 0 ]; then chown postgres: "$S"; fi

say "scale-out: a hot standby of the bench cluster (pg_basebackup -R), on port $p_standby"
t0=$(date +%s)
"${as[@]}" env PGPASSWORD="$PGPASSWORD" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PGPORT" -U catalogue \
	-D "$S/standby" -R -X stream -c fast >"$S/basebackup.log" 2>&1 || { cat "$S/basebackup.log" >&2; die "pg_basebackup failed"; }
copy_seconds=$(($(date +%s) - t0))
info "copied in $copy_seconds s"
# The same settings as the primary (pgembed), on another port.
"${as[@]}" "$PG_BIN/pg_ctl" start -D "$S/standby" -l "$S/standby.log" -w -t 120 \
	-o "-p $p_standby -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c shared_buffers=256MB -c max_connections=100 -c hot_standby=on" >/dev/null
for _ in $(seq 1 300); do
	[ "$("$PG_BIN/psql" -XqAt -h 127.0.0.1 -p "$PGPORT" -U catalogue -d postgres \
		-c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" -ge 1 ] && break
	sleep 0.2
done

say "scale-out: PgBouncer (transaction pooling) in front of the primary, on port $p_bouncer"
# The servers connect as the runtime role the bench server made
# (catalogue_server, bound by row-level security; the server refuses a
# superuser), with the password pgembed derives for it from the cluster's.
RUNTIME_ROLE=catalogue_server
RUNTIME_PASSWORD=$(python3 -c 'import hashlib, hmac, sys; print(hmac.new(sys.argv[1].encode(), b"pgembed role password\x00" + sys.argv[2].encode(), hashlib.sha256).hexdigest())' "$PGPASSWORD" "$RUNTIME_ROLE")
printf '"catalogue" "%s"\n"%s" "%s"\n' "$PGPASSWORD" "$RUNTIME_ROLE" "$RUNTIME_PASSWORD" >"$S/userlist.txt"
cat >"$S/pgbouncer.ini" <<EOF
[databases]
postgres = host=127.0.0.1 port=$PGPORT dbname=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $p_bouncer
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $S/userlist.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 400
ignore_startup_parameters = extra_float_digits
logfile = $S/pgbouncer.log
pidfile = $S/pgbouncer.pid
EOF
if [ ${#as[@]} -gt 0 ]; then chown postgres: "$S/userlist.txt" "$S/pgbouncer.ini"; fi
"${as[@]}" "$pgbouncer" -d "$S/pgbouncer.ini"
for _ in $(seq 1 50); do [ -f "$S/pgbouncer.pid" ] && break; sleep 0.1; done

bouncer_url="postgres://$RUNTIME_ROLE:$RUNTIME_PASSWORD@127.0.0.1:$p_bouncer/postgres?sslmode=disable"
standby_url="postgres://$RUNTIME_ROLE:$RUNTIME_PASSWORD@127.0.0.1:$p_standby/postgres?sslmode=disable&connect_timeout=2"

serve() { # port, read url
	env -u DATA_DIR PORT="$1" DATABASE_URL="$bouncer_url" DATABASE_READ_URL="$2" JWT_HS256_SECRET="$JWT_SECRET" \
		SEED_DEMO=false DEV_AUTH=false PLAYGROUND=false SQL_STATS=false DB_STATEMENT_CACHE=0 LOG_LEVEL=warn \
		"$BIN" serve >>"$S/server.$1.log" 2>&1 &
	servers+=($!)
	for _ in $(seq 1 120); do
		curl -fsS -o /dev/null "http://127.0.0.1:$1/healthz" 2>/dev/null && return 0
		sleep 0.25
	done
	die "a server on port $1 did not start (log: $S/server.$1.log)"
}

front() { # ports of the servers behind HAProxy
	local p cfg="$S/haproxy.$#.cfg"
	{
		printf 'global\n    maxconn 2000\ndefaults\n    mode http\n    timeout connect 2s\n    timeout client 60s\n    timeout server 60s\n'
		printf 'frontend api\n    bind 127.0.0.1:%s\n    default_backend servers\n' "$p_front"
		printf 'backend servers\n    balance roundrobin\n    option httpchk GET /healthz\n'
		for p in "$@"; do printf '    server app%s 127.0.0.1:%s check inter 1s\n' "$p" "$p"; done
	} >"$cfg"
	"$haproxy" -D -f "$cfg" -p "$S/haproxy.pid" >>"$S/haproxy.log" 2>&1
	for _ in $(seq 1 50); do [ -s "$S/haproxy.pid" ] && break; sleep 0.1; done
	haproxy_pid=$(cat "$S/haproxy.pid")
	for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$p_front/healthz" 2>/dev/null && return 0; sleep 0.1; done
	die "HAProxy does not answer"
}

cpu() { # out file
	$PY scale-cpu --out "$1" --shell-pid $$ --servers "$(
		IFS=,
		echo "${servers[*]}"
	)" --pid pgbouncer="$(cat "$S/pgbouncer.pid")" --pid haproxy="$haproxy_pid" \
		--pg primary="$PG_DIR" --pg standby="$S/standby"
}

# One topology's runs of every shape.
measure() { # name
	local name=$1 s lua
	for s in $SCALE_SHAPES; do
		say "scale-out $name, shape ${s#s}: wrk ${WARMUP} s warm-up + ${DURATION} s through HAProxy"
		export BENCH_BODY="$WORK/$s.json" BENCH_IDS="$WORK/s5.ids"
		lua="$ROOT/bench/post.lua"
		[ "$s" = s5 ] && lua="$ROOT/bench/node.lua"
		wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" --timeout 30s -s "$lua" "http://127.0.0.1:$p_front/graphql" >"$S/$name.$s.warmup.txt"
		for p in "${servers[@]}"; do
			curl -fsS "http://127.0.0.1:$(ports_of "$p")/healthz" >"$S/$name.$s.health0.$p.json" 2>/dev/null || true
		done
		cpu "$S/$name.$s.cpu0.json"
		wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 30s --latency -s "$lua" "http://127.0.0.1:$p_front/graphql" >"$S/$name.$s.wrk.txt"
		cpu "$S/$name.$s.cpu1.json"
		for p in "${servers[@]}"; do
			curl -fsS "http://127.0.0.1:$(ports_of "$p")/healthz" >"$S/$name.$s.health1.$p.json" 2>/dev/null || true
		done
		grep -E 'Requests/sec|^ +50%|^ +99%|Non-2xx|Socket errors' "$S/$name.$s.wrk.txt" | sed 's/^ */    wrk: /'
	done
}
declare -A port_of_pid=()
ports_of() { echo "${port_of_pid[$1]}"; }

say "scale-out A: one server process, every read on the primary"
serve "$p_app1" ""
port_of_pid[${servers[0]}]=$p_app1
front "$p_app1"
measure A
stop_haproxy
stop_servers

say "scale-out B: two server processes, query reads on the standby"
serve "$p_app1" "$standby_url"
port_of_pid[${servers[0]}]=$p_app1
serve "$p_app2" "$standby_url"
port_of_pid[${servers[1]}]=$p_app2
for p in "$p_app1" "$p_app2"; do
	for i in $(seq 1 100); do
		curl -fsS "http://127.0.0.1:$p/healthz" | grep -q '"usable":true' && break
		[ "$i" = 100 ] && die "the server on port $p never found the standby usable"
		sleep 0.1
	done
done
front "$p_app1" "$p_app2"
measure B
stop_haproxy
stop_servers

{
	echo "shapes=$SCALE_SHAPES"
	echo "db_max_conns=${DB_MAX_CONNS:-20}"
	echo "bouncer_pool=20"
	echo "db_bytes=$("$PG_BIN/psql" -XqAt -h 127.0.0.1 -p "$PGPORT" -U catalogue -d postgres -c "SELECT pg_database_size('postgres')")"
	echo "standby_copy_seconds=$copy_seconds"
} >"$S/env.txt"
