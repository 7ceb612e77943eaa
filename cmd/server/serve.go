package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/api"
	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/gcpace"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/hub"
	"github.com/sirocco-project/sirocco/internal/ops"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"github.com/sirocco-project/sirocco/internal/web"
)

//go:embed seed/*.yaml
var seedFS embed.FS

// config is the server's configuration: flags, each with an environment
// twin SIROCCO_<NAME>; a flag given on the command line wins.
type config struct {
	gcPace   bool
	addr     string
	db       string
	baseURL  string
	logLevel string
	sync     string
	// dbCommitters bounds a PostgreSQL replica's write transactions at
	// once (postgres.Options.Committers); 0 lets the store choose.
	dbCommitters int
	seed         bool
	maxOutput    int
	auth         string
	// trustedProxies may set the client's address (X-Forwarded-For) and
	// scheme (X-Forwarded-Proto); nobody else may.
	trustedProxies []*net.IPNet
	// readTimeout bounds reading a whole request, idleTimeout a keep-alive
	// connection's wait for the next one.
	readTimeout, idleTimeout time.Duration
	// maxTasks bounds the task executions of one workflow execution.
	maxTasks int
	// adminPassword is the first admin's password (SIROCCO_ADMIN_PASSWORD
	// only: a flag would show it in the process list).
	adminPassword string
	// auditKey anchors the audit trail's head (-audit-key-file, or the key
	// itself in SIROCCO_AUDIT_KEY: never a flag, which the process list
	// would show); nil: no anchor. auditKeySource says where it came from.
	auditKey       []byte
	auditKeySource string
	// jobLease is how long a job claimed by a replica is reserved: the
	// jobs of a replica that died run elsewhere when it ends.
	jobLease time.Duration
	// jobLog, when set, is a file the job worker appends a JSON line to
	// for each job it starts and ends (a trace for debugging and tests).
	jobLog string
	// notify configures the webhook notifier: the server-wide receiver
	// (-notify-url) and where workflows may send (-notify-allow).
	notify engine.NotifyConfig
	// retention purges finished executions (-retention); nil: never.
	retention *engine.Retention
	// ssh configures std.ssh: the key directory, known_hosts, time bound.
	ssh engine.SSHConfig
	// mail configures the approvers' mail and std.email (-smtp-*).
	mail engine.MailConfig
	// linkTTL is how long a decision link lives (-link-ttl).
	linkTTL time.Duration
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&cfg.addr, "addr", env("SIROCCO_ADDR", "127.0.0.1:8989"), "listen address (env SIROCCO_ADDR)")
	// No default shown from SIROCCO_DB: -h must not print a DSN's password.
	fs.StringVar(&cfg.db, "db", "", "the database: a SQLite file, or a PostgreSQL URL postgres://[user@]host[:port]/db (password from PGPASSFILE or PGPASSWORD, not the command line) (env SIROCCO_DB; default sirocco.db)")
	fs.StringVar(&cfg.baseURL, "base-url", env("SIROCCO_BASE_URL", ""), "public URL of this server: the links of the API's documents and the Mistral-Callback-URL sent to web services; required unless -addr is a loopback address (env SIROCCO_BASE_URL; default http://<addr>)")
	fs.StringVar(&cfg.logLevel, "log-level", env("SIROCCO_LOG_LEVEL", "info"), "debug, info, warn or error (env SIROCCO_LOG_LEVEL)")
	fs.StringVar(&cfg.sync, "sync", env("SIROCCO_SYNC", sqlite.SyncFull), "full: commits survive power loss; normal: they survive a crash of the process (PostgreSQL: synchronous_commit on or off) (env SIROCCO_SYNC)")
	seed := env("SIROCCO_SEED", "true")
	fs.BoolVar(&cfg.seed, "seed", seed == "true" || seed == "1", "register the example workflows when the database is empty (env SIROCCO_SEED)")
	gcPace := env("SIROCCO_GC_PACE", "true")
	fs.BoolVar(&cfg.gcPace, "gc-pace", (gcPace == "true" || gcPace == "1") && getenv("GOGC") == "", "while busy, collect garbage less often (GOGC 400), back to Go's default with the memory returned after 5 quiet seconds; off when GOGC is set (env SIROCCO_GC_PACE)")
	fs.IntVar(&cfg.maxOutput, "max-output", engine.DefaultMaxOutputBytes, "largest action output accepted, in bytes")
	fs.StringVar(&cfg.auth, "auth", env("SIROCCO_AUTH", "on"), "on: accounts, tokens and sessions are required; off: anyone who reaches the port is admin (loopback addresses only) (env SIROCCO_AUTH)")
	proxies := fs.String("trusted-proxies", env("SIROCCO_TRUSTED_PROXIES", ""), "comma-separated CIDR ranges of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (env SIROCCO_TRUSTED_PROXIES; default none)")
	var badEnv []string
	envDuration := func(name string, def time.Duration) time.Duration {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err == nil {
				return d
			}
			badEnv = append(badEnv, fmt.Sprintf("invalid %s %q: want a duration such as 30s", name, v))
		}
		return def
	}
	fs.DurationVar(&cfg.readTimeout, "read-timeout", envDuration("SIROCCO_READ_TIMEOUT", time.Minute), "longest a client may take to send a whole request, body included (env SIROCCO_READ_TIMEOUT)")
	fs.DurationVar(&cfg.idleTimeout, "idle-timeout", envDuration("SIROCCO_IDLE_TIMEOUT", 2*time.Minute), "how long an idle keep-alive connection is kept open (env SIROCCO_IDLE_TIMEOUT)")
	maxTasks := engine.DefaultMaxTasksPerExecution
	if v := getenv("SIROCCO_MAX_TASKS_PER_EXECUTION"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			maxTasks = n
		} else {
			badEnv = append(badEnv, fmt.Sprintf("invalid SIROCCO_MAX_TASKS_PER_EXECUTION %q: want a number", v))
		}
	}
	dbCommitters := 0
	if v := getenv("SIROCCO_DB_COMMITTERS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			dbCommitters = n
		} else {
			badEnv = append(badEnv, fmt.Sprintf("invalid SIROCCO_DB_COMMITTERS %q: want a number", v))
		}
	}
	fs.IntVar(&cfg.dbCommitters, "db-committers", dbCommitters, "PostgreSQL: most write transactions a replica runs at once; under load the updates that wait share the next (group commit). 0: 2 when the database is on this machine, else half the connection pool; -1: every update in its own transaction (env SIROCCO_DB_COMMITTERS)")
	fs.IntVar(&cfg.maxTasks, "max-tasks-per-execution", maxTasks, "most task executions one workflow execution may have; past it the execution fails (env SIROCCO_MAX_TASKS_PER_EXECUTION)")
	fs.DurationVar(&cfg.jobLease, "job-lease", envDuration("SIROCCO_JOB_LEASE", engine.DefaultJobLease), "how long a job a replica claimed is reserved for it; a running job renews it, and when a replica dies its jobs run elsewhere once it ends (env SIROCCO_JOB_LEASE)")
	fs.StringVar(&cfg.jobLog, "job-log", env("SIROCCO_JOB_LOG", ""), "append a JSON line to this file for each job the worker starts and ends: job id, kind, ref, lease owner, time (a trace for debugging; it grows without bound) (env SIROCCO_JOB_LOG)")
	retention := fs.String("retention", env("SIROCCO_RETENTION", "off"), "purge finished executions with their tasks, actions and timeline (audit records stay): an age (30d, 12h), max=N (keep the N newest), or both, comma-separated; also every=D (default 10m), batch=N (records per transaction, default 200), ignore=STATE; off: never (env SIROCCO_RETENTION)")
	auditKeyFile := fs.String("audit-key-file", env("SIROCCO_AUDIT_KEY_FILE", ""), "file holding the audit key, 32 bytes or more in hex or base64, which anchors the audit trail's head (env SIROCCO_AUDIT_KEY_FILE; or the key itself in SIROCCO_AUDIT_KEY; make one with: openssl rand -hex 32)")
	notifyURL := fs.String("notify-url", env("SIROCCO_NOTIFY_URL", ""), "URL that gets every workflow and task event of every execution as Mistral's webhook bodies, besides the receivers of each execution's params.notify (env SIROCCO_NOTIFY_URL; default none)")
	notifyAllow := fs.String("notify-allow", env("SIROCCO_NOTIFY_ALLOW", ""), "comma-separated destinations params.notify may send to: host, host:port, *.domain or URL prefix https://host/path/; others are refused when the execution is created (env SIROCCO_NOTIFY_ALLOW; default anywhere)")
	notifySecretFile := fs.String("notify-secret-file", env("SIROCCO_NOTIFY_SECRET_FILE", ""), "file holding the secret (16 bytes or more) that signs every webhook notification (Sirocco-Signature: HMAC-SHA256 over time and body) (env SIROCCO_NOTIFY_SECRET_FILE; or the secret itself in SIROCCO_NOTIFY_SECRET, never on the command line; make one with: openssl rand -hex 32; default none: unsigned)")
	notifyLinks := fs.Bool("notify-links", env("SIROCCO_NOTIFY_LINKS", "") == "true", "put the approvers' decision links in approval events sent to webhooks; off by default since a chat channel is read by more than the person a link is for (env SIROCCO_NOTIFY_LINKS=true)")
	fs.StringVar(&cfg.ssh.KeyDir, "ssh-key-dir", env("SIROCCO_SSH_KEY_DIR", ""), "directory of the private keys std.ssh's private_key_filename may name; no file outside it is read (env SIROCCO_SSH_KEY_DIR; default none: private_key_filename is refused)")
	fs.StringVar(&cfg.ssh.KnownHosts, "ssh-known-hosts", env("SIROCCO_SSH_KNOWN_HOSTS", ""), "known_hosts file std.ssh checks host keys against (env SIROCCO_SSH_KNOWN_HOSTS; default none: any host key is accepted, as Mistral does)")
	fs.DurationVar(&cfg.ssh.Timeout, "ssh-timeout", envDuration("SIROCCO_SSH_TIMEOUT", engine.DefaultSSHTimeout), "longest one run of std.ssh may take, connecting included (env SIROCCO_SSH_TIMEOUT)")
	smtp := addSMTPFlags(fs, env)
	fs.DurationVar(&cfg.linkTTL, "link-ttl", envDuration("SIROCCO_LINK_TTL", engine.DefaultLinkTTL), "how long an approval's decision link stays valid, never past the approval's timeout (env SIROCCO_LINK_TTL)")
	cfg.adminPassword = getenv("SIROCCO_ADMIN_PASSWORD")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if cfg.db == "" {
		cfg.db = env("SIROCCO_DB", "sirocco.db")
	}
	if len(badEnv) > 0 {
		return nil, usageError{badEnv[0]}
	}
	if cfg.readTimeout <= 0 || cfg.idleTimeout <= 0 {
		return nil, usageError{"-read-timeout and -idle-timeout must be positive"}
	}
	if cfg.maxTasks <= 0 {
		return nil, usageError{"-max-tasks-per-execution must be positive"}
	}
	if cfg.linkTTL < time.Minute || cfg.linkTTL > 366*24*time.Hour {
		return nil, usageError{fmt.Sprintf("-link-ttl must be from 1m to 8784h (366 days), got %s", cfg.linkTTL)}
	}
	if err := checkSSHConfig(cfg.ssh); err != nil {
		return nil, err
	}
	switch cfg.auth {
	case "on", "off":
	default:
		return nil, usageError{fmt.Sprintf("invalid -auth %q: want on or off", cfg.auth)}
	}
	if cfg.sync != sqlite.SyncFull && cfg.sync != sqlite.SyncNormal {
		return nil, usageError{fmt.Sprintf("invalid -sync %q: want full or normal", cfg.sync)}
	}
	var err error
	if cfg.retention, err = engine.ParseRetention(*retention); err != nil {
		return nil, usageError{fault.Message(err)}
	}
	if cfg.auditKey, cfg.auditKeySource, err = audit.LoadKey(*auditKeyFile, getenv(audit.KeyEnv)); err != nil {
		return nil, usageError{fault.Message(err)}
	}
	if cfg.trustedProxies, err = parseTrustedProxies(*proxies); err != nil {
		return nil, err
	}
	if err := checkBaseURL(cfg.baseURL, cfg.addr); err != nil {
		return nil, err
	}
	if cfg.notify, err = notifyConfig(notifyFlags{url: *notifyURL, allow: *notifyAllow, secretFile: *notifySecretFile,
		secretEnv: getenv(notifySecretEnv), links: *notifyLinks}); err != nil {
		return nil, err
	}
	if cfg.mail, err = smtp.config(getenv); err != nil {
		return nil, err
	}
	return cfg, nil
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("invalid -log-level %q: want debug, info, warn or error", level)}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// serve runs the server until ctx ends, then shuts down gracefully:
// in-flight requests finish, the job worker stops, the database closes.
// Its steps come in the order they depend on each other: configuration,
// logger, listener, store, accounts, engine, HTTP handler, then run.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.logLevel, stderr)
	if err != nil {
		return err
	}
	ln, err := listen(cfg)
	if err != nil {
		return err
	}
	defer ln.Close()
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := startAudit(ctx, st, cfg, log); err != nil {
		return err
	}
	logNotify(log, cfg.notify)
	s := &server{cfg: cfg, log: log, store: st}
	// The hub hears the engine's events after each commit, and of ended
	// sessions from the accounts; it pushes them to dashboard pages over
	// /ws. Presence reaches the other replicas' pages through the store's
	// notices (s.engine is set before the hub runs).
	s.live = hub.New(hub.Config{BaseURL: cfg.baseURL, Logger: log,
		Announce: func(ctx context.Context, evs []engine.Event) error { return s.engine.AnnouncePresence(ctx, evs) }})
	generated, err := s.openAccounts(ctx)
	if err != nil {
		return err
	}
	if cfg.jobLog != "" {
		// O_APPEND: each line is one write at the end of the file, whole
		// even when the process is killed, and replicas may share a file.
		f, err := os.OpenFile(cfg.jobLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("job log: %w", err)
		}
		defer f.Close()
		s.jobLog = f
	}
	if err := s.newEngine(ctx); err != nil {
		return err
	}
	return s.run(ctx, ln, s.handler(), stdout, generated)
}

// server holds what serve builds, each part from those before it.
type server struct {
	cfg      *config
	log      *slog.Logger
	store    *dataStore
	live     *hub.Hub
	accounts *auth.Service
	engine   *engine.Engine
	jobLog   io.Writer // nil: none
}

// listen opens the listen address and settles what depends on it: -auth
// off only on a loopback address, and the base URL (http://<addr> by
// default on loopback, required elsewhere).
func listen(cfg *config) (net.Listener, error) {
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	if cfg.auth == "off" && !loopback(ln.Addr()) {
		ln.Close()
		return nil, usageError{fmt.Sprintf("refusing -auth off on %s: without authentication anyone who reaches the port is admin, "+
			"so it is allowed only on a loopback address (e.g. -addr 127.0.0.1:8989). Use -auth on and create accounts instead.", ln.Addr())}
	}
	if cfg.baseURL == "" {
		if !loopback(ln.Addr()) { // -addr named a host that is not loopback after all
			ln.Close()
			return nil, usageError{baseURLRequired(ln.Addr().String())}
		}
		cfg.baseURL = "http://" + ln.Addr().String()
	}
	cfg.baseURL = strings.TrimRight(cfg.baseURL, "/")
	return ln, nil
}

// openAccounts starts the account service over the store: it loads the
// server secret and, on the first start, creates the first admin, whose
// generated password (if any) it returns to be shown once.
func (s *server) openAccounts(ctx context.Context) (generated string, err error) {
	s.accounts = auth.New(auth.Config{Store: s.store.auth, Logger: s.log,
		// A password change or a deleted account closes the pages of the
		// sessions it ends.
		SessionEnded: s.live.EndSession})
	return s.accounts.Init(ctx, s.cfg.adminPassword)
}

// newEngine builds the engine over the store, publishing to the hub and
// taking std.mistral_http's callback tokens from the accounts, and seeds
// the example workflows into an empty database.
func (s *server) newEngine(ctx context.Context) error {
	s.engine = engine.New(engine.Config{
		// The store itself, not the dataStore around it: the engine looks
		// for what it implements beyond engine.Store (engine.Notifier).
		Store:          s.store.Store,
		BaseURL:        s.cfg.baseURL,
		Logger:         s.log,
		MaxOutputBytes: s.cfg.maxOutput,
		Publisher:      s.live,
		CallbackTokens: s.accounts,
		// A cron trigger fires only while its creator may start executions.
		Creators: s.accounts,
		// Approval channels reach the accounts an approval names.
		People: people{s.accounts},
		Links:  s.linkConfig(),

		MaxTasksPerExecution: s.cfg.maxTasks,
		Replica:              engine.Replica{Version: version()},
		JobLease:             s.cfg.jobLease,
		JobLog:               s.jobLog,
		Notify:               s.cfg.notify,
		Retention:            s.cfg.retention,
		SSH:                  s.cfg.ssh,
		Mail:                 s.cfg.mail,
	})
	if m := s.cfg.mail; m.Server != "" {
		s.log.Info("approvers' mail", "smtp_server", m.Server, "from", m.From, "tls", m.TLS, "login", m.User != "")
	}
	if r := s.cfg.retention; r != nil {
		s.log.Info("retention: " + r.String())
	}
	if s.cfg.seed {
		return seedExamples(ctx, s.engine, s.log)
	}
	return nil
}

// handler is the HTTP side: middleware, the guard, and the routes of the
// operations endpoints, the API and the dashboard.
func (s *server) handler() http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	trustProxies(e, s.cfg.trustedProxies)
	e.Use(requestLog(s.log), web.BaseHeaders)
	metrics := ops.New(ops.Sources{Ready: s.engine.Ready, PendingActions: s.engine.PendingActions, WebsocketClients: s.live.Clients,
		Writer:        s.store.writerStats,
		Pool:          s.store.poolStats,
		Notifications: func() ops.NotifyStats { return ops.NotifyStats(s.engine.NotifyStats()) },
		Retention:     func() ops.RetentionStats { return ops.RetentionStats(s.engine.RetentionStats()) }})
	e.Use(metrics.Middleware())
	v2 := api.New(s.engine, s.log)
	v2.SetAuth(s.accounts)
	v2.SetBaseURL(s.cfg.baseURL)
	dash := web.New(web.Config{Engine: s.engine, Live: s.live, BaseURL: s.cfg.baseURL, Logger: s.log, Auth: s.accounts})
	// The guard runs after routing: it looks each route up in guard.Policy.
	// Unknown routes and wrong methods pass it too, and are then answered
	// by the error handler in the guard's shapes.
	gcfg := guard.Config{Off: s.cfg.auth == "off", Fault: v2.Refuse, PageError: dash.ErrorPage,
		Secure: strings.HasPrefix(s.cfg.baseURL, "https://")}
	e.Use(guard.Middleware(s.accounts, gcfg))
	e.HTTPErrorHandler = guard.ErrorHandler(gcfg, s.log)
	metrics.Register(e) // /metrics, /healthz, /readyz
	v2.Register(e)
	// The dashboard registers after the API: GET / stays the API's version
	// document unless the client prefers HTML.
	dash.Register(e)
	return e
}

// run starts the job worker and the hub, serves h on ln once the worker
// runs, and when ctx ends shuts down in order: the HTTP server (in-flight
// requests finish), the hub (it closes the websockets, which Shutdown does
// not wait for), the worker.
func (s *server) run(ctx context.Context, ln net.Listener, h http.Handler, stdout io.Writer, generated string) error {
	// A client that stalls its body, or holds an idle connection, is cut off;
	// websockets set their own deadlines once upgraded.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: s.cfg.readTimeout, IdleTimeout: s.cfg.idleTimeout}
	stopBackground := s.startBackground(ctx)

	// Accept requests only once the worker runs: /readyz is then true
	// from the first answer on.
	<-s.engine.Started()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	s.log.Info("sirocco listening", "addr", ln.Addr().String(), "db", dbName(s.cfg.db), "base_url", s.cfg.baseURL)
	banner := fmt.Sprintf("Sirocco is listening on %s (database %s)\n  API: %s/v2   callbacks: %s/v2/action-executions/<id>\n  Dashboard: %s/\n", ln.Addr(), dbName(s.cfg.db), s.cfg.baseURL, s.cfg.baseURL, s.cfg.baseURL)
	if s.cfg.baseURL != defaultURL {
		// The client verbs (and the README's tour) go to the default
		// address unless told otherwise. One write with the line above,
		// which tests wait for.
		banner += fmt.Sprintf("  Client verbs and the README's tour: export SIROCCO_URL=%s\n", s.cfg.baseURL)
	}
	fmt.Fprint(stdout, banner)
	printLogin(stdout, s.cfg, generated)

	var err error
	select {
	case err = <-serveErr:
	case <-ctx.Done():
		s.log.Info("shutting down")
		shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err = srv.Shutdown(shutCtx)
		cancel()
	}
	if werr := stopBackground(); werr != nil && err == nil {
		err = werr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// startBackground runs the job worker and the hub until the function it
// returns stops them, the hub first, and returns the worker's error. They
// outlive ctx, so that requests still in flight at shutdown finish.
func (s *server) startBackground(ctx context.Context) (stop func() error) {
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan error, 1)
	go func() { workerDone <- s.engine.Run(workerCtx) }()
	hubCtx, stopHub := context.WithCancel(context.WithoutCancel(ctx))
	hubDone := make(chan struct{})
	go func() { s.live.Run(hubCtx); close(hubDone) }()
	headCtx, stopHead := context.WithCancel(ctx)
	headDone := make(chan struct{})
	go func() { logAuditHead(headCtx, s.store, s.log, auditHeadEvery); close(headDone) }()
	paceCtx, stopPace := context.WithCancel(ctx)
	paceDone := make(chan struct{})
	go func() {
		if s.cfg.gcPace {
			gcpace.New(gcpace.Options{}).Run(paceCtx)
		}
		close(paceDone)
	}()
	return func() error {
		stopPace()
		<-paceDone
		stopHead()
		<-headDone
		stopHub()
		<-hubDone
		stopWorker()
		return <-workerDone
	}
}

// printLogin tells how to log in; a generated first password is shown
// here once, on the console, and never written to the log.
func printLogin(w io.Writer, cfg *config, generated string) {
	if cfg.auth == "off" {
		fmt.Fprintf(w, "  Authentication is OFF (-auth off): anyone who reaches %s is admin.\n", cfg.baseURL)
		return
	}
	if generated != "" {
		fmt.Fprintf(w, "  First start: created the account \"admin\" with the password %s\n"+
			"  (shown only this once; change it at /account/password, or set SIROCCO_ADMIN_PASSWORD before the first start).\n", generated)
	}
	fmt.Fprintf(w, "  Log in: %s/login   API: send 'Authorization: Bearer <token>' (tokens: Accounts page or `token-create`)\n"+
		"  mistral CLI: OS_AUTH_URL=%s/v3 OS_USERNAME=<user> OS_PASSWORD=<password> OS_PROJECT_NAME=sirocco\n"+
		"               OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_IDENTITY_API_VERSION=3\n",
		cfg.baseURL, cfg.baseURL)
}

// loopback reports whether a listener accepts connections only from this
// machine.
func loopback(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.IsLoopback()
}

// seedExamples registers the example workflows when there are none yet,
// so that a fresh start has something to run.
func seedExamples(ctx context.Context, eng *engine.Engine, log *slog.Logger) error {
	existing, err := eng.ListWorkflows(ctx, engine.ListQuery{Limit: 1})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if len(existing) > 0 {
		return nil
	}
	files, err := fs.Glob(seedFS, "seed/*.yaml")
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	for _, f := range files {
		text, err := seedFS.ReadFile(f)
		if err != nil {
			return fmt.Errorf("seed %s: %w", f, err)
		}
		wfs, err := eng.CreateWorkflows(ctx, nil, string(text), "", engine.ScopePrivate)
		if fault.Code(err) == fault.ECONFLICT {
			// Replicas starting together on a new database: another one
			// registered it since the list above.
			continue
		}
		if err != nil {
			return fmt.Errorf("seed %s: %w", f, err)
		}
		for _, w := range wfs {
			log.Info("registered example workflow", "name", w.Name)
		}
	}
	return nil
}

// requestLog logs each request at debug level, and server errors at error
// level. A handler that panics is logged and answered with a 500: one bad
// request never takes the server down.
func requestLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			start := time.Now()
			defer func() {
				if p := recover(); p != nil {
					log.Error("handler panicked", "method", c.Request().Method, "path", guard.LogPath(c.Request()), "panic", p, "stack", string(debug.Stack()))
					c.Error(echo.ErrInternalServerError)
					err = nil
				}
			}()
			err = next(c)
			if err != nil {
				c.Error(err)
			}
			status := c.Response().Status
			level := slog.LevelDebug
			if status >= 500 && status != http.StatusNotImplemented { // 501: a resource Sirocco does not offer, no failure
				level = slog.LevelError
			}
			if ctx := c.Request().Context(); log.Enabled(ctx, level) { // spare building the record when it is dropped
				log.Log(ctx, level, "request", "method", c.Request().Method, "path", guard.LogPath(c.Request()),
					"status", status, "duration", time.Since(start))
			}
			return nil
		}
	}
}

// auditHeadEvery is how often the server logs the audit trail's head, so
// that the log, kept elsewhere, holds heads to check the trail against
// later (audit verify -head): a rollback of the database to an earlier
// state is then found.
const auditHeadEvery = time.Hour

// startAudit checks the audit trail before the server writes to it and,
// with a key, anchors its head (sqlite.StartAudit). A trail that does not
// check under the key refuses the start (exit 2), with what to do.
func startAudit(ctx context.Context, st *dataStore, cfg *config, log *slog.Logger) error {
	res, err := st.startAudit(ctx)
	if errAuditUnchecked(err) {
		if cfg.auditKey != nil {
			err = fmt.Errorf("%w (audit key from %s)", err, cfg.auditKeySource)
		}
		return exitError{2, fmt.Errorf("refusing to start: %w", err)}
	}
	if err != nil {
		return fmt.Errorf("audit trail: %w", err)
	}
	switch {
	case res.AnchoredEmpty:
		log.Info("audit trail: anchored the head of the empty trail with the audit key", "key", cfg.auditKeySource)
	case res.AnchoredExisting:
		log.Warn("audit trail: its head was not anchored (records written without an audit key); verified its chain and anchored it now",
			"records", res.Verified, "key", cfg.auditKeySource)
	case res.AnchorUnchecked:
		log.Warn("audit trail: the head is anchored but no audit key was given; records written now leave it unanchored, and records deleted from the end would go unnoticed (give -audit-key-file or SIROCCO_AUDIT_KEY)")
	case cfg.auditKey == nil:
		log.Warn("audit trail: not anchored, no audit key (-audit-key-file or SIROCCO_AUDIT_KEY): records deleted from the end would go unnoticed")
	}
	log.Info("audit head", "head", res.Head.String(), "anchored", res.Head.Anchor != "")
	return nil
}

// logAuditHead logs the audit trail's head every interval until ctx ends.
func logAuditHead(ctx context.Context, st engine.Store, log *slog.Logger, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			h, err := st.AuditHead(ctx)
			if err != nil {
				log.Error("audit head", "err", err)
				continue
			}
			log.Info("audit head", "head", fmt.Sprintf("%d:%s", h.Seq, h.Hash), "anchored", h.Anchored)
		}
	}
}
