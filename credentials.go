package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"catalogue/db"
	"catalogue/internal/auth"
	"catalogue/internal/config"
)

// demoTenant is the tenant whose owner the development token speaks for.
const demoTenant = "acme-music"

// jwtSecret is JWT_HS256_SECRET, or with DEV_AUTH a random secret kept in
// the data folder (so tokens survive restarts), or nil.
func jwtSecret(cfg config.Config) ([]byte, error) {
	if cfg.JWTSecret != "" {
		return []byte(cfg.JWTSecret), nil
	}
	if !cfg.DevAuth {
		return nil, nil
	}
	path := filepath.Join(cfg.DataDir, "jwt-hs256.secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	secret := hex.EncodeToString(raw)
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("store development JWT secret: %w", err)
	}
	return []byte(secret), nil
}

// devTokenTTL is the lifetime of a development token. The playground gets
// a new one with every page load, so it can be short.
const devTokenTTL = time.Hour

// devCredentials finds the owner of the demo tenant (an ordinary OWNER, no
// platform role) and returns what mints, for each playground page served to
// this machine, a short-lived token of that owner in the playground's
// headers; nil when the demo tenant has no such owner.
func devCredentials(ctx context.Context, store *db.Store, secret []byte, log *slog.Logger) (func() (map[string]string, error), error) {
	ss := store.Session(db.AllTenants(), db.FromPrimary)
	owner, err := db.TenantOwner(ctx, ss, demoTenant)
	ss.End(ctx)
	if errors.Is(err, db.ErrNotFound) {
		log.Info("no active OWNER of the demo tenant without a platform role to sign for: the playground needs credentials"+
			" (no demo data, or demo data loaded by an older version, which made that owner a platform administrator:"+
			" make clean-data reloads it)", "tenant", demoTenant)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	log.Info("development credentials (DEV_AUTH): the playground served to this machine sends a token of the demo tenant's owner",
		"tenant", demoTenant, "user", owner, "ttl", devTokenTTL)
	return func() (map[string]string, error) {
		tok, err := auth.SignHS256(secret, owner, demoTenant, devTokenTTL)
		if err != nil {
			return nil, err
		}
		return map[string]string{"Authorization": "Bearer " + tok}, nil
	}, nil
}

// token prints a bearer token for a user.
func token(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	user := fs.String("user", "", "email or UUID of the user")
	tenant := fs.String("tenant", "", "slug of the tenant to act in (X-Tenant), optional")
	ttl := fs.Duration("ttl", 24*time.Hour, "lifetime of the token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *user == "" {
		return errors.New("token: -user is required")
	}
	secret, err := jwtSecret(cfg)
	if err != nil {
		return err
	}
	if secret == nil {
		return errors.New("token: set JWT_HS256_SECRET (or DEV_AUTH=true) to sign tokens")
	}
	return withOwner(ctx, cfg, log, func(x *sqlx.DB) error {
		id := *user
		if _, err := uuid.Parse(id); err != nil {
			ss := db.NewStore(x).Session(db.AllTenants(), db.FromPrimary)
			id, err = db.UserIDByEmail(ctx, ss, *user)
			ss.End(ctx)
			if err != nil {
				return fmt.Errorf("token: user %q: %w", *user, err)
			}
		}
		tok, err := auth.SignHS256(secret, id, *tenant, *ttl)
		if err != nil {
			return err
		}
		fmt.Println("Bearer " + tok)
		return nil
	})
}

// apiKey creates an API key and prints the Authorization value once.
func apiKey(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("apikey", flag.ContinueOnError)
	tenant := fs.String("tenant", "", "slug of the tenant")
	name := fs.String("name", "command line", "label of the key")
	role := fs.String("role", "USER", "role of the key: USER, ADMIN or OWNER")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch *role {
	case "USER", "ADMIN", "OWNER":
	default:
		return fmt.Errorf("apikey: -role must be USER, ADMIN or OWNER")
	}
	return withOwner(ctx, cfg, log, func(x *sqlx.DB) error {
		var key *db.NewAPIKey
		err := db.NewStore(x).InTx(ctx, db.AllTenants(), func(tx *db.Tx) error {
			tenantID, err := db.TenantIDBySlug(ctx, tx, *tenant)
			if err != nil {
				return fmt.Errorf("apikey: tenant %q: %w", *tenant, err)
			}
			key, err = db.CreateAPIKey(ctx, tx, tenantID, *name, *role, nil)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Println(key.Key.KeyID + ":" + key.Secret)
		return nil
	})
}
