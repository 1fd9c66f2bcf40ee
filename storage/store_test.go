package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	path := filepath.Join(dir, "portico.db")
	openAt(t, path, testOptions())
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		noErr(t, err)
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", p, got, want)
		}
	}
	var mode string
	s := openAt(t, filepath.Join(t.TempDir(), "x.db"), testOptions())
	noErr(t, s.r.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
	equal(t, mode, "wal", "journal mode")
	var fk int
	noErr(t, s.w.QueryRow(`PRAGMA foreign_keys`).Scan(&fk))
	equal(t, fk, 1, "foreign_keys on the writer")
	noErr(t, s.r.QueryRow(`PRAGMA foreign_keys`).Scan(&fk))
	equal(t, fk, 1, "foreign_keys on readers")
}

func TestMigrationsIdempotentOnReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portico.db")
	ctx := context.Background()
	latest := latestSchemaVersion()
	if latest < 1 {
		t.Fatalf("no migrations embedded")
	}
	for i := range 3 {
		s, err := Open(ctx, path, testOptions())
		noErr(t, err)
		if i == 0 {
			update(t, s, func(ctx context.Context, tx *Tx) error {
				_, err := tx.CreateService(ctx, Service{ID: "keep", Name: "kept across reopen"})
				return err
			})
		}
		v := get(t, s, func(ctx context.Context, tx *Tx) (int, error) { return tx.SchemaVersion(ctx) })
		equal(t, v, latest, "schema version")
		n := get(t, s, func(ctx context.Context, tx *Tx) (int, error) {
			return tx.count(ctx, `SELECT COUNT(*) FROM schema_migrations`)
		})
		equal(t, n, latest, "recorded migrations")
		svcs := get(t, s, func(ctx context.Context, tx *Tx) ([]Service, error) { return tx.ListServices(ctx) })
		equal(t, len(svcs), 1, "services after reopen")
		noErr(t, s.Close())
	}

	t.Run("newer database refused", func(t *testing.T) {
		s, err := Open(ctx, path, testOptions())
		noErr(t, err)
		_, err = s.w.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future.sql', 'x')`,
			latest+1)
		noErr(t, err)
		noErr(t, s.Close())
		if s, err := Open(ctx, path, testOptions()); err == nil {
			s.Close()
			t.Fatal("Open accepted a database from a newer binary")
		}
	})
}

func TestUpdateRollsBack(t *testing.T) {
	s := openTest(t, testOptions())
	ctx := context.Background()
	before := digest(t, s)

	t.Run("error", func(t *testing.T) {
		sentinel := errors.New("stop")
		err := s.Update(ctx, func(tx *Tx) error {
			if _, err := tx.CreateService(ctx, Service{Name: "a"}); err != nil {
				return err
			}
			return sentinel
		})
		if err != sentinel {
			t.Fatalf("Update returned %v, want the function's error unchanged", err)
		}
		equal(t, digest(t, s), before, "database after a failed Update")
	})

	t.Run("panic", func(t *testing.T) {
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("panic was swallowed")
				}
			}()
			_ = s.Update(ctx, func(tx *Tx) error {
				if _, err := tx.CreateService(ctx, Service{Name: "b"}); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		equal(t, digest(t, s), before, "database after a panicking Update")
		// The writer connection is usable again.
		update(t, s, func(ctx context.Context, tx *Tx) error {
			_, err := tx.CreateService(ctx, Service{Name: "c"})
			return err
		})
	})

	t.Run("write in View", func(t *testing.T) {
		err := s.View(ctx, func(tx *Tx) error {
			_, err := tx.CreateService(ctx, Service{Name: "d"})
			return err
		})
		if !errors.Is(err, errReadOnly) {
			t.Fatalf("write in View: got %v, want errReadOnly", err)
		}
	})
}

// TestConcurrentUpdates hammers one store (and a second store on the same file, as a CLI next to a server would)
// from several goroutines: no write may fail with SQLITE_BUSY. Run with -race.
func TestConcurrentUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portico.db")
	opts := testOptions()
	opts.Now = nil // fixedClock is not goroutine-safe
	opts.Limits = Limits{MaxMethodsPerService: -1}
	a := openAt(t, path, opts)
	b := openAt(t, path, opts)
	update(t, a, func(ctx context.Context, tx *Tx) error {
		_, err := tx.CreateService(ctx, Service{ID: "conc", Name: "concurrency"})
		return err
	})

	const workers, writes = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*writes*2)
	for w := range workers {
		s := a
		if w%3 == 2 {
			s = b
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := range writes {
				errs <- s.Update(ctx, func(tx *Tx) error {
					r, err := tx.CreateResource(ctx, "conc", fmt.Sprintf("/w%d/r%d", w, i))
					if err != nil {
						return err
					}
					_, err = tx.CreateMethod(ctx, "conc", r.ID, Method{HTTPMethod: "get", Backend: httpBackend("/")})
					return err
				})
			}
		}()
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for range writes {
				errs <- s.View(ctx, func(tx *Tx) error {
					_, err := tx.ResourceTree(ctx, "conc")
					return err
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		noErr(t, err)
	}
	tree := get(t, a, func(ctx context.Context, tx *Tx) (ResourceTree, error) { return tx.ResourceTree(ctx, "conc") })
	// "/" + one "/wN" per worker + every "/wN/rI".
	equal(t, len(tree.Resources), 1+workers+workers*writes, "resources written")
}
