package edge

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/portico-gateway/portico/runtime/lazydeadline"
	"github.com/portico-gateway/portico/runtime/rawio"
)

// DefaultReadHeaderTimeout bounds how long an accepted connection may take to send its PROXY protocol header when
// ListenConfig.ReadHeaderTimeout is zero. go-proxyproto's own default is 10 s; a load balancer writes the header
// together with the connection's first bytes, so 5 s is generous.
const DefaultReadHeaderTimeout = 5 * time.Second

// ListenConfig describes the gateway's data-plane sockets. It is read, never modified, by Listen.
type ListenConfig struct {
	// Addrs are the fixed "host:port" addresses to bind, each host an IP literal or empty: "10.0.0.5:8080",
	// "127.0.0.1:8080", "[::1]:8080", ":8080" (every address, IPv4 and IPv6). An IPv4 host binds an IPv4-only socket
	// (Go's "tcp" network would turn "0.0.0.0" into a dual-stack socket). Host names are refused: a name would bind
	// to whichever single address the resolver returns first, which is not a fixed address. Port 0 picks a free port
	// (tests); read it back from the listener's Addr.
	Addrs []string
	// ProxyProtocol makes every listener expect the PROXY protocol (v1 or v2) from the load balancer in front, so
	// that a connection's RemoteAddr is the client address the header carries; see ProxyProtocolFrom.
	ProxyProtocol bool
	// ProxyProtocolFrom, when ProxyProtocol is set, are the peers allowed to send a PROXY header. Nil or empty means
	// every connection must start with one. It is an error to set it without ProxyProtocol.
	ProxyProtocolFrom *TrustedProxies
	// ReadHeaderTimeout bounds the wait for a PROXY header; zero means DefaultReadHeaderTimeout. Negative is an
	// error. Unused without ProxyProtocol.
	ReadHeaderTimeout time.Duration
}

// Listen validates cfg and binds every address in cfg.Addrs, in order. If any address fails to bind (or ctx is done
// before all are bound) the listeners already opened are closed and the error names the address. The caller owns
// the returned listeners and closes them.
//
// With cfg.ProxyProtocol each listener is a *proxyproto.Listener (github.com/pires/go-proxyproto). Its Accept does
// not read: the header is read, under the header timeout, by the first Read, Write, RemoteAddr or LocalAddr on the
// connection, so a slow client blocks only the goroutine serving it. A connection whose header is missing or refused
// is not closed by the listener: its first Read fails and the HTTP server closes it. See proxyPolicy for which
// connections need, may or may not send a header.
func Listen(ctx context.Context, cfg ListenConfig) ([]net.Listener, error) {
	networks, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	timeout := cfg.ReadHeaderTimeout
	if timeout == 0 {
		timeout = DefaultReadHeaderTimeout
	}
	var lc net.ListenConfig // KeepAlive 0: the default TCP keep-alive on every accepted connection
	lns := make([]net.Listener, 0, len(cfg.Addrs))
	closeAll := func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}
	for i, addr := range cfg.Addrs {
		if err := ctx.Err(); err != nil {
			closeAll()
			return nil, fmt.Errorf("edge: listen %s: %w", addr, err)
		}
		ln, err := lc.Listen(ctx, networks[i], addr)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("edge: listen %s: %w", addr, err)
		}
		ln = socketListener{ln}
		if cfg.ProxyProtocol {
			ln = newProxyListener(ln, cfg.ProxyProtocolFrom, timeout)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// validate checks cfg without touching the network and returns the network ("tcp", "tcp4" or "tcp6") to use for
// each address.
func (cfg *ListenConfig) validate() ([]string, error) {
	if len(cfg.Addrs) == 0 {
		return nil, errors.New("edge: listen: no addresses configured")
	}
	if !cfg.ProxyProtocol && cfg.ProxyProtocolFrom.Len() > 0 {
		return nil, errors.New("edge: listen: ProxyProtocolFrom is set but ProxyProtocol is off")
	}
	if cfg.ReadHeaderTimeout < 0 {
		return nil, fmt.Errorf("edge: listen: negative ReadHeaderTimeout %v", cfg.ReadHeaderTimeout)
	}
	networks := make([]string, len(cfg.Addrs))
	for i, addr := range cfg.Addrs {
		network, err := listenNetwork(addr)
		if err != nil {
			return nil, fmt.Errorf("edge: listen %q: %w", addr, err)
		}
		networks[i] = network
	}
	return networks, nil
}

// listenNetwork checks that addr is "ip:port" or ":port" and picks the socket family from the host.
func listenNetwork(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if host == "" {
		return "tcp", nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "", fmt.Errorf("host %q is not an IP address (listen addresses are fixed IPs, or empty for all)", host)
	}
	if ip.Unmap().Is4() {
		return "tcp4", nil
	}
	return "tcp6", nil
}

// socketListener gives every accepted connection lazy deadlines over raw reads and writes, as the proxy's dialer
// does for backend connections: see the two packages for what each saves on every request.
type socketListener struct{ net.Listener }

func (l socketListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return lazydeadline.Wrap(rawio.Wrap(c)), nil
}
