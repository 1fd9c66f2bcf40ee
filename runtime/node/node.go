// Package node assembles one running Portico: the SQLite store, the compiled data plane with its listeners, and the
// admin API. `portico serve` and the end-to-end tests start a node the same way.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "github.com/portico-gateway/portico/builtins" // registers the built-in plugin types
	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/admin"
	"github.com/portico-gateway/portico/runtime/deploy"
	"github.com/portico-gateway/portico/runtime/edge"
	"github.com/portico-gateway/portico/runtime/kv"
	"github.com/portico-gateway/portico/runtime/pipeline"
	"github.com/portico-gateway/portico/runtime/proxy"
	"github.com/portico-gateway/portico/runtime/usage"
	"github.com/portico-gateway/portico/runtime/usage/usagestore"
	"github.com/portico-gateway/portico/runtime/wasmhost"
	"github.com/portico-gateway/portico/storage"
)

// Defaults of `portico serve`.
const (
	DefaultDataDir     = "portico-data"
	DefaultListen      = "127.0.0.1:8080"
	DefaultAdminListen = "127.0.0.1:9080"
	DefaultDomain      = "localhost"
	DatabaseFile       = "portico.db"
	// defaultKVEntries bounds the plugins' shared key-value store (kv_get/kv_set/counter_incr).
	defaultKVEntries = 100_000
)

// Config configures a node.
type Config struct {
	DataDir        string
	Listen         []string
	AdminListen    string
	Domain         string
	Region         string
	ProxyProtocol  bool
	TrustedProxies []string
	// ProxyProtocolFrom restricts which peers may send a PROXY header (empty: every connection must send one).
	ProxyProtocolFrom []string
	Limits            storage.Limits
	BackendTimeout    time.Duration
	// QuotaFlushInterval is how often usage-plan quota counts are written to SQLite (default 10 s).
	QuotaFlushInterval time.Duration
	// WASM tunes the plugin runtime: memory cap per instance and time per guest call (defaults 16 MiB, 100 ms).
	WASMMemoryLimitPages uint32
	WASMCallTimeout      time.Duration
	Version              string
	Logger               *slog.Logger
}

// Node is a running Portico.
type Node struct {
	cfg      Config
	log      *slog.Logger
	store    *storage.Store
	runtime  *deploy.Runtime
	gateway  *edge.Server
	admin    *http.Server
	usage    *usage.Guard
	wasm     *wasmhost.Runtime
	gwLns    []net.Listener
	adminLn  net.Listener
	token    string
	serveErr chan error
	stopOnce sync.Once
}

// Start opens the store, loads the live deployments, binds every listener and starts serving. Everything it opened
// is closed again if a later step fails.
func Start(ctx context.Context, cfg Config) (n *Node, err error) {
	if cfg.DataDir == "" {
		cfg.DataDir = DefaultDataDir
	}
	if len(cfg.Listen) == 0 {
		cfg.Listen = []string{DefaultListen}
	}
	if cfg.AdminListen == "" {
		cfg.AdminListen = DefaultAdminListen
	}
	if cfg.Domain == "" {
		cfg.Domain = DefaultDomain
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	n = &Node{cfg: cfg, log: cfg.Logger, serveErr: make(chan error, 2)}
	defer func() {
		if err != nil {
			n.closeAll()
		}
	}()

	trusted, err := edge.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("--trusted-proxies: %w", err)
	}
	var ppFrom *edge.TrustedProxies
	if len(cfg.ProxyProtocolFrom) > 0 {
		if ppFrom, err = edge.ParseTrustedProxies(cfg.ProxyProtocolFrom); err != nil {
			return nil, fmt.Errorf("--proxy-protocol-from: %w", err)
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if n.token, err = admin.EnsureToken(cfg.DataDir); err != nil {
		return nil, err
	}
	plugins := abi.Default() // the built-ins registered themselves (package builtins)
	n.store, err = storage.Open(ctx, filepath.Join(cfg.DataDir, DatabaseFile), storage.Options{Limits: cfg.Limits,
		Plugins: plugins})
	if err != nil {
		return nil, err
	}

	// API keys and usage plans: loaded before any stage compiles, flushed to SQLite in batches.
	n.usage = usage.New(usage.Config{Source: usagestore.New(n.store), FlushInterval: cfg.QuotaFlushInterval,
		Logger: n.log})
	if err := n.usage.Start(ctx); err != nil {
		return nil, fmt.Errorf("load API keys and usage plans: %w", err)
	}
	n.wasm, err = wasmhost.New(ctx, wasmhost.Config{CacheDir: filepath.Join(cfg.DataDir, "wasm-cache"),
		MemoryLimitPages: cfg.WASMMemoryLimitPages, CallTimeout: cfg.WASMCallTimeout, Logger: n.log})
	if err != nil {
		return nil, err
	}

	gw := &pipeline.Gateway{}
	compiler := &deploy.Compiler{Transport: proxy.NewTransport(proxy.Options{Timeout: cfg.BackendTimeout}),
		Plugins: plugins, KV: kv.NewMemory(defaultKVEntries), Logger: n.log,
		Services: map[string]any{usage.ServiceKey: n.usage},
		Modules:  &deploy.Modules{Runtime: n.wasm, Store: n.store},
		Caller:   pipeline.NewHTTPCaller()}

	n.gwLns, err = edge.Listen(ctx, edge.ListenConfig{Addrs: cfg.Listen, ProxyProtocol: cfg.ProxyProtocol,
		ProxyProtocolFrom: ppFrom})
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	if n.adminLn, err = lc.Listen(ctx, "tcp", cfg.AdminListen); err != nil {
		return nil, fmt.Errorf("admin: listen %s: %w", cfg.AdminListen, err)
	}
	listen := make([]string, len(n.gwLns))
	for i, ln := range n.gwLns {
		listen[i] = ln.Addr().String()
	}
	n.runtime = deploy.New(deploy.Config{Store: n.store, Gateway: gw, Compiler: compiler,
		Hosts: deploy.Hosts{Domain: cfg.Domain, Region: cfg.Region}, Listen: listen, Version: cfg.Version, Logger: n.log,
		Usage: n.usage})
	if err := n.runtime.Reload(ctx); err != nil {
		// Serve what compiles; the log names what did not.
		n.log.Error("some live deployments were not loaded", "error", err)
	}

	n.gateway = edge.NewServer(gw, edge.ServerConfig{TrustedProxies: trusted, Logger: n.log})
	adminSrv := admin.New(admin.Config{Store: n.store, Runtime: n.runtime, Token: n.token, Logger: n.log,
		Version: cfg.Version})
	n.admin = &http.Server{Handler: adminSrv.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}

	go func() { n.serveErr <- n.gateway.Serve(n.gwLns) }()
	go func() {
		if err := n.admin.Serve(n.adminLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.serveErr <- fmt.Errorf("admin: %w", err)
		}
	}()
	n.log.Info("portico started", "listen", listen, "admin", n.adminLn.Addr().String(), "data", cfg.DataDir,
		"domain", cfg.Domain, "version", cfg.Version)
	return n, nil
}

// Errors delivers a fatal serving error (a listener that died).
func (n *Node) Errors() <-chan error { return n.serveErr }

// Store is the node's store.
func (n *Node) Store() *storage.Store { return n.store }

// Runtime is the node's data-plane runtime.
func (n *Node) Runtime() *deploy.Runtime { return n.runtime }

// Token is the admin API bearer token.
func (n *Node) Token() string { return n.token }

// AdminURL is the admin API's base URL.
func (n *Node) AdminURL() string { return "http://" + n.adminLn.Addr().String() }

// GatewayAddrs are the bound gateway addresses.
func (n *Node) GatewayAddrs() []string {
	out := make([]string, len(n.gwLns))
	for i, ln := range n.gwLns {
		out[i] = ln.Addr().String()
	}
	return out
}

// Shutdown stops accepting, drains in-flight requests until ctx ends, then closes the store.
func (n *Node) Shutdown(ctx context.Context) error {
	var errs []error
	n.stopOnce.Do(func() {
		if n.gateway != nil {
			if err := n.gateway.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("gateway shutdown: %w", err))
			}
		}
		if n.admin != nil {
			if err := n.admin.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("admin shutdown: %w", err))
			}
		}
		if n.usage != nil {
			// The last quota counts reach SQLite before the store closes.
			if err := n.usage.Close(ctx); err != nil {
				errs = append(errs, fmt.Errorf("flush quota usage: %w", err))
			}
			n.usage = nil
		}
		n.closeAll()
	})
	return errors.Join(errs...)
}

func (n *Node) closeAll() {
	if n.runtime != nil {
		n.runtime.Close() // plugin pools before the WASM runtime they run on
	}
	if n.usage != nil {
		_ = n.usage.Close(context.Background())
	}
	if n.wasm != nil {
		_ = n.wasm.Close(context.Background())
	}
	for _, ln := range n.gwLns {
		_ = ln.Close()
	}
	if n.adminLn != nil {
		_ = n.adminLn.Close()
	}
	if n.store != nil {
		if err := n.store.Close(); err != nil {
			n.log.Error("close store", "error", err)
		}
	}
}
