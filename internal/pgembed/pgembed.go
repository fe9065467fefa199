// Package pgembed runs a private PostgreSQL cluster from the server binaries
// installed on the machine, so that `make run` and the test suite need no
// database set up by hand: the first Start creates the cluster in a data
// folder, later Starts reuse it (and its data), whether or not it is still
// running.
//
// The cluster listens on 127.0.0.1 only, with no Unix socket, and uses
// password authentication for the superuser "catalogue" whose random password
// is kept inside the data folder; other login roles a caller creates may use
// passwords derived from it (RolePassword, LoginURL). When the process runs
// as root the server is run as the OS user "postgres" (PostgreSQL refuses to
// run as root), through runuser.
//
// Two processes must not Start the same data folder at the same time.
package pgembed

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"
)

// Superuser is the name of the cluster's superuser, the user in every URL.
const Superuser = "catalogue"

// Names of the files pgembed keeps in the data folder beside PostgreSQL's own.
const (
	passwordFile = "catalogue.password"
	portFile     = "catalogue.port"
	logFile      = "server.log"
)

// ErrNotFound is wrapped by the error FindBinaries returns, so that callers
// can tell "PostgreSQL is not installed" from other failures and suggest an
// alternative of their own.
var ErrNotFound = errors.New("PostgreSQL server binaries not found")

// Options for Start.
type Options struct {
	// Dir is the data folder. It is created if missing; for `make run` it is
	// <repo>/.data/postgres.
	Dir string
	// Port to listen on. 0 picks one: the port recorded in Dir by a previous
	// run if it is still free, else a free TCP port on 127.0.0.1.
	Port int
	// Ephemeral trades crash safety for speed (fsync=off,
	// synchronous_commit=off, full_page_writes=off, initdb --no-sync), for
	// throwaway clusters such as the test suite's. Never use it for data
	// that matters.
	Ephemeral bool
	// Log receives progress messages; nil discards them.
	Log *slog.Logger
}

// Cluster is a running private cluster.
type Cluster struct {
	// Dir is the absolute path of the data folder.
	Dir string
	// Port is the TCP port the server listens on at 127.0.0.1.
	Port int
	// Reused is true when Start found the server already running (started
	// by another process), which should then be left running.
	Reused bool

	password string
	run      *runner
	log      *slog.Logger
}

// FindBinaries returns the folder holding the PostgreSQL server binaries
// (initdb, pg_ctl, postgres). It looks, in order, at the PG_BIN environment
// variable, the highest version under /usr/lib/postgresql/*/bin (Debian and
// Ubuntu), `pg_config --bindir`, and initdb on PATH. The error, wrapping
// ErrNotFound, is one sentence a user can act on.
func FindBinaries() (string, error) {
	if dir := os.Getenv("PG_BIN"); dir != "" {
		if hasServerBinaries(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("%w in PG_BIN=%s: point PG_BIN at the folder holding initdb and pg_ctl, or unset it", ErrNotFound, dir)
	}
	if dir := newestDebianBinaries(); dir != "" {
		return dir, nil
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); hasServerBinaries(dir) {
			return dir, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if dir := filepath.Dir(p); hasServerBinaries(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%w: install them (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL to an existing server", ErrNotFound)
}

func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// newestDebianBinaries returns the bin folder of the highest PostgreSQL
// version installed the Debian way, or "".
func newestDebianBinaries() string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	best, bestVer := "", []int(nil)
	for _, dir := range matches {
		if !hasServerBinaries(dir) {
			continue
		}
		ver := parseVersion(filepath.Base(filepath.Dir(dir)))
		if best == "" || slices.Compare(ver, bestVer) > 0 {
			best, bestVer = dir, ver
		}
	}
	return best
}

// parseVersion turns "9.6" or "15" into comparable numbers; junk counts as 0.
func parseVersion(s string) []int {
	var v []int
	for _, part := range strings.Split(s, ".") {
		n, _ := strconv.Atoi(part)
		v = append(v, n)
	}
	return v
}

// Start makes sure a cluster runs in o.Dir and answers connections: it
// creates the cluster if the folder holds none, reuses a server already
// running there, and otherwise starts one. ctx bounds the whole operation;
// the server itself outlives ctx and the process, until Stop.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Dir == "" {
		return nil, errors.New("pgembed: Options.Dir is empty")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	bin, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	run, err := newRunner(bin)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, run: run, log: log}

	if err := c.prepareDir(ctx, o.Ephemeral); err != nil {
		return nil, err
	}
	pw, err := os.ReadFile(filepath.Join(dir, passwordFile))
	if err != nil {
		return nil, fmt.Errorf("pgembed: %s holds a PostgreSQL cluster but no readable %s (it was not made by pgembed, or its creation was cut short): remove the folder to start afresh: %w", dir, passwordFile, err)
	}
	c.password = strings.TrimSpace(string(pw))

	c.clearStalePidFile()
	running, err := c.running(ctx)
	if err != nil {
		return nil, err
	}
	if running {
		port, err := c.pidFilePort()
		if err != nil {
			return nil, err
		}
		if o.Port != 0 && o.Port != port {
			log.Warn("cluster already running on another port than asked; reusing it", "dir", dir, "port", port, "asked", o.Port)
		}
		c.Port, c.Reused = port, true
		log.Info("reusing running PostgreSQL cluster", "dir", dir, "port", port)
		if err := c.writePort(); err != nil {
			return nil, err
		}
	} else if err := c.start(ctx, o); err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx, 30*time.Second); err != nil {
		return nil, err
	}
	return c, nil
}

// URL returns a lib/pq connection URL for database dbname as the superuser.
func (c *Cluster) URL(dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(Superuser, c.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// RolePassword is the password of another login role of the cluster,
// derived from the superuser's secret password and the role's name: stable
// across runs and processes, so that whoever creates the role and whoever
// connects as it agree without another file to keep.
func (c *Cluster) RolePassword(role string) string {
	mac := hmac.New(sha256.New, []byte(c.password))
	mac.Write([]byte("pgembed role password\x00" + role))
	return hex.EncodeToString(mac.Sum(nil))
}

// LoginURL returns a lib/pq connection URL for database dbname as role,
// which must have been given the password RolePassword(role).
func (c *Cluster) LoginURL(role, dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(role, c.RolePassword(role)),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// CreateDatabase creates database name, copied from database template
// (PostgreSQL's default, template1, when template is "").
func (c *Cluster) CreateDatabase(ctx context.Context, name, template string) error {
	q := "CREATE DATABASE " + pq.QuoteIdentifier(name)
	if template != "" {
		q += " TEMPLATE " + pq.QuoteIdentifier(template)
	}
	return c.exec(ctx, q)
}

// DropDatabase drops database name if it exists, ending its sessions first
// (WITH (FORCE)) so that a leaked connection cannot block it.
func (c *Cluster) DropDatabase(ctx context.Context, name string) error {
	return c.exec(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)")
}

func (c *Cluster) exec(ctx context.Context, q string) error {
	db, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("pgembed: %s: %w", q, err)
	}
	return nil
}

// Stop shuts the server down (fast mode: sessions are ended, data is kept).
// Stopping a cluster that is not running is not an error.
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	return stopDir(ctx, c.run, c.Dir, c.log)
}

// StopDir stops the server of the cluster in data folder dir if one runs,
// without needing its Cluster: for clusters left behind by a process that was
// killed before it could call Stop.
func StopDir(ctx context.Context, dir string) error {
	bin, err := FindBinaries()
	if err != nil {
		return err
	}
	run, err := newRunner(bin)
	if err != nil {
		return err
	}
	return stopDir(ctx, run, dir, slog.New(slog.DiscardHandler))
}

func stopDir(ctx context.Context, run *runner, dir string, log *slog.Logger) error {
	c := &Cluster{Dir: dir, run: run, log: log}
	c.clearStalePidFile()
	running, err := c.running(ctx)
	if err != nil || !running {
		return err
	}
	if _, err := run.output(ctx, "pg_ctl", "stop", "-D", dir, "-m", "fast", "-w", "-t", "60"); err != nil {
		return fmt.Errorf("pgembed: stopping the cluster in %s: %w", dir, err)
	}
	log.Info("stopped PostgreSQL cluster", "dir", dir)
	return nil
}

// prepareDir makes sure dir holds a cluster created by pgembed and that the
// server's OS user can reach it.
func (c *Cluster) prepareDir(ctx context.Context, ephemeral bool) error {
	dir := c.Dir
	if err := c.run.makeReachable(filepath.Dir(dir), c.log); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
		return nil
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Create the cluster beside dir and move it into place only once it
		// is complete, so that an interrupted initdb never leaves a
		// half-made cluster behind that later runs would trip over.
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return fmt.Errorf("pgembed: %w", err)
		}
		if err := c.run.makeReachable(filepath.Dir(dir), c.log); err != nil {
			return err
		}
		staging := filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".initdb")
		if err := os.RemoveAll(staging); err != nil {
			return fmt.Errorf("pgembed: removing leftover %s: %w", staging, err)
		}
		if err := c.initdb(ctx, staging, ephemeral); err != nil {
			os.RemoveAll(staging)
			return err
		}
		if err := os.Rename(staging, dir); err != nil {
			os.RemoveAll(staging)
			return fmt.Errorf("pgembed: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("pgembed: reading data folder: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("pgembed: data folder %s is not empty but holds no PostgreSQL cluster (no PG_VERSION): empty or remove it", dir)
	default:
		// An existing empty folder (perhaps a mount point): use it in place.
		return c.initdb(ctx, dir, ephemeral)
	}
}

// initdb creates a cluster in the empty or missing folder dir, with a new
// random password stored in dir.
func (c *Cluster) initdb(ctx context.Context, dir string, ephemeral bool) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if err := c.run.chown(dir); err != nil {
		return err
	}
	password := rand.Text()
	// initdb reads the password from a file; it must not be in dir, which
	// initdb wants empty, and must be readable by the server's OS user.
	pwf, err := os.CreateTemp("", "pgembed-pw-")
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	defer os.Remove(pwf.Name())
	_, err = pwf.WriteString(password + "\n")
	if cerr := pwf.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = c.run.chown(pwf.Name())
	}
	if err != nil {
		return fmt.Errorf("pgembed: writing initdb password file: %w", err)
	}

	c.log.Info("creating PostgreSQL cluster", "dir", dir)
	args := []string{"-D", dir, "-U", Superuser, "--auth=scram-sha-256", "--pwfile=" + pwf.Name(), "-E", "UTF8"}
	if ephemeral {
		args = append(args, "--no-sync")
	}
	out, err := c.run.output(ctx, "initdb", append(args, "--locale=C.UTF-8")...)
	if err != nil && strings.Contains(out, "invalid locale") {
		// Not every system has C.UTF-8; the C locale always works.
		c.log.Info("initdb: C.UTF-8 locale unusable, falling back to --no-locale")
		_, err = c.run.output(ctx, "initdb", append(args, "--no-locale")...)
	}
	if err != nil {
		return fmt.Errorf("pgembed: creating the cluster in %s: %w", dir, err)
	}
	return c.run.writeFile(filepath.Join(dir, passwordFile), []byte(password+"\n"))
}

// running tells whether a server runs in the data folder, by asking pg_ctl,
// which also sees through a stale postmaster.pid left by a crash.
func (c *Cluster) running(ctx context.Context) (bool, error) {
	_, err := c.run.output(ctx, "pg_ctl", "status", "-D", c.Dir)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &exit) && exit.ExitCode() == 3:
		return false, nil
	default:
		return false, fmt.Errorf("pgembed: checking whether the cluster in %s runs: %w", c.Dir, err)
	}
}

// clearStalePidFile deletes a postmaster.pid whose PID now belongs to a
// zombie or to a program other than PostgreSQL. pg_ctl and postgres treat a
// live PID as a running server, yet PIDs are reused (notably when a container
// restarts) and a killed postmaster stays a zombie where PID 1 does not reap
// orphans, so such a file would block the cluster for good. The file is kept
// if any live process still works in the data folder (an orphaned backend):
// then postgres's own checks decide. Linux only; elsewhere it does nothing.
func (c *Cluster) clearStalePidFile() {
	pidPath := filepath.Join(c.Dir, "postmaster.pid")
	data, err := os.ReadFile(pidPath)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]))
	if err != nil || pid <= 0 {
		return
	}
	comm, state, ok := procStat(pid)
	if !ok {
		return // no such process, which pg_ctl and postgres handle, or no /proc
	}
	if (comm == "postgres" || comm == "postmaster") && state != 'Z' && state != 'X' {
		return
	}
	if dirInUse(c.Dir) {
		c.log.Warn("postmaster.pid names a dead server but processes still work in the data folder", "pid", pid, "dir", c.Dir)
		return
	}
	c.log.Warn("removing stale postmaster.pid", "pid", pid, "program", comm, "state", string(state))
	os.Remove(pidPath)
}

// procStat returns the command name and state letter of process pid from
// /proc/PID/stat ("PID (COMM) S ...", where COMM may hold spaces and
// parentheses).
func procStat(pid int) (comm string, state byte, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, false
	}
	s := string(data)
	lp, rp := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if lp < 0 || rp < lp || rp+2 >= len(s) {
		return "", 0, false
	}
	return s[lp+1 : rp], s[rp+2], true
}

// dirInUse tells whether a live process has dir as its working folder, as
// every PostgreSQL server process has its data folder.
func dirInUse(dir string) bool {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); err == nil && cwd == dir {
			if _, state, ok := procStat(pid); ok && state != 'Z' && state != 'X' {
				return true
			}
		}
	}
	return false
}

// pidFilePort reads the port of the running server from postmaster.pid,
// whose fourth line it is.
func (c *Cluster) pidFilePort() (int, error) {
	data, err := os.ReadFile(filepath.Join(c.Dir, "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("pgembed: reading port of running server: %w", err)
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) >= 4 {
		if port, err := strconv.Atoi(strings.TrimSpace(lines[3])); err == nil && port > 0 {
			return port, nil
		}
	}
	return 0, fmt.Errorf("pgembed: no port in %s", filepath.Join(c.Dir, "postmaster.pid"))
}

// start launches the server of a stopped cluster, choosing its port.
func (c *Cluster) start(ctx context.Context, o Options) error {
	settings := []string{
		"-c listen_addresses=127.0.0.1",
		"-c unix_socket_directories=''",
		"-c shared_buffers=256MB",
		"-c max_connections=100",
	}
	if o.Ephemeral {
		settings = append(settings, "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")
	}
	logPath := filepath.Join(c.Dir, logFile)

	const attempts = 3
	for attempt := 1; ; attempt++ {
		port, err := c.choosePort(o.Port)
		if err != nil {
			return err
		}
		c.Port = port
		if err := c.writePort(); err != nil {
			return err
		}
		var logStart int64
		if fi, err := os.Stat(logPath); err == nil {
			logStart = fi.Size()
		}
		c.log.Info("starting PostgreSQL", "dir", c.Dir, "port", port)
		opts := fmt.Sprintf("-p %d %s", port, strings.Join(settings, " "))
		_, err = c.run.output(ctx, "pg_ctl", "start", "-D", c.Dir, "-l", logPath, "-w", "-t", "60", "-o", opts)
		if err == nil {
			return nil
		}
		serverLog := readFrom(logPath, logStart)
		// Another program may have taken the port between our check and the
		// server's bind; try another one if the port was ours to choose.
		if o.Port == 0 && attempt < attempts && portInUse(serverLog) {
			c.log.Warn("port taken while starting; trying another", "port", port)
			continue
		}
		return fmt.Errorf("pgembed: starting the cluster in %s on port %d: %w%s", c.Dir, port, err, labelled("server.log", tail(serverLog, 20)))
	}
}

func portInUse(serverLog string) bool {
	return strings.Contains(serverLog, "could not bind") || strings.Contains(serverLog, "Address already in use")
}

// choosePort returns the asked port, else the recorded one if still free,
// else a free one.
func (c *Cluster) choosePort(asked int) (int, error) {
	if asked != 0 {
		return asked, nil
	}
	if data, err := os.ReadFile(filepath.Join(c.Dir, portFile)); err == nil {
		if port, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && port > 0 {
			if portFree(port) {
				return port, nil
			}
			c.log.Warn("recorded port is taken by another program; choosing a new one", "port", port)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgembed: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func (c *Cluster) writePort() error {
	return c.run.writeFile(filepath.Join(c.Dir, portFile), []byte(strconv.Itoa(c.Port)+"\n"))
}

// waitReady retries connecting until the server accepts a session, for at
// most limit or until ctx ends.
func (c *Cluster) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	db, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	defer db.Close()
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 5*time.Second)
		err = db.PingContext(attempt)
		cancelAttempt()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			serverLog := readFrom(filepath.Join(c.Dir, logFile), 0)
			return fmt.Errorf("pgembed: the cluster in %s does not accept connections on port %d: %w%s", c.Dir, c.Port, err, labelled("server.log", tail(serverLog, 20)))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// runner runs the PostgreSQL binaries, as the OS user postgres when the
// process is root.
type runner struct {
	bin      string
	runuser  string // path of runuser; "" when running the binaries directly
	user     string
	uid, gid int // -1 when not root: nothing to chown
	groups   []int
}

func newRunner(bin string) (*runner, error) {
	r := &runner{bin: bin, uid: -1, gid: -1}
	if os.Geteuid() != 0 {
		return r, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgembed: running as root, PostgreSQL must run as the OS user postgres, which does not exist: create it (useradd --system postgres) or run as a normal user")
	}
	path, err := exec.LookPath("runuser")
	if err != nil {
		return nil, fmt.Errorf("pgembed: running as root, runuser (util-linux) is needed to start PostgreSQL as the OS user postgres: install it or run as a normal user")
	}
	r.runuser, r.user = path, u.Username
	r.uid, _ = strconv.Atoi(u.Uid)
	r.gid, _ = strconv.Atoi(u.Gid)
	gids, _ := u.GroupIds()
	for _, g := range gids {
		if n, err := strconv.Atoi(g); err == nil {
			r.groups = append(r.groups, n)
		}
	}
	r.groups = append(r.groups, r.gid)
	return r, nil
}

// output runs a PostgreSQL binary and returns its combined output; a failure
// carries the output's last lines.
func (r *runner) output(ctx context.Context, name string, args ...string) (string, error) {
	path := filepath.Join(r.bin, name)
	var cmd *exec.Cmd
	if r.runuser != "" {
		cmd = exec.CommandContext(ctx, r.runuser, append([]string{"-u", r.user, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	// A working folder the server's user can enter, and English messages,
	// which start() looks into.
	cmd.Dir = "/"
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "LC_ALL=") || strings.HasPrefix(kv, "LC_MESSAGES=")
	}), "LC_MESSAGES=C")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	// pg_ctl leaves the server running; should it keep our output pipe
	// open, do not wait for it.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	out := buf.String()
	if err != nil {
		return out, fmt.Errorf("%s: %w%s", name, err, tail(out, 15))
	}
	return out, nil
}

// chown gives path to the server's OS user when running as root.
func (r *runner) chown(path string) error {
	if r.uid < 0 {
		return nil
	}
	if err := os.Chown(path, r.uid, r.gid); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	return nil
}

// writeFile writes a private file (mode 0600) owned by the server's OS user,
// replacing it atomically.
func (r *runner) writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if err := r.chown(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	return nil
}

// makeReachable lets the server's OS user traverse dir and its parents: as
// root, any of them it cannot enter (such as the 0700 folders of
// os.MkdirTemp) gets the execute bit for others, which allows entering but
// not listing.
func (r *runner) makeReachable(dir string, log *slog.Logger) error {
	if r.uid < 0 {
		return nil
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err == nil {
			st, ok := fi.Sys().(*syscall.Stat_t)
			mode := fi.Mode().Perm()
			canEnter := mode&0o001 != 0 ||
				ok && int(st.Uid) == r.uid && mode&0o100 != 0 ||
				ok && slices.Contains(r.groups, int(st.Gid)) && mode&0o010 != 0
			if !canEnter {
				log.Warn("letting the postgres user traverse a folder", "dir", d)
				if err := os.Chmod(d, fi.Mode()|0o001); err != nil {
					return fmt.Errorf("pgembed: the postgres user cannot reach %s: %w", d, err)
				}
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("pgembed: %w", err)
		}
		if parent := filepath.Dir(d); parent == d {
			return nil
		}
	}
}

// readFrom returns the content of the file at path from offset on (at most
// the last 64 KiB), or "" if it cannot be read.
func readFrom(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size()-offset > 64<<10 {
		offset = fi.Size() - 64<<10
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	data, _ := io.ReadAll(f)
	return string(data)
}

// tail returns the last n lines of s, indented on lines of their own, for
// appending to an error; "" if s is blank.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if strings.TrimSpace(strings.Join(lines, "")) == "" {
		return ""
	}
	return "\n\t" + strings.Join(lines, "\n\t")
}

func labelled(label, s string) string {
	if s == "" {
		return ""
	}
	return "\n" + label + ":" + s
}
