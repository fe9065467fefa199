// Package testdb gives a test package PostgreSQL databases of its own, with
// no server to set up by hand.
//
// Setup, called from TestMain, starts a throwaway cluster (or uses the server
// named by TEST_DATABASE_URL), builds a template database once with the
// caller's migrations and seed data, and copies it into a fresh database for
// the package. Copying a template is far cheaper than migrating again, so
// tests that write can ask for a fresh copy of their own with NewDatabase.
//
// The databases have the server's roles (package roles), made for the
// process: an owner, which owns the databases and runs prepare as migrations
// run in production, and a runtime role, which owns nothing and which
// row-level security binds, for the handler under test (Env.RuntimeDB,
// Env.Runtime). Env.DB connects as the superuser, for the tests' oracles.
//
// Typical use:
//
//	var env *testdb.Env
//
//	func TestMain(m *testing.M) {
//		var err error
//		env, err = testdb.Setup(context.Background(), prepare)
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		code := m.Run()
//		env.Close()
//		os.Exit(code)
//	}
package testdb

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"catalogue/internal/pgembed"
	"catalogue/internal/roles"
)

// EnvVar names the environment variable that points the tests at an
// existing server instead of a throwaway cluster. Its value must be a
// postgres:// URL of a superuser (who may create databases) to a maintenance
// database such as "postgres".
const EnvVar = "TEST_DATABASE_URL"

const (
	tmpPattern = "catalogue-testdb-" // prefix of the temporary folders of throwaway clusters
	ownerFile  = "owner.pid"         // in such a folder: PID of the process that made it
)

// Env is a test package's database environment.
type Env struct {
	// URL is the connection URL of the package's fresh database, as the
	// superuser.
	URL string
	// DB is a connection pool to the package's fresh database as the
	// superuser, which row-level security does not bind: for setting up
	// and for the oracles of tests, which must see every row.
	DB *sqlx.DB
	// RuntimeURL and RuntimeDB connect to the package's fresh database as
	// RuntimeRole, as the server connects: what a handler under test uses.
	RuntimeURL string
	RuntimeDB  *sqlx.DB
	// OwnerRole owns the databases and everything prepare made in them;
	// RuntimeRole is the server's role (LOGIN, NOSUPERUSER, NOBYPASSRLS,
	// owning nothing, a member of roles.App). Both are the process's own.
	OwnerRole, RuntimeRole string
	// Template is the name of the migrated and seeded template database that
	// fresh databases are copied from. It accepts no connections.
	Template string

	base    *url.URL // maintenance database of the server
	owner   roles.Login
	runtime roles.Login
	admin   *sqlx.DB // pool on base, for CREATE and DROP DATABASE
	cluster *pgembed.Cluster
	tmpDir  string
	prefix  string // of every database name, unique to this process

	mu      sync.Mutex
	n       int
	dbs     []string
	handles []*sqlx.DB

	closeOnce   sync.Once
	stopSignals func()
}

// Setup starts the suite's database: the server named by TEST_DATABASE_URL
// if set, else a throwaway (Ephemeral) pgembed cluster in a temporary folder.
// It creates a template database, runs prepare on it once (migrations and
// seed data), and copies it into the package's fresh database, Env.DB.
//
// Until Close, an interrupt (SIGINT, SIGTERM) cleans up before exiting; a
// process killed outright leaves its temporary folder and cluster behind,
// which a later Setup stops and removes.
func Setup(ctx context.Context, prepare func(ctx context.Context, db *sqlx.DB) error) (_ *Env, err error) {
	e := &Env{prefix: fmt.Sprintf("catalogue_test_%d_%s", os.Getpid(), strings.ToLower(rand.Text()[:8]))}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	if raw := os.Getenv(EnvVar); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return nil, fmt.Errorf("testdb: %s must be a postgres:// URL", EnvVar)
		}
		e.base = u
	} else if err := e.startCluster(ctx); err != nil {
		return nil, err
	}

	e.admin, err = sqlx.Open("postgres", e.base.String())
	if err != nil {
		return nil, fmt.Errorf("testdb: %w", err)
	}
	if err := e.admin.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("testdb: connecting to %s: %w", e.base.Redacted(), err)
	}
	e.handleSignals()

	e.owner = roles.Login{Name: e.prefix + "_owner", Password: rand.Text()}
	e.runtime = roles.Login{Name: e.prefix + "_runtime", Password: rand.Text()}
	e.OwnerRole, e.RuntimeRole = e.owner.Name, e.runtime.Name
	if err := roles.Ensure(ctx, e.admin.DB, e.owner, e.runtime); err != nil {
		return nil, fmt.Errorf("testdb: %w", err)
	}

	e.Template = e.prefix + "_tmpl"
	if err := e.exec(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(e.Template)+" OWNER "+pq.QuoteIdentifier(e.OwnerRole)); err != nil {
		return nil, err
	}
	if err := e.prepareTemplate(ctx, prepare); err != nil {
		return nil, err
	}
	// Nobody may connect to the template: a session on it would make every
	// copy fail with "source database is being accessed by other users".
	if err := e.exec(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(e.Template)+" ALLOW_CONNECTIONS false"); err != nil {
		return nil, err
	}

	e.DB, e.URL, err = e.NewDatabase(ctx)
	if err != nil {
		return nil, err
	}
	e.RuntimeDB, e.RuntimeURL, err = e.Runtime(ctx, e.URL)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// startCluster starts a throwaway cluster in a new temporary folder, after
// clearing away those left by killed test processes.
func (e *Env) startCluster(ctx context.Context) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sweepAbandoned(ctx, log)
	dir, err := os.MkdirTemp("", tmpPattern)
	if err != nil {
		return fmt.Errorf("testdb: %w", err)
	}
	e.tmpDir = dir
	// Enterable (not listable) by others: as root, the server runs as the
	// postgres user and must reach its data folder inside.
	if err := os.Chmod(dir, 0o711); err != nil {
		return fmt.Errorf("testdb: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("testdb: %w", err)
	}
	e.cluster, err = pgembed.Start(ctx, pgembed.Options{Dir: filepath.Join(dir, "pg"), Ephemeral: true, Log: log})
	if errors.Is(err, pgembed.ErrNotFound) {
		return fmt.Errorf("testdb: %w (or set %s to a superuser URL of an existing server)", err, EnvVar)
	}
	if err != nil {
		return fmt.Errorf("testdb: %w", err)
	}
	e.base, err = url.Parse(e.cluster.URL("postgres"))
	if err != nil {
		return fmt.Errorf("testdb: %w", err)
	}
	return nil
}

// prepareTemplate runs prepare on the template database as the owner.
func (e *Env) prepareTemplate(ctx context.Context, prepare func(ctx context.Context, db *sqlx.DB) error) error {
	db, err := sqlx.Open("postgres", e.roleURL(e.Template, e.owner))
	if err != nil {
		return fmt.Errorf("testdb: %w", err)
	}
	defer db.Close()
	if prepare == nil {
		return nil
	}
	if err := prepare(ctx, db); err != nil {
		return fmt.Errorf("testdb: preparing the template database: %w", err)
	}
	return nil
}

// NewDatabase creates another fresh copy of the template database, for tests
// that write and must not disturb others. It returns a pool on it as the
// superuser and its URL (Runtime connects as the runtime role); Close closes
// the pool and gets rid of the database. It is safe for concurrent use.
func (e *Env) NewDatabase(ctx context.Context) (*sqlx.DB, string, error) {
	e.mu.Lock()
	e.n++
	name := fmt.Sprintf("%s_%d", e.prefix, e.n)
	e.dbs = append(e.dbs, name)
	e.mu.Unlock()

	if err := e.exec(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE "+pq.QuoteIdentifier(e.Template)+
		" OWNER "+pq.QuoteIdentifier(e.OwnerRole)); err != nil {
		return nil, "", err
	}
	u := e.dbURL(name)
	db, err := sqlx.Open("postgres", u)
	if err != nil {
		return nil, "", fmt.Errorf("testdb: %w", err)
	}
	e.mu.Lock()
	e.handles = append(e.handles, db)
	e.mu.Unlock()
	if err := db.PingContext(ctx); err != nil {
		return nil, "", fmt.Errorf("testdb: connecting to %s: %w", name, err)
	}
	return db, u, nil
}

// RuntimePool opens the runtime role's pools (Runtime); a test package
// whose handler connects as the server does sets it to the server's own
// opener (db.Open, which this package cannot import).
var RuntimePool = func(_ context.Context, url string) (*sqlx.DB, error) { return sqlx.Open("postgres", url) }

// Runtime opens a pool as the runtime role on the database of dbURL (a URL
// Setup or NewDatabase returned) and returns it with its URL; Close closes
// it.
func (e *Env) Runtime(ctx context.Context, dbURL string) (*sqlx.DB, string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, "", fmt.Errorf("testdb: %w", err)
	}
	ru := e.roleURL(strings.TrimPrefix(u.Path, "/"), e.runtime)
	db, err := RuntimePool(ctx, ru)
	if err != nil {
		return nil, "", fmt.Errorf("testdb: %w", err)
	}
	e.mu.Lock()
	e.handles = append(e.handles, db)
	e.mu.Unlock()
	if err := db.PingContext(ctx); err != nil {
		return nil, "", fmt.Errorf("testdb: connecting to %s as %s: %w", u.Path, e.RuntimeRole, err)
	}
	return db, ru, nil
}

// Close closes every pool Env handed out and gets rid of its databases: on a
// TEST_DATABASE_URL server it drops them; a throwaway cluster it stops and
// removes whole. Problems are reported on stderr, as there is nobody left to
// return them to. Calling Close again does nothing.
func (e *Env) Close() {
	e.closeOnce.Do(func() {
		if e.stopSignals != nil {
			e.stopSignals()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()

		e.mu.Lock()
		handles, dbs := e.handles, e.dbs
		e.handles, e.dbs = nil, nil
		e.mu.Unlock()
		for _, h := range handles {
			h.Close()
		}
		if e.admin != nil {
			if e.cluster == nil {
				if e.Template != "" {
					dbs = append(dbs, e.Template)
				}
				for _, name := range dbs {
					if err := e.exec(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
						fmt.Fprintln(os.Stderr, err)
					}
				}
				for _, role := range []string{e.RuntimeRole, e.OwnerRole} {
					if role == "" {
						continue
					}
					if err := e.exec(ctx, "DROP ROLE IF EXISTS "+pq.QuoteIdentifier(role)); err != nil {
						fmt.Fprintln(os.Stderr, err)
					}
				}
			}
			e.admin.Close()
		}
		if e.cluster != nil {
			if err := e.cluster.Stop(); err != nil {
				fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
			}
		}
		if e.tmpDir != "" {
			if err := os.RemoveAll(e.tmpDir); err != nil {
				fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
			}
		}
	})
}

// handleSignals makes an interrupt clean up before the process exits, which
// it would otherwise do at once, leaving the cluster running.
func (e *Env) handleSignals() {
	ch := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	var once sync.Once
	e.stopSignals = func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
		})
	}
	go func() {
		select {
		case sig := <-ch:
			fmt.Fprintf(os.Stderr, "testdb: %v: removing test databases\n", sig)
			e.Close()
			os.Exit(1)
		case <-done:
		}
	}()
}

func (e *Env) exec(ctx context.Context, q string) error {
	if _, err := e.admin.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("testdb: %s: %w", q, err)
	}
	return nil
}

// dbURL returns the server's URL with database name in place of the
// maintenance database, keeping user, password and parameters.
func (e *Env) dbURL(name string) string {
	u := *e.base
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// roleURL is dbURL(name) connecting as l.
func (e *Env) roleURL(name string, l roles.Login) string {
	u, err := url.Parse(e.dbURL(name))
	if err != nil {
		panic(err) // dbURL's own output
	}
	u.User = url.UserPassword(l.Name, l.Password)
	return u.String()
}

// sweepAbandoned stops the clusters and removes the temporary folders of
// test processes that no longer run (killed before their Close).
func sweepAbandoned(ctx context.Context, log *slog.Logger) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tmpPattern+"*"))
	for _, dir := range dirs {
		if !abandoned(dir) {
			continue
		}
		data := filepath.Join(dir, "pg")
		if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err == nil {
			if err := pgembed.StopDir(ctx, data); err != nil {
				log.Warn("cannot stop the cluster of a killed test process", "dir", data, "err", err)
				continue
			}
		}
		if err := os.RemoveAll(dir); err != nil {
			log.Warn("cannot remove the folder of a killed test process", "dir", dir, "err", err)
		}
	}
}

// abandoned tells whether the process that made folder dir is gone. A folder
// without owner file may be in the making, so it counts only once old.
func abandoned(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, ownerFile))
	pid, perr := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || perr != nil || pid <= 0 {
		fi, err := os.Stat(dir)
		return err == nil && time.Since(fi.ModTime()) > time.Hour
	}
	return !alive(pid)
}

// alive tells whether process pid runs. A zombie, which stays when its
// parent died where PID 1 does not reap orphans, does not.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if err := p.Signal(syscall.Signal(0)); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc: trust the signal
	}
	// "PID (COMM) STATE ...", where COMM may hold spaces and parentheses.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z' && stat[i+2] != 'X'
	}
	return true
}
