// Command catalogue serves the catalogue graph: a GraphQL API over
// PostgreSQL for a multi-tenant music-distribution platform.
//
//	catalogue [serve]        serve the API (default)
//	catalogue migrate        apply database migrations and exit
//	catalogue seed [flags]   load deterministic demo data into an empty database
//	catalogue token [flags]  print a bearer token for a user (HS256 secret needed)
//	catalogue apikey [flags] create an API key for a tenant and print it once
//	catalogue schema         print the GraphQL schema (SDL)
//
// With no DATABASE_URL the server starts a private PostgreSQL in DATA_DIR,
// migrates it and loads demo data on first start.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"

	"catalogue/db"
	"catalogue/internal/api"
	"catalogue/internal/auth"
	"catalogue/internal/config"
	"catalogue/internal/pgembed"
	"catalogue/internal/roles"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "catalogue:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	// Requests allocate many short-lived objects and the heap stays small
	// (tens of MiB), so collecting half as often trades a little memory for
	// CPU. GOGC in the environment still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
	case "migrate":
		return withOwner(ctx, cfg, log, func(x *sqlx.DB) error { return migrate(ctx, x, log) })
	case "seed":
		return seed(ctx, cfg, log, args)
	case "token":
		return token(ctx, cfg, log, args)
	case "apikey":
		return apiKey(ctx, cfg, log, args)
	case "schema":
		_, err := fmt.Print(api.SchemaSDL())
		return err
	case "help", "-h", "--help":
		fmt.Println(`usage: catalogue [command]
  serve                    serve the API (default)
  migrate                  apply database migrations
  seed [-users N] [-tenants N] [-artists N] [-releases N] [-tracks-per-release N]
                           load deterministic data into an empty database
  token -user EMAIL|UUID [-tenant SLUG] [-ttl 24h]
                           print a bearer token signed with the HS256 secret
  apikey -tenant SLUG [-name NAME] [-role USER|ADMIN|OWNER]
                           create an API key and print its Authorization value once
  schema                   print the GraphQL schema (SDL) to stdout`)
		return nil
	}
	return fmt.Errorf("unknown command %q; want serve, migrate or seed", cmd)
}

func newLogger(cfg config.Config) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// databases are the connection URLs of the server's two roles (README,
// "Database roles"): the owner of the schema runs the migrations, seeds and
// serves the command-line tools; the runtime role, which owns nothing and
// which row-level security binds, serves requests.
type databases struct {
	owner, runtime string
	// listen is the runtime role's URL for the LISTEN connection
	// (DATABASE_LISTEN_URL; runtime when unset).
	listen string
}

// withDatabases finds the URLs, DATABASE_URL (runtime) and
// DATABASE_MIGRATE_URL (owner; DATABASE_URL when unset), or starts the
// embedded PostgreSQL (stopped afterwards if this call started it) and
// makes its roles, and runs fn.
func withDatabases(ctx context.Context, cfg config.Config, log *slog.Logger, fn func(databases) error) error {
	if cfg.DatabaseURL != "" {
		dbs := databases{owner: cfg.DatabaseMigrateURL, runtime: cfg.DatabaseURL, listen: cfg.DatabaseListenURL}
		if dbs.owner == "" {
			dbs.owner = dbs.runtime
		}
		if dbs.listen == "" {
			dbs.listen = dbs.runtime
		}
		return fn(dbs)
	}
	dir, err := filepath.Abs(filepath.Join(cfg.DataDir, "postgres"))
	if err != nil {
		return err
	}
	log.Info("starting embedded PostgreSQL", "dir", dir)
	cluster, err := pgembed.Start(ctx, pgembed.Options{Dir: dir, Log: log})
	if err != nil {
		return err
	}
	if !cluster.Reused {
		defer func() {
			if err := cluster.Stop(); err != nil {
				log.Warn("stop embedded PostgreSQL", "err", err)
			}
		}()
	}
	// The demo lives in the maintenance database, as it always has.
	const dbname = "postgres"
	if err := embeddedRoles(ctx, cluster, dbname); err != nil {
		return err
	}
	runtime := cluster.LoginURL(roles.Runtime, dbname)
	return fn(databases{owner: cluster.LoginURL(roles.Owner, dbname), runtime: runtime, listen: runtime})
}

// embeddedRoles creates the owner and runtime roles of the embedded cluster
// and hands the schema to the owner (which also upgrades a cluster whose
// migrations ran as the superuser).
func embeddedRoles(ctx context.Context, cluster *pgembed.Cluster, dbname string) error {
	su, err := sql.Open("postgres", cluster.URL(dbname))
	if err != nil {
		return err
	}
	defer su.Close()
	owner := roles.Login{Name: roles.Owner, Password: cluster.RolePassword(roles.Owner)}
	runtime := roles.Login{Name: roles.Runtime, Password: cluster.RolePassword(roles.Runtime)}
	if err := roles.Ensure(ctx, su, owner, runtime); err != nil {
		return err
	}
	return roles.Adopt(ctx, su, roles.Owner)
}

// withOwner connects as the schema's owner and runs fn.
func withOwner(ctx context.Context, cfg config.Config, log *slog.Logger, fn func(*sqlx.DB) error) error {
	return withDatabases(ctx, cfg, log, func(dbs databases) error {
		x, err := connect(ctx, log, "owner", dbs.owner, 4, 0)
		if err != nil {
			return err
		}
		defer x.Close()
		return fn(x)
	})
}

func connect(ctx context.Context, log *slog.Logger, role, url string, conns, statements int) (*sqlx.DB, error) {
	log.Info("connecting to database", "as", role, "url", config.MaskURL(url))
	return db.Open(ctx, url, db.PoolConfig{MaxOpen: conns, MaxIdle: conns, MaxLifetime: time.Hour, Statements: statements})
}

func migrate(ctx context.Context, x *sqlx.DB, log *slog.Logger) error {
	applied, err := db.Migrate(ctx, x)
	if err != nil {
		return err
	}
	log.Info("database migrated", "applied", applied)
	return nil
}

func seed(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	var sc db.SeedConfig
	fs.IntVar(&sc.Tenants, "tenants", db.DemoSeed.Tenants, "top-level tenants (every 4th gets a subsidiary)")
	fs.IntVar(&sc.Users, "users", db.DemoSeed.Users, "users, each with a membership")
	fs.IntVar(&sc.Artists, "artists", db.DemoSeed.Artists, "artists")
	fs.IntVar(&sc.Releases, "releases", db.DemoSeed.Releases, "releases")
	fs.IntVar(&sc.TracksPerRelease, "tracks-per-release", db.DemoSeed.TracksPerRelease, "average tracks per release")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return withOwner(ctx, cfg, log, func(x *sqlx.DB) error {
		if err := migrate(ctx, x, log); err != nil {
			return err
		}
		start := time.Now()
		if err := db.Seed(ctx, x, sc); err != nil {
			return err
		}
		log.Info("demo data loaded", "config", fmt.Sprintf("%+v", sc), "took", time.Since(start).Round(time.Millisecond))
		return nil
	})
}

// prepare opens the runtime role's pool, refusing a role that row-level
// security would not bind, migrates the database as its owner, seeds it
// when asked and empty, and makes sure the runtime role may switch to the
// request role.
func prepare(ctx context.Context, cfg config.Config, log *slog.Logger, dbs databases) (_ *sqlx.DB, err error) {
	x, err := connect(ctx, log, "runtime", dbs.runtime, cfg.DBMaxConns, cfg.DBStatements)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			x.Close()
		}
	}()
	role, err := db.RoleOf(ctx, x)
	if err != nil {
		return nil, err
	}
	if err := role.ServeCheck(); err != nil {
		return nil, err
	}

	owner, err := connect(ctx, log, "owner", dbs.owner, 2, 0)
	if err != nil {
		return nil, err
	}
	defer owner.Close()
	if err := migrate(ctx, owner, log); err != nil {
		return nil, err
	}
	if cfg.Seed {
		empty, err := db.IsEmpty(ctx, owner)
		if err != nil {
			return nil, err
		}
		if empty {
			start := time.Now()
			switch err := db.Seed(ctx, owner, db.DemoSeed); {
			case errors.Is(err, db.ErrSeedNotEmpty): // another process seeded it meanwhile
			case err != nil:
				return nil, err
			default:
				log.Info("empty database: demo data loaded", "took", time.Since(start).Round(time.Millisecond))
			}
		}
	}

	// Migrations may have made the request role and the tables.
	if role, err = db.RoleOf(ctx, x); err != nil {
		return nil, err
	}
	if !role.AppMember {
		log.Info("granting the request role to the runtime role", "role", role.Name, "request_role", db.AppRole)
		if err := db.GrantAppRole(ctx, owner, role.Name); err != nil {
			return nil, err
		}
	}
	if role.OwnedTables > 0 {
		log.Warn("the server connects as the role that owns the tables: row-level security binds it (FORCE), but it could lift the policies;"+
			" set DATABASE_MIGRATE_URL to the owner and DATABASE_URL to a role that owns nothing",
			"role", role.Name, "tables", role.OwnedTables)
	}
	return x, nil
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	return withDatabases(ctx, cfg, log, func(dbs databases) error {
		x, err := prepare(ctx, cfg, log, dbs)
		if err != nil {
			return err
		}
		defer x.Close()
		store, closeStandbys, err := openStore(ctx, cfg, log, x)
		if err != nil {
			return err
		}
		defer closeStandbys()
		secret, err := jwtSecret(cfg)
		if err != nil {
			return err
		}
		verifier, err := auth.NewTokenVerifier(auth.TokenConfig{
			HS256Secret: secret, PublicKeyFile: cfg.JWTPublicKeyFile, JWKSFile: cfg.JWTJWKSFile,
			Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, Leeway: cfg.JWTLeeway,
		})
		if err != nil {
			return err
		}
		var credentials func() (map[string]string, error)
		if cfg.DevAuth && secret != nil {
			if credentials, err = devCredentials(ctx, store, secret, log); err != nil {
				return err
			}
		}
		authn := auth.NewAuthenticator(store, verifier, auth.CacheConfig{TTL: cfg.AuthCacheTTL, Size: cfg.AuthCacheSize})
		// One listening connection per process feeds every subscription.
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		events, err := db.ListenEvents(lctx, dbs.listen, db.EventsConfig{Log: log})
		cancel()
		if err != nil {
			return err
		}
		defer events.Close()
		tracer, stopTracing, err := startTracing(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer stopTracing()
		handler := api.New(store, log, api.Config{
			RequestTimeout:        cfg.RequestTimeout,
			MaxDepth:              cfg.MaxDepth,
			MaxCost:               cfg.MaxCost,
			SQLStats:              cfg.SQLStats,
			Playground:            cfg.Playground,
			LoaderWait:            cfg.LoaderWait,
			Auth:                  authn,
			PlaygroundCredentials: credentials,
			CORSOrigins:           cfg.CORSOrigins,
			CORSMaxAge:            cfg.CORSMaxAge,
			MaxBatch:              cfg.MaxBatch,
			TenantMaxConns:        cfg.DBTenantMaxConns,
			MaxSearchTerms:        cfg.MaxSearchTerms,
			Events:                events,
			Metrics:               newMetrics(cfg),
			Tracing:               tracer,
			MaxBodyBytes:          int64(cfg.MaxBodyBytes),
			MaxTokens:             cfg.MaxQueryTokens,
			MaxResponseBytes:      cfg.MaxResponseBytes,
			DocumentLimits: api.DocumentLimits{
				MaxFields:              cfg.MaxQueryFields,
				MaxSelectionFields:     cfg.MaxSelectionFields,
				MaxAliases:             cfg.MaxQueryAliases,
				MaxFieldDirectives:     cfg.MaxFieldDirectives,
				MaxDirectives:          cfg.MaxQueryDirectives,
				MaxFragmentSpreads:     cfg.MaxFragmentSpreads,
				MaxIntrospectionFields: cfg.MaxIntrospectionFields,
				MaxIntrospectionDepth:  cfg.MaxIntrospectionDepth,
			},
		})
		srv := &http.Server{
			Addr:              net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)),
			Handler:           handler,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      cfg.RequestTimeout + 5*time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		errc := make(chan error, 1)
		// Listen before saying so, so that a taken port is the error.
		ln, err := net.Listen("tcp", srv.Addr)
		if err != nil {
			return err
		}
		base := "http://" + net.JoinHostPort(browsable(cfg.Host), strconv.Itoa(cfg.Port))
		log.Info("serving", "listen", ln.Addr().String(), "playground", base+"/", "api", base+"/graphql")
		go func() { errc <- srv.Serve(ln) }()
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		log.Info("shutting down", "grace", cfg.ShutdownGrace)
		// Subscriptions end first (their clients are told why), so that
		// server-sent event streams do not hold Shutdown for its grace.
		events.Close()
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			_ = srv.Close()
			return fmt.Errorf("shutdown: %w", err)
		}
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
}

// browsable is the host part of a URL that reaches a server listening on
// host: localhost for every interface, else host.
func browsable(host string) string {
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		return "localhost"
	}
	return host
}
