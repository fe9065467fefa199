package pgembed

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

// start starts an ephemeral cluster in dir and stops it when the test ends.
// Missing PostgreSQL binaries fail the test: they are a broken machine, not a
// reason to skip.
func start(t *testing.T, ctx context.Context, dir string) *Cluster {
	t.Helper()
	c, err := Start(ctx, Options{Dir: dir, Ephemeral: true, Log: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return c
}

func openDB(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestClusterPersistsAcrossRestarts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// A folder that does not exist yet, inside a 0700 temporary folder: Start
	// must create it and, as root, let the postgres user reach it.
	dir := filepath.Join(t.TempDir(), "data", "postgres")

	c := start(t, ctx, dir)
	if err := c.CreateDatabase(ctx, "app", ""); err != nil {
		t.Fatalf("CreateDatabase: %v", err)
	}
	db := openDB(t, c.URL("app"))
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before restart')"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Starting while it runs reuses the running server.
	again := start(t, ctx, dir)
	if again.Port != c.Port {
		t.Errorf("Start on a running cluster: port %d, want the running one, %d", again.Port, c.Port)
	}

	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !portFree(c.Port) {
		t.Errorf("port %d still taken after Stop", c.Port)
	}

	// A restart keeps the data and the recorded port.
	c2 := start(t, ctx, dir)
	if c2.Port != c.Port {
		t.Errorf("restart: port %d, want the recorded %d", c2.Port, c.Port)
	}
	checkKept(t, ctx, c2)
	if err := c2.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	// With the recorded port taken by another program, Start picks another.
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c3 := start(t, ctx, dir)
	if c3.Port == c.Port {
		t.Errorf("restart with recorded port %d taken: got the same port", c.Port)
	}
	checkKept(t, ctx, c3)

	if err := c3.DropDatabase(ctx, "app"); err != nil {
		t.Fatalf("DropDatabase: %v", err)
	}
	if err := c3.DropDatabase(ctx, "app"); err != nil {
		t.Fatalf("DropDatabase of a missing database: %v", err)
	}
}

func checkKept(t *testing.T, ctx context.Context, c *Cluster) {
	t.Helper()
	db := openDB(t, c.URL("app"))
	var v string
	if err := db.QueryRowContext(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != "before restart" {
		t.Fatalf("after restart: SELECT v FROM kept = %q, %v", v, err)
	}
	db.Close()
}

func TestCreateDatabaseFromTemplate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// An existing empty folder is used in place.
	c := start(t, ctx, t.TempDir())
	name := `tmpl "quoted"`
	if err := c.CreateDatabase(ctx, name, ""); err != nil {
		t.Fatalf("CreateDatabase: %v", err)
	}
	db := openDB(t, c.URL(name))
	if _, err := db.ExecContext(ctx, "CREATE TABLE t AS SELECT 42 AS v"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := c.CreateDatabase(ctx, "copy", name); err != nil {
		t.Fatalf("CreateDatabase from template: %v", err)
	}
	var v int
	if err := openDB(t, c.URL("copy")).QueryRowContext(ctx, "SELECT v FROM t").Scan(&v); err != nil || v != 42 {
		t.Fatalf("copy: SELECT v FROM t = %d, %v", v, err)
	}
}

func TestFindBinariesBogusPGBin(t *testing.T) {
	t.Setenv("PG_BIN", t.TempDir())
	dir, err := FindBinaries()
	if err == nil {
		t.Fatalf("FindBinaries with a bogus PG_BIN = %q, want an error", dir)
	}
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("error %v does not wrap ErrNotFound", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || strings.Contains(strings.TrimSuffix(msg, "."), ". ") {
		t.Errorf("error is not one sentence: %q", msg)
	}
	if !strings.Contains(msg, "PG_BIN") {
		t.Errorf("error does not name PG_BIN: %q", msg)
	}
}

func TestFindBinaries(t *testing.T) {
	t.Setenv("PG_BIN", "")
	dir, err := FindBinaries()
	if err != nil {
		t.Fatalf("FindBinaries: %v", err)
	}
	if !hasServerBinaries(dir) {
		t.Fatalf("FindBinaries = %q, which lacks initdb, pg_ctl or postgres", dir)
	}
}

func TestParseVersion(t *testing.T) {
	if slices.Compare(parseVersion("15"), parseVersion("9.6")) <= 0 {
		t.Error("version 15 must sort above 9.6")
	}
}

// A role's derived password is stable for the cluster, differs between
// roles and clusters, and reveals nothing of the superuser's password.
func TestRolePassword(t *testing.T) {
	a, b := &Cluster{password: "first secret", Port: 5432}, &Cluster{password: "second secret", Port: 5432}
	if a.RolePassword("owner") != a.RolePassword("owner") {
		t.Error("RolePassword is not stable")
	}
	if a.RolePassword("owner") == a.RolePassword("server") || a.RolePassword("owner") == b.RolePassword("owner") {
		t.Error("RolePassword repeats across roles or clusters")
	}
	if strings.Contains(a.RolePassword("owner"), "first secret") || len(a.RolePassword("owner")) < 32 {
		t.Errorf("RolePassword %q", a.RolePassword("owner"))
	}
	if u := a.LoginURL("owner", "postgres"); !strings.Contains(u, "owner:"+a.RolePassword("owner")+"@127.0.0.1:5432/postgres") {
		t.Errorf("LoginURL %s", u)
	}
}
