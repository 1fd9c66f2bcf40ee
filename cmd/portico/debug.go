package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

const debugUsage = "debug: use `debug pprof NAME [--seconds N] [-o FILE]`; NAME is profile (CPU), trace, heap, " +
	"allocs, goroutine, block, mutex or threadcreate"

// runDebug fetches diagnostics of a running node through its admin API: `portico debug pprof NAME` saves a runtime
// profile for `go tool pprof` (or a trace for `go tool trace`).
func runDebug(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("debug")
	var cf clientFlags
	cf.register(fs)
	seconds := fs.Int("seconds", 0, "sampling window of profile and trace, 1 to 30 (default: the server's, 10 and 1)")
	out := fs.String("o", "", "write to FILE (default NAME.pprof; - for standard output)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "pprof" {
		return usagef("%s", debugUsage)
	}
	// The client sends 0 as "the server's default", so an explicit 0 must not reach it silently.
	if setFlags(fs)["seconds"] && *seconds < 1 {
		return usagef("debug pprof: --seconds must be at least 1, got %d", *seconds)
	}
	name := pos[1]
	c, err := cf.client()
	if err != nil {
		return err
	}
	data, err := c.Profile(ctx, name, *seconds)
	if err != nil {
		return fmt.Errorf("debug pprof %s: %w", name, err)
	}
	if *out == "-" {
		_, err := stdout.Write(data)
		return err
	}
	file := *out
	if file == "" {
		file = name + ".pprof"
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		return fmt.Errorf("debug pprof %s: %w", name, err)
	}
	tool := "pprof"
	if name == "trace" {
		tool = "trace"
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes); open it with: go tool %s %s\n", file, len(data), tool, file)
	return nil
}
