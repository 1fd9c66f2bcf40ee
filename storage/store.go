package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver (pure Go)
)

// PluginValidator checks a plugin binding's type, phase and raw config before it is stored. It is implemented by the
// plugin registry (built-ins and uploaded modules); storage only consumes it, so the interface lives here.
//
// path is the resource path the binding is attached to (or the path of its method) and method the HTTP method for
// a method binding ("" for a path binding): config values may use the context variables declared on that path.
type PluginValidator interface {
	ValidatePlugin(path, method, typ, phase string, config json.RawMessage) error
}

// Limits caps how many entities a store holds. Zero fields take the defaults of DefaultLimits (the seed's limits); a
// negative field means no limit.
type Limits struct {
	MaxServices          int
	MaxStagesPerService  int
	MaxMethodsPerService int
}

// DefaultLimits returns the seed's limits: 10 services, 10 stages per service, 100 methods per service.
func DefaultLimits() Limits {
	return Limits{MaxServices: 10, MaxStagesPerService: 10, MaxMethodsPerService: 100}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxServices == 0 {
		l.MaxServices = d.MaxServices
	}
	if l.MaxStagesPerService == 0 {
		l.MaxStagesPerService = d.MaxStagesPerService
	}
	if l.MaxMethodsPerService == 0 {
		l.MaxMethodsPerService = d.MaxMethodsPerService
	}
	return l
}

// Options configure a Store.
type Options struct {
	Limits Limits
	// Plugins validates plugin bindings. When nil every plugin binding is refused.
	Plugins PluginValidator
	// Now is the clock (default time.Now); stored times are UTC.
	Now func() time.Time
}

// Store is the SQLite control-plane store. It is safe for concurrent use.
type Store struct {
	path   string
	w      *sql.DB // the single writer connection: every Update runs on it, one at a time
	r      *sql.DB // read-only connections for View, which WAL lets run beside the writer
	limits Limits
	opts   Options
}

const (
	// busyTimeoutMS is how long a connection waits for another process's lock (a CLI apply next to a running
	// server) before SQLITE_BUSY. Within one process writes queue on the single writer connection instead.
	busyTimeoutMS = 5000
	// readConns bounds concurrent View transactions; the machines are small and reads are short.
	readConns = 4
)

// Open opens (creating if needed) the database at path, applies pending migrations and returns the store. The
// parent directory is created with mode 0700 and the file with 0600: it holds API key hashes and plugin secrets.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("storage: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("storage: database path %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("storage: create directory for %s: %w", abs, err)
	}
	// Create the file ourselves so it gets mode 0600; SQLite gives its WAL and shm files the same mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", abs, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", abs, err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{path: abs, limits: opts.Limits.withDefaults(), opts: opts}

	s.w, err = sql.Open("sqlite", dsn(abs, true))
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", abs, err)
	}
	// SQLite has one writer. One pooled connection makes concurrent Updates in this process queue in database/sql
	// (honouring their contexts) instead of failing with SQLITE_BUSY.
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxIdleTime(0)
	s.w.SetConnMaxLifetime(0)
	if err := migrate(ctx, s.w, s.now); err != nil {
		s.w.Close()
		return nil, err
	}

	s.r, err = sql.Open("sqlite", dsn(abs, false))
	if err != nil {
		s.w.Close()
		return nil, fmt.Errorf("storage: open %s: %w", abs, err)
	}
	s.r.SetMaxOpenConns(readConns)
	s.r.SetMaxIdleConns(readConns)
	if err := s.r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("storage: open %s: %w", abs, err)
	}
	return s, nil
}

// dsn builds a modernc.org/sqlite URI for path. The writer begins every transaction with BEGIN IMMEDIATE
// (_txlock) so it takes the write lock up front: a deferred transaction that reads first and upgrades later can
// fail with SQLITE_BUSY without waiting for busy_timeout. Readers are query_only as a guard.
func dsn(path string, write bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)") // safe in WAL mode: a crash may lose the last commits, never corrupt
	if write {
		q.Add("_pragma", "journal_mode(WAL)") // persistent in the file; set by the writer, which opens first
		q.Set("_txlock", "immediate")
	} else {
		q.Set("_query_only", "1")
	}
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows volume path: file:///C:/...
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String()
}

// Close closes the database handles.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Limits returns the effective limits (defaults applied).
func (s *Store) Limits() Limits { return s.limits }

func (s *Store) now() time.Time { return s.opts.Now().UTC() }

// Tx is one transaction. Every operation of the store is a method on Tx so that callers (admin API, declarative
// apply) can compose many in one transaction. A Tx must not be used after the function it was given to returns, nor
// from several goroutines.
type Tx struct {
	s     *Store
	tx    *sql.Tx
	write bool
}

// errReadOnly is returned by write operations called inside View.
var errReadOnly = errors.New("storage: write operation in a read-only transaction (use Update)")

// View runs fn in a read-only transaction: fn sees one consistent snapshot of the database.
func (s *Store) View(ctx context.Context, fn func(*Tx) error) error {
	sqlTx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("storage: begin read transaction: %w", err)
	}
	defer sqlTx.Rollback() //nolint:errcheck // a read transaction has nothing to keep
	return fn(&Tx{s: s, tx: sqlTx})
}

// Update runs fn in one write transaction, committed when fn returns nil and rolled back when it returns an error
// or panics. Updates are serialised. fn must not call Update (it would wait for itself); a View inside fn does not
// see fn's uncommitted writes.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: begin write transaction: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = sqlTx.Rollback() // also on panic: the panic continues after the rollback
		}
	}()
	if err := fn(&Tx{s: s, tx: sqlTx, write: true}); err != nil {
		return err
	}
	done = true
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("storage: commit: %w", err)
	}
	return nil
}

// atomic runs one write operation inside a savepoint, so that an operation that fails after some of its statements
// leaves the transaction as it was, even when the caller ignores the error and commits.
func (tx *Tx) atomic(ctx context.Context, fn func() error) error {
	if !tx.write {
		return errReadOnly
	}
	if _, err := tx.tx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
		return fmt.Errorf("storage: savepoint: %w", err)
	}
	if err := fn(); err != nil {
		// A failure here also fails the transaction's commit, so the caller cannot keep a half-done operation.
		if _, rerr := tx.tx.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO op"); rerr != nil {
			return errors.Join(err, fmt.Errorf("storage: rollback to savepoint: %w", rerr))
		}
		_, _ = tx.tx.ExecContext(context.WithoutCancel(ctx), "RELEASE op")
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, "RELEASE op"); err != nil {
		return fmt.Errorf("storage: release savepoint: %w", err)
	}
	return nil
}

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, query, args...)
}

func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, query, args...)
}

func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, query, args...)
}

// count runs a SELECT COUNT(*)-style query.
func (tx *Tx) count(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	if err := tx.queryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage: count: %w", err)
	}
	return n, nil
}

// insertID runs an INSERT and returns the new row id.
func (tx *Tx) insertID(ctx context.Context, what, query string, args ...any) (int64, error) {
	res, err := tx.exec(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("storage: insert %s: %w", what, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("storage: insert %s: %w", what, err)
	}
	return id, nil
}

// Times are stored as RFC 3339 text in UTC with a fixed-width fraction, so they read well in the sqlite3 shell
// and sort as strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("storage: bad stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// checkVersion implements If-Match: want 0 means no check.
func checkVersion(what string, have, want int64) error {
	if want != 0 && have != want {
		return Stale(what, have, want)
	}
	return nil
}

// conflictOn returns a Conflict error that names the offending field.
func conflictOn(field, code, format string, args ...any) *Error {
	e := Conflict(code, format, args...)
	e.Field = field
	return e
}

func ptrInt(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}
