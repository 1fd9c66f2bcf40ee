package edge

import (
	"fmt"
	"net"
	"time"

	"github.com/pires/go-proxyproto"
)

// newProxyListener wraps ln so that accepted connections speak the PROXY protocol, v1 (text) or v2 (binary), per
// proxyPolicy. After a valid header, RemoteAddr and LocalAddr are the header's source and destination; for a LOCAL
// header (v2 LOCAL, v1 UNKNOWN — what a load balancer sends on its own health checks) they stay the socket's.
//
// go-proxyproto v0.15.0 applies timeout as a read deadline while it detects and reads the header, never extending a
// deadline the server set earlier (it takes the earlier of the two) and restoring the server's deadline afterwards.
// When the timeout passes without a complete header, go-proxyproto decides there is no header: under REQUIRE the
// first Read fails, and the HTTP server closes the connection, so a silent connection cannot hold a worker longer
// than the timeout. Under USE and REJECT "no header" is allowed, so the connection is handed on as plain traffic and
// the HTTP server's own read timeout (fasthttp Server.ReadTimeout) is what bounds it from then on.
func newProxyListener(ln net.Listener, from *TrustedProxies, timeout time.Duration) net.Listener {
	return &proxyproto.Listener{
		Listener:          ln,
		ConnPolicy:        proxyPolicy(from),
		ReadHeaderTimeout: timeout,
	}
}

// proxyPolicy decides, per accepted connection, what to do with a PROXY header.
//
//   - from is empty: REQUIRE for every peer. This is the listener only the load balancer can reach (a private
//     subnet, a security group that admits the load balancer alone): every connection must open with a header, and
//     one without it fails before a single byte of HTTP is read. Nothing checks who sent the header, so the
//     isolation must come from the network; if clients can reach the port directly, list the load balancer's
//     addresses in from instead.
//   - from is set: USE for peers in from (the header is optional: a health check or a sidecar may connect without
//     one, and its RemoteAddr is then the socket peer) and REJECT for every other peer (a header is refused, the
//     connection's first Read fails with proxyproto.ErrSuperfluousProxyHeader; without a header the connection is
//     served as plain traffic). A client that reaches the port directly therefore cannot spoof its address.
//
// The REQUIRE case is returned explicitly instead of leaving ConnPolicy nil, so that a change to the package-level
// proxyproto.DefaultPolicy elsewhere in the process cannot weaken it. The peer is classified with PeerAddr, which for
// a TCP connection does not allocate (go-proxyproto's range helpers format and re-parse the address).
func proxyPolicy(from *TrustedProxies) proxyproto.ConnPolicyFunc {
	if from.Len() == 0 {
		return func(proxyproto.ConnPolicyOptions) (proxyproto.Policy, error) {
			return proxyproto.REQUIRE, nil
		}
	}
	return func(opts proxyproto.ConnPolicyOptions) (proxyproto.Policy, error) {
		peer := PeerAddr(opts.Upstream)
		if !peer.IsValid() {
			// Wrapping ErrInvalidUpstream makes Accept drop this connection and keep listening.
			return proxyproto.REJECT, fmt.Errorf("%w: peer %v has no IP address", proxyproto.ErrInvalidUpstream, opts.Upstream)
		}
		if from.Contains(peer) {
			return proxyproto.USE, nil
		}
		return proxyproto.REJECT, nil
	}
}
