package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
)

// runModule manages WASM plugin modules: `portico module add NAME FILE`, `module ls`, `module rm NAME`.
func runModule(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("module")
	var cf clientFlags
	cf.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("module needs add, ls or rm")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	switch verb := pos[0]; {
	case verb == "add" && len(pos) == 3:
		wasm, err := os.ReadFile(pos[2])
		if err != nil {
			return fmt.Errorf("read module: %w", err)
		}
		up, err := c.PutModule(ctx, pos[1], wasm)
		if err != nil {
			return fmt.Errorf("%s: %w", pos[2], err)
		}
		state := "unchanged"
		if up.Created {
			state = "uploaded"
		}
		fmt.Fprintf(stdout, "%s %s (%d bytes, sha256 %s); deploy to use it\n", state, up.Module.Name, up.Module.Size,
			up.Module.Digest[:12])
		return nil
	case verb == "ls" && len(pos) == 1:
		list, err := c.ListModules(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSIZE\tSHA256\tUPLOADED")
		for _, m := range list {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", m.Name, m.Size, m.Digest[:12], m.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"))
		}
		return tw.Flush()
	case verb == "rm" && len(pos) == 2:
		if err := c.DeleteModule(ctx, pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %s\n", pos[1])
		return nil
	}
	return usagef("module: use `module add NAME FILE`, `module ls` or `module rm NAME`")
}
