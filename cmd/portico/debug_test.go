package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLIDebugPprof(t *testing.T) {
	n, dir := startTestNode(t)
	out := t.TempDir()
	t.Chdir(out) // where the default NAME.pprof lands

	for _, tc := range []struct {
		name string
		args []string
		file string // the profile written, relative to out
		tool string
	}{
		{"heap to a file", []string{"heap", "-o", filepath.Join(out, "mem.prof")}, "mem.prof", "pprof"},
		{"default file name", []string{"goroutine"}, "goroutine.pprof", "pprof"},
		{"cpu profile", []string{"profile", "--seconds", "1"}, "profile.pprof", "pprof"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout := mustCLI(t, n, dir, append([]string{"debug", "pprof"}, tc.args...)...)
			data, err := os.ReadFile(filepath.Join(out, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
				t.Fatalf("%s is not a gzipped profile: %.20q", tc.file, data)
			}
			if !strings.HasPrefix(stdout, "wrote ") || !strings.Contains(stdout, "go tool "+tc.tool+" ") ||
				!strings.Contains(stdout, tc.file) || strings.Count(stdout, "\n") != 1 {
				t.Errorf("output %q", stdout)
			}
		})
	}

	t.Run("standard output", func(t *testing.T) {
		stdout := mustCLI(t, n, dir, "debug", "pprof", "heap", "-o", "-")
		if !strings.HasPrefix(stdout, "\x1f\x8b") {
			t.Fatalf("stdout %.20q is not a gzipped profile", stdout)
		}
		if _, err := os.Stat(filepath.Join(out, "heap.pprof")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("-o - also wrote heap.pprof (%v)", err)
		}
	})

	// The server's refusals reach the operator with its message; nothing is written.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"profile", "--seconds", "31"}, "1 to 30"},
		{[]string{"nope"}, `no profile "nope"`},
	} {
		_, err := cli(t, n, dir, append([]string{"debug", "pprof"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("portico debug pprof %s: %v, want an error saying %s", strings.Join(tc.args, " "), err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "nope.pprof")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused profile left a file (%v)", err)
	}

	var ue usageError
	for _, args := range [][]string{
		{"debug"}, {"debug", "pprof"}, {"debug", "frobnicate", "heap"}, {"debug", "pprof", "heap", "extra"},
		{"debug", "pprof", "profile", "--seconds", "0"},
	} {
		if _, err := cli(t, n, dir, args...); !errors.As(err, &ue) {
			t.Errorf("portico %s: error %v, want a usage error", strings.Join(args, " "), err)
		}
	}
}
