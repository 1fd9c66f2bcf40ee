package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/portico-gateway/portico/runtime/demo"
	"github.com/portico-gateway/portico/runtime/node"
	"github.com/portico-gateway/portico/storage"
)

// shutdownGrace bounds the drain of in-flight requests on SIGTERM.
const shutdownGrace = 30 * time.Second

// serveOptions are the parsed flags of `portico serve`.
type serveOptions struct {
	node     node.Config
	withDemo bool
	demoAddr string
	level    slog.Level
}

func parseServeFlags(args []string) (serveOptions, error) {
	fs := newFlagSet("serve")
	var (
		o          serveOptions
		listen     stringList
		trusted    stringList
		ppFrom     stringList
		logLevel   string
		limits     = storage.DefaultLimits()
		backendTTL time.Duration
	)
	cfg := &o.node
	fs.StringVar(&cfg.DataDir, "data", node.DefaultDataDir, "data directory (SQLite database, admin token)")
	fs.Var(&listen, "listen", "gateway listen address, repeatable (default "+node.DefaultListen+")")
	fs.StringVar(&cfg.AdminListen, "admin-listen", node.DefaultAdminListen, "admin API listen address")
	fs.StringVar(&cfg.Domain, "domain", node.DefaultDomain, "domain of stage hosts: {service}[-{stage}].DOMAIN")
	fs.StringVar(&cfg.Region, "region", "", "optional region prefix of stage hosts: REGION-{service}…")
	fs.BoolVar(&cfg.ProxyProtocol, "proxy-protocol", false, "expect PROXY protocol v1/v2 from the load balancer")
	fs.Var(&ppFrom, "proxy-protocol-from", "peers allowed to send PROXY headers (default: every connection must)")
	fs.Var(&trusted, "trusted-proxies", "CIDRs whose X-Forwarded-For is trusted, comma-separated")
	fs.BoolVar(&o.withDemo, "demo", false, "start a demo echo backend and deploy a demo service")
	fs.StringVar(&o.demoAddr, "demo-backend", "127.0.0.1:9000", "listen address of the demo echo backend")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	fs.IntVar(&limits.MaxServices, "max-services", limits.MaxServices, "limit on services")
	fs.IntVar(&limits.MaxStagesPerService, "max-stages", limits.MaxStagesPerService, "limit on stages per service")
	fs.IntVar(&limits.MaxMethodsPerService, "max-methods", limits.MaxMethodsPerService, "limit on methods per service")
	fs.DurationVar(&backendTTL, "backend-timeout", 60*time.Second, "timeout of a backend call")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return o, err
	}
	if len(pos) > 0 {
		return o, usagef("serve takes no arguments, got %q", pos)
	}
	if err := o.level.UnmarshalText([]byte(logLevel)); err != nil {
		return o, usagef("--log-level: %v", err)
	}
	if !cfg.ProxyProtocol && len(ppFrom) > 0 {
		return o, usagef("--proxy-protocol-from needs --proxy-protocol")
	}
	cfg.Listen, cfg.TrustedProxies, cfg.ProxyProtocolFrom = listen, trusted, ppFrom
	cfg.Limits, cfg.BackendTimeout, cfg.Version = limits, backendTTL, version
	return o, nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseServeFlags(args)
	if err != nil {
		return err
	}
	cfg, withDemo, demoAddr := o.node, o.withDemo, o.demoAddr
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: o.level}))
	cfg.Logger = logger

	var backend *demo.Backend
	if withDemo {
		if backend, err = demo.StartBackend(ctx, demoAddr); err != nil {
			return fmt.Errorf("%w (choose another address with --demo-backend)", err)
		}
		defer backend.Close(context.Background())
	}
	n, err := node.Start(ctx, cfg)
	if err != nil {
		return err
	}
	if withDemo {
		if _, err := demo.Ensure(ctx, n.Store(), n.Runtime(), backend.URL()); err != nil {
			_ = n.Shutdown(context.Background())
			return err
		}
	}
	printBanner(stdout, n, cfg.DataDir, withDemo)

	select {
	case <-ctx.Done():
		logger.Info("shutting down: draining in-flight requests", "grace", shutdownGrace.String())
	case err := <-n.Errors():
		logger.Error("serving failed", "error", err)
		_ = n.Shutdown(context.Background())
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	return n.Shutdown(sctx)
}

func printBanner(w io.Writer, n *node.Node, dataDir string, withDemo bool) {
	st := n.Runtime().Status()
	fmt.Fprintf(w, "Portico %s\n", version)
	fmt.Fprintf(w, "  gateway:   %v\n", n.GatewayAddrs())
	fmt.Fprintf(w, "  admin API: %s  (token in %s)\n", n.AdminURL(), filepath.Join(dataDir, "admin.token"))
	if len(st.Stages) == 0 {
		fmt.Fprintf(w, "  no stage deployed yet: portico apply -f portico.yaml && portico deploy SERVICE STAGE\n")
		return
	}
	fmt.Fprintf(w, "  stages:\n")
	for _, s := range st.Stages {
		name := s.StageName
		if name == "" {
			name = "(default)"
		}
		fmt.Fprintf(w, "    %-10s %-10s %s\n", s.ServiceID, name, s.URL)
	}
	if withDemo {
		base, test := "", ""
		for _, s := range st.Stages {
			if s.ServiceID == demo.ServiceID && s.StageName == "" {
				base = s.URL
			}
			if s.ServiceID == demo.ServiceID && s.StageName == "test" {
				test = s.URL
			}
		}
		fmt.Fprintf(w, "\nTry:\n")
		fmt.Fprintf(w, "  curl %s/hello\n", base)
		fmt.Fprintf(w, "  curl %s/items/42\n", test)
		fmt.Fprintf(w, "  curl '%s/echo/any/path?x=1'\n", base)
		fmt.Fprintf(w, "  curl http://%s/healthz\n", n.GatewayAddrs()[0])
	}
}
