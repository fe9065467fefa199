package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Read routing. A Store may have standbys (hot standbys streaming from the
// primary) beside its primary pool. A read session whose hint allows it
// runs on a usable standby: one that answered the last background check as
// a standby, within the lag bounds, and, when the session names a commit
// position, that has replayed at least that far. Everything else runs on the
// primary: writes, reads that must see them, and reads when no standby
// qualifies. Routing never makes a request hold two connections: a session
// that cannot use the standby it tried gives that connection back before it
// takes one from the primary.

// ReadHint says where a read session may run.
type ReadHint struct {
	// Standby lets a standby serve the session; without it the session
	// runs on the primary.
	Standby bool
	// MinLSN is the commit position the session must see: a standby
	// serves it only once it has replayed that far. Zero asks for nothing.
	MinLSN LSN
}

// FromPrimary is the hint of reads that must see the primary: those of
// mutations, which read what they have just written.
var FromPrimary = ReadHint{}

// FromStandby is the hint of a query operation: a standby may serve it if
// it has replayed at least up to min (zero: any position).
func FromStandby(min LSN) ReadHint { return ReadHint{Standby: true, MinLSN: min} }

// StandbyConfig bounds how stale a standby may be and how often it is
// checked. Zero values take the defaults in the README.
type StandbyConfig struct {
	// MaxLag is the longest a standby may trail the primary (default 5s).
	MaxLag time.Duration
	// MaxLagBytes is the most WAL a standby may have left to replay
	// (default 16 MiB).
	MaxLagBytes int64
	// CheckInterval is how often the primary's position and each standby's
	// replay position are read (default 200ms).
	CheckInterval time.Duration
	// Log receives the standbys' changes of state; nil discards them.
	Log *slog.Logger
}

func (c *StandbyConfig) defaults() {
	if c.MaxLag <= 0 {
		c.MaxLag = 5 * time.Second
	}
	if c.MaxLagBytes <= 0 {
		c.MaxLagBytes = 16 << 20
	}
	if c.CheckInterval <= 0 {
		c.CheckInterval = 200 * time.Millisecond
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// NewStoreWithStandbys wraps the primary's pool and the pools of its
// standbys, named standby1, standby2, ... in the order given. Standbys
// serve nothing until WatchStandbys has found them usable.
func NewStoreWithStandbys(primary *sqlx.DB, standbys []*sqlx.DB, cfg StandbyConfig) *Store {
	cfg.defaults()
	s := &Store{x: primary, cfg: cfg, replayExpr: "pg_last_wal_replay_lsn()"}
	for i, x := range standbys {
		sb := &standby{name: fmt.Sprintf("standby%d", i+1), x: x}
		sb.state.problem = "not checked yet"
		s.standbys = append(s.standbys, sb)
	}
	return s
}

// standby is one standby's pool and what is known of it.
type standby struct {
	name  string
	x     *sqlx.DB
	reads atomic.Int64 // read sessions it served

	mu    sync.Mutex
	state standbyState
}

type standbyState struct {
	usable    bool
	problem   string // why it is not usable
	replayed  LSN
	lag       time.Duration
	lagBytes  int64
	checkedAt time.Time
}

func (sb *standby) snapshot() standbyState {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.state
}

// sawReplay records a replay position a request read; positions only grow.
func (sb *standby) sawReplay(at LSN) {
	sb.mu.Lock()
	if at > sb.state.replayed {
		sb.state.replayed = at
	}
	sb.mu.Unlock()
}

// set replaces the state and logs a change of usability.
func (sb *standby) set(st standbyState, log *slog.Logger) {
	sb.mu.Lock()
	was := sb.state
	sb.state = st
	sb.mu.Unlock()
	switch {
	case st.usable && !was.usable:
		log.Info("standby serves reads", "standby", sb.name, "replayed", st.replayed.String(), "lag", st.lag)
	case !st.usable && (was.usable || was.checkedAt.IsZero()):
		log.Warn("standby skipped: reads go to the primary", "standby", sb.name, "problem", st.problem)
	}
}

// markDown takes the standby out of rotation until a check finds it usable
// again: a request met a connection failure on it.
func (sb *standby) markDown(err error, log *slog.Logger) {
	sb.mu.Lock()
	was := sb.state.usable
	sb.state.usable = false
	sb.state.problem = "connection failed: " + err.Error()
	sb.mu.Unlock()
	if was {
		log.Warn("standby failed: reads go to the primary until it checks out", "standby", sb.name, "err", err)
	}
}

// routing holds the Store's routing counters and the primary's recent
// positions, from which standby lag is measured.
type routing struct {
	rr            atomic.Uint64 // round robin among usable standbys
	forWrites     atomic.Int64  // sessions whose hint asked for the primary
	noStandby     atomic.Int64  // no usable standby
	behindCommit  atomic.Int64  // the standby tried had not replayed the commit position
	standbyFailed atomic.Int64  // opening the session on a standby failed
	reruns        atomic.Int64  // operations run again on the primary after a standby failed under them

	mu      sync.Mutex
	samples []lsnSample // the primary's position over the last while, oldest first
}

type lsnSample struct {
	lsn LSN
	at  time.Time
}

// HasStandbys reports whether the store routes reads to standbys.
func (s *Store) HasStandbys() bool { return len(s.standbys) > 0 }

// pickStandby chooses the standby to try for a session that must see min:
// among the usable ones, those known to have replayed min, in turn; else
// the one furthest ahead, which the session's opening checks again.
func (s *Store) pickStandby(min LSN) *standby {
	var ready []*standby
	var ahead *standby
	var aheadAt LSN
	for _, sb := range s.standbys {
		st := sb.snapshot()
		if !st.usable {
			continue
		}
		if st.replayed >= min {
			ready = append(ready, sb)
		} else if ahead == nil || st.replayed > aheadAt {
			ahead, aheadAt = sb, st.replayed
		}
	}
	if len(ready) > 0 {
		return ready[int(s.route.rr.Add(1)%uint64(len(ready)))]
	}
	return ahead
}

// errBehind is a standby that has not replayed the position a session needs.
var errBehind = errors.New("standby has not replayed the commit position yet")

// errNotStandby is a "standby" that is not in recovery: promoted, or
// misconfigured. Reading from it could miss the primary's writes.
var errNotStandby = errors.New("not in recovery: promoted, or not a standby")

// openStandby opens a request's read transaction on a standby that has
// replayed min, or returns nil (having counted why) when the session must
// use the primary. A read that must see a commit (min > 0) asks for the
// replay position in a round trip of its own before the transaction takes
// its snapshot, so that the snapshot holds everything replayed by then;
// the preamble reads the position again, for the lag reports and to find a
// promoted standby.
func (s *Store) openStandby(ctx context.Context, sc Scope, min LSN) (*sqlx.Conn, *standby, func()) {
	sb := s.pickStandby(min)
	if sb == nil {
		s.route.noStandby.Add(1)
		return nil, nil, nil
	}
	deadline, hasDeadline := ctx.Deadline()
	pre, err := preamble(sc, false, deadline, hasDeadline)
	if err != nil {
		return nil, nil, nil // the primary's open reports it
	}
	pre += ", " + s.replayExpr + "::text"
	// A standby's connection counts against the tenant's slots like the
	// primary's; a tenant without a free slot is refused by the primary's
	// open, which waits the same way.
	leave, err := enter(ctx)
	if err != nil {
		return nil, nil, nil
	}
	conn, err := func() (*sqlx.Conn, error) {
		defer track(ctx, true, "BEGIN")()
		conn, err := sb.x.Connx(ctx)
		if err != nil {
			return nil, err
		}
		if min > 0 {
			// Read in the statement that takes the snapshot, the
			// position could include a commit replayed while it runs
			// and missing from the snapshot.
			var before LSN
			if err := conn.QueryRowContext(ctx, "SELECT "+s.replayExpr+"::text").Scan(&before); err != nil {
				discard(conn)
				return nil, err
			}
			switch {
			case before == 0:
				_ = conn.Close()
				return nil, errNotStandby
			case before < min:
				sb.sawReplay(before)
				_ = conn.Close()
				return nil, errBehind
			}
		}
		var all, ids string
		var replayed LSN
		if err := conn.QueryRowContext(ctx, pre).Scan(&all, &ids, &replayed); err != nil {
			discard(conn)
			return nil, err
		}
		if replayed == 0 {
			_ = finish(ctx, conn, false)
			return nil, errNotStandby
		}
		sb.sawReplay(replayed)
		return conn, nil
	}()
	switch {
	case err == nil:
		sb.reads.Add(1)
		return conn, sb, leave
	case errors.Is(err, errBehind):
		s.route.behindCommit.Add(1)
	case ctx.Err() != nil:
		// The request is over; the primary's open reports it.
	default:
		s.route.standbyFailed.Add(1)
		sb.markDown(err, s.cfg.Log)
	}
	leave()
	return nil, nil, nil
}

// standbyFault tells whether err, met by a statement on a standby, is the
// standby's doing rather than the statement's: a lost connection, a
// shutdown, or a query cancelled by a conflict with recovery. The same
// reads on the primary would succeed.
func standbyFault(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if connectionFault(err) {
		return true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "40001", "40P01": // canceled or terminated by a conflict with recovery
			return true
		}
	}
	return false
}

// connectionFault tells whether err means the connection or the server
// went away.
func connectionFault(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // the request's end, not the server's
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		if pqErr.Code.Class() == "08" { // connection exception
			return true
		}
		switch pqErr.Code {
		case "57P01", "57P02", "57P03": // admin shutdown, crash shutdown, cannot connect now
			return true
		}
	}
	return false
}

// WatchStandbys checks the primary's position and every standby's replay
// position every CheckInterval until ctx ends, and takes standbys in and
// out of rotation accordingly. A store with standbys routes no read to
// them unless this runs.
func (s *Store) WatchStandbys(ctx context.Context) {
	if len(s.standbys) == 0 {
		return
	}
	t := time.NewTicker(s.cfg.CheckInterval)
	defer t.Stop()
	for {
		s.checkStandbys(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// checkStandbys runs one round of checks: the primary first, so that a
// standby is compared with a position the primary had before the standby
// was asked, which can only overstate its lag.
func (s *Store) checkStandbys(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, max(2*time.Second, 2*s.cfg.CheckInterval))
	defer cancel()
	var pos LSN
	if err := s.x.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&pos); err == nil {
		s.addSample(pos, time.Now())
	} else if ctx.Err() == nil {
		s.cfg.Log.Debug("standby check: primary position unknown", "err", err)
	}
	var wg sync.WaitGroup
	for _, sb := range s.standbys {
		wg.Go(func() { s.checkStandby(ctx, sb) })
	}
	wg.Wait()
}

func (s *Store) checkStandby(ctx context.Context, sb *standby) {
	var inRecovery bool
	var replayed LSN
	err := sb.x.QueryRowContext(ctx, `SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text`).Scan(&inRecovery, &replayed)
	now := time.Now()
	st := standbyState{checkedAt: now, replayed: replayed}
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled):
		return // shutting down
	case err != nil:
		st.problem = "unreachable: " + err.Error()
		st.replayed = sb.snapshot().replayed // the last position known
	case !inRecovery || replayed == 0:
		st.problem = errNotStandby.Error()
	default:
		lag, known, latest := s.lagOf(replayed, now)
		st.lag = lag
		if latest > replayed {
			st.lagBytes = int64(latest - replayed)
		}
		switch {
		case !known:
			st.problem = "catching up: its lag is not known yet"
		case lag > s.cfg.MaxLag:
			st.problem = fmt.Sprintf("lags %s behind the primary (bound %s)", lag.Round(time.Millisecond), s.cfg.MaxLag)
		case st.lagBytes > s.cfg.MaxLagBytes:
			st.problem = fmt.Sprintf("has %d bytes of WAL left to replay (bound %d)", st.lagBytes, s.cfg.MaxLagBytes)
		default:
			st.usable = true
		}
	}
	sb.set(st, s.cfg.Log)
}

// addSample keeps the primary's position at a time, forgetting samples
// older than the lag bound needs.
func (s *Store) addSample(pos LSN, at time.Time) {
	r := &s.route
	r.mu.Lock()
	defer r.mu.Unlock()
	keep := 2 * (s.cfg.MaxLag + s.cfg.CheckInterval)
	i := 0
	for i < len(r.samples) && at.Sub(r.samples[i].at) > keep {
		i++
	}
	r.samples = append(r.samples[i:], lsnSample{lsn: pos, at: at})
}

// lagOf measures how far behind the primary a standby that has replayed up
// to replayed is, from the primary's recent positions: zero if it has
// replayed the latest one; else the time since the primary was last seen
// at a position the standby has (an upper bound). known is false when the
// samples cannot tell yet (too few, just after start). latest is the
// primary's latest known position.
func (s *Store) lagOf(replayed LSN, now time.Time) (lag time.Duration, known bool, latest LSN) {
	r := &s.route
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.samples)
	if n == 0 {
		return 0, false, 0
	}
	latest = r.samples[n-1].lsn
	if replayed >= latest {
		return 0, true, latest
	}
	i := sort.Search(n, func(i int) bool { return r.samples[i].lsn > replayed })
	if i == 0 {
		// It lacks what the primary had at the oldest sample: at least
		// that old, which settles it only once past the bound.
		lag = now.Sub(r.samples[0].at)
		return lag, lag > s.cfg.MaxLag, latest
	}
	return now.Sub(r.samples[i-1].at), true, latest
}

// StandbyStatus is what the store knows of one standby.
type StandbyStatus struct {
	Name      string    `json:"name"`
	Usable    bool      `json:"usable"`
	Problem   string    `json:"problem,omitempty"`
	Replayed  LSN       `json:"replayLsn"`
	LagMillis int64     `json:"lagMs"`
	LagBytes  int64     `json:"lagBytes"`
	CheckedAt time.Time `json:"checkedAt"`
	Reads     int64     `json:"reads"`
}

// RoutingReport counts where read sessions went since start, and why.
type RoutingReport struct {
	Standbys []StandbyStatus `json:"standbys"`
	// Standby is the number of read sessions standbys served.
	Standby int64 `json:"standby"`
	// Primary counts the read sessions the primary served, by reason.
	Primary PrimaryReads `json:"primary"`
	// Reruns counts operations run again on the primary because their
	// standby failed under them.
	Reruns int64 `json:"reruns"`
}

// PrimaryReads counts the read sessions the primary served, by reason.
type PrimaryReads struct {
	ForWrites     int64 `json:"forWrites"`     // a mutation's reads, which must see its writes
	NoStandby     int64 `json:"noStandby"`     // no standby was usable
	BehindCommit  int64 `json:"behindCommit"`  // the standby had not replayed the request's commit position
	StandbyFailed int64 `json:"standbyFailed"` // opening the session on the standby failed
}

// Routing reports the standbys' state and the routing counters; nil for a
// store without standbys.
func (s *Store) Routing() *RoutingReport {
	if len(s.standbys) == 0 {
		return nil
	}
	rep := &RoutingReport{
		Primary: PrimaryReads{
			ForWrites:     s.route.forWrites.Load(),
			NoStandby:     s.route.noStandby.Load(),
			BehindCommit:  s.route.behindCommit.Load(),
			StandbyFailed: s.route.standbyFailed.Load(),
		},
		Reruns: s.route.reruns.Load(),
	}
	for _, sb := range s.standbys {
		st := sb.snapshot()
		reads := sb.reads.Load()
		rep.Standby += reads
		rep.Standbys = append(rep.Standbys, StandbyStatus{
			Name: sb.name, Usable: st.usable, Problem: st.problem, Replayed: st.replayed,
			LagMillis: st.lag.Milliseconds(), LagBytes: st.lagBytes, CheckedAt: st.checkedAt, Reads: reads,
		})
	}
	return rep
}

// CountRerun counts an operation run again on the primary after its
// standby failed under it.
func (s *Store) CountRerun() { s.route.reruns.Add(1) }

// Trail is what one request's statements leave for its response: where its
// reads were served and the commit position of its writes. It travels in
// the request context, like Stats.
type Trail struct {
	minLSN LSN

	mu       sync.Mutex
	commit   LSN
	servedBy string
}

type trailKey struct{}

// WithTrail returns a context that records the trail of the request, which
// asks to see the writes up to min (zero: none in particular).
func WithTrail(ctx context.Context, min LSN) (context.Context, *Trail) {
	t := &Trail{minLSN: min}
	return context.WithValue(ctx, trailKey{}, t), t
}

// TrailFrom returns the trail of the request, or nil.
func TrailFrom(ctx context.Context) *Trail {
	t, _ := ctx.Value(trailKey{}).(*Trail)
	return t
}

// MinLSN is the commit position the request asked to see.
func (t *Trail) MinLSN() LSN { return t.minLSN }

// Commit is the commit position of the request's last write, zero if it
// wrote nothing (or the store has no standbys to need it).
func (t *Trail) Commit() LSN {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.commit
}

// ServedBy names the pool that served the request's last read session:
// "primary" or a standby's name; empty if it read nothing.
func (t *Trail) ServedBy() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.servedBy
}

func (t *Trail) committed(at LSN) {
	if t == nil {
		return
	}
	t.mu.Lock()
	if at > t.commit {
		t.commit = at
	}
	t.mu.Unlock()
}

func (t *Trail) served(by string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.servedBy = by
	t.mu.Unlock()
}
