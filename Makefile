# Everyday commands. With no DATABASE_URL, the server and the tests start a
# private PostgreSQL cluster themselves (internal/pgembed): nothing to set up.

GO ?= go
# Data folder of the cluster that `make run` starts and keeps between runs.
# (Not named DATA_DIR: make would export its value over the server's setting
# of that name, so `DATA_DIR=/tmp/x make run` would still use .data.)
RUN_PG_DIR := .data/postgres
# The federation composition check (internal/api/federation_test.go) runs
# Apollo's composition library with Node.js from test/federation/node_modules
# (git-ignored), installed from package-lock.json with npm ci when missing or
# older than the lock file. Without npm, make test fails: the check is part
# of the suite, never skipped.
FEDERATION_DIR := test/federation
FEDERATION_DEPS := $(FEDERATION_DIR)/node_modules/.package-lock.json

.PHONY: run build test fuzz-short cluster-test generate generate-client clean-data federation-deps

run:
	$(GO) run .

build:
	$(GO) build -o bin/catalogue .

# Regenerate graph/generated and db/model/models_gen.go from schema/, and
# the example BFF's typed client.
generate:
	$(GO) tool gqlgen generate
	$(MAKE) generate-client

# Regenerate the typed Go client of examples/bff (genqlient) from schema/
# and the operations in examples/bff/*.graphql.
generate-client:
	$(GO) run . schema > examples/bff/schema.graphql
	cd examples/bff && $(GO) tool genqlient genqlient.yaml

test: $(FEDERATION_DEPS)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...
	$(MAKE) --no-print-directory fuzz-short

# Fuzz each target briefly (FUZZTIME each; go test -fuzz takes one target
# per run). Plain `go test` already runs their seeds and testdata/fuzz; an
# input that fails is written to the package's testdata/fuzz/<target>/, to
# be committed with the fix.
FUZZTIME ?= 5s
FUZZ_TARGETS := ./db:FuzzDecodeCursor ./db:FuzzCompileFilter ./internal/filter:FuzzParse ./internal/api/guard:FuzzDecodeRequest

fuzz-short:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$fn in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

federation-deps: $(FEDERATION_DEPS)

$(FEDERATION_DEPS): $(FEDERATION_DIR)/package.json $(FEDERATION_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "npm not found: make test composes the federation subgraph with Node.js 18+ and npm (apt-get install nodejs npm)" >&2; \
		exit 1; }
	cd $(FEDERATION_DIR) && npm ci --no-audit --no-fund
	@touch $@

# Build a primary, a hot standby, PgBouncer (transaction mode), two servers
# and HAProxy on loopback in a temporary folder, run the cluster test driver
# against them (internal/cluster, -tags cluster), and remove it all. Installs
# PgBouncer and HAProxy (Debian packages) if missing; see internal/cluster/run.sh.
cluster-test:
	GO="$(GO)" bash internal/cluster/run.sh

# Stop the cluster of `make run` if it runs (as the postgres user when root,
# as it was started), then delete all local data.
clean-data:
	@set -e; dir="$(CURDIR)/$(RUN_PG_DIR)"; \
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
