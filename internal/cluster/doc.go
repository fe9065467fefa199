// Package cluster holds the topology test of the server: `make cluster-test`
// (run.sh) builds a primary and a hot standby, PgBouncer in transaction mode,
// two server processes and HAProxy in front of them, all on loopback, and
// runs this package's test driver against it (build tag `cluster`). Without
// that tag, `go test ./...` reports the driver as skipped.
package cluster
