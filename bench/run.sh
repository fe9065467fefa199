#!/usr/bin/env bash
# make bench: load a large data set once into a private PostgreSQL cluster
# (.data/bench, git-ignored), serve it with bin/catalogue, drive five query
# shapes with wrk at a fixed concurrency, run the same SQL through pgbench
# as the floor, and write BENCHMARKS.md from the measured numbers.
#
# Settings (environment): BENCH_DATA_DIR (.data/bench), BENCH_DURATION (20 s
# per measured run), BENCH_WARMUP (5 s), BENCH_PG_WARMUP (3 s),
# BENCH_CONNECTIONS (8), BENCH_THREADS (2), BENCH_OUT (BENCHMARKS.md),
# BENCH_EMAIL_FRAGMENT (shape 3; chosen automatically when empty), PG_BIN.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
DATA_DIR=${BENCH_DATA_DIR:-.data/bench}
DURATION=${BENCH_DURATION:-20}
WARMUP=${BENCH_WARMUP:-5}
PG_WARMUP=${BENCH_PG_WARMUP:-3}
CONNS=${BENCH_CONNECTIONS:-8}
THREADS=${BENCH_THREADS:-2}
OUT=${BENCH_OUT:-BENCHMARKS.md}
SEED_ARGS="-tenants 20 -users 1000000 -artists 50000 -releases 200000 -tracks-per-release 5"
DEPTH=10000
S5_IDS=10000
S5_VARIANTS=128
GO=${GO:-go}

case "$DATA_DIR" in /*) ;; *) DATA_DIR="$ROOT/$DATA_DIR" ;; esac
DATA_DIR=${DATA_DIR%/}
PG_DIR="$DATA_DIR/postgres"
WORK="$DATA_DIR/run"
MARKER="$DATA_DIR/seeded"
BIN="$ROOT/bin/catalogue"
PY="python3 $ROOT/bench/bench.py"

say() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# --------------------------------------------------------------- tools
find_pg_bin() {
	if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -z "$d" ] && command -v pg_config >/dev/null 2>&1; then d=$(pg_config --bindir); fi
	echo "$d"
}
PG_BIN=$(find_pg_bin)
for t in pg_ctl psql pgbench; do
	[ -x "$PG_BIN/$t" ] || die "$t not found in '$PG_BIN': install PostgreSQL (apt-get install postgresql) or set PG_BIN"
done
command -v "$GO" >/dev/null || die "go not found"
command -v python3 >/dev/null || die "python3 not found"
command -v curl >/dev/null || die "curl not found"
if ! command -v wrk >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		say "installing wrk (apt-get)"
		apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
	fi
	command -v wrk >/dev/null 2>&1 || die "wrk not found: install it (apt-get install wrk)"
fi
PSQL="$PG_BIN/psql"
PGBENCH="$PG_BIN/pgbench"
AS_PG=()
if [ "$(id -u)" = 0 ]; then AS_PG=(runuser -u postgres --); fi

# ---------------------------------------------------------- clean-up
SERVER_PID=""
LOGGING_ON=""
cleanup() {
	local rc=$?
	set +e
	if [ -n "$LOGGING_ON" ]; then
		"$PSQL" -XqAt -c "ALTER SYSTEM RESET log_statement" -c "ALTER SYSTEM RESET log_line_prefix" \
			-c "SELECT pg_reload_conf()" >/dev/null 2>&1
	fi
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		info "stopping the server (pid $SERVER_PID), which stops its PostgreSQL cluster"
		kill -TERM "$SERVER_PID"
		for _ in $(seq 1 120); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
		kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID"
		wait "$SERVER_PID" 2>/dev/null
	fi
	# A cluster the server only reused (left running by an interrupted
	# run) is still up: stop it, keeping its data.
	if [ -f "$PG_DIR/postmaster.pid" ] && "${AS_PG[@]}" "$PG_BIN/pg_ctl" status -D "$PG_DIR" >/dev/null 2>&1; then
		"${AS_PG[@]}" "$PG_BIN/pg_ctl" stop -D "$PG_DIR" -m fast -w >/dev/null 2>&1
	fi
	if [ $rc -ne 0 ]; then
		printf '\nbench: failed (exit %d); logs: %s/server.log, %s/server.log\n' "$rc" "$WORK" "$PG_DIR" >&2
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The server and the commands below must use the embedded cluster of
# DATA_DIR, with the development HS256 secret kept there.
unset DATABASE_URL JWT_HS256_SECRET JWT_PUBLIC_KEY_FILE JWT_JWKS_FILE JWT_ISSUER JWT_AUDIENCE
export DATA_DIR DEV_AUTH=true SEED_DEMO=false LOG_LEVEL=warn

[ "$DATA_DIR" != "$ROOT/.data" ] || die "BENCH_DATA_DIR must not be .data, the folder of make run: the bench may recreate it"

START=$(date +%s)
mkdir -p "$WORK"
rm -rf "$WORK"/*
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)

say "building bin/catalogue"
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git status --porcelain 2>/dev/null | grep -c -v -E ' (bench/.*|BENCHMARKS.md|Makefile)$' || true)
"$GO" build -o bin/catalogue .

# --------------------------------------------------------------- seed
# The data is reused while the seed sizes, the migrations and the seed code
# are those it was made with; otherwise (or when an earlier run stopped
# before finishing the seed) the bench cluster is made afresh.
# Comment lines do not count, so that editing a comment does not reseed.
FINGERPRINT=$( { echo "$SEED_ARGS"; cat migrations/*.sql db/seed.go; } | sed -E '/^[[:space:]]*(\/\/|--)/d' \
	| sha256sum | cut -c1-16)
SEED_SECONDS=""
NEED_VACUUM=""
if [ -f "$MARKER" ] && [ "$(sed -n 's/^fingerprint=//p' "$MARKER")" = "$FINGERPRINT" ]; then
	info "reusing the data seeded in $DATA_DIR ($(sed -n 's/^date=//p' "$MARKER"))"
	SEED_SECONDS=$(sed -n 's/^seconds=//p' "$MARKER")
else
	if [ -e "$PG_DIR" ]; then
		if [ -f "$MARKER" ]; then
			info "migrations, seed code or sizes changed since $DATA_DIR was seeded: seeding it afresh"
		else
			info "$DATA_DIR holds no finished seed (an earlier run was interrupted): seeding it afresh"
		fi
		if "${AS_PG[@]}" "$PG_BIN/pg_ctl" status -D "$PG_DIR" >/dev/null 2>&1; then
			"${AS_PG[@]}" "$PG_BIN/pg_ctl" stop -D "$PG_DIR" -m fast -w >/dev/null
		fi
		rm -rf "$PG_DIR" "$MARKER"
	fi
	say "seeding $DATA_DIR: bin/catalogue seed $SEED_ARGS (a few minutes, once)"
	t0=$(date +%s)
	# shellcheck disable=SC2086
	if ! "$BIN" seed $SEED_ARGS 2>"$WORK/seed.log"; then
		cat "$WORK/seed.log" >&2
		die "seeding failed"
	fi
	SEED_SECONDS=$(( $(date +%s) - t0 ))
	info "seeded in ${SEED_SECONDS} s"
	NEED_VACUUM=1
fi

# -------------------------------------------------------------- serve
PORT=$($PY free-port)
say "starting the server on port $PORT"
PORT=$PORT SQL_STATS=true PLAYGROUND=false "$BIN" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
URL="http://127.0.0.1:$PORT"
for i in $(seq 1 240); do
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		cat "$WORK/server.log" >&2
		SERVER_PID=""
		die "the server exited during start-up"
	fi
	if curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null; then break; fi
	[ "$i" = 240 ] && die "the server did not answer /healthz within 120 s"
	sleep 0.5
done
info "healthy (pid $SERVER_PID)"

export PGHOST=127.0.0.1 PGUSER=catalogue PGDATABASE=postgres
PGPORT=$(cat "$PG_DIR/catalogue.port")
PGPASSWORD=$(cat "$PG_DIR/catalogue.password")
export PGPORT PGPASSWORD
q() { "$PSQL" -XqAt -v ON_ERROR_STOP=1 "$@"; }

if [ -n "$NEED_VACUUM" ]; then
	say "VACUUM (ANALYZE) after the bulk load"
	q -c "VACUUM (ANALYZE)"
	{
		echo "args=$SEED_ARGS"
		echo "fingerprint=$FINGERPRINT"
		echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "seconds=$SEED_SECONDS"
	} >"$MARKER"
fi

# ----------------------------------------------------- tenant, token
say "choosing the tenant and its owner"
# The largest tenant without subsidiaries (includeSubsidiaries cannot
# matter) whose first OWNER is an active, unexpired, ordinary user.
TENANT_ID="" TENANT_SLUG="" TENANT_MEMBERS="" OWNER_EMAIL=""
read -r TENANT_ID TENANT_SLUG TENANT_MEMBERS OWNER_EMAIL < <(q -F ' ' -c "
	SELECT t.id, t.slug, (SELECT count(*) FROM memberships m WHERE m.tenant_id = t.id) AS n, o.email
	FROM tenants t
	CROSS JOIN LATERAL (
		SELECT u.email, u.is_deleted, u.expires_at, u.admin_roles, m.status
		FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = t.id AND m.role = 'OWNER' ORDER BY m.created_at, m.id LIMIT 1) o
	WHERE NOT EXISTS (SELECT 1 FROM tenants s WHERE s.parent_id = t.id)
	  AND o.status = 'ACTIVE' AND NOT o.is_deleted AND (o.expires_at IS NULL OR o.expires_at > now())
	  AND o.admin_roles = '{}'
	ORDER BY n DESC, t.slug LIMIT 1") || true
[ -n "$OWNER_EMAIL" ] || die "no tenant without subsidiaries has an active, unexpired OWNER: is the data seeded?"
info "tenant $TENANT_SLUG ($TENANT_MEMBERS members), owner $OWNER_EMAIL"
AUTH=$("$BIN" token -user "$OWNER_EMAIL" -tenant "$TENANT_SLUG" -ttl 2h 2>>"$WORK/token.log")
export BENCH_AUTH="$AUTH"

# Shape 3's email fragment: the first candidate contained in 0.1-1 % of users.
FRAGMENT=${BENCH_EMAIL_FRAGMENT:-}
TOTAL_USERS=$(q -c "SELECT count(*) FROM users")
if [ -z "$FRAGMENT" ]; then
	FRAGMENT=$(q -c "
		SELECT f FROM unnest(ARRAY['777', '314', 'emma.s', '.kim.1', '2024']) WITH ORDINALITY AS c(f, k)
		CROSS JOIN LATERAL (SELECT count(*) AS n FROM users WHERE email ILIKE '%' || f || '%') x
		WHERE x.n BETWEEN $TOTAL_USERS * 0.001 AND $TOTAL_USERS * 0.01 ORDER BY k LIMIT 1")
	[ -n "$FRAGMENT" ] || die "no email fragment matches 0.1-1 % of users; set BENCH_EMAIL_FRAGMENT"
fi
FRAGMENT_USERS=$(q -v f="$FRAGMENT" <<<"SELECT count(*) FROM users WHERE email ILIKE '%' || :'f' || '%'")
FRAGMENT_MEMBERS=$(q -v f="$FRAGMENT" -v t="$TENANT_ID" <<<"SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
	WHERE m.tenant_id = :'t' AND m.role IN ('ADMIN', 'USER') AND u.email ILIKE '%' || :'f' || '%'")
info "email fragment '$FRAGMENT': $FRAGMENT_USERS users, $FRAGMENT_MEMBERS ADMIN/USER members of the tenant"

# Shape 5: random members of the tenant, in a fixed pseudo-random order.
q -v t="$TENANT_ID" <<<"SELECT user_id FROM memberships WHERE tenant_id = :'t'
	ORDER BY md5(user_id::text || 'bench') LIMIT $S5_IDS" >"$WORK/s5.uuids"

say "preparing and checking the five shapes"
$PY prepare --work "$WORK" --url "$URL/graphql" --auth "$AUTH" --tenant-id "$TENANT_ID" \
	--fragment "$FRAGMENT" --user-ids "$WORK/s5.uuids" --depth "$DEPTH"

# ------------------------------------------------- capture the SQL
say "capturing each shape's SQL from the PostgreSQL log (log_statement = all, briefly)"
LOGGING_ON=1
q -c "ALTER SYSTEM SET log_statement = 'all'" -c "ALTER SYSTEM SET log_line_prefix = '%m [%p] '" \
	-c "SELECT pg_reload_conf()" >/dev/null
sleep 1
for s in s1 s2 s3 s4 s5; do
	off=$(stat -c %s "$PG_DIR/server.log")
	$PY send --work "$WORK" --url "$URL/graphql" --auth "$AUTH" --shape "$s"
	sleep 0.5
	$PY capture --work "$WORK" --log "$PG_DIR/server.log" --offset "$off" --shape "$s" --variants "$S5_VARIANTS"
done
q -c "ALTER SYSTEM RESET log_statement" -c "ALTER SYSTEM RESET log_line_prefix" -c "SELECT pg_reload_conf()" >/dev/null
LOGGING_ON=""

# ------------------------------------------------------------ load
# perf, when present and allowed, samples the server during each warm-up.
PERF=""
if command -v perf >/dev/null 2>&1 && perf record -q -o "$WORK/perf.test" -p "$SERVER_PID" -- sleep 0.2 >/dev/null 2>&1; then
	PERF=1
fi
rm -f "$WORK/perf.test"
# CPU time of the server, the cluster, the load generator (this shell's
# children) and the whole machine, before and after each measured run.
cpu() { $PY cpu --server-pid "$SERVER_PID" --shell-pid $$ --pg-dir "$PG_DIR" --out "$WORK/$1.json"; }
peak_reset() { echo 5 >"/proc/$SERVER_PID/clear_refs" 2>/dev/null || info "(cannot reset VmHWM: the peak covers the whole run so far)"; }
for s in s1 s2 s3 s4 s5; do
	say "shape ${s#s}: wrk ${WARMUP} s warm-up + ${DURATION} s, then pgbench"
	export BENCH_BODY="$WORK/$s.json" BENCH_IDS="$WORK/s5.ids"
	lua="$ROOT/bench/post.lua"
	[ "$s" = s5 ] && lua="$ROOT/bench/node.lua"
	perf_pid=""
	if [ -n "$PERF" ]; then
		perf record -q -F 499 -g -p "$SERVER_PID" -o "$WORK/$s.perf.data" -- sleep $(( WARMUP > 2 ? WARMUP - 1 : 1 )) \
			>/dev/null 2>&1 &
		perf_pid=$!
	fi
	wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" --timeout 30s -s "$lua" "$URL/graphql" >"$WORK/$s.warmup.txt"
	[ -z "$perf_pid" ] || wait "$perf_pid" || true
	peak_reset
	cpu "$s.cpu0"
	# A few requests of the shape during the run: their statement counts
	# show whether batching holds under load.
	$PY probe --work "$WORK" --url "$URL/graphql" --auth "$AUTH" --shape "$s" --count 5 \
		--delay 1 --interval "$(( DURATION / 6 > 0 ? DURATION / 6 : 1 ))" --until "$(( DURATION > 6 ? DURATION - 5 : 1 ))" &
	probe_pid=$!
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 30s --latency -s "$lua" "$URL/graphql" >"$WORK/$s.wrk.txt"
	wait "$probe_pid" || info "(the statement probe failed)"
	cpu "$s.cpu1"
	grep -E '^(VmHWM|VmRSS):' "/proc/$SERVER_PID/status" | tr -s ' \t' ' ' | sed 's/: /=/' >"$WORK/$s.mem.txt"
	grep -E 'Requests/sec|^ +50%|^ +99%|Non-2xx|Socket errors' "$WORK/$s.wrk.txt" | sed 's/^ */    wrk: /'

	pgargs=()
	while read -r f; do pgargs+=(-f "$WORK/$f"); done <"$WORK/$s.pgbench.list"
	"$PGBENCH" -n -M simple "${pgargs[@]}" -c "$CONNS" -j "$THREADS" -T "$PG_WARMUP" >"$WORK/$s.pgbench.warmup.txt" 2>&1 \
		|| { cat "$WORK/$s.pgbench.warmup.txt" >&2; die "pgbench failed on $s"; }
	cpu "$s.pgbench.cpu0"
	(cd "$WORK" && "$PGBENCH" -n -M simple "${pgargs[@]}" -c "$CONNS" -j "$THREADS" -T "$DURATION" \
		-l --log-prefix="$s.pgbench.log" >"$WORK/$s.pgbench.txt" 2>&1) \
		|| { cat "$WORK/$s.pgbench.txt" >&2; die "pgbench failed on $s"; }
	cpu "$s.pgbench.cpu1"
	grep -E "^(tps|latency average)" "$WORK/$s.pgbench.txt" | sed 's/^/    pgbench: /'
done

if [ -n "$PERF" ]; then
	say "summarising the server's CPU profiles"
	for s in s1 s2 s3 s4 s5; do
		if [ -s "$WORK/$s.perf.data" ]; then
			$PY profile --data "$WORK/$s.perf.data" --out "$WORK/$s.profile.json" || info "(no profile for $s)"
			rm -f "$WORK/$s.perf.data"
		fi
	done
fi

say "statement costs (EXPLAIN ANALYZE); shape 3 with and without its trigram index"
$PY explain --work "$WORK" --psql "$PSQL"

# ---------------------------------------------------------- report
say "writing $OUT"
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "nproc=$(nproc)"
	echo "mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "kernel=$(uname -sr)"
	echo "pg_version=$(q -c 'SHOW server_version')"
	echo "shared_buffers=$(q -c 'SHOW shared_buffers')"
	echo "go=$("$GO" version | awk '{print $3}')"
	echo "wrk=$(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}')"
	echo "pgbench=$("$PGBENCH" --version)"
	echo "load_before=$LOAD_BEFORE"
	echo "commit=$COMMIT"
	echo "dirty=$DIRTY"
	echo "data_dir=${DATA_DIR#"$ROOT"/}"
	echo "seed_args=$SEED_ARGS"
	echo "seed_seconds=$SEED_SECONDS"
	echo "tenant_slug=$TENANT_SLUG"
	echo "tenant_members=$TENANT_MEMBERS"
	echo "fragment=$FRAGMENT"
	echo "fragment_users=$FRAGMENT_USERS"
	echo "fragment_share=$(python3 -c "print($FRAGMENT_USERS / $TOTAL_USERS)")"
	echo "fragment_members=$FRAGMENT_MEMBERS"
	echo "s5_ids=$(wc -l <"$WORK/s5.ids")"
	echo "s5_variants=$(wc -l <"$WORK/s5.pgbench.list")"
	echo "duration=$DURATION"
	echo "warmup=$WARMUP"
	echo "pg_warmup=$PG_WARMUP"
	echo "connections=$CONNS"
	echo "threads=$THREADS"
	echo "db_max_conns=${DB_MAX_CONNS:-20}"
	echo "loader_wait=${LOADER_WAIT:-2ms}"
	echo "server_peak_total=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$SERVER_PID/status")"
} >"$WORK/env.txt"
for t in tenants brands labels users memberships artists releases release_artists tracks track_artists; do
	echo "$t=$(q -c "SELECT count(*) FROM $t")"
done >"$WORK/counts.txt"
case "$OUT" in /*) ;; *) OUT="$ROOT/$OUT" ;; esac
$PY report --work "$WORK" --out "$OUT"

info "done in $(( $(date +%s) - START )) s; raw outputs in $WORK"
