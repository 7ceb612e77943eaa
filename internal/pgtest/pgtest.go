// Package pgtest gives tests a throwaway PostgreSQL cluster: one per test
// binary, started on first use with initdb and pg_ctl into a temporary
// directory, on a random port, and removed when the binary ends. It never
// touches the machine's own cluster.
//
// A package's tests use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// and each test asks for a fresh database with DSN(t). Without PostgreSQL
// installed the tests skip, saying how to run them; with
// SIROCCO_REQUIRE_POSTGRES=1 (CI) they fail instead.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// RequireEnv names the variable that turns a skip for want of PostgreSQL
// into a failure.
const RequireEnv = "SIROCCO_REQUIRE_POSTGRES"

// PasswordGroup is a role of the cluster whose members log in over TCP
// with a password (scram-sha-256); every other role is trusted. Tests of
// password handling (PGPASSFILE) create a member of it.
const PasswordGroup = "password_users"

var (
	startOnce sync.Once
	started   *Instance
	startErr  error
	dbSeq     atomic.Int64
)

// Main runs the tests and then stops and removes the cluster, if any test
// started it. Call it from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if started != nil {
		if err := started.destroy(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// Instance is a running throwaway cluster.
type Instance struct {
	bin    string // the directory of initdb, pg_ctl, postgres
	dir    string // the temporary directory: data, log, socket
	port   int
	asUser string // run the server's commands as this user ("" = ourselves)
	mu     sync.Mutex
}

// Cluster returns the test binary's cluster, starting it if needed, or
// skips t (fails it with SIROCCO_REQUIRE_POSTGRES=1) when PostgreSQL is
// not installed or does not start.
func Cluster(t testing.TB) *Instance {
	t.Helper()
	startOnce.Do(func() { started, startErr = start() })
	if startErr != nil {
		if os.Getenv(RequireEnv) == "1" || !errors.Is(startErr, errNotInstalled) {
			t.Fatalf("pgtest: %v", startErr)
		}
		t.Skipf("pgtest: %v", startErr)
	}
	return started
}

// DSN returns the DSN of a new, empty database for t on the cluster.
func DSN(t testing.TB) string {
	t.Helper()
	return Cluster(t).NewDatabase(t)
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// dbName turns a test's name into part of a database name.
func dbName(test string) string {
	s := unsafeName.ReplaceAllString(strings.ToLower(test), "_")
	if len(s) > 40 {
		s = s[len(s)-40:]
	}
	return s
}

// Port is the cluster's TCP port on 127.0.0.1.
func (c *Instance) Port() int { return c.port }

// Bin is the directory of the cluster's PostgreSQL programs (initdb,
// pg_ctl, pg_dump, pg_restore, createdb …).
func (c *Instance) Bin() string { return c.bin }

// Dir is the cluster's directory; its unix socket lives there too.
func (c *Instance) Dir() string { return c.dir }

// SuperuserDSN is the DSN of the superuser on the database postgres.
func (c *Instance) SuperuserDSN() string { return c.DSNFor("postgres") }

// DSNFor is the superuser's DSN on database db (over TCP).
func (c *Instance) DSNFor(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// Exec runs one statement as the superuser on the database postgres.
func (c *Instance) Exec(ctx context.Context, sql string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.SuperuserDSN())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// Stop stops the cluster (fast shutdown: sessions are ended).
func (c *Instance) Stop(t testing.TB) {
	t.Helper()
	if err := c.pgCtl("stop", "-m", "fast"); err != nil {
		t.Fatalf("pgtest: stop: %v", err)
	}
}

// Start starts a stopped cluster on the same port.
func (c *Instance) Start(t testing.TB) {
	t.Helper()
	if err := c.startServer(); err != nil {
		t.Fatalf("pgtest: start: %v", err)
	}
}

// Restart stops and starts the cluster.
func (c *Instance) Restart(t testing.TB) {
	t.Helper()
	c.Stop(t)
	c.Start(t)
}

// Private starts a cluster of t's own, stopped and removed when t ends: a
// test that stops or restarts its database (a fault test) then disturbs
// no other test. It skips or fails as Cluster does.
func Private(t testing.TB) *Instance {
	t.Helper()
	c, err := start()
	if err != nil {
		if os.Getenv(RequireEnv) == "1" || !errors.Is(err, errNotInstalled) {
			t.Fatalf("pgtest: %v", err)
		}
		t.Skipf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := c.destroy(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return c
}

// NewDatabase creates an empty database on c and returns its DSN.
func (c *Instance) NewDatabase(t testing.TB) string {
	t.Helper()
	name := "t" + strconv.FormatInt(dbSeq.Add(1), 10) + "_" + dbName(t.Name())
	if err := c.Exec(context.Background(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return c.DSNFor(name)
}

var errNotInstalled = errors.New("PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH): " +
	"install Debian's postgresql (apt-get install postgresql) to run these tests; " + RequireEnv + "=1 makes this skip a failure")

// findBin returns the bin directory of the newest PostgreSQL installed.
func findBin() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	version := func(p string) int {
		v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p))))
		return v
	}
	slices.SortFunc(matches, func(a, b string) int { return version(a) - version(b) })
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errNotInstalled
}

func start() (*Instance, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	sweepOrphans(bin)
	dir, err := os.MkdirTemp("", "sirocco-pgtest-")
	if err != nil {
		return nil, err
	}
	// The test binary that owns the cluster, for sweepOrphans.
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c := &Instance{bin: bin, dir: dir}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: its commands run as postgres,
		// which must own the directory.
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, and there is no user postgres to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.asUser = "postgres"
	}
	if err := c.run("initdb", "-D", c.data(), "-U", "postgres", "-E", "UTF8", "--locale=C",
		"--auth-local=trust", "--auth-host=trust", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// Members of PasswordGroup must give a password; the rule comes before
	// initdb's trusting ones.
	hba := filepath.Join(c.data(), "pg_hba.conf")
	body, err := os.ReadFile(hba)
	if err == nil {
		err = os.WriteFile(hba, append([]byte("host all +"+PasswordGroup+" 127.0.0.1/32 scram-sha-256\n"), body...), 0o600)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	var startErr error
	for range 5 { // the port found free may be taken before the server binds it
		if c.port, startErr = freePort(); startErr != nil {
			break
		}
		if startErr = c.startServer(); startErr == nil {
			break
		}
	}
	if startErr != nil {
		os.RemoveAll(dir)
		return nil, startErr
	}
	if err := c.Exec(context.Background(), "CREATE ROLE "+PasswordGroup+" NOLOGIN"); err != nil {
		c.destroy()
		return nil, err
	}
	return c, nil
}

func (c *Instance) data() string { return filepath.Join(c.dir, "data") }

func (c *Instance) startServer() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=32MB", c.port, c.dir)
	return c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "-o", opts, "start")
}

func (c *Instance) pgCtl(args ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.run("pg_ctl", append([]string{"-D", c.data(), "-w", "-t", "60"}, args...)...)
}

// run runs one of PostgreSQL's commands, as asUser when set.
func (c *Instance) run(name string, args ...string) error {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		if len(log) > 2000 {
			log = log[len(log)-2000:]
		}
		return fmt.Errorf("%s %s: %w\n%s\n%s", name, strings.Join(args, " "), err, out, log)
	}
	return nil
}

// ownerFile, in a cluster's directory, holds the PID of the test binary
// that started it.
const ownerFile = "owner.pid"

// sweepOrphans stops and removes the clusters of test binaries that died
// without stopping theirs (killed by a timeout, or by hand): Main cannot
// run then, and the postmaster outlives its test binary.
func sweepOrphans(bin string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "sirocco-pgtest-*"))
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not ours to judge
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) == nil || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue // its owner lives (or cannot be told apart from one that does)
		}
		c := &Instance{bin: bin, dir: dir}
		if st, err := os.Stat(c.data()); err == nil {
			if owner, ok := fileOwner(st); ok && owner != os.Geteuid() {
				c.asUser = "postgres"
			}
		}
		_ = c.destroy()
	}
}

// destroy stops the server at once and removes its directory.
func (c *Instance) destroy() error {
	if _, err := os.Stat(c.dir); os.IsNotExist(err) {
		return nil // swept already (sweepOrphans)
	}
	err := c.pgCtl("stop", "-m", "immediate")
	if rerr := os.RemoveAll(c.dir); rerr != nil {
		err = errors.Join(err, rerr)
	}
	return err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// fileOwner returns the user id owning a file.
func fileOwner(fi os.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
