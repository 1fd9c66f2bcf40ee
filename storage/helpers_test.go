package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakePlugins is the plugin registry of the tests: "headers" and "cors" accept anything, "strict" wants a "name"
// key (and says so with a field error), "failing" always fails with a plain error.
type fakePlugins struct{}

func (fakePlugins) ValidatePlugin(path, method, typ, phase string, config json.RawMessage) error {
	switch typ {
	case "headers", "cors", PluginTypeWASM:
		return nil
	case "strict":
		var m map[string]any
		_ = json.Unmarshal(config, &m)
		if _, ok := m["name"]; !ok {
			return Invalid("name", "is required")
		}
		return nil
	case "failing":
		return errors.New("failing plugins always fail")
	}
	return fmt.Errorf("unknown plugin type %q", typ)
}

// fixedClock returns a clock that advances one second per reading, so times are deterministic and distinct.
func fixedClock() func() time.Time {
	t := time.Date(2025, 3, 1, 12, 0, 0, 0, time.FixedZone("KST", 9*3600))
	return func() time.Time {
		t = t.Add(time.Second)
		return t
	}
}

func testOptions() Options {
	return Options{Plugins: fakePlugins{}, Now: fixedClock()}
}

func openAt(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openTest(t *testing.T, opts Options) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "data", "portico.db"), opts)
}

func update(t *testing.T, s *Store, fn func(ctx context.Context, tx *Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := s.Update(ctx, func(tx *Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s *Store, fn func(ctx context.Context, tx *Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := s.View(ctx, func(tx *Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// get runs one read in a View and returns its result.
func get[T any](t *testing.T, s *Store, fn func(ctx context.Context, tx *Tx) (T, error)) T {
	t.Helper()
	var out T
	view(t, s, func(ctx context.Context, tx *Tx) error {
		var err error
		out, err = fn(ctx, tx)
		return err
	})
	return out
}

// do runs one write in an Update and returns its result.
func do[T any](t *testing.T, s *Store, fn func(ctx context.Context, tx *Tx) (T, error)) T {
	t.Helper()
	var out T
	update(t, s, func(ctx context.Context, tx *Tx) error {
		var err error
		out, err = fn(ctx, tx)
		return err
	})
	return out
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func equal[T any](t *testing.T, got, want T, what string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// wantError checks that err is an *Error of the given kind, code and field.
func wantError(t *testing.T, err error, kind ErrorKind, code, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s error on %q, got nil", code, field)
	}
	e, ok := AsError(err)
	if !ok {
		t.Fatalf("want *Error, got %T: %v", err, err)
	}
	if e.Kind != kind || e.Code != code || e.Field != field {
		t.Fatalf("got kind %d code %q field %q (%v); want kind %d code %q field %q",
			e.Kind, e.Code, e.Field, err, kind, code, field)
	}
	if e.Message == "" {
		t.Fatalf("error without a message: %#v", e)
	}
}

// digest dumps every table (schema tables and sqlite_sequence included), to prove that nothing changed.
func digest(t *testing.T, s *Store) string {
	t.Helper()
	var b strings.Builder
	view(t, s, func(ctx context.Context, tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
		if err != nil {
			return err
		}
		var tables []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			tables = append(tables, n)
		}
		rows.Close()
		for _, table := range tables {
			rows, err := tx.query(ctx, `SELECT * FROM "`+table+`" ORDER BY 1, 2`)
			if err != nil {
				return err
			}
			cols, _ := rows.Columns()
			fmt.Fprintf(&b, "== %s %v\n", table, cols)
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					return err
				}
				for _, v := range vals {
					if bs, ok := v.([]byte); ok {
						v = string(bs)
					}
					fmt.Fprintf(&b, "%v|", v)
				}
				b.WriteByte('\n')
			}
			rows.Close()
		}
		return nil
	})
	return b.String()
}

func httpBackend(path string) Backend { return Backend{Type: BackendHTTP, Path: path} }
