//go:build !cluster

package cluster_test

import "testing"

// TestCluster stands in for the topology test in plain `go test` runs, which
// have no topology to test: `make cluster-test` builds one and runs the real
// test (cluster_test.go) with -tags cluster.
func TestCluster(t *testing.T) {
	t.Skip("the topology test needs the primary, standby, PgBouncer, servers and HAProxy that `make cluster-test` builds; run that (it passes -tags cluster)")
}
