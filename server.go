// Command catalogue serves the catalogue graph: a GraphQL API over
// PostgreSQL for a multi-tenant music-distribution platform.
//
//	catalogue [serve]        serve the API (default)
//	catalogue migrate        apply database migrations and exit
//	catalogue seed [flags]   load deterministic demo data into an empty database
//	catalogue token [flags]  print a bearer token for a user (HS256 secret needed)
//	catalogue apikey [flags] create an API key for a tenant and print it once
//
// With no DATABASE_URL the server starts a private PostgreSQL in DATA_DIR,
// migrates it and loads demo data on first start.
package main

import (
	"context"
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
		return withDatabase(ctx, cfg, log, func(x *sqlx.DB) error { return migrate(ctx, x, log) })
	case "seed":
		return seed(ctx, cfg, log, args)
	case "token":
		return token(ctx, cfg, log, args)
	case "apikey":
		return apiKey(ctx, cfg, log, args)
	case "help", "-h", "--help":
		fmt.Println(`usage: catalogue [command]
  serve                    serve the API (default)
  migrate                  apply database migrations
  seed [-users N] [-tenants N] [-artists N] [-releases N] [-tracks-per-release N]
                           load deterministic data into an empty database
  token -user EMAIL|UUID [-tenant SLUG] [-ttl 24h]
                           print a bearer token signed with the HS256 secret
  apikey -tenant SLUG [-name NAME] [-role USER|ADMIN|OWNER]
                           create an API key and print its Authorization value once`)
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

// withDatabase connects to DATABASE_URL, or to the embedded PostgreSQL
// (started if needed and stopped afterwards), and runs fn.
func withDatabase(ctx context.Context, cfg config.Config, log *slog.Logger, fn func(*sqlx.DB) error) error {
	url := cfg.DatabaseURL
	if url == "" {
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
		url = cluster.URL("postgres")
	}
	log.Info("connecting to database", "url", config.MaskURL(url))
	x, err := db.Open(ctx, url, db.PoolConfig{MaxOpen: cfg.DBMaxConns, MaxIdle: cfg.DBMaxConns, MaxLifetime: time.Hour})
	if err != nil {
		return err
	}
	defer x.Close()
	return fn(x)
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
	return withDatabase(ctx, cfg, log, func(x *sqlx.DB) error {
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

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	return withDatabase(ctx, cfg, log, func(x *sqlx.DB) error {
		if err := migrate(ctx, x, log); err != nil {
			return err
		}
		if cfg.Seed {
			empty, err := db.IsEmpty(ctx, x)
			if err != nil {
				return err
			}
			if empty {
				start := time.Now()
				if err := db.Seed(ctx, x, db.DemoSeed); err != nil {
					return err
				}
				log.Info("empty database: demo data loaded", "took", time.Since(start).Round(time.Millisecond))
			}
		}
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
		var headers map[string]string
		if cfg.DevAuth && secret != nil {
			if headers, err = devCredentials(ctx, store, secret, log); err != nil {
				return err
			}
		}
		handler := api.New(store, log, api.Config{
			RequestTimeout:    cfg.RequestTimeout,
			MaxDepth:          cfg.MaxDepth,
			MaxCost:           cfg.MaxCost,
			SQLStats:          cfg.SQLStats,
			Playground:        cfg.Playground,
			LoaderWait:        cfg.LoaderWait,
			Auth:              auth.NewAuthenticator(store, verifier),
			PlaygroundHeaders: headers,
		})
		srv := &http.Server{
			Addr:              net.JoinHostPort("", strconv.Itoa(cfg.Port)),
			Handler:           handler,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      cfg.RequestTimeout + 5*time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		errc := make(chan error, 1)
		go func() {
			log.Info("serving", "playground", fmt.Sprintf("http://localhost:%d/", cfg.Port),
				"api", fmt.Sprintf("http://localhost:%d/graphql", cfg.Port))
			errc <- srv.ListenAndServe()
		}()
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		log.Info("shutting down", "grace", cfg.ShutdownGrace)
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
