// Command portico is the Portico API gateway: `portico serve` runs a node; the other commands talk to a node's
// admin API. This file only parses flags and calls packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Portico — a self-hosted API gateway.

Usage:
  portico serve [--data DIR] [--listen ADDR]… [--admin-listen ADDR] [--domain D] [--region R]
                [--proxy-protocol] [--trusted-proxies CIDR,…] [--demo]
  portico apply -f FILE [--dry-run]
  portico export [-o FILE]
  portico deploy SERVICE STAGE [-m MESSAGE] [--no-apply]
  portico history SERVICE STAGE
  portico rollback SERVICE STAGE DEPLOYMENT
  portico status
  portico module add NAME FILE | ls | rm NAME
  portico plugin new [--lang go|c|assemblyscript] NAME
  portico plugin test FILE.wasm [--config JSON] [--request 'GET /path'] [-H 'Name: value']… [--body FILE]
  portico domains ls | add HOST SERVICE STAGE [--base-path P] | rm HOST
  portico keys ls | create NAME [--description D] [--inactive] | show KEY
               | set KEY [--status ACTIVE|INACTIVE] [--name N] [--description D]
               | regenerate KEY primary|secondary | rm KEY
  portico plans ls | create NAME [--rps N] [--quota N --period DAY|MONTH] [--description D] | show PLAN
                | set PLAN [--rps N] [--quota N] [--period DAY|MONTH|NONE] [--name N] [--description D] | rm PLAN
                | connect|disconnect PLAN SERVICE STAGE | add-key|remove-key PLAN SERVICE STAGE KEY
                | move-key PLAN SERVICE STAGE KEY TO-PLAN
  portico debug pprof NAME [--seconds N] [-o FILE]
  portico version

SERVICE is a service name or ID; STAGE is a stage name, "" or "default" for the default stage; KEY and PLAN are
names or IDs. API key values are printed once, by create and regenerate. debug pprof saves a runtime profile of the
node (NAME: profile for CPU, trace, heap, allocs, goroutine, block, mutex, threadcreate) to NAME.pprof for go tool
pprof; --seconds (1 to 30) is the sampling window of profile and trace, -o - writes to standard output.
Client commands reach the admin API at --server (default $PORTICO_SERVER or http://127.0.0.1:9080) with the
token in $PORTICO_TOKEN, --token, or the admin.token file of --data (default ./portico-data).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "portico: %v\n\n%s", err, usage)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "portico: %v\n", err)
		os.Exit(1)
	}
}

// usageError is a mistake in the command line itself.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// commands are the client commands: each talks to a node's admin API.
var commands = map[string]func(context.Context, []string, io.Writer) error{
	"apply":    runApply,
	"export":   runExport,
	"deploy":   runDeploy,
	"history":  runHistory,
	"rollback": runRollback,
	"status":   runStatus,
	"domains":  runDomains,
	"module":   runModule,
	"plugin":   runPlugin,
	"keys":     runKeys,  // keys.go
	"plans":    runPlans, // plans.go
	"debug":    runDebug, // debug.go
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("missing command")
	}
	args = commandFirst(args)
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "version", "--version", "-version", "-v":
		fmt.Fprintf(stdout, "portico %s\n", version)
		return nil
	case "help", "--help", "-h", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	if fn, ok := commands[cmd]; ok {
		return fn(ctx, rest, stdout)
	}
	return usagef("unknown command %q", cmd)
}

// commandFirst lets shared flags come before the command (`portico --server URL deploy shop test`): the first
// argument that names a command is moved to the front, the flags before it go after it.
func commandFirst(args []string) []string {
	if len(args) == 0 || !strings.HasPrefix(args[0], "-") {
		return args
	}
	for i, a := range args {
		if _, ok := commands[a]; ok || a == "serve" {
			out := append([]string{a}, args[:i]...)
			return append(out, args[i+1:]...)
		}
	}
	return args
}
