package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	proxyproto "github.com/pires/go-proxyproto"

	"github.com/portico-gateway/portico/runtime/admin"
	"github.com/portico-gateway/portico/runtime/node"
)

const echoIPYAML = `
services:
  - id: echo0001
    name: echo
    resources:
      /ip: { methods: { GET: { backend: { type: mock, status: 200, body: "${request.clientIp}" } } } }
    stages:
      - { name: "", backendUrl: "http://127.0.0.1:1" }
`

func TestProxyProtocolSetsClientIP(t *testing.T) {
	for _, version := range []byte{1, 2} {
		t.Run(fmt.Sprintf("v%d", version), func(t *testing.T) {
			n := startNode(t, t.TempDir(), func(c *node.Config) { c.ProxyProtocol = true })
			c := clientOf(n)
			applyYAML(t, c, echoIPYAML)
			deploy(t, c, "echo", "", "")

			conn, err := net.Dial("tcp", n.GatewayAddrs()[0])
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			hdr := proxyproto.HeaderProxyFromAddrs(version,
				net.TCPAddrFromAddrPort(netip.MustParseAddrPort("198.51.100.23:40000")),
				net.TCPAddrFromAddrPort(netip.MustParseAddrPort("10.0.0.5:8080")))
			if _, err := hdr.WriteTo(conn); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(conn, "GET /ip HTTP/1.1\r\nHost: echo0001.localhost\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || string(body) != "198.51.100.23" {
				t.Fatalf("status %d body %q, want the PROXY source address", resp.StatusCode, body)
			}

			// Without the header the connection is refused: only the load balancer may reach this listener.
			plain, err := tryCall(n.GatewayAddrs()[0], "echo0001.localhost", "GET", "/ip")
			if err == nil && plain.Status == 200 {
				t.Fatalf("a connection without PROXY header was served: %q", plain.Body)
			}
		})
	}
}

func TestTrustedProxiesXForwardedFor(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted []string
		xff     string
		want    string
	}{
		{"untrusted peer: header ignored", nil, "203.0.113.7", "127.0.0.1"},
		{"trusted peer: rightmost untrusted hop", []string{"127.0.0.0/8", "10.0.0.0/8"}, "203.0.113.7, 198.51.100.1, 10.0.0.2", "198.51.100.1"},
		// A client's own line first, the proxy's line second: the proxy's hop wins.
		{"several header lines", []string{"127.0.0.0/8"}, "203.0.113.7\n198.51.100.1", "198.51.100.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := startNode(t, t.TempDir(), func(c *node.Config) { c.TrustedProxies = tc.trusted })
			c := clientOf(n)
			applyYAML(t, c, echoIPYAML)
			deploy(t, c, "echo", "", "")
			var hdr []string
			for _, line := range strings.Split(tc.xff, "\n") {
				hdr = append(hdr, "X-Forwarded-For", line)
			}
			r := call(t, n.GatewayAddrs()[0], "echo0001.localhost", "GET", "/ip", hdr...)
			if r.Body != tc.want {
				t.Fatalf("client IP = %q, want %q", r.Body, tc.want)
			}
		})
	}
}

func TestSeveralListenAddresses(t *testing.T) {
	n := startNode(t, t.TempDir(), func(c *node.Config) { c.Listen = []string{"127.0.0.1:0", "127.0.0.2:0"} })
	c := clientOf(n)
	applyYAML(t, c, echoIPYAML)
	deploy(t, c, "echo", "", "")
	addrs := n.GatewayAddrs()
	if len(addrs) != 2 {
		t.Fatalf("addresses %v", addrs)
	}
	for _, a := range addrs {
		r := call(t, a, "echo0001.localhost", "GET", "/ip")
		expectStatus(t, r, 200)
		expectStatus(t, call(t, a, strings.Split(a, ":")[0], "GET", "/healthz"), 200)
	}
}

func TestCustomDomainWithBasePath(t *testing.T) {
	be := newBackend(t, "a")
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	applyYAML(t, c, shopYAML(t, be.URL))
	deploy(t, c, "shop", "test", "")
	if _, err := c.CreateDomain(context.Background(), admin.DomainInput{Host: "api.example.com", ServiceID: "shop0001",
		StageName: "test", BasePath: "/shop"}); err != nil {
		t.Fatal(err)
	}
	gw := n.GatewayAddrs()[0]
	r := call(t, gw, "API.Example.com:443", "GET", "/shop/products/9")
	expectStatus(t, r, 200)
	if got := be.last(t).RequestURI; got != "/api/products/9" {
		t.Fatalf("backend saw %q", got)
	}
	expectStatus(t, call(t, gw, "api.example.com", "GET", "/products/9"), 404)
	expectStatus(t, call(t, gw, "api.example.com", "GET", "/shopx/products/9"), 404)
}

// TestHotSwapUnderLoad deploys again and again while clients keep calling: no request may fail.
func TestHotSwapUnderLoad(t *testing.T) {
	be := newBackend(t, "a")
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	applyYAML(t, c, shopYAML(t, be.URL))
	deploy(t, c, "shop", "test", "v0")
	gw := n.GatewayAddrs()[0]

	ctx, cancel := context.WithCancel(context.Background())
	var (
		wg       sync.WaitGroup
		ok, fail atomic.Int64
		firstErr atomic.Value
	)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				path := "/products/1"
				if ok.Load()%2 == 0 {
					path = "/hello"
				}
				r, err := tryCall(gw, shopTest, "GET", path)
				if err != nil || r.Status != 200 {
					fail.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%v status %d %q", err, r.Status, r.Body))
					continue
				}
				ok.Add(1)
			}
		}()
	}
	for i := 1; i <= 15; i++ {
		body := fmt.Sprintf("hello v%d", i)
		applyYAML(t, c, strings.Replace(shopYAML(t, be.URL), `body: "hello ${request.clientIp}"`, `body: "`+body+`"`, 1))
		deploy(t, c, "shop", "test", body)
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if fail.Load() != 0 {
		t.Fatalf("%d of %d requests failed during deploys; first: %v", fail.Load(), ok.Load()+fail.Load(), firstErr.Load())
	}
	if ok.Load() < 100 {
		t.Fatalf("only %d requests ran", ok.Load())
	}
	if r := call(t, gw, shopTest, "GET", "/hello"); r.Body != "hello v15" {
		t.Fatalf("after the deploys /hello says %q", r.Body)
	}
}
