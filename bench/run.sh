#!/usr/bin/env bash
# make bench: load a large data set once into a private PostgreSQL cluster
# (.data/bench, git-ignored), serve it with bin/catalogue, drive five query
# shapes with wrk at a fixed concurrency, run the same SQL through pgbench
# as the floor, run PostGraphile v5 over the same database with the same
# row-level security and drive shapes 1, 2 and 5 against it the same way,
# and write BENCHMARKS.md from the measured numbers.
#
# Settings (environment): BENCH_DATA_DIR (.data/bench), BENCH_DURATION (20 s
# per measured run), BENCH_WARMUP (5 s), BENCH_PG_WARMUP (3 s),
# BENCH_CONNECTIONS (8), BENCH_THREADS (2), BENCH_OUT (BENCHMARKS.md),
# BENCH_EMAIL_FRAGMENT (shape 3; chosen automatically when empty), PG_BIN.
#
# A quicker run: BENCH_SHAPES lists the shapes to run (default "1 2 3 4 5",
# e.g. BENCH_SHAPES="1 2 5"); BENCH_SKIP_POSTGRAPHILE=1 leaves PostGraphile
# out. For instance, a dry run of the whole harness in about two minutes
# once the data is seeded:
#   BENCH_SHAPES="1 5" BENCH_DURATION=5 BENCH_WARMUP=2 BENCH_OUT=/tmp/b.md make bench
#
# BENCH_SCALE=1 adds the scale-out run (bench/scale.sh): the shapes through
# HAProxy against one server process on the primary, then two processes with
# a hot standby of the bench cluster, with the CPU of every tier; the report
# gains a "Scale-out" section with a capacity model. BENCH_SCALE=only runs just
# that and replaces the section in the existing BENCH_OUT, leaving the rest.
# It installs PgBouncer and HAProxy (Debian packages) if missing.
#
# PostGraphile (bench/postgraphile: package.json and package-lock.json pin
# postgraphile 5.x and the `node` package, the Node.js 22 it needs) is
# installed with `npm ci` into bench/postgraphile/node_modules (git-ignored)
# on the first run and whenever package.json or the lock file changes; this
# needs npm and access to the npm registry. BENCH_PG_WORKERS (2) worker
# processes serve it (bench/postgraphile/server.mjs, loopback only). If the
# install, the start-up or its checks fail, the bench says why and goes on
# without it: BENCHMARKS.md then marks its columns "not run".
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
PGL_WORKERS=${BENCH_PG_WORKERS:-2}
PGL_POOL_MAX=10

# Shapes to run: "1 2 5", "1,2,5" or "s1 s2 s5".
SHAPES=""
for n in ${BENCH_SHAPES:-1 2 3 4 5}; do
	n=${n//,/ }
	for m in $n; do
		case "$m" in
		[1-5] | s[1-5]) SHAPES="$SHAPES s${m#s}" ;;
		*) printf 'bench: BENCH_SHAPES: unknown shape "%s" (shapes are 1 to 5)\n' "$m" >&2; exit 2 ;;
		esac
	done
done
SCALE=${BENCH_SCALE:-0}
case "$SCALE" in 0 | 1 | only) ;; *) echo "bench: BENCH_SCALE must be 0, 1 or only" >&2; exit 2 ;; esac
SHAPES=$(printf '%s\n' $SHAPES | sort -u | tr '\n' ' ')
SHAPES=${SHAPES% }
[ -n "$SHAPES" ] || { echo "bench: BENCH_SHAPES selects no shape" >&2; exit 2; }
# The shapes PostGraphile runs too.
PGL_SHAPES=""
for s in $SHAPES; do case "$s" in s1 | s2 | s5) PGL_SHAPES="$PGL_SHAPES $s" ;; esac; done
PGL_SHAPES=${PGL_SHAPES# }

case "$DATA_DIR" in /*) ;; *) DATA_DIR="$ROOT/$DATA_DIR" ;; esac
DATA_DIR=${DATA_DIR%/}
PG_DIR="$DATA_DIR/postgres"
WORK="$DATA_DIR/run"
MARKER="$DATA_DIR/seeded"
BIN="$ROOT/bin/catalogue"
PY="python3 $ROOT/bench/bench.py"
PGL_DIR="$ROOT/bench/postgraphile"
PGL_NODE="$PGL_DIR/node_modules/node/bin/node"

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
PGL_PID=""
pgl_stop() {
	[ -n "$PGL_PID" ] || return 0
	if kill -0 "$PGL_PID" 2>/dev/null; then
		info "stopping PostGraphile (pid $PGL_PID)"
		kill -TERM "$PGL_PID" 2>/dev/null
		for _ in $(seq 1 40); do kill -0 "$PGL_PID" 2>/dev/null || break; sleep 0.25; done
		kill -0 "$PGL_PID" 2>/dev/null && kill -KILL "$PGL_PID" 2>/dev/null
	fi
	wait "$PGL_PID" 2>/dev/null
	# Workers outlive a primary that was killed only briefly; end them by pid.
	if [ -f "$WORK/postgraphile.ready" ]; then
		while read -r p; do
			[ -n "$p" ] && kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null
		done <"$WORK/postgraphile.ready"
	fi
	PGL_PID=""
	return 0
}
cleanup() {
	local rc=$?
	set +e
	pgl_stop
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

say "preparing and checking the shapes ($SHAPES)"
$PY prepare --work "$WORK" --url "$URL/graphql" --auth "$AUTH" --tenant-id "$TENANT_ID" \
	--fragment "$FRAGMENT" --user-ids "$WORK/s5.uuids" --depth "$DEPTH" --shapes "$SHAPES"

# The scale-out run (bench/scale.sh), on the shapes just prepared.
run_scale() {
	{
		echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "commit=$COMMIT"
		echo "connections=$CONNS"
		echo "duration=$DURATION"
	} >"$WORK/scale.env.txt"
	ROOT=$ROOT WORK=$WORK PG_DIR=$PG_DIR PG_BIN=$PG_BIN BIN=$BIN SCALE_SHAPES="$SHAPES" \
		DURATION=$DURATION WARMUP=$WARMUP CONNS=$CONNS THREADS=$THREADS \
		JWT_SECRET="$(cat "$DATA_DIR/jwt-hs256.secret")" bash "$ROOT/bench/scale.sh"
	cat "$WORK/scale.env.txt" >>"$WORK/scale/env.txt"
}
if [ "$SCALE" = only ]; then
	run_scale
	echo "nproc=$(nproc)" >"$WORK/env.txt"
	case "$OUT" in /*) ;; *) OUT="$ROOT/$OUT" ;; esac
	say "writing the scale-out section of $OUT"
	$PY scale-report --work "$WORK" --out "$OUT"
	info "done in $(( $(date +%s) - START )) s; raw outputs in $WORK/scale"
	exit 0
fi

# ------------------------------------------------- capture the SQL
say "capturing each shape's SQL from the PostgreSQL log (log_statement = all, briefly)"
LOGGING_ON=1
q -c "ALTER SYSTEM SET log_statement = 'all'" -c "ALTER SYSTEM SET log_line_prefix = '%m [%p] '" \
	-c "SELECT pg_reload_conf()" >/dev/null
sleep 1
for s in $SHAPES; do
	off=$(stat -c %s "$PG_DIR/server.log")
	$PY send --work "$WORK" --url "$URL/graphql" --auth "$AUTH" --shape "$s"
	sleep 0.5
	$PY capture --work "$WORK" --log "$PG_DIR/server.log" --offset "$off" --shape "$s" --variants "$S5_VARIANTS"
done
q -c "ALTER SYSTEM RESET log_statement" -c "ALTER SYSTEM RESET log_line_prefix" -c "SELECT pg_reload_conf()" >/dev/null
LOGGING_ON=""

# ------------------------------------------------------ PostGraphile
# Everything here reports a failure through pgl_off and returns: the rest
# of the bench runs without PostGraphile. (Commands in these functions are
# checked one by one: set -e does not apply inside a function called from
# a condition.)
PGL_REASON="" PGL_URL="" PGL_VERSION="" PGL_NODE_VERSION=""
PGL_ROLE="" PGL_ALL_TENANTS="" PGL_TENANT_IDS=""
rm -f "$WORK"/pg.*
pgl_off() {
	PGL_REASON=$1
	printf '%s\n' "$1" >"$WORK/pg.reason"
	info "PostGraphile: not run: $1"
	pgl_stop
}
last_line() { grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n 1 | cut -c1-300; }
# The gist of a failed npm command's output: its error code and first message.
npm_error() {
	local code msg
	code=$(sed -n 's/^npm error code //p' "$1" | head -n 1)
	msg=$(grep -E '^npm error ' "$1" | sed 's/^npm error //' \
		| grep -v -E '^(code|syscall|errno|path|dest) |^ |^[{}]|^$|^A complete log|^If you are behind|^Log files' | head -n 1)
	[ -n "$msg" ] || msg=$(last_line "$1")
	printf '%s\n' "${code:+$code: }$msg" | cut -c1-300
}

pgl_install() {
	command -v npm >/dev/null 2>&1 || { pgl_off "npm not found (it installs PostGraphile and Node.js 22)"; return 1; }
	[ -f "$PGL_DIR/package-lock.json" ] || { pgl_off "bench/postgraphile/package-lock.json is missing"; return 1; }
	local want stamp="$PGL_DIR/node_modules/.bench-lock"
	want=$(cat "$PGL_DIR/package.json" "$PGL_DIR/package-lock.json" | sha256sum | cut -c1-16)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$PGL_NODE" ]; then
		info "reusing bench/postgraphile/node_modules"
	else
		say "installing PostGraphile and Node.js 22: npm ci in bench/postgraphile (once)"
		local rc=0
		(cd "$PGL_DIR" && timeout 900 npm ci --no-audit --no-fund) >"$WORK/postgraphile.npm.log" 2>&1 || rc=$?
		if [ "$rc" != 0 ]; then
			pgl_off "npm ci failed in bench/postgraphile (exit $rc, $(npm_error "$WORK/postgraphile.npm.log"); log: ${WORK#"$ROOT"/}/postgraphile.npm.log)"
			return 1
		fi
		echo "$want" >"$stamp"
	fi
	if [ ! -x "$PGL_NODE" ]; then
		pgl_off "npm ci did not install Node.js at bench/postgraphile/node_modules/node/bin/node (did npm skip the node package's install script?)"
		return 1
	fi
	PGL_NODE_VERSION=$("$PGL_NODE" --version 2>/dev/null) || { pgl_off "$PGL_NODE does not run"; return 1; }
	if ! "$PGL_NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)'; then
		pgl_off "PostGraphile 5 needs Node.js >= 22; the node package installed $PGL_NODE_VERSION"
		return 1
	fi
	PGL_VERSION=$("$PGL_NODE" -p 'require("./bench/postgraphile/node_modules/postgraphile/package.json").version' 2>/dev/null) \
		|| { pgl_off "postgraphile is not installed in bench/postgraphile/node_modules"; return 1; }
	info "PostGraphile $PGL_VERSION on Node.js $PGL_NODE_VERSION"
}

pgl_start() {
	# The settings of this server's request transaction, from its preamble.
	if ! $PY scope --work "$WORK" --shapes "$SHAPES" >"$WORK/pg.scope.out" 2>&1; then
		pgl_off "cannot read this server's tenant settings: $(last_line "$WORK/pg.scope.out")"
		return 1
	fi
	PGL_ROLE=$(sed -n 's/^role=//p' "$WORK/scope.txt")
	PGL_ALL_TENANTS=$(sed -n 's/^all_tenants=//p' "$WORK/scope.txt")
	PGL_TENANT_IDS=$(sed -n 's/^tenant_ids=//p' "$WORK/scope.txt")
	info "scope of the bench principal: role $PGL_ROLE, app.all_tenants=$PGL_ALL_TENANTS, app.tenant_ids=$PGL_TENANT_IDS"
	if [ "$PGL_ROLE" != catalogue_app ]; then
		pgl_off "this server's requests run as '$PGL_ROLE', not catalogue_app; server.mjs sets catalogue_app"
		return 1
	fi
	local port pw
	port=$($PY free-port)
	pw=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PGPASSWORD")
	say "starting PostGraphile ($PGL_WORKERS workers) on port $port"
	rm -f "$WORK/postgraphile.ready"
	PORT=$port PG_URL="postgres://$PGUSER:$pw@$PGHOST:$PGPORT/$PGDATABASE" PG_WORKERS=$PGL_WORKERS \
		PG_POOL_MAX=$PGL_POOL_MAX PG_TENANT_IDS="$PGL_TENANT_IDS" PG_ALL_TENANTS="$PGL_ALL_TENANTS" \
		PG_READY_FILE="$WORK/postgraphile.ready" PG_SCHEMA_FILE="$WORK/postgraphile.schema.graphql" \
		NODE_ENV=production GRAPHILE_ENV=production \
		"$PGL_NODE" "$PGL_DIR/server.mjs" >"$WORK/postgraphile.log" 2>&1 &
	PGL_PID=$!
	local i
	for i in $(seq 1 360); do
		if ! kill -0 "$PGL_PID" 2>/dev/null; then
			wait "$PGL_PID" 2>/dev/null
			PGL_PID=""
			pgl_off "PostGraphile exited during start-up: $(last_line "$WORK/postgraphile.log") (log: ${WORK#"$ROOT"/}/postgraphile.log)"
			return 1
		fi
		[ -s "$WORK/postgraphile.ready" ] && break
		if [ "$i" = 360 ]; then
			pgl_off "PostGraphile did not listen within 180 s (log: ${WORK#"$ROOT"/}/postgraphile.log)"
			return 1
		fi
		sleep 0.5
	done
	PGL_URL="http://127.0.0.1:$port"
	info "listening (primary $PGL_PID, workers $(tr '\n' ' ' <"$WORK/postgraphile.ready"))"
}

pgl_check() {
	# A user who is no member of the tenant: PostGraphile must not see him.
	local foreign
	foreign=$(q -v t="$TENANT_ID" <<<"SELECT u.id FROM users u WHERE NOT EXISTS
		(SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.tenant_id = :'t') ORDER BY u.id LIMIT 1") \
		|| { pgl_off "cannot find a user outside the tenant"; return 1; }
	say "checking PostGraphile: row-level security, and shapes $PGL_SHAPES against this server's answers"
	if ! $PY pg-prepare --work "$WORK" --url "$PGL_URL/graphql" --tenant-id "$TENANT_ID" --foreign-user-id "$foreign" \
		--server-url "$URL/graphql" --auth "$AUTH" --shapes "$PGL_SHAPES" 2>"$WORK/pg.prepare.err"; then
		cat "$WORK/pg.prepare.err" >&2
		pgl_off "its checks failed: $(last_line "$WORK/pg.prepare.err" | sed 's/^bench: //')"
		return 1
	fi
}

if [ -n "${BENCH_SKIP_POSTGRAPHILE:-}" ] && [ "${BENCH_SKIP_POSTGRAPHILE}" != 0 ]; then
	pgl_off "skipped (BENCH_SKIP_POSTGRAPHILE=$BENCH_SKIP_POSTGRAPHILE)"
elif [ -z "$PGL_SHAPES" ]; then
	pgl_off "none of shapes 1, 2 and 5 selected (BENCH_SHAPES)"
elif pgl_install && pgl_start && pgl_check; then
	say "capturing PostGraphile's SQL for each shape (log_statement = all, briefly)"
	LOGGING_ON=1
	q -c "ALTER SYSTEM SET log_statement = 'all'" -c "ALTER SYSTEM SET log_line_prefix = '%m [%p] '" \
		-c "SELECT pg_reload_conf()" >/dev/null
	sleep 1
	for s in $PGL_SHAPES; do
		off=$(stat -c %s "$PG_DIR/server.log")
		$PY send --work "$WORK" --url "$PGL_URL/graphql" --auth "" --shape "$s" --prefix pg. \
			&& sleep 0.5 \
			&& $PY pg-capture --work "$WORK" --log "$PG_DIR/server.log" --offset "$off" --shape "$s" \
			|| info "(could not capture PostGraphile's SQL for $s)"
	done
	q -c "ALTER SYSTEM RESET log_statement" -c "ALTER SYSTEM RESET log_line_prefix" -c "SELECT pg_reload_conf()" >/dev/null
	LOGGING_ON=""
fi

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

# PostGraphile's run of a shape: the same wrk runs as this server's. Its CPU
# is the primary's and its workers'; its peak RSS their sum.
pgl_pids() { echo "$PGL_PID"; cat "$WORK/postgraphile.ready" 2>/dev/null; }
pgl_run() {
	local s=$1 lua="$ROOT/bench/post.lua" p rc=0
	[ "$s" = s5 ] && lua="$ROOT/bench/node.lua"
	if [ -z "$PGL_PID" ] || ! kill -0 "$PGL_PID" 2>/dev/null; then
		pgl_off "PostGraphile exited before shape ${s#s}: $(last_line "$WORK/postgraphile.log") (log: ${WORK#"$ROOT"/}/postgraphile.log)"
		return 0
	fi
	say "shape ${s#s} against PostGraphile: wrk ${WARMUP} s warm-up + ${DURATION} s"
	export BENCH_BODY="$WORK/pg.$s.json" BENCH_IDS="$WORK/s5.uuids"
	wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" --timeout 30s -s "$lua" "$PGL_URL/graphql" >"$WORK/pg.$s.warmup.txt" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		echo "wrk failed (exit $rc) during the warm-up: $(last_line "$WORK/pg.$s.warmup.txt")" >"$WORK/pg.$s.reason"
		return 0
	fi
	for p in $(pgl_pids); do echo 5 >"/proc/$p/clear_refs" 2>/dev/null; done
	$PY cpu --server-pid "$PGL_PID" --tree --shell-pid $$ --pg-dir "$PG_DIR" --out "$WORK/pg.$s.cpu0.json"
	$PY probe --work "$WORK" --url "$PGL_URL/graphql" --auth "" --shape "$s" --prefix pg. --count 5 \
		--delay 1 --interval "$(( DURATION / 6 > 0 ? DURATION / 6 : 1 ))" --until "$(( DURATION > 6 ? DURATION - 5 : 1 ))" &
	local probe=$!
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 30s --latency -s "$lua" "$PGL_URL/graphql" >"$WORK/pg.$s.wrk.txt" 2>&1 || rc=$?
	wait "$probe" || info "(the probe of PostGraphile failed)"
	$PY cpu --server-pid "$PGL_PID" --tree --shell-pid $$ --pg-dir "$PG_DIR" --out "$WORK/pg.$s.cpu1.json"
	for p in $(pgl_pids); do grep -E '^(VmHWM|VmRSS):' "/proc/$p/status" 2>/dev/null; done \
		| awk '{k[$1] += $2} END {for (x in k) printf "%s=%d kB\n", substr(x, 1, length(x) - 1), k[x]}' >"$WORK/pg.$s.mem.txt"
	if [ "$rc" != 0 ]; then
		echo "wrk failed (exit $rc): $(last_line "$WORK/pg.$s.wrk.txt")" >"$WORK/pg.$s.reason"
		return 0
	fi
	grep -E 'Requests/sec|^ +50%|^ +99%|Non-2xx|Socket errors' "$WORK/pg.$s.wrk.txt" | sed 's/^ */    wrk: /'
	if ! kill -0 "$PGL_PID" 2>/dev/null; then
		echo "PostGraphile exited during the run: $(last_line "$WORK/postgraphile.log")" >"$WORK/pg.$s.reason"
	fi
}

for s in $SHAPES; do
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

	# PostGraphile right after this server, before pgbench: the two runs
	# compared are the closest in time.
	case " $PGL_SHAPES " in *" $s "*) [ -n "$PGL_REASON" ] || pgl_run "$s" ;; esac

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
	for s in $SHAPES; do
		if [ -s "$WORK/$s.perf.data" ]; then
			$PY profile --data "$WORK/$s.perf.data" --out "$WORK/$s.profile.json" || info "(no profile for $s)"
			rm -f "$WORK/$s.perf.data"
		fi
	done
fi

pgl_stop

if [ "$SCALE" = 1 ]; then run_scale; fi

say "statement costs (EXPLAIN ANALYZE)$(case " $SHAPES " in *" s3 "*) echo "; shape 3 with and without its trigram index" ;; esac)"
$PY explain --work "$WORK" --psql "$PSQL" --shapes "$SHAPES"

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
	echo "s5_ids=$(wc -l <"$WORK/s5.uuids")"
	echo "s5_variants=$( [ -f "$WORK/s5.pgbench.list" ] && wc -l <"$WORK/s5.pgbench.list" || echo 0)"
	echo "shapes=$SHAPES"
	echo "pgl_version=${PGL_VERSION:-?}"
	echo "pgl_node=${PGL_NODE_VERSION:-?}"
	echo "pgl_workers=$PGL_WORKERS"
	echo "pgl_pool_max=$PGL_POOL_MAX"
	echo "pgl_role=${PGL_ROLE:-?}"
	echo "pgl_all_tenants=${PGL_ALL_TENANTS:-?}"
	echo "pgl_tenant_ids=${PGL_TENANT_IDS:-?}"
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
