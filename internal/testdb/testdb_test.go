package testdb

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"catalogue/internal/pgembed"
)

var env *Env

// prepare stands for the migrations and seed data of real callers.
func prepare(ctx context.Context, db *sqlx.DB) error {
	_, err := db.ExecContext(ctx, `CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL);
		INSERT INTO item (name) VALUES ('seeded')`)
	return err
}

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var err error
	env, err = Setup(ctx, prepare)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	env.Close()
	os.Exit(code)
}

func names(t *testing.T, db *sqlx.DB) []string {
	t.Helper()
	var got []string
	if err := db.Select(&got, "SELECT name FROM item ORDER BY id"); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestPackageDatabaseIsSeeded(t *testing.T) {
	if got := names(t, env.DB); len(got) != 1 || got[0] != "seeded" {
		t.Fatalf("item names = %q, want [seeded]", got)
	}
	db, err := sqlx.Open("postgres", env.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := names(t, db); len(got) != 1 {
		t.Fatalf("through Env.URL: item names = %q, want one", got)
	}
}

func TestNewDatabaseIsIndependent(t *testing.T) {
	ctx := context.Background()
	db, url, err := env.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if url == env.URL {
		t.Fatalf("NewDatabase returned the package database's URL %s", url)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO item (name) VALUES ('written')"); err != nil {
		t.Fatal(err)
	}
	if got := names(t, db); len(got) != 2 {
		t.Errorf("copy: item names = %q, want two", got)
	}
	if got := names(t, env.DB); len(got) != 1 {
		t.Errorf("package database after writing the copy: item names = %q, want one", got)
	}
	other, _, err := env.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(t, other); len(got) != 1 {
		t.Errorf("second copy: item names = %q, want the template's one", got)
	}
}

func TestNewDatabaseConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			db, _, err := env.NewDatabase(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			var n int
			if err := db.Get(&n, "SELECT count(*) FROM item"); err != nil || n != 1 {
				t.Errorf("count = %d, %v", n, err)
			}
		})
	}
	wg.Wait()
}

// TestExistingServer runs Setup against a server given by TEST_DATABASE_URL
// (here the suite's own cluster) and checks that Close drops what it made.
func TestExistingServer(t *testing.T) {
	ctx := context.Background()
	t.Setenv(EnvVar, env.base.String())
	e, err := Setup(ctx, prepare)
	if err != nil {
		t.Fatal(err)
	}
	if e.cluster != nil {
		t.Error("Setup started a cluster although TEST_DATABASE_URL is set")
	}
	if got := names(t, e.DB); len(got) != 1 {
		t.Errorf("item names = %q, want one", got)
	}
	if _, _, err := e.NewDatabase(ctx); err != nil {
		t.Fatal(err)
	}
	prefix := e.prefix
	e.Close()
	var left []string
	if err := env.admin.Select(&left, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix); err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("databases left after Close: %q", left)
	}
}

func TestBadExistingServerURL(t *testing.T) {
	t.Setenv(EnvVar, "host=localhost dbname=postgres")
	if _, err := Setup(context.Background(), prepare); err == nil {
		t.Fatal("Setup accepted a TEST_DATABASE_URL that is not a URL")
	}
}

// TestSweepAbandoned leaves a cluster behind as a killed test process would,
// and checks that the next sweep stops it and removes its folder.
func TestSweepAbandoned(t *testing.T) {
	ctx := context.Background()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", tmpPattern)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	c, err := pgembed.Start(ctx, pgembed.Options{Dir: filepath.Join(dir, "pg"), Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	pid := strconv.Itoa(dead.Process.Pid)
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(pid+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	sweepAbandoned(ctx, slog.New(slog.NewTextHandler(t.Output(), nil)))

	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("folder of the dead process still there: %v", err)
	}
	if conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port))); err == nil {
		conn.Close()
		t.Errorf("cluster of the dead process still listens on port %d", c.Port)
	}
	if _, err := os.Stat(env.tmpDir); err != nil {
		t.Errorf("sweep removed the folder of a live process: %v", err)
	}
}

// TestRoles: prepare runs as the owner, which owns what it makes; the
// runtime pools connect as the runtime role, which is no superuser and has
// no BYPASSRLS.
func TestRoles(t *testing.T) {
	var owner string
	if err := env.DB.Get(&owner, `SELECT tableowner FROM pg_tables WHERE tablename = 'item'`); err != nil || owner != env.OwnerRole {
		t.Errorf("item belongs to %q (%v), want the owner %s", owner, err, env.OwnerRole)
	}
	_, url, err := env.NewDatabase(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	copyRT, _, err := env.Runtime(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range []*sqlx.DB{env.RuntimeDB, copyRT} {
		var r struct {
			Name   string `db:"rolname"`
			Super  bool   `db:"rolsuper"`
			Bypass bool   `db:"rolbypassrls"`
		}
		if err := db.Get(&r, `SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`); err != nil {
			t.Fatal(err)
		}
		if r.Name != env.RuntimeRole || r.Super || r.Bypass {
			t.Errorf("runtime pool connects as %+v, want %s without SUPERUSER and BYPASSRLS", r, env.RuntimeRole)
		}
	}
}
