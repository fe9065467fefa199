# Everyday commands. With no DATABASE_URL, the server and the tests start a
# private PostgreSQL cluster themselves (internal/pgembed): nothing to set up.

GO ?= go
# Data folder of the cluster that `make run` starts and keeps between runs.
DATA_DIR := .data/postgres

.PHONY: run build test cluster-test generate clean-data

run:
	$(GO) run .

build:
	$(GO) build -o bin/catalogue .

# Regenerate graph/generated and db/model/models_gen.go from schema/.
generate:
	$(GO) tool gqlgen generate

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...

# Build a primary, a hot standby, PgBouncer (transaction mode), two servers
# and HAProxy on loopback in a temporary folder, run the cluster test driver
# against them (internal/cluster, -tags cluster), and remove it all. Installs
# PgBouncer and HAProxy (Debian packages) if missing; see internal/cluster/run.sh.
cluster-test:
	GO="$(GO)" bash internal/cluster/run.sh

# Stop the cluster of `make run` if it runs (as the postgres user when root,
# as it was started), then delete all local data.
clean-data:
	@set -e; dir="$(CURDIR)/$(DATA_DIR)"; \
	if [ -f "$$dir/postmaster.pid" ]; then \
		bin="$${PG_BIN:-}"; \
		if [ -z "$$bin" ]; then \
			bin=$$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1); \
		fi; \
		if [ -z "$$bin" ] && command -v pg_config >/dev/null 2>&1; then bin=$$(pg_config --bindir); fi; \
		if [ -z "$$bin" ] && command -v pg_ctl >/dev/null 2>&1; then bin=$$(dirname "$$(command -v pg_ctl)"); fi; \
		if [ ! -x "$$bin/pg_ctl" ]; then \
			echo "pg_ctl not found (set PG_BIN): stop the server of $$dir before removing it" >&2; exit 1; \
		fi; \
		as=""; if [ "$$(id -u)" = 0 ]; then as="runuser -u postgres --"; fi; \
		if $$as "$$bin/pg_ctl" status -D "$$dir" >/dev/null 2>&1; then \
			$$as "$$bin/pg_ctl" stop -D "$$dir" -m fast -w; \
		fi; \
	fi
	rm -rf .data

# Load a large data set once into .data/bench (git-ignored), drive five query
# shapes against the server with wrk and the same SQL with pgbench, and write
# BENCHMARKS.md. Needs root or wrk installed; see bench/run.sh.
.PHONY: bench
bench:
	GO="$(GO)" bash bench/run.sh
