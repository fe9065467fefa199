package db

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/jmoiron/sqlx"

	"catalogue/internal/testdb"
)

// testStore is the package's database: migrated and loaded with the demo
// data set, in a throwaway cluster the suite starts itself. Its pool
// connects as the superuser; testEnv also has the runtime role's, and
// makes fresh copies of the database for tests that write.
var (
	testStore *Store
	testEnv   *testdb.Env
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testdb.FuzzOnly() {
		return m.Run() // the fuzz targets need no database
	}
	ctx := context.Background()
	env, err := testdb.Setup(ctx, func(ctx context.Context, x *sqlx.DB) error {
		if _, err := Migrate(ctx, x); err != nil {
			return err
		}
		return Seed(ctx, x, DemoSeed)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "test database:", err)
		return 1
	}
	defer env.Close()
	testStore, testEnv = NewStore(env.DB), env
	return m.Run()
}
