package main

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"catalogue/db"
	"catalogue/internal/config"
)

// openStore wraps the primary's pool and, with DATABASE_READ_URL, opens the
// standbys' pools and watches them until ctx ends. A standby that is down
// at start-up does not stop the server: reads go to the primary until it
// checks out. The returned function stops the watch and closes the pools.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger, primary *sqlx.DB) (*db.Store, func(), error) {
	if len(cfg.DatabaseReadURLs) == 0 {
		return db.NewStore(primary), func() {}, nil
	}
	var pools []*sqlx.DB
	closeAll := func() {
		for _, p := range pools {
			p.Close()
		}
	}
	for i, url := range cfg.DatabaseReadURLs {
		log.Info("standby for reads", "name", "standby"+strconv.Itoa(i+1), "url", config.MaskURL(url))
		p, err := db.Open(ctx, url, db.PoolConfig{MaxOpen: cfg.DBMaxConns, MaxIdle: cfg.DBMaxConns, MaxLifetime: time.Hour, Lazy: true, Statements: cfg.DBStatements})
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		pools = append(pools, p)
	}
	store := db.NewStoreWithStandbys(primary, pools, db.StandbyConfig{
		MaxLag:        cfg.ReadMaxLag,
		MaxLagBytes:   int64(cfg.ReadMaxLagBytes),
		CheckInterval: cfg.ReadCheckInterval,
		Log:           log,
	})
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { store.WatchStandbys(wctx) })
	return store, func() {
		stop()
		wg.Wait()
		closeAll()
	}, nil
}
